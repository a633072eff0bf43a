"""The language's operators and built-in functions: one entry each.

An entry holds everything the later stages know about an operator:

- how it is written (`spelling`, `syntax`) and how many operands it takes (`arity`);
- its value on constants (`fold`), used by the checker's constant folding;
- its range from its operands' ranges (`range`), the checker's interval arithmetic;
- how a term's weight passes through it (`role`), the weights column of `mentor compile`;
- where it is undefined, and what the checker says there (`domain`);
- its kernel on tensors (`kernel`), run by the runtime, and how runtime errors name it
  (`words`).

The checker, the compiler and the runtime read this table; nothing else spells out what
an operator means. To add a function, add an entry to `OPERATORS` (see "Extending the
language" in docs/language.md); operators with new syntax also need the grammar.

Kernels are written with tensor methods and operators only (`a.minimum(b)`, `a < b`,
`a.sqrt()`), never `torch.` functions: this module imports no torch, so parsing, checking
and compiling stay torch-free, while the runtime calls the same functions on tensors. A
table of kernels kept beside the runtime would have been a second table to keep in step
with this one.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING, Any

from . import intervals as iv
from .intervals import Interval

if TYPE_CHECKING:  # kernels take and return tensors; only type checkers need the name
    from torch import Tensor
else:
    Tensor = Any


class Syntax(enum.Enum):
    PREFIX = "prefix"  # `-x`, `not x`
    INFIX = "infix"  # `a + b`
    CONDITIONAL = "if"  # `if c then a else b`
    FUNCTION = "function"  # `min(a, b)`: needs no grammar change


class Role(enum.Enum):
    """How an operator passes a term's weight on to its operands."""

    SUM = "sum"  # linear: operand i's weight is the weight times `signs[i]`
    PRODUCT = "product"  # linear in one operand when the other is a constant
    QUOTIENT = "quotient"  # linear in the dividend when the divisor is a constant
    SELECT = "select"  # the first operand is a condition; the others pass the weight on
    CONDITION = "condition"  # the operands are conditions; the result is 0 or 1
    NONLINEAR = "nonlinear"


#: A weight: a constant factor, or one of the words below.
Weight = float | str
GATE = "gate"  # decides a guard, or is a guard's value
CONDITION = "condition"  # decides a comparison, a condition or a branch
NONLINEAR = "nonlinear"
#: Enters linearly, along paths with more distinct constant factors than are worth listing.
#: Like a factor, it passes through sums and constant products.
LINEAR = "linear"


def _times(weight: Weight, factor: float) -> Weight:
    return weight if weight == LINEAR else weight * factor  # type: ignore[operator]


def _over(weight: Weight, divisor: float) -> Weight:
    return weight if weight == LINEAR else weight / divisor  # type: ignore[operator]


@dataclass(frozen=True)
class Domain:
    """Where an operator is defined, in one operand, and what the checker says outside it.

    Messages are format strings: `{value:g}` is the constant operand, `{range}` the
    operand's inferred range."""

    operand: int
    allows: Callable[[float], bool]  # a constant operand is in the domain
    constant_error: str  # a constant operand is not: an error
    maybe: Callable[[Interval], bool]  # some value of the range is not: a warning
    maybe_warning: str
    never: Callable[[Interval], bool] | None = None  # no value of the range is: an error
    never_error: str = ""
    at_operand: bool = False  # errors point at the operand, not the expression


@dataclass(frozen=True)
class Operator:
    """One operator or built-in function. See the module docstring for the fields."""

    name: str  # in the checked IR and the compiled plan: "add"
    spelling: str  # in the language: "+", "min"
    syntax: Syntax
    arity: int | None  # the number of operands; None: two or more
    fold: Callable[..., float]  # on Python floats, as the kernel on float64
    range: Callable[..., Interval]  # a range holding every finite value of the kernel
    role: Role
    kernel: Callable[..., Tensor]  # on tensors of one dtype, broadcasting
    words: str  # names it in runtime errors: "a division"
    signs: tuple[float, ...] = ()  # Role.SUM: each operand's sign
    domain: Domain | None = None
    #: With a constant first operand, the index of the operand that is the result
    #: (`if true then a else b` is `a` whatever `a` is).
    chooses: Callable[[float], int] | None = None
    doc: str = ""

    def operand_weights(self, weight: Weight, constants: Sequence[float | None]) -> tuple[Weight | None, ...]:
        """The weight each operand gets when this operator's result has `weight` (a factor
        or LINEAR). `constants` holds the operands' values where they are constants; a
        constant operand gets None (it holds no term)."""
        role, count = self.role, len(constants)
        if role is Role.SUM:
            return tuple(_times(weight, sign) for sign in self.signs)
        if role is Role.PRODUCT:
            left, right = constants
            if left is not None:
                return (None, _times(weight, left))
            if right is not None:
                return (_times(weight, right), None)
            return (NONLINEAR, NONLINEAR)
        if role is Role.QUOTIENT:
            if constants[1] is not None:
                return (_over(weight, constants[1]), None)
            return (NONLINEAR, NONLINEAR)
        if role is Role.SELECT:
            return (CONDITION, weight, weight)
        if role is Role.CONDITION:
            return (CONDITION,) * count
        return (NONLINEAR,) * count


# -- helpers for the entries ----------------------------------------------------------------


def _flag(x: bool) -> float:
    return 1.0 if x else 0.0


def _as(like: Tensor, mask: Tensor) -> Tensor:
    """A boolean tensor as 0/1 in the dtype of the operands."""
    return mask.to(like.dtype)


def _outward(r: Interval) -> Interval:
    """`r` widened by one unit in the last place at each finite end: a transcendental
    function on tensors may round differently from `math` on floats."""
    lo = math.nextafter(r.lo, -math.inf) if math.isfinite(r.lo) else r.lo
    hi = math.nextafter(r.hi, math.inf) if math.isfinite(r.hi) else r.hi
    return Interval(lo, hi)


def _periodic_range(fn: Callable[[float], float]) -> Callable[[Interval], Interval]:
    def rule(a: Interval) -> Interval:
        if a.is_point and math.isfinite(a.lo):
            r = _outward(Interval.point(fn(a.lo)))
            return Interval(max(r.lo, -1.0), min(r.hi, 1.0))
        return Interval(-1.0, 1.0)

    return rule


def _sqrt_range(a: Interval) -> Interval:
    """`iv.sqrt`, widened like the transcendental functions (a tensor's sqrt was seen one
    unit in the last place below `math.sqrt`), but never below zero."""
    r = _outward(iv.sqrt(a))
    return Interval(max(r.lo, 0.0), r.hi)


def _log_range(a: Interval) -> Interval:
    lo = math.log(a.lo) if a.lo > 0 else -math.inf
    hi = math.log(a.hi) if a.hi > 0 else -math.inf
    return _outward(Interval(lo, hi))


def _where_range(cond: Interval, then: Interval, otherwise: Interval) -> Interval:
    truth = iv.truth(cond)
    if truth.is_point:
        return then if truth.lo else otherwise
    return then.hull(otherwise)


def _unit(*_: Interval) -> Interval:
    return iv.UNIT


def _comparison(name: str, spelling: str, test: Callable[[Any, Any], Any]) -> Operator:
    return Operator(
        name,
        spelling,
        Syntax.INFIX,
        2,
        lambda a, b: _flag(test(a, b)),
        _unit,
        Role.CONDITION,
        lambda a, b: _as(a, test(a, b)),
        "a comparison",
    )


_NOT_ZERO = Domain(
    operand=1,
    allows=lambda x: x != 0,
    constant_error="division by zero",
    maybe=lambda r: r.contains(0.0),
    maybe_warning="the divisor can be zero; its range is {range}",
    at_operand=True,
)


def _function(
    name: str,
    arity: int | None,
    fold,
    range_rule,
    kernel,
    doc: str,
    *,
    role: Role = Role.NONLINEAR,
    domain: Domain | None = None,
) -> Operator:
    return Operator(
        name, name, Syntax.FUNCTION, arity, fold, range_rule, role, kernel, f"{name}()", domain=domain, doc=doc
    )


#: Every operator and function, in the order the docs list them.
OPERATORS: tuple[Operator, ...] = (
    Operator(
        "where",
        "if",
        Syntax.CONDITIONAL,
        3,
        lambda c, a, b: a if c != 0 else b,
        _where_range,
        Role.SELECT,
        lambda c, a, b: a.where(c != 0, b),
        "an if-expression",
        chooses=lambda c: 1 if c != 0 else 2,
    ),
    Operator(
        "or",
        "or",
        Syntax.INFIX,
        2,
        lambda a, b: _flag(a != 0 or b != 0),
        _unit,
        Role.CONDITION,
        lambda a, b: _as(a, (a != 0) | (b != 0)),
        "a condition",
    ),
    Operator(
        "and",
        "and",
        Syntax.INFIX,
        2,
        lambda a, b: _flag(a != 0 and b != 0),
        _unit,
        Role.CONDITION,
        lambda a, b: _as(a, (a != 0) & (b != 0)),
        "a condition",
    ),
    Operator(
        "not",
        "not",
        Syntax.PREFIX,
        1,
        lambda a: _flag(a == 0),
        _unit,
        Role.CONDITION,
        lambda a: _as(a, a == 0),
        "a condition",
    ),
    _comparison("lt", "<", lambda a, b: a < b),
    _comparison("le", "<=", lambda a, b: a <= b),
    _comparison("gt", ">", lambda a, b: a > b),
    _comparison("ge", ">=", lambda a, b: a >= b),
    _comparison("eq", "==", lambda a, b: a == b),
    _comparison("ne", "!=", lambda a, b: a != b),
    Operator(
        "add", "+", Syntax.INFIX, 2, lambda a, b: a + b, iv.add, Role.SUM, lambda a, b: a + b, "a sum", signs=(1.0, 1.0)
    ),
    Operator(
        "sub",
        "-",
        Syntax.INFIX,
        2,
        lambda a, b: a - b,
        iv.sub,
        Role.SUM,
        lambda a, b: a - b,
        "a difference",
        signs=(1.0, -1.0),
    ),
    Operator("mul", "*", Syntax.INFIX, 2, lambda a, b: a * b, iv.mul, Role.PRODUCT, lambda a, b: a * b, "a product"),
    Operator(
        "div",
        "/",
        Syntax.INFIX,
        2,
        lambda a, b: a / b,
        iv.div,
        Role.QUOTIENT,
        lambda a, b: a / b,
        "a division",
        domain=_NOT_ZERO,
    ),
    Operator("neg", "-", Syntax.PREFIX, 1, lambda a: -a, iv.neg, Role.SUM, lambda a: -a, "a negation", signs=(-1.0,)),
    _function(
        "min",
        None,
        lambda *xs: min(xs),
        iv.minimum,
        lambda *xs: reduce(lambda x, y: x.minimum(y), xs),
        "the smallest argument",
    ),
    _function(
        "max",
        None,
        lambda *xs: max(xs),
        iv.maximum,
        lambda *xs: reduce(lambda x, y: x.maximum(y), xs),
        "the largest argument",
    ),
    _function(
        "clip",
        3,
        lambda x, lo, hi: min(max(x, lo), hi),
        lambda x, lo, hi: iv.minimum(iv.maximum(x, lo), hi),
        lambda x, lo, hi: x.maximum(lo).minimum(hi),
        "`x` limited to [`lo`, `hi`]",
    ),
    _function("abs", 1, abs, iv.absolute, lambda a: a.abs(), "absolute value"),
    _function("sin", 1, math.sin, _periodic_range(math.sin), lambda a: a.sin(), "sine (radians)"),
    _function("cos", 1, math.cos, _periodic_range(math.cos), lambda a: a.cos(), "cosine (radians)"),
    _function(
        "sqrt",
        1,
        math.sqrt,
        _sqrt_range,
        lambda a: a.sqrt(),
        "square root",
        domain=Domain(
            operand=0,
            allows=lambda x: x >= 0,
            constant_error="sqrt of the negative number {value:g}",
            never=lambda r: r.hi < 0,
            never_error="sqrt of a value that is always negative (range {range})",
            maybe=lambda r: r.lo < 0,
            maybe_warning="sqrt of a value that can be negative ({range})",
        ),
    ),
    _function(
        "log",
        1,
        math.log,
        _log_range,
        lambda a: a.log(),
        "natural logarithm",
        domain=Domain(
            operand=0,
            allows=lambda x: x > 0,
            constant_error="log of the non-positive number {value:g}",
            never=lambda r: r.hi <= 0,
            never_error="log of a value that is never positive (range {range})",
            maybe=lambda r: r.lo <= 0,
            maybe_warning="log of a value that can be zero or negative ({range})",
        ),
    ),
)

BY_NAME: Mapping[str, Operator] = {op.name: op for op in OPERATORS}
PREFIX: Mapping[str, Operator] = {op.spelling: op for op in OPERATORS if op.syntax is Syntax.PREFIX}
INFIX: Mapping[str, Operator] = {op.spelling: op for op in OPERATORS if op.syntax is Syntax.INFIX}
FUNCTIONS: Mapping[str, Operator] = {op.spelling: op for op in OPERATORS if op.syntax is Syntax.FUNCTION}
CONDITIONAL: Operator = BY_NAME["where"]
