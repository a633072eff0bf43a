"""Argument checks and JSON results shared by every scitools domain.

The number convention is mentor's own (`mentor_dsl.tools.numbers`), so a model sees the
same rules as with the built-in math tools; results involving pi are always floats.
"""

from __future__ import annotations

import decimal
import math
from fractions import Fraction
from typing import Any

from mentor_dsl.tools.numbers import (  # noqa: F401  (re-exported to the domain modules)
    INT_LIMIT,
    MAX_INT_DIGITS,
    MAX_LIST_LENGTH,
    all_ints,
    describe,
    exact,
    result,
)


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
    if abs(value) >= INT_LIMIT:
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
