"""Exact reference values and the one canonical text form of an answer.

Generators compute each task's reference answer on their own, with exact arithmetic
(`int`, `Fraction`, `Decimal`), and never from the tools' outputs: the oracle trajectory
is then executed with the real tools and its final output must print the same way. Two
independent computations agreeing is what makes a task trustworthy.
"""

from __future__ import annotations

import decimal
import math
import random
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

# Enough digits that rounding a reference computed with irrational values (pi, square
# roots) to a few decimals is exact in practice.
_PRECISION = 60

#: pi to 60 digits, for references that must not share the tools' float arithmetic.
PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494")


def _context() -> decimal.Context:
    return decimal.Context(prec=_PRECISION, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """The exact decimal value of an int, a terminating Fraction, a Decimal or a float.

    A float means the decimal it prints as (its shortest repr), the same reading the
    tools give their arguments. A Fraction with a non-terminating expansion raises
    ValueError: such a value has no short canonical form, so a task must round it first.
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        den = value.denominator
        for p in (2, 5):
            while den % p == 0:
                den //= p
        if den != 1:
            raise ValueError(f"{value} has no terminating decimal expansion")
        # A terminating expansion with few digits: the context's precision keeps it exact.
        return _context().divide(Decimal(value.numerator), Decimal(value.denominator))
    raise TypeError(f"not a number: {type(value).__name__}")


def format_answer(value: Any) -> str:
    """The canonical answer text: integers without a point ("391", "15" for 15.0),
    decimals in plain notation without trailing zeros ("24.25", "0.00001"), "-0" as "0"."""
    d = to_decimal(value)
    if d == 0:
        return "0"
    d = d.normalize(_context())
    text = format(d, "f")
    return text


def round_half_up(value: Any, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero (round_number's rule)."""
    d = value if isinstance(value, Decimal) else _exact_or_context(value)
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_context())


def _exact_or_context(value: Any) -> Decimal:
    """A decimal for rounding: exact when possible, else correct to 60 digits."""
    if isinstance(value, Fraction):
        return _context().divide(Decimal(value.numerator), Decimal(value.denominator))
    return to_decimal(value)


def dsqrt(value: Any) -> Decimal:
    """The square root to 60 digits (exact for perfect squares)."""
    return _context().sqrt(_exact_or_context(value))


def dmul(*values: Any) -> Decimal:
    """A product to 60 digits, for references that involve PI."""
    ctx = _context()
    out = Decimal(1)
    for v in values:
        out = ctx.multiply(out, v if isinstance(v, Decimal) else _exact_or_context(v))
    return out


def arg(value: Any) -> int | float:
    """A number as a tool argument, written the way a person would type it: whole values
    as integers, others as the float that prints as their decimal."""
    d = to_decimal(value)
    if d == d.to_integral_value():
        return int(d)
    out = float(d)
    # The tools read a float through its repr; the value must survive that trip.
    assert Decimal(repr(out)) == d, f"{d} is not representable as a short float"
    return out


def money(rng: random.Random, low: float, high: float, step: int = 5) -> Decimal:
    """A price in [low, high] dollars, in cents that are multiples of `step`."""
    cents = rng.randrange(int(low * 100), int(high * 100) + 1, step)
    return Decimal(cents) / 100


def decimal_between(rng: random.Random, low: int, high: int, places: int) -> Decimal:
    """A decimal in [low, high] with exactly `places` digits after the point (last non-zero)."""
    scale = 10**places
    while True:
        n = rng.randint(low * scale, high * scale)
        if places == 0 or n % 10:
            return Decimal(n).scaleb(-places)


def show_money(value: Decimal) -> str:
    """$12.50, as prices are written."""
    return f"${value:.2f}"


def show(value: Any) -> str:
    """A number as it appears in a question: its canonical form."""
    return format_answer(value)
