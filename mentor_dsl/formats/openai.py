"""OpenAI-style calls: `tool_calls` entries on assistant messages.

An entry is `{"type": "function", "function": {"name": ..., "arguments": ...}}` where
`arguments` is a JSON string, an object, or (from some servers) a JSON string of a JSON
string. As text, the format accepts a JSON message, a list of entries, or one entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..calls import Call, decode_arguments
from ..hookspecs import CallFormat


def call_from_entry(entry: Any) -> Call:
    raw = _dump(entry)
    if not isinstance(entry, dict):
        return Call(None, None, raw, "tool call entry is not an object")
    fn = entry.get("function", entry)
    if not isinstance(fn, dict):
        return Call(None, None, raw, "'function' is not an object")
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        return Call(None, None, raw, "tool call has no name")
    arguments, error = decode_arguments(fn.get("arguments", {}))
    return Call(name, arguments, raw, error)


def calls_from_messages(messages: Iterable[Any]) -> list[Call]:
    calls: list[Call] = []
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "assistant":
            entries = message.get("tool_calls") or []
            if isinstance(entries, list):
                calls.extend(call_from_entry(e) for e in entries)
            else:
                calls.append(Call(None, None, _dump(entries), "'tool_calls' is not a list"))
    return calls


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:1000]


class OpenAIFormat(CallFormat):
    name = "openai"

    def parse(self, text: str) -> list[Call]:
        try:
            data = json.loads(text)
        except Exception:
            return []
        if isinstance(data, dict) and "tool_calls" in data:
            return calls_from_messages([{**data, "role": "assistant"}])
        if isinstance(data, list):
            return [call_from_entry(e) for e in data]
        if isinstance(data, dict):
            return [call_from_entry(data)]
        return []

    def render(self, calls: Sequence[Call]) -> str:
        entries = [
            {"type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments or {})}}
            for c in calls
        ]
        return json.dumps({"role": "assistant", "content": None, "tool_calls": entries})

    def instructions(self) -> str:
        return "Call tools through the API's `tool_calls` field."


OPENAI = OpenAIFormat()
