"""Tool calls as parsed from a completion, and the canonical form of their arguments."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

#: The block a tool result is rendered into (formats/responses.py), and that readers cut
#: out of a completion: what a call format's `response_tags` is when it names none.
RESPONSE_TAGS = ("<tool_response>", "</tool_response>")


@dataclass(frozen=True)
class Call:
    """One tool-call block found in a completion.

    `name` is None when the block is not a call at all (its JSON is not an object with a
    name). `arguments` is a dict when the block's arguments parsed as an object; otherwise
    `error` says why not. `raw` is the block's text, for error messages and debugging.
    """

    name: str | None
    arguments: Any = None
    raw: str = ""
    error: str | None = None

    @property
    def is_call(self) -> bool:
        return self.name is not None

    @property
    def well_formed(self) -> bool:
        return self.name is not None and self.error is None and isinstance(self.arguments, dict)


def _canonical_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        # 3 and 3.0 are the same argument; NaN and inf keep their JSON spelling.
        if isinstance(value, float) and not math.isfinite(value):
            return repr(value)
        if float(value).is_integer() and abs(value) < 2**53:
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    return str(value)


def canonical_json(value: Any) -> str:
    """A stable text form of a JSON value: sorted keys, 3 == 3.0, no whitespace."""
    return json.dumps(_canonical_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decode_arguments(value: Any) -> tuple[Any, str | None]:
    """Arguments as given by a model: an object, a JSON string, or a JSON string of a JSON
    string (double-encoded). Returns (arguments, error)."""
    for _ in range(3):
        if isinstance(value, dict):
            return value, None
        if not isinstance(value, str):
            return value, f"arguments must be an object, got {type(value).__name__}"
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            return value, f"arguments are not valid JSON: {exc}"
    if isinstance(value, dict):
        return value, None
    return value, "arguments are not an object"
