"""The checked form of a reward: names resolved, constants folded, term uses bound.

The checker produces it and the compiler lowers it to instructions. Nodes are shared when
a binding is used twice, so a reward is a graph (a DAG), not a tree, and nodes compare by
identity. Every pass over it goes through `postorder`, which meets each node once: a
chain of bindings that each use the previous one twice is as cheap as a list, however
many paths run through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import Span
from .intervals import Interval
from .ops import Operator


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
    """An operator (an entry of `ops.OPERATORS`) applied to operands."""

    op: Operator
    args: tuple[IR, ...]
    span: Span | None = None


IR = Const | TermValue | Op


def postorder(roots: Iterable[IR], seen: set[int] | None = None) -> Iterator[IR]:
    """Every node reachable from `roots` once, operands before the nodes that use them,
    in the order a recursive walk (operands left to right) would finish them. Nodes
    already in `seen` (ids) are skipped, so passes that go root by root can share it.
    Iterative: a chain of 100,000 bindings is 100,000 levels deep."""
    seen = set() if seen is None else seen
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[IR, int]] = [(root, 0)]
        while stack:
            node, index = stack[-1]
            args = node.args if isinstance(node, Op) else ()
            if index < len(args):
                stack[-1] = (node, index + 1)
                child = args[index]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                yield node


@dataclass(frozen=True, eq=False)
class GuardIR:
    cond: IR
    otherwise: IR
    span: Span | None = None


@dataclass(frozen=True, eq=False)
class ResultIR:
    value: IR
    span: Span | None = None


@dataclass(frozen=True, eq=False)
class BindingIR:
    """`NAME = VALUE` in a reward's body (`CheckedReward.body`)."""

    name: str
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
    #: Every statement in source order, bindings included (`mentor explain` walks it).
    body: tuple[BindingIR | GuardIR | ResultIR, ...] = ()


@dataclass(frozen=True)
class ParamRange:
    """A parameter's declared values, `param NAME = VALUE in [low, high]` (ends included)."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class CheckedSpec:
    params: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, Any], ...]
    terms: tuple[TermUse, ...]
    rewards: tuple[CheckedReward, ...]
    warnings: tuple[str, ...] = field(default=())
    ranges: tuple[ParamRange, ...] = field(default=())
