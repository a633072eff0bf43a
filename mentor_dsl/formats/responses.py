"""How a tool's result is shown to the student: a `<tool_response>` block."""

from __future__ import annotations

import json
from typing import Any

from ..tools.base import ToolResult


def render_value(value: Any) -> str:
    """Numbers as Python prints them (5, 2.5), strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def render_response(result: ToolResult) -> str:
    body = render_value(result.output) if result.ok else f"error: {result.error}"
    return f"<tool_response>\n{body}\n</tool_response>\n"
