"""What a tool is: an OpenAI-style function definition plus an implementation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Literal, Mapping

import jsonschema

from ..errors import ToolError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


@dataclass(frozen=True, eq=False)
class Tool:
    """A callable tool.

    `fn` receives the call's arguments as keyword arguments. A `"pure"` tool is trusted
    Python (it runs in a worker with a timeout); a `"code"` tool runs untrusted input and
    always runs in a sandboxed process.
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    fn: Callable[..., Any]
    kind: Literal["pure", "code"] = "pure"
    toolset: str | None = None
    timeout: float | None = None
    plugin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ToolError(f"tool name {self.name!r} must match {_NAME.pattern}")
        if not callable(self.fn):
            raise ToolError(f"tool {self.name!r}: fn is not callable")
        if self.kind not in ("pure", "code"):
            raise ToolError(f"tool {self.name!r}: kind must be 'pure' or 'code', not {self.kind!r}")
        params = self.parameters
        if not isinstance(params, Mapping) or params.get("type") != "object":
            raise ToolError(f"tool {self.name!r}: parameters must be a JSON Schema with type 'object'")
        try:
            jsonschema.Draft202012Validator.check_schema(dict(params))
        except jsonschema.SchemaError as exc:
            raise ToolError(f"tool {self.name!r}: invalid parameters schema: {exc.message}") from None

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        return jsonschema.Draft202012Validator(dict(self.parameters))

    def validate_arguments(self, arguments: Any) -> str | None:
        """Why `arguments` do not fit this tool's parameters, or None when they do."""
        if not isinstance(arguments, dict):
            return f"arguments must be an object, got {type(arguments).__name__}"
        error = next(iter(self.validator.iter_errors(arguments)), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return f"{where + ': ' if where else ''}{error.message}"

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-tool definition, as chat templates and prompts show it."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call: `ok` with a JSON-serialisable `output`, or a failure `error`."""

    ok: bool
    output: Any = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "output": self.output}
        if self.error is not None:
            out["error"] = self.error
        return out

    @classmethod
    def failure(cls, reason: str) -> "ToolResult":
        return cls(False, None, reason)
