"""Exact numeric arguments and JSON number results: the one convention every mentor tool
follows, built-in math tools and plugins alike, so a model sees the same rules everywhere.

* A float argument means the decimal it was written as (its shortest round-trip repr:
  0.1 is 1/10), and arithmetic on it is exact (`fractions.Fraction`).
* A result is a JSON integer when every numeric argument was an integer and the exact
  result is whole; otherwise it is rounded to the nearest double, once, at the end.
* Every rejected argument raises ValueError with a short message meant for the model, and
  never echoes a possibly huge value. Integers in and out have at most MAX_INT_DIGITS
  digits and lists at most MAX_LIST_LENGTH items, so no call can run long or allocate much.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

#: Largest integer size, in decimal digits, accepted as an argument or returned.
MAX_INT_DIGITS = 1000
#: Most numbers a list argument may hold.
MAX_LIST_LENGTH = 10_000

INT_LIMIT = 10**MAX_INT_DIGITS


def describe(value: Any) -> str:
    """A short name for a bad argument's kind, never its value."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def exact(value: Any, name: str) -> Fraction:
    """The exact rational value of a numeric argument; ValueError if it is not one."""
    # bool is an int subclass, but true/false are not numbers to a model or to JSON Schema.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {describe(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        # repr is the shortest decimal that round-trips: the literal the model wrote.
        return Fraction(repr(value))
    if abs(value) >= INT_LIMIT:
        raise ValueError(f"{name} has more than {MAX_INT_DIGITS} digits")
    return Fraction(value)


def all_ints(*values: Any) -> bool:
    """Whether every argument is a JSON integer; lists count element by element."""
    for v in values:
        if isinstance(v, (list, tuple)):
            if not all_ints(*v):
                return False
        elif isinstance(v, bool) or not isinstance(v, int):
            return False
    return True


def whole_result(value: int) -> int:
    """An integer result, within the digit limit."""
    if abs(value) >= INT_LIMIT:
        raise ValueError(f"the result has more than {MAX_INT_DIGITS} digits")
    return value


def result(value: Fraction, integer: bool) -> int | float:
    """A JSON number for an exact value: an int if `integer` and whole, else a float."""
    if integer and value.denominator == 1:
        return whole_result(value.numerator)
    try:
        # int / int is correctly rounded, so this is the one rounding step.
        out = value.numerator / value.denominator
    except OverflowError:
        raise ValueError("the result is too large to represent as a number") from None
    if out == 0.0 and value != 0:
        raise ValueError("the result is too close to zero to represent as a number")
    return out
