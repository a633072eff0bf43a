"""The student's prompt: a system message that lists the tools as JSON Schemas and says how
to call them, one worked example, then the task.

SmolLM2's chat template knows nothing of tools (it drops `tools=` and `tool_calls`), so the
tools go into the system message as text, the way Hermes/Qwen templates render them.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..calls import Call
from ..formats.responses import render_response
from ..tools.base import Tool, ToolResult

SYSTEM = """Solve the task. You can call these tools:
<tools>
{tools}
</tools>
{instructions}
Finish with the final answer in \\boxed{{}}."""


# What a caller needs from a JSON Schema. Validation limits (minimum, maxItems, ...) and
# per-property descriptions are left out: every prompt token costs time in every rollout
# and every update, and the tool's own description says what the parameters mean.
_KEEP = ("type", "properties", "items", "required", "enum")


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


def tool_line(tool: Tool) -> str:
    """One tool as compact JSON Schema, on one line."""
    schema = {"name": tool.name, "description": tool.description, "parameters": compact_schema(dict(tool.parameters))}
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def system_prompt(tools: Sequence[Tool], fmt) -> str:
    return SYSTEM.format(tools="\n".join(tool_line(t) for t in tools), instructions=fmt.instructions())


def worked_example(fmt) -> list[dict[str, str]]:
    """A previous exchange that shows the call format, a tool response and the answer."""
    call = fmt.render([Call("add", {"a": 12, "b": 30})])
    response = render_response(ToolResult(True, 42))
    return [
        {"role": "user", "content": "What is 12 + 30?"},
        {"role": "assistant", "content": f"{call}\n{response}The answer is \\boxed{{42}}."},
    ]


def worked_example_messages() -> list[dict[str, Any]]:
    """The worked example as structured messages, for chat templates that render tools."""
    arguments = {"a": 12, "b": 30}
    return [
        {"role": "user", "content": "What is 12 + 30?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call00000", "type": "function", "function": {"name": "add", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "call00000", "name": "add", "content": "42"},
        {"role": "assistant", "content": "The answer is \\boxed{42}."},
    ]


def task_messages(task_prompt: Any) -> list[dict[str, Any]]:
    """A task's prompt as chat messages (a bare string is one user message)."""
    return [{"role": "user", "content": task_prompt}] if isinstance(task_prompt, str) else [dict(m) for m in task_prompt]


def build_prompt(task_prompt: Any, tools: Sequence[Tool], fmt, *, example: bool = True) -> list[dict[str, str]]:
    """The full message list for one task. A system message in the task is kept, after ours."""
    messages = task_messages(task_prompt)
    system = system_prompt(tools, fmt)
    if messages and messages[0].get("role") == "system":
        system = f"{system}\n\n{messages[0]['content']}"
        messages = messages[1:]
    shots = worked_example(fmt) if example and any(t.name == "add" for t in tools) else []
    return [{"role": "system", "content": system}, *shots, *messages]
