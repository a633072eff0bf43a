"""Closed intervals with infinite ends, for inferring a reward's value range."""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float

    @classmethod
    def point(cls, x: float) -> Interval:
        return cls(x, x)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    def hull(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def __str__(self) -> str:
        return f"[{_fmt(self.lo)}, {_fmt(self.hi)}]"


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x + 0.0:.6g}"  # + 0.0: an end of -0.0 (from negating 0) prints as 0


UNIT = Interval(0.0, 1.0)
ANY = Interval(-INF, INF)


def _mul(a: float, b: float) -> float:
    # 0 * inf is 0 here: a term that is exactly 0 contributes nothing, however large the other.
    if a == 0 or b == 0:
        return 0.0
    return a * b


def neg(a: Interval) -> Interval:
    return Interval(-a.hi, -a.lo)


def add(a: Interval, b: Interval) -> Interval:
    lo = a.lo + b.lo if not (math.isinf(a.lo) and math.isinf(b.lo) and a.lo != b.lo) else -INF
    hi = a.hi + b.hi if not (math.isinf(a.hi) and math.isinf(b.hi) and a.hi != b.hi) else INF
    return Interval(lo, hi)


def sub(a: Interval, b: Interval) -> Interval:
    return add(a, neg(b))


def mul(a: Interval, b: Interval) -> Interval:
    products = [_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return Interval(min(products), max(products))


def _quotients(x: float, y: float) -> tuple[float, ...]:
    """Bounds of u / v for u near `x` and v near `y` (y is not 0; either may be infinite)."""
    if math.isinf(x) and math.isinf(y):
        # Both unbounded: the quotient takes every value of its sign.
        return (0.0, math.copysign(INF, x) * math.copysign(1.0, y))
    if x == 0 or math.isinf(y):
        return (0.0,)
    return (x / y,)


def div(a: Interval, b: Interval) -> Interval:
    if a.lo == a.hi == 0:
        return Interval(0.0, 0.0)
    if b.contains(0.0):
        return ANY
    # Quotients of the ends themselves, not products with 1/b: `x / y` and `x * (1 / y)`
    # round differently, and the range must hold what the runtime computes. Division
    # rounds monotonically, so the ends bound every quotient in between.
    candidates = [q for x in (a.lo, a.hi) for y in (b.lo, b.hi) for q in _quotients(x, y)]
    return Interval(min(candidates), max(candidates))


def minimum(*xs: Interval) -> Interval:
    return Interval(min(x.lo for x in xs), min(x.hi for x in xs))


def maximum(*xs: Interval) -> Interval:
    return Interval(max(x.lo for x in xs), max(x.hi for x in xs))


def absolute(a: Interval) -> Interval:
    if a.lo >= 0:
        return a
    if a.hi <= 0:
        return neg(a)
    return Interval(0.0, max(-a.lo, a.hi))


def sqrt(a: Interval) -> Interval:
    return Interval(math.sqrt(max(a.lo, 0.0)), math.sqrt(a.hi) if a.hi >= 0 else 0.0)


def periodic(a: Interval, fn) -> Interval:
    if a.is_point and math.isfinite(a.lo):
        return Interval.point(fn(a.lo))
    return Interval(-1.0, 1.0)


def truth(a: Interval) -> Interval:
    """The range of a condition's truth value (0 or 1) given the range of its operand."""
    if a.lo == a.hi == 0:
        return Interval(0.0, 0.0)
    if a.lo > 0 or a.hi < 0:
        return Interval(1.0, 1.0)
    return UNIT
