"""Two JSON-in-a-block call formats used by other papers' rewards.

- `json_lines` (ToolRL): the first `<tool_call>` block holds one JSON object per line,
  `{"name": ..., "parameters": {...}}` (or `"arguments"`). A line that is not a JSON
  object with a name makes a broken call, so the ToolRL correctness term sees it.
- `json_list` (Nemotron Tool-N1): the last `<tool_call>` block holds a JSON list of
  `{"name": ..., "arguments": {...}}` (a single object, or a JSON string of either, also
  counts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..calls import Call, decode_arguments
from ..hookspecs import CallFormat
from .hermes import BLOCK as _BLOCK
from .hermes import CALL_TAGS
from .responses import RESPONSE_TAGS


def _call(obj: Any, raw: str) -> Call:
    if not isinstance(obj, dict):
        return Call(None, None, raw, "call is not a JSON object")
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return Call(None, None, raw, "call has no name")
    if "arguments" in obj:
        args = obj["arguments"]
    elif "parameters" in obj:
        args = obj["parameters"]
    else:
        return Call(name, None, raw, "call has no arguments")
    arguments, error = decode_arguments(args)
    return Call(name, arguments, raw, error)


class JsonLinesFormat(CallFormat):
    name = "json_lines"
    #: Where a call ends: multi-turn rollouts stop generating here and run the tools.
    stop_text = CALL_TAGS[1]
    #: The blocks a call is written in, and a tool's result comes back in (views.py).
    call_tags = CALL_TAGS
    response_tags = RESPONSE_TAGS

    def parse(self, text: str) -> list[Call]:
        match = _BLOCK.search(text)
        if match is None:
            return []
        body = match.group(1).strip()
        if not body:
            return [Call(None, None, "", "empty tool_call block")]
        calls = []
        for line in body.split("\n"):
            try:
                obj = json.loads(line)
            except Exception as exc:
                calls.append(Call(None, None, line, f"line is not JSON: {exc}"))
                continue
            calls.append(_call(obj, line))
        return calls

    def render(self, calls: Sequence[Call]) -> str:
        lines = [json.dumps({"name": c.name, "parameters": c.arguments or {}}, ensure_ascii=False) for c in calls]
        return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"

    def instructions(self) -> str:
        return (
            "Think inside <think></think>, then put every tool call in one <tool_call></tool_call> block, "
            'one JSON object per line: {"name": "<tool-name>", "parameters": {<arguments>}}.'
        )


class JsonListFormat(CallFormat):
    name = "json_list"
    #: Where a call ends: multi-turn rollouts stop generating here and run the tools.
    stop_text = CALL_TAGS[1]
    #: The blocks a call is written in, and a tool's result comes back in (views.py).
    call_tags = CALL_TAGS
    response_tags = RESPONSE_TAGS

    def parse(self, text: str) -> list[Call]:
        blocks = _BLOCK.findall(text)
        if not blocks:
            return []
        raw = blocks[-1].strip()
        try:
            data = json.loads(raw)
            if isinstance(data, str):
                data = json.loads(data)
        except Exception as exc:
            return [Call(None, None, raw, f"block is not JSON: {exc}")]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            return [Call(None, None, raw, "block is not a JSON list of calls")]
        return [_call(item, json.dumps(item, default=str)) for item in data]

    def render(self, calls: Sequence[Call]) -> str:
        items = [{"name": c.name, "arguments": c.arguments or {}} for c in calls]
        return "<tool_call>" + json.dumps(items, ensure_ascii=False) + "</tool_call>"

    def instructions(self) -> str:
        return (
            "Think inside <think></think>, then answer with one <tool_call></tool_call> block holding a JSON list "
            'of calls: [{"name": "<tool-name>", "arguments": {<arguments>}}, ...].'
        )


JSON_LINES = JsonLinesFormat()
JSON_LIST = JsonListFormat()
