"""Exact numeric arguments and JSON results, shared by every scitools domain.

The rules match mentor's built-in math tools, so a model sees one convention everywhere:

* A float argument means the decimal it was written as (0.1 is 1/10); arithmetic is exact
  (`Fraction`) and the result is rounded to a double once, at the end.
* A result is an integer when every numeric argument was an integer and the exact result
  is whole; otherwise it is a float. Results involving pi are always floats.
* Every rejected call raises ValueError with a short message. Integers in and out are
  capped at MAX_INT_DIGITS digits and lists at MAX_LIST_LENGTH items, so no call can run
  for long or allocate much.
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction
from typing import Any

MAX_INT_DIGITS = 1000
MAX_LIST_LENGTH = 10_000

_INT_LIMIT = 10**MAX_INT_DIGITS


def describe(value: Any) -> str:
    """A short name for a bad argument's kind, never its (possibly huge) value."""
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
    """The exact value of a numeric argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {describe(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        return Fraction(repr(value))
    if abs(value) >= _INT_LIMIT:
        raise ValueError(f"{name} has more than {MAX_INT_DIGITS} digits")
    return Fraction(value)


def non_negative(value: Any, name: str) -> Fraction:
    x = exact(value, name)
    if x < 0:
        raise ValueError(f"{name} must not be negative")
    return x


def positive(value: Any, name: str) -> Fraction:
    x = exact(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be greater than 0")
    return x


def integer(value: Any, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer argument; whole floats such as 5.0 count (JSON Schema's "integer" does)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        kind = f"{value!r}" if isinstance(value, float) else describe(value)
        raise ValueError(f"{name} must be an integer, got {kind}")
    if abs(value) >= _INT_LIMIT:
        raise ValueError(f"{name} has more than {MAX_INT_DIGITS} digits")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def number_list(values: Any, name: str, min_items: int = 1) -> list[Fraction]:
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name} must be a list of numbers, got {describe(values)}")
    if len(values) < min_items:
        raise ValueError(f"{name} needs at least {min_items} number{'s' if min_items != 1 else ''}")
    if len(values) > MAX_LIST_LENGTH:
        raise ValueError(f"{name} may hold at most {MAX_LIST_LENGTH} numbers, got {len(values)}")
    return [exact(v, f"{name}[{i}]") for i, v in enumerate(values)]


def all_ints(*values: Any) -> bool:
    """Whether every argument is a JSON integer; lists count element by element."""
    for v in values:
        if isinstance(v, (list, tuple)):
            if not all_ints(*v):
                return False
        elif isinstance(v, bool) or not isinstance(v, int):
            return False
    return True


def result(value: Fraction, integer_ok: bool) -> int | float:
    """A JSON number for an exact value: an int if `integer_ok` and whole, else a float."""
    if integer_ok and value.denominator == 1:
        if abs(value.numerator) >= _INT_LIMIT:
            raise ValueError(f"the result has more than {MAX_INT_DIGITS} digits")
        return value.numerator
    try:
        out = value.numerator / value.denominator  # correctly rounded
    except OverflowError:
        raise ValueError("the result is too large to represent as a number") from None
    if out == 0.0 and value != 0:
        raise ValueError("the result is too close to zero to represent as a number")
    return out


def float_result(value: float) -> float:
    """Check a result computed in floating point (anything with pi in it)."""
    if not math.isfinite(value):
        raise ValueError("the result is too large to represent as a number")
    return value


def times_pi(value: Fraction) -> float:
    """value * pi as a float: the rational part is rounded once, then multiplied."""
    return float_result(result(value, False) * math.pi) if value else 0.0


def sqrt(value: Fraction, integer_ok: bool) -> int | float:
    """The square root of a non-negative exact value: exact when it is a perfect square."""
    num, den = value.numerator, value.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return result(Fraction(rn, rd), integer_ok)
    ctx = decimal.Context(prec=60)
    root = ctx.sqrt(ctx.divide(decimal.Decimal(num), decimal.Decimal(den)))
    return float_result(float(root))


# --- JSON Schema helpers -------------------------------------------------------------------


def num(description: str, **constraints: Any) -> dict[str, Any]:
    return {"type": "number", "description": description, **constraints}


def int_(description: str, **constraints: Any) -> dict[str, Any]:
    return {"type": "integer", "description": description, **constraints}


def numbers(description: str, min_items: int = 1) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "number"}, "minItems": min_items,
            "maxItems": MAX_LIST_LENGTH, "description": description}


def params(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False}
