"""Hermes/Qwen tool calls: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`.

Which blocks count as calls follows the MENTOR paper's reward code, because the library
rewards must agree with it on every completion:

- a block is the shortest text between `<tool_call>` and `</tool_call>`;
- its stripped text is parsed as JSON; an object with a truthy `name` is a call;
- when that fails in a way that raised in the paper's code (invalid JSON, or a JSON value
  for which `obj['name']` raises), a fallback regex looks for the name. The paper wrote it
  as a raw string with a doubled backslash, so it only matches `"name":\\"x"` with a
  literal backslash: real model output almost never does, but we keep the same rule;
- a falsy name (empty string, null, 0) means the block is not a call.

A name that is not a string (a number, a list) cannot be a tool's name, so it is kept as
its JSON text and always counts as a hallucinated tool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..calls import Call, decode_arguments
from ..hookspecs import CallFormat
from .responses import RESPONSE_TAGS

CALL_TAGS = ("<tool_call>", "</tool_call>")
BLOCK = re.compile(re.escape(CALL_TAGS[0]) + "(.*?)" + re.escape(CALL_TAGS[1]), re.DOTALL)
# Same pattern as the paper's code, backslash included (see the module docstring).
_FALLBACK_NAME = re.compile(r'"name":\\s*"([^"]+)"')
_NOT_FOUND = object()


def _name_from_json(content: str):
    """(name or None, parsed object or _NOT_FOUND, used_fallback)."""
    try:
        obj = json.loads(content)
    except Exception:  # invalid JSON, or too deeply nested for the decoder
        return _fallback(content), _NOT_FOUND
    if isinstance(obj, dict):
        return obj.get("name"), obj
    if isinstance(obj, (str, list)):
        # `'name' in obj` holds for a string containing it or a list holding it; indexing
        # with 'name' then raises, which sends the paper's code to the fallback.
        return (_fallback(content) if "name" in obj else None), obj
    # Numbers, booleans and null make `'name' in obj` raise: fallback again.
    return _fallback(content), obj


def _fallback(content: str) -> str | None:
    match = _FALLBACK_NAME.search(content)
    return match.group(1) if match else None


def _as_name(value) -> str | None:
    if not value:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


class HermesFormat(CallFormat):
    name = "hermes"
    #: Where a call ends: multi-turn rollouts stop generating here and run the tools.
    stop_text = CALL_TAGS[1]
    #: The blocks a call is written in, and a tool's result comes back in (views.py).
    call_tags = CALL_TAGS
    response_tags = RESPONSE_TAGS

    def parse(self, text: str) -> list[Call]:
        calls = []
        for match in BLOCK.finditer(text):
            raw = match.group(1)
            content = raw.strip()
            name, obj = _name_from_json(content)
            name = _as_name(name)
            if obj is _NOT_FOUND:
                calls.append(Call(name, None, raw, "block is not valid JSON"))
            elif not isinstance(obj, dict):
                calls.append(Call(name, None, raw, "block is not a JSON object"))
            else:
                args = obj.get("arguments", obj.get("parameters", {}))
                arguments, error = decode_arguments(args)
                calls.append(Call(name, arguments, raw, error))
        return calls

    def render(self, calls: Sequence[Call]) -> str:
        blocks = []
        for call in calls:
            body = json.dumps({"name": call.name, "arguments": call.arguments or {}}, ensure_ascii=False)
            blocks.append(f"<tool_call>\n{body}\n</tool_call>")
        return "\n".join(blocks)

    def instructions(self) -> str:
        return (
            "To call a tool, write a JSON object with the tool's name and arguments inside "
            "<tool_call></tool_call> tags, one call per block:\n"
            '<tool_call>\n{"name": "<tool-name>", "arguments": {<arguments>}}\n</tool_call>\n'
            "Each result comes back inside <tool_response></tool_response> tags."
        )


HERMES = HermesFormat()
