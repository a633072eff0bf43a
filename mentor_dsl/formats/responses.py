"""How a tool's result is shown to the student: a `<tool_response>` block.

The block's text comes from the tool, which may print anything, including the block's
own closing tag followed by a call block or a `\\boxed{}` answer. Readers (views.py)
never parse a response block for calls or answers, so a tool's output must not be able
to end its block early: in the body, every `<` that starts the response tag, opening or
closing (`<tool_response`, `</tool_response`, in any letter case), is written `&lt;`.
Nothing else changes, so ordinary output (numbers, JSON, error messages, even other
tags) reads exactly as the tool printed it. The escaping is one-way: it is for the
reader, not a codec, and nothing decodes it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..calls import RESPONSE_TAGS

if TYPE_CHECKING:
    from ..tools.base import ToolResult


# `<` of `<tool_response` or `</tool_response`, whatever follows (`>`, a space, a
# newline): a reader with looser rules than ours could still take those for the tag.
_TAG_START = re.compile(r"<(?=/?tool_response)", re.IGNORECASE)


def render_value(value: Any) -> str:
    """Numbers as Python prints them (5, 2.5), strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def escape_body(text: str) -> str:
    """`text` made safe to put inside a response block (see the module docstring)."""
    return _TAG_START.sub("&lt;", text)


def render_body(result: ToolResult) -> str:
    """What the block holds: the output, or `error: ...`, escaped."""
    return escape_body(render_value(result.output) if result.ok else f"error: {result.error}")


def render_response(result: ToolResult) -> str:
    open_tag, close_tag = RESPONSE_TAGS
    return f"{open_tag}\n{render_body(result)}\n{close_tag}\n"
