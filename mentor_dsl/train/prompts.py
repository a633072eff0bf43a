"""The student's prompt: a system message that lists the tools as JSON Schemas and says how
to call them, the few-shot exchanges for its tools (`fewshot`), then the task.

SmolLM2's chat template knows nothing of tools (it drops `tools=` and `tool_calls`), so the
tools go into the system message as text, the way Hermes/Qwen templates render them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..tools.base import Tool


class ToolDoc(Protocol):
    """What a prompt shows of a tool: a `Tool`, or a BFCL function that has no
    implementation here (`evaluation.tasks.FunctionDoc`)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def parameters(self) -> Mapping[str, Any]: ...


SYSTEM = """Solve the task. You can call these tools:
<tools>
{tools}
</tools>
{instructions}
Finish with the final answer in \\boxed{{}}."""


# What a caller needs from a JSON Schema: the shape, the names, the allowed values and the
# string formats (`"format": "date"`). Left out: per-parameter descriptions, defaults,
# validation limits (minimum, maxItems, pattern, ...) and additionalProperties. Every
# prompt token costs time in every rollout and every update: the parameter descriptions
# alone add 137 tokens (15%) to a prompt of the 12 math tools, which say nothing their
# names and the tool's description do not. A tool's own description is always shown, so
# that is where its author says what the model must know (units, a date's layout). Calls
# are still validated against the whole schema.
_KEEP = ("type", "properties", "items", "required", "enum", "format")


def compact_schema(schema: Any) -> Any:
    """A JSON Schema with only what a caller needs (see `_KEEP`)."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k in _KEEP}
    if "properties" in out:
        out["properties"] = {name: compact_schema(sub) for name, sub in out["properties"].items()}
    if "items" in out:
        out["items"] = compact_schema(out["items"])
    return out


def tool_line(tool: ToolDoc) -> str:
    """One tool as compact JSON Schema, on one line."""
    schema = {"name": tool.name, "description": tool.description, "parameters": compact_schema(dict(tool.parameters))}
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def system_prompt(tools: Sequence[Tool], fmt) -> str:
    return SYSTEM.format(tools="\n".join(tool_line(t) for t in tools), instructions=fmt.instructions())


def task_messages(task_prompt: Any) -> list[dict[str, Any]]:
    """A task's prompt as chat messages (a bare string is one user message)."""
    return (
        [{"role": "user", "content": task_prompt}] if isinstance(task_prompt, str) else [dict(m) for m in task_prompt]
    )


def build_prompt(
    task_prompt: Any, tools: Sequence[Tool], fmt, *, example: bool = True, examples: Sequence[Any] | None = None
) -> list[dict[str, str]]:
    """The full message list for one task: our system message (a system message in the
    task is kept, after ours), the few-shot exchanges (`fewshot.examples_for`: `examples`
    when given, else the registered ones for these tools; none without `example`), the task."""
    from ..fewshot import examples_for

    messages = task_messages(task_prompt)
    system = system_prompt(tools, fmt)
    if messages and messages[0].get("role") == "system":
        system = f"{system}\n\n{messages[0]['content']}"
        messages = messages[1:]
    shots = [m for e in examples_for(tools, examples) for m in e.inline_messages(fmt)] if example else []
    return [{"role": "system", "content": system}, *shots, *messages]
