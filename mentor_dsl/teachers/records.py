"""What the built-in teachers share: the tools a task offers, the Hermes text of a
trajectory, the record a teacher returns, and the parsing of `--option` values.

Every teacher returns records in the form of the built-in task records (docs/records.md), so
`mentor train` reads them directly (GRPO reads `teacher`, SFT reads `completion`):

    {"id", "prompt", "answer", "tools",
     "teacher": {"tool_calls": [{"name", "arguments"}, ...], "answer", "model"},
     "completion": "<tool_call>...</tool_call>\\n<tool_response>...</tool_response>\\n"
                   "... \\\\boxed{...}" + the records' end marker (--eos),
     "tool_results": [{"ok", "output"}, ...],
     ...the task's other fields (split, domain, family, ...)}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from ..calls import Call, decode_arguments
from ..formats.hermes import HERMES
from ..formats.responses import render_response
from ..tools.base import Tool, ToolResult
from ..trajectory import DEFAULT_EOS
from .base import TaskFailed, TeacherError

#: Task fields a teacher record replaces or drops: they described the task's own
#: (oracle) completion, not the new one.
_REPLACED = frozenset({"completion", "teacher", "tool_results", "finished", "format"})

_CALL_END = "</tool_call>"


def task_id(task: Mapping[str, Any], index: int | None = None) -> Any:
    """The task's id, or its position when it has none (for messages and summaries)."""
    rid = task.get("id") if isinstance(task, Mapping) else None
    return rid if rid is not None else (f"#{index}" if index is not None else None)


def tool_names(task: Mapping[str, Any], registry, *, default: str | None = None) -> list[str]:
    """The tool names a task offers, by the rule of every command (`toolsets.offered`):
    its `tools` (names or OpenAI schemas), else the `default` toolset, else every
    registered tool."""
    from ..errors import DataError
    from ..toolsets import offered

    try:
        return list(offered(task.get("tools"), registry, default=default).names)
    except DataError as exc:
        raise TaskFailed("bad_task", getattr(exc, "message", None) or str(exc)) from None


def task_tools(task: Mapping[str, Any], registry, *, default: str | None = None) -> list[Tool]:
    """The registered `Tool`s a task offers; a task naming a tool no plugin provides fails
    (the teacher could not execute it, and the student could not be trained on it)."""
    names = tool_names(task, registry, default=default)
    missing = [n for n in names if n not in registry.tools]
    if missing:
        raise TaskFailed(
            "unknown_tool",
            f"the task lists tools that no plugin provides: {', '.join(missing)} "
            "(is the plugin installed? see `mentor plugins`)",
        )
    return [registry.tools[n] for n in names]


def task_examples(task: Mapping[str, Any]) -> list | None:
    """The task's own few-shot exchanges (`fewshot.record_examples`), or None."""
    from ..errors import DataError
    from ..fewshot import record_examples

    try:
        return record_examples(task)
    except DataError as exc:
        raise TaskFailed("bad_task", f"'examples': {getattr(exc, 'message', None) or exc}") from None


def prompt_messages(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The task's prompt as chat messages (a bare string is one user message)."""
    prompt = task.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, list) and prompt and all(isinstance(m, Mapping) and "role" in m for m in prompt):
        return [dict(m) for m in prompt]
    raise TaskFailed("bad_task", "the task has no 'prompt' (a string or a list of chat messages)")


def plain_call(call: Call) -> dict[str, Any]:
    """A parsed call as a `teacher.tool_calls` entry."""
    return {"name": call.name, "arguments": call.arguments if isinstance(call.arguments, dict) else {}}


def teacher_calls(task: Mapping[str, Any]) -> list[Any] | None:
    """`teacher.tool_calls` of a record, or None when it has none. Datasets store the
    teacher as JSON text; that is accepted too."""
    teacher = task.get("teacher")
    if isinstance(teacher, str):
        try:
            teacher = json.loads(teacher)
        except ValueError:
            return None
    if isinstance(teacher, list):  # the paper's data: the list itself
        return teacher
    if not isinstance(teacher, Mapping):
        return None
    calls = teacher.get("tool_calls")
    return calls if isinstance(calls, list) else None


def decode_call(item: Any) -> Call:
    """One `teacher.tool_calls` entry (a bare name, `{"name", "arguments"}` or OpenAI's
    `{"function": {...}}`) as a `Call`; `error` says why it cannot be executed."""
    if isinstance(item, str):
        return Call(item, None, item, "a bare tool name has no arguments")
    fn = item.get("function", item) if isinstance(item, Mapping) else None
    name = fn.get("name") if isinstance(fn, Mapping) else None
    raw = json.dumps(item, default=str)[:200]
    if not isinstance(fn, Mapping) or not isinstance(name, str) or not name:
        return Call(None, None, raw, "the call has no name")
    arguments, error = decode_arguments(fn.get("arguments", {}))
    return Call(name, arguments, raw, error)


# --- the trajectory as text ----------------------------------------------------------------


@dataclass
class Turn:
    """One assistant turn of a conversation with tools.

    `text` is what the assistant wrote; `steps` are its calls with their results. `inline`
    says the calls are already written in `text` as Hermes blocks (servers that return
    calls as text); otherwise they came as structured calls and are rendered here."""

    text: str
    steps: list[tuple[Call, ToolResult]] = field(default_factory=list)
    inline: bool = False


def cut_after_last_call(text: str) -> str:
    """The text up to its last `</tool_call>`: a rollout stops there and the tools answer,
    so anything a model wrote after it (often an imagined tool response) is not kept."""
    end = text.rfind(_CALL_END)
    return text if end < 0 else text[: end + len(_CALL_END)]


def render_trajectory(turns: Sequence[Turn], final: str, eos: str = DEFAULT_EOS) -> str:
    """The whole conversation as one Hermes completion, in the layout of the oracle's and
    of a training rollout: each call block, a newline, its `<tool_response>` block, ...,
    then the final text and EOS."""
    parts: list[str] = []
    for turn in turns:
        text = turn.text.strip()
        if turn.inline:
            parts.append(text + "\n")
            parts.extend(render_response(result) for _, result in turn.steps)
            continue
        if text:
            parts.append(text + "\n")
        for call, result in turn.steps:
            parts.append(HERMES.render([call]) + "\n")
            parts.append(render_response(result))
    parts.append(final.strip())
    return "".join(parts) + eos


def make_record(
    task: Mapping[str, Any],
    *,
    tools: Sequence[str],
    calls: Sequence[Call],
    results: Sequence[ToolResult],
    completion: str,
    answer: str | None,
    model: str,
) -> dict[str, Any]:
    """The trajectory record a teacher returns for `task` (see the module docstring)."""
    record: dict[str, Any] = {"id": task.get("id"), "prompt": task.get("prompt")}
    if "answer" in task:
        record["answer"] = task["answer"]
    record["tools"] = list(tools)
    record["teacher"] = {"tool_calls": [plain_call(c) for c in calls], "answer": answer, "model": model}
    record["completion"] = completion
    record["tool_results"] = [r.to_json() for r in results]
    for key, value in task.items():
        if key not in record and key not in _REPLACED:
            record[key] = value
    return record


# --- options -------------------------------------------------------------------------------

_NONE = ("", "none", "null")


def as_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer option (`--option max_turns=4` arrives as the string "4")."""
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or (isinstance(value, float) and not value.is_integer()):
        raise TeacherError(f"option {name}={value!r}: expected an integer")
    if minimum is not None and number < minimum:
        raise TeacherError(f"option {name}={value!r}: must be at least {minimum}")
    return number


@overload
def as_float(name: str, value: Any, *, minimum: float | None = None, optional: Literal[False] = False) -> float: ...
@overload
def as_float(name: str, value: Any, *, minimum: float | None = None, optional: bool) -> float | None: ...
def as_float(name: str, value: Any, *, minimum: float | None = None, optional: bool = False) -> float | None:
    """A number option; with `optional`, "none" (or None) means unset."""
    if optional and (value is None or (isinstance(value, str) and value.strip().lower() in _NONE)):
        return None
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")):
        raise TeacherError(f"option {name}={value!r}: expected a number")
    if minimum is not None and number < minimum:
        raise TeacherError(f"option {name}={value!r}: must be at least {minimum:g}")
    return number


def as_str(name: str, value: Any, *, optional: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise TeacherError(f"option {name} must not be empty")
    if not isinstance(value, str):
        raise TeacherError(f"option {name}={value!r}: expected text")
    return value
