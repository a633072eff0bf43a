"""Tools: definitions, the built-in tools, and the sandboxed executor."""

from .base import FailureKind, Tool, ToolLimits, ToolResult

__all__ = ["FailureKind", "Tool", "ToolLimits", "ToolResult"]
