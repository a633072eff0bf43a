"""The `xml` call format: tool calls written as XML elements.

    <call name="word_count"><arg name="text">the quick brown fox</arg></call>
    <call name="add"><arg name="a">1</arg><arg name="b">2.5</arg></call>
    <call name="now"/>

A spec selects it with `option call_format = "xml"`; a single record can say
`"format": "xml"`. Every term that looks at calls (`calls_valid`, `exec_success`,
`tool_match`, ...) then sees the calls this format parses.

Argument values are JSON when they parse as JSON (`1`, `2.5`, `true`, `[1, 2]`,
`"quoted"`), otherwise the text itself, so `<arg name="text">hello</arg>` is the string
"hello". Surrounding whitespace is dropped and XML entities (`&lt;`, `&amp;`, ...) are
decoded.

A call format is any object with four members:

- `name`: the name specs and records use;
- `parse(text) -> list[Call]`: every call block in a completion, in order. It must never
  raise: a block that is not a valid call becomes a `Call` with an `error` (and `name=None`
  when it is not even recognisable as a call), so terms can tell "no calls" from "broken
  calls";
- `render(calls) -> str`: the inverse of `parse`, used to write teacher demonstrations
  and prompts;
- `instructions() -> str`: a paragraph for the system prompt that teaches the syntax.

Subclassing `mentor_dsl.hookspecs.CallFormat` gives the optional members their defaults.
This format sets no `stop_text`: a self-closing `<call .../>` has no closing tag to stop
at, so its calls end with the model's turn.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Sequence

from mentor_dsl.calls import Call
from mentor_dsl.hookspecs import CallFormat

# One call element: <call ...>...</call> or <call .../>. Non-greedy, so two calls on one
# line are two blocks; a body never spans another <call, so an unclosed <call> is not a
# block at all and does not swallow the next one.
_CALL = re.compile(r"<call\b([^<>]*?)(?:/>|>((?:(?!<call\b).)*?)</call\s*>)", re.DOTALL)
_ARG = re.compile(r"<arg\b([^<>]*)>(.*?)</arg\s*>", re.DOTALL)
_NAME_ATTR = re.compile(r"""(?:^|\s)name\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attr_name(attrs: str) -> str | None:
    match = _NAME_ATTR.search(attrs)
    if match is None:
        return None
    value = html.unescape(match.group(1) if match.group(1) is not None else match.group(2)).strip()
    return value or None


def _value(text: str) -> Any:
    """An argument's value: JSON if it parses, else the (unescaped, stripped) text."""
    text = html.unescape(text).strip()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _parse_block(raw: str, attrs: str, body: str | None) -> Call:
    name = _attr_name(attrs)
    if name is None:
        # Looks like a call but names no tool: not a call. Terms count it as a broken block.
        return Call(None, None, raw, '<call> needs a name="..." attribute')
    arguments: dict[str, Any] = {}
    if body is None:  # <call name="x"/>
        return Call(name, arguments, raw)
    for match in _ARG.finditer(body):
        arg = _attr_name(match.group(1))
        if arg is None:
            return Call(name, arguments, raw, '<arg> needs a name="..." attribute')
        if arg in arguments:
            return Call(name, arguments, raw, f"argument {arg!r} is given twice")
        arguments[arg] = _value(match.group(2))
    if _ARG.sub("", body).strip():
        # Text between the <arg> elements: most likely a malformed <arg>.
        return Call(name, arguments, raw, "unexpected text inside <call>")
    return Call(name, arguments, raw)


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        # Plain text stays plain unless reading it back would change it: "1" would come
        # back as the number 1, " x" would lose its space. Those are written as JSON.
        try:
            json.loads(value)
            ambiguous = True
        except (ValueError, RecursionError):
            ambiguous = value != value.strip()
        text = json.dumps(value, ensure_ascii=False) if ambiguous else value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return html.escape(text, quote=False)


class XmlFormat(CallFormat):
    name = "xml"

    def parse(self, text: str) -> list[Call]:
        calls = []
        for match in _CALL.finditer(text):
            try:
                calls.append(_parse_block(match.group(0), match.group(1), match.group(2)))
            except Exception as exc:  # belt and braces: parse must never raise
                calls.append(Call(None, None, match.group(0), f"unreadable call: {exc}"))
        return calls

    def render(self, calls: Sequence[Call]) -> str:
        out = []
        for call in calls:
            name = html.escape(str(call.name), quote=True)
            args = call.arguments if isinstance(call.arguments, dict) else {}
            inner = "".join(
                f'<arg name="{html.escape(str(k), quote=True)}">{_render_value(v)}</arg>' for k, v in args.items()
            )
            out.append(f'<call name="{name}">{inner}</call>')
        return "\n".join(out)

    def instructions(self) -> str:
        return (
            "To call a tool, write a <call> element with the tool's name and one <arg> element "
            "per argument:\n"
            '<call name="<tool-name>"><arg name="<argument>">value</arg></call>\n'
            "Numbers, booleans and lists are written as JSON; text is written as is. "
            "Write one <call> element per call."
        )


#: The instance the plugin registers. Formats are stateless, so one object serves all.
XML = XmlFormat()
