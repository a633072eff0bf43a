"""The syntax tree of a reward spec: frozen dataclasses that carry their source position.

Nodes compare by structure, not position, so two spellings of the same expression are
equal; positions are for error messages only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import Source, Span


@dataclass(frozen=True)
class Node:
    span: Span | None = field(default=None, compare=False, kw_only=True, repr=False)


# -- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: float


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Keyword(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Expr, ...] = ()
    keywords: tuple[Keyword, ...] = ()


@dataclass(frozen=True)
class Unary(Node):
    op: str  # '-', '+', 'not'
    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / < <= > >= == != and or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class IfExpr(Node):
    cond: Expr
    then: Expr
    otherwise: Expr


Expr = Number | String | Bool | Name | Call | Unary | Binary | IfExpr


# -- statements and declarations -----------------------------------------------------------


@dataclass(frozen=True)
class Binding(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class Guard(Node):
    """`require COND else VALUE`: rows where COND is false get VALUE and stop here."""

    cond: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Result(Node):
    value: Expr


Stmt = Binding | Guard | Result


@dataclass(frozen=True)
class Bounds(Node):
    """`[low, high]` after `in`: the values a parameter may take (both ends included)."""

    low: Expr
    high: Expr


@dataclass(frozen=True)
class ParamDecl(Node):
    """`param NAME = VALUE` or `param NAME = VALUE in [LOW, HIGH]`."""

    name: str
    value: Expr
    bounds: Bounds | None = None


@dataclass(frozen=True)
class OptionDecl(Node):
    name: str
    value: Expr


@dataclass(frozen=True)
class RewardDecl(Node):
    name: str
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Spec(Node):
    """A spec: parameters, options and rewards in source order.

    `parse` makes one from text; tools that generate rewards can build one directly,
    without text (`source` then holds none, and errors name no line):

        Spec(rewards=(RewardDecl("r", (Result(Binary("*", Number(0.5), Name("finished"))),)),))

    `compile(spec)` caches its plans on the spec itself (it is frozen, so a plan can
    never go stale); `dataclasses.replace` makes a new spec with a cache of its own.
    """

    params: tuple[ParamDecl, ...] = ()
    options: tuple[OptionDecl, ...] = ()
    rewards: tuple[RewardDecl, ...] = ()
    source: Source = field(default_factory=Source, compare=False, repr=False)

    @property
    def reward_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rewards)


#: Expressions nested deeper than this are refused, with an error at the first expression
#: past the limit: they are never written by hand, and the checker walks expressions
#: recursively.
MAX_DEPTH = 100


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of `expr`, left to right."""
    if isinstance(expr, Call):
        return (*expr.args, *(k.value for k in expr.keywords))
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, IfExpr):
        return (expr.cond, expr.then, expr.otherwise)
    return ()


def too_deep(expr: Expr, limit: int = MAX_DEPTH) -> Expr | None:
    """The first sub-expression (in source order) that is more than `limit` levels deep,
    or None. Iterative, so any depth can be measured."""
    stack = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return node
        stack.extend((child, level + 1) for child in reversed(children(node)))
    return None


def expressions(spec: Spec) -> Iterator[Expr]:
    """Every top-level expression of a spec, in source order."""
    for param in spec.params:
        yield param.value
        if param.bounds is not None:
            yield param.bounds.low
            yield param.bounds.high
    for option in spec.options:
        yield option.value
    for reward in spec.rewards:
        for stmt in reward.body:
            if isinstance(stmt, Guard):
                yield stmt.cond
                yield stmt.otherwise
            else:
                yield stmt.value


def walk(expr: Expr) -> Iterator[Expr]:
    """Every sub-expression of `expr`, parents before children."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))
