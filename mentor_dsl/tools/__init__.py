"""Tools: definitions, the built-in tools, and the sandboxed executor."""

from .base import Tool, ToolResult

__all__ = ["Tool", "ToolResult"]
