"""The checked form of a reward: names resolved, constants folded, term uses bound.

The checker produces it and the compiler lowers it to instructions. Nodes are shared when
a binding is used twice, so they compare by identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .errors import Span
from .intervals import Interval


@dataclass(frozen=True, eq=False)
class Const:
    value: float
    span: Span | None = None


@dataclass(frozen=True, eq=False)
class TermValue:
    """A use of a term; `use` is (term name, bound arguments), shared by equal uses."""

    use: tuple
    span: Span | None = None


@dataclass(frozen=True, eq=False)
class Op:
    """`op` is one of: neg not add sub mul div lt le gt ge eq ne and or where min max clip
    abs sin cos sqrt."""

    op: str
    args: tuple["IR", ...]
    span: Span | None = None


IR = Union[Const, TermValue, Op]


@dataclass(frozen=True, eq=False)
class GuardIR:
    cond: IR
    otherwise: IR
    span: Span | None = None


@dataclass(frozen=True, eq=False)
class ResultIR:
    value: IR
    span: Span | None = None


@dataclass(frozen=True)
class TermUse:
    """One term with bound arguments. Uses with equal arguments share one `TermUse`."""

    key: str
    term: str
    args: tuple[tuple[str, Any], ...]
    range: Interval
    fields: tuple[str, ...]
    spans: tuple[Span | None, ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    @property
    def use(self) -> tuple:
        return (self.term, self.args)


@dataclass(frozen=True)
class CheckedReward:
    name: str
    statements: tuple[GuardIR | ResultIR, ...]
    bindings: tuple[tuple[str, IR], ...]
    range: Interval
    weights: tuple[tuple[str, tuple[str, ...]], ...]
    span: Span | None = None


@dataclass(frozen=True)
class CheckedSpec:
    params: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, Any], ...]
    terms: tuple[TermUse, ...]
    rewards: tuple[CheckedReward, ...]
    warnings: tuple[str, ...] = field(default=())
