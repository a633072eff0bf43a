"""What a reward term is: a named, typed, batched function of parsed trajectories."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ToolError

ParamType = Literal["number", "int", "string", "bool", "ref", "regex", "judge", "extractor", "tools"]
"""How the checker validates an argument. `ref` takes a reference name (`teacher`);
`regex` must compile; `judge`, `extractor` and `tools` must name a registered judge, an
extractor (or `tag:NAME`), or a toolset (or `all`)."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter that must be given.
REQUIRED = _Required()

#: Names a `ref` parameter accepts: where the reference trajectory comes from.
REFERENCES = ("teacher",)

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class TermParam:
    """One keyword argument of a term. `choices` restricts a string parameter."""

    name: str
    type: ParamType
    default: Any = REQUIRED
    choices: tuple[str, ...] | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


Range = tuple[float, float]


@dataclass(frozen=True, eq=False)
class Term:
    """A reward term.

    `fn(trajectories, ctx, **args)` returns one float per trajectory; booleans are 0/1.
    It is called once per batch with only the trajectories that still need the value, and
    must return a defined value for malformed ones rather than raise.
    `range` is the value interval, or a function of the bound arguments returning one.
    `fields` names the record fields the term reads.

    `explain(trajectory, ctx, **args) -> Evidence` (optional) says why `fn` gave one
    trajectory its value: the calls, answer, judge verdict and set comparisons it read
    (terms/evidence.py). Only `mentor explain`, `test` and `diff` call it, on one record
    after the reward was computed, so it may be slow; it must not change the trajectory.
    """

    name: str
    fn: Callable[..., Sequence[float]]
    params: tuple[TermParam, ...] = ()
    range: Range | Callable[[Mapping[str, Any]], Range] = (0.0, 1.0)
    fields: tuple[str, ...] = ("completion",)
    doc: str = ""
    plugin: str | None = field(default=None, compare=False)
    explain: Callable[..., Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ToolError(f"term name {self.name!r} must be a lower-case identifier")
        if not callable(self.fn):
            raise ToolError(f"term {self.name!r}: fn is not callable")
        if self.explain is not None and not callable(self.explain):
            raise ToolError(f"term {self.name!r}: explain is not callable")
        seen = set()
        for p in self.params:
            if not isinstance(p, TermParam):
                raise ToolError(f"term {self.name!r}: params must be TermParam objects")
            if p.name in seen:
                raise ToolError(f"term {self.name!r}: parameter {p.name!r} declared twice")
            seen.add(p.name)

    def param(self, name: str) -> TermParam | None:
        return next((p for p in self.params if p.name == name), None)

    def value_range(self, args: Mapping[str, Any]) -> Range:
        lo, hi = self.range(args) if callable(self.range) else self.range
        return float(lo), float(hi)

    @property
    def bare_usable(self) -> bool:
        """True when every parameter has a default, so the term can be written without ()."""
        return not any(p.required for p in self.params)
