"""What a tool is: an OpenAI-style function definition plus an implementation; what a call
may use (`ToolLimits`); and what a call came to (`ToolResult`, `FailureKind`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Literal

import jsonschema

from ..errors import ToolError
from .sandbox.failures import FailureKind

__all__ = ["FailureKind", "Tool", "ToolLimits", "ToolResult"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


@dataclass(frozen=True, eq=False)
class Tool:
    """A callable tool.

    `fn` receives the call's arguments as keyword arguments. A `"pure"` tool is trusted
    Python (it runs in a worker with a timeout); a `"code"` tool runs untrusted input and
    always runs in a sandboxed process.

    `timeout` (seconds), `max_output` (bytes) and `memory_mb` are this tool's own limits;
    each one left at None is the run's (`ToolLimits`, set on the executor).
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    fn: Callable[..., Any]
    kind: Literal["pure", "code"] = "pure"
    toolset: str | None = None
    timeout: float | None = None
    plugin: str | None = field(default=None, compare=False)
    max_output: int | None = None
    memory_mb: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ToolError(f"tool name {self.name!r} must match {_NAME.pattern}")
        if not callable(self.fn):
            raise ToolError(f"tool {self.name!r}: fn is not callable")
        if self.kind not in ("pure", "code"):
            raise ToolError(f"tool {self.name!r}: kind must be 'pure' or 'code', not {self.kind!r}")
        for name in ("timeout", "max_output", "memory_mb"):
            value = getattr(self, name)
            if value is not None:
                problem = ToolLimits.check(name, value)
                if problem:
                    raise ToolError(f"tool {self.name!r}: {problem}")
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
class ToolLimits:
    """What each tool call may use, for a whole run: the executor's settings.

    A tool's own `timeout`, `max_output` or `memory_mb` replaces the run's value for that
    tool. `max_calls` caps the calls of one record (offline scoring) or of one rollout turn
    (training, evaluation): later calls fail with `FailureKind.CAP_EXCEEDED`, so a record
    full of distinct hanging calls costs at most `max_calls` timeouts.
    """

    #: Seconds per call (wall clock), from the moment the tool's code starts.
    timeout: float = 5.0
    #: Bytes of the output, serialised as JSON (for code, also what it prints).
    max_output: int = 65536
    #: Megabytes of memory a call may add.
    memory_mb: int = 512
    #: Calls run per record, or per rollout turn.
    max_calls: int = 32

    def __post_init__(self) -> None:
        for f in fields(self):
            problem = self.check(f.name, getattr(self, f.name))
            if problem:
                raise ValueError(problem)

    @staticmethod
    def check(name: str, value: Any) -> str | None:
        """Why `value` is not a valid setting `name`, or None when it is."""
        whole = name != "timeout"
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            return f"{name} must be {'a whole number' if whole else 'a number'}, not {value!r}"
        if not math.isfinite(value) or value <= 0:
            return f"{name} must be greater than 0, not {value!r}"
        return None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: ToolLimits | None = None) -> ToolLimits:
        """`base` (the defaults) with `values` applied; strings are converted, so
        `{"timeout": "2.5"}` from a command line works. Raises ValueError naming the setting."""
        known = [f.name for f in fields(cls)]
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown tool limit {name!r} (limits: {', '.join(known)})")
            if isinstance(value, str):
                try:
                    value = float(value) if name == "timeout" else int(value)
                except ValueError:
                    raise ValueError(f"{name} must be a number, not {value!r}") from None
            changes[name] = value
        return replace(base or cls(), **changes)

    def for_tool(self, tool: Tool) -> ToolLimits:
        """These limits with `tool`'s own settings in place of the run's."""
        own = {n: getattr(tool, n) for n in ("timeout", "max_output", "memory_mb") if getattr(tool, n) is not None}
        return replace(self, **own) if own else self


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call: `ok` with a JSON-serialisable `output`, or a failure with a
    message (`error`, shown to the model) and its `kind` (for code to branch on)."""

    ok: bool
    output: Any = None
    error: str | None = None
    kind: FailureKind | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "output": self.output}
        if self.error is not None:
            out["error"] = self.error
        if self.kind is not None:
            out["kind"] = self.kind.value
        return out

    @classmethod
    def failure(cls, reason: str, kind: FailureKind = FailureKind.ERROR) -> ToolResult:
        return cls(False, None, reason, kind)
