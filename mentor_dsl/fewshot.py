"""Few-shot exchanges: worked examples of calling a domain's tools, shown before the task.

A small student calls tools it has been shown calling. Plugins register an `Example` for
their tools through the `register_examples` hook (the math tools' `add` example is
registered that way too), and a task record may carry its own in an `examples` field.
An example is structured, not text, so each chat layout writes it its own way
(`rollouts/layout.py`): the inline layout as a user turn and an assistant turn with the
call blocks of the prompt's call format and `<tool_response>` blocks; the native layout as
an assistant message with `tool_calls`, `tool` messages and a final assistant message,
through the model's chat template.

Which examples a prompt shows (`examples_for`), first that applies:

1. the record's `examples` (all of them, in order; `[]` shows none);
2. the registered examples whose tools the task all offers, in registry order (built-ins
   first, then plugins by entry-point name), at most `MAX_SHOWN`;
3. none.

Several examples, one per tool, teach a small student more than one: on date tasks, with
a single `add_days` example the embedded student wrote no call in the 8 rollouts of two
training steps; with one example per tool, 3 of the 4 rollouts of the first step called
a tool (docs/plugins.md, "A new domain, end to end").

A record's `examples` is a list of objects in the JSON form of `Example.to_json`:

    {"user": "What is 12 + 30?",
     "turns": [[{"name": "add", "arguments": {"a": 12, "b": 30}, "output": 42}]],
     "answer": "The answer is \\\\boxed{42}."}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .calls import Call
from .errors import DataError, ToolError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")

#: The most registered examples one prompt shows: each costs its tokens in every rollout
#: and every update.
MAX_SHOWN = 3


@dataclass(frozen=True)
class ExampleCall:
    """One call of an example, and what the tool returned (any JSON value)."""

    name: str
    arguments: Mapping[str, Any]
    output: Any


@dataclass(frozen=True)
class Example:
    """A worked exchange: the user's question, the assistant's turns of calls (each turn's
    calls run together, their outputs come back, then the next turn), and the final
    assistant text, which gives the answer in the form the task asks for.

    `name` identifies it in the registry and in `mentor plugins` (unique across plugins)."""

    name: str
    user: str
    turns: tuple[tuple[ExampleCall, ...], ...]
    answer: str
    plugin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ToolError(f"example name {self.name!r} must be 1-64 letters, digits, '_', '.', ':' or '-'")
        if not isinstance(self.user, str) or not self.user.strip():
            raise ToolError(f"example {self.name!r}: 'user' must be the user's message")
        if not isinstance(self.answer, str) or not self.answer.strip():
            raise ToolError(f"example {self.name!r}: 'answer' must be the assistant's final text")
        turns = tuple(tuple(turn) for turn in self.turns)
        object.__setattr__(self, "turns", turns)
        if not turns or not all(turns):
            raise ToolError(f"example {self.name!r}: it needs at least one turn, and every turn a call")
        for turn in turns:
            for call in turn:
                if (
                    not isinstance(call, ExampleCall)
                    or not isinstance(call.name, str)
                    or not isinstance(call.arguments, Mapping)
                ):
                    raise ToolError(f"example {self.name!r}: calls must be ExampleCall(name, arguments, output)")
                try:
                    json.dumps([dict(call.arguments), call.output])
                except (TypeError, ValueError) as exc:
                    raise ToolError(f"example {self.name!r}: call {call.name!r} is not JSON: {exc}") from None

    @property
    def tools(self) -> frozenset[str]:
        """The tools the example calls: a task must offer all of them to be shown it."""
        return frozenset(c.name for turn in self.turns for c in turn)

    # -- the two layouts -----------------------------------------------------------------------

    def inline_messages(self, fmt) -> list[dict[str, str]]:
        """A user turn and one assistant turn holding the calls in `fmt`, each turn's tool
        responses, and the answer: the text a rollout in the inline layout produces."""
        from .formats.responses import render_response
        from .tools.base import ToolResult

        parts = []
        for turn in self.turns:
            parts.append(fmt.render([Call(c.name, dict(c.arguments)) for c in turn]) + "\n")
            parts.extend(render_response(ToolResult(True, c.output)) for c in turn)
        return [{"role": "user", "content": self.user}, {"role": "assistant", "content": "".join(parts) + self.answer}]

    def native_messages(self) -> list[dict[str, Any]]:
        """The exchange as chat messages for a template that renders tools: assistant
        `tool_calls`, `tool` results, the final assistant message."""
        from .formats.responses import render_value

        messages: list[dict[str, Any]] = [{"role": "user", "content": self.user}]
        number = 0
        for turn in self.turns:
            calls, results = [], []
            for call in turn:
                call_id = f"call{number:05d}"  # 9 characters: Mistral's rule
                number += 1
                calls.append(
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": dict(call.arguments)},
                    }
                )
                results.append(
                    {"role": "tool", "tool_call_id": call_id, "name": call.name, "content": render_value(call.output)}
                )
            messages.append({"role": "assistant", "content": "", "tool_calls": calls})
            messages.extend(results)
        messages.append({"role": "assistant", "content": self.answer})
        return messages

    # -- JSON ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "turns": [
                [{"name": c.name, "arguments": dict(c.arguments), "output": c.output} for c in turn]
                for turn in self.turns
            ],
            "answer": self.answer,
        }

    @classmethod
    def from_json(cls, obj: Any, name: str = "record") -> Example:
        """An example from its JSON form (a record's `examples` entry)."""
        if not isinstance(obj, Mapping):
            raise DataError("an example must be an object with 'user', 'turns' and 'answer'")
        turns = obj.get("turns")
        if not isinstance(turns, list) or not all(isinstance(t, list) for t in turns):
            raise DataError("an example's 'turns' must be a list of turns, each a list of calls")
        try:
            # `user` and `answer` go in unchecked: `__post_init__` refuses anything but a
            # non-empty string (a ToolError, turned into a DataError below).
            return cls(
                str(obj.get("name") or name),
                cast(str, obj.get("user")),
                tuple(tuple(_call(c) for c in turn) for turn in turns),
                cast(str, obj.get("answer")),
            )
        except ToolError as exc:
            raise DataError(str(exc)) from None


def _call(obj: Any) -> ExampleCall:
    if (
        not isinstance(obj, Mapping)
        or not isinstance(obj.get("name"), str)
        or not isinstance(obj.get("arguments", {}), Mapping)
        or "output" not in obj
    ):
        raise DataError("an example's call must be an object with 'name', 'arguments' and 'output'")
    return ExampleCall(obj["name"], dict(obj.get("arguments", {})), obj["output"])


def record_examples(record: Mapping[str, Any]) -> list[Example] | None:
    """The examples a task record carries (its `examples` field), or None when it has
    none. Raises DataError for a malformed field; callers name the record."""
    value = record.get("examples") if isinstance(record, Mapping) else None
    if value is None:
        return None
    if isinstance(value, str):  # Arrow datasets store irregular objects as JSON text
        try:
            value = json.loads(value)
        except ValueError:
            raise DataError("'examples' is a string but not JSON") from None
    if not isinstance(value, list):
        raise DataError("'examples' must be a list of example exchanges")
    return [Example.from_json(item, f"record:{i}") for i, item in enumerate(value)]


def examples_for(tools: Sequence[Any], given: Sequence[Example] | None = None, registry=None) -> list[Example]:
    """The examples a prompt offering `tools` shows (see the module docstring)."""
    if given is not None:
        return list(given)
    if registry is None:
        from .plugins import registry as current

        registry = current()
    offered = {getattr(t, "name", t) for t in tools}
    shown = [e.value for e in registry.items["examples"].values() if e.value.tools <= offered]
    return shown[:MAX_SHOWN]
