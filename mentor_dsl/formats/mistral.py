"""Mistral tool calls: `[TOOL_CALLS]` followed by a JSON list of calls.

    [TOOL_CALLS] [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]

Mistral's documented layout (v3 tokenizers and later): `[TOOL_CALLS]` is a control token,
the list holds `{"name", "arguments"}` objects (with an optional `id`), the turn ends at
the end-of-sequence token, and results come back between `[TOOL_RESULTS]` and
`[/TOOL_RESULTS]`, which the model's chat template renders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..calls import Call, decode_arguments
from ..hookspecs import CallFormat
from .scan import json_values

MARKER = "[TOOL_CALLS]"


class MistralFormat(CallFormat):
    name = "mistral"
    #: No closing tag: a call ends with the model's turn (native chat layout only).
    stop_text = None

    def parse(self, text: str) -> list[Call]:
        calls: list[Call] = []
        start = text.find(MARKER)
        while start >= 0:
            body = text[start + len(MARKER) :]
            value = next(json_values(body, first_only=True), None)
            if value is None:
                calls.append(Call(None, None, body[:200], "no JSON list after [TOOL_CALLS]"))
            else:
                raw, data = value
                items = data if isinstance(data, list) else [data]
                for item in items:
                    calls.append(_call(item))
            start = text.find(MARKER, start + len(MARKER))
        return calls

    def render(self, calls: Sequence[Call]) -> str:
        items = [{"name": c.name, "arguments": c.arguments or {}} for c in calls]
        return MARKER + json.dumps(items, ensure_ascii=False)

    def instructions(self) -> str:
        return (
            'To call tools, write [TOOL_CALLS] and a JSON list: [{"name": <tool-name>, '
            '"arguments": {<arguments>}}]. The results come back in the next message.'
        )


def _call(item) -> Call:
    raw = json.dumps(item, ensure_ascii=False, default=str)
    if not isinstance(item, dict):
        return Call(None, None, raw, "call is not a JSON object")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return Call(None, None, raw, "call has no name")
    arguments, error = decode_arguments(item.get("arguments", {}))
    return Call(name, arguments, raw, error)


MISTRAL = MistralFormat()
