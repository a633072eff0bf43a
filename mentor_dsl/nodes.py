"""The syntax tree of a reward spec: frozen dataclasses that carry their source position.

Nodes compare by structure, not position, so two spellings of the same expression are
equal; positions are for error messages only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

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
    value: "Expr"


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple["Expr", ...] = ()
    keywords: tuple[Keyword, ...] = ()


@dataclass(frozen=True)
class Unary(Node):
    op: str  # '-', '+', 'not'
    operand: "Expr"


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / < <= > >= == != and or
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class IfExpr(Node):
    cond: "Expr"
    then: "Expr"
    otherwise: "Expr"


Expr = Union[Number, String, Bool, Name, Call, Unary, Binary, IfExpr]


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


Stmt = Union[Binding, Guard, Result]


@dataclass(frozen=True)
class ParamDecl(Node):
    name: str
    value: Expr


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
    """A parsed file: parameters, options and rewards in source order."""

    params: tuple[ParamDecl, ...] = ()
    options: tuple[OptionDecl, ...] = ()
    rewards: tuple[RewardDecl, ...] = ()
    source: Source = field(default_factory=Source, compare=False, repr=False)

    @property
    def reward_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rewards)


def walk(expr: Expr):
    """Every sub-expression of `expr`, parents before children."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Call):
            stack.extend(reversed([*node.args, *(k.value for k in node.keywords)]))
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, IfExpr):
            stack.extend((node.otherwise, node.then, node.cond))
