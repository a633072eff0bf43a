"""The twelve MENTOR math tools, as exact pure functions.

MENTOR (arXiv 2510.18383) trains on math problems with a fixed set of twelve calculator
tools. Their names and order come from the paper's code (choics2623/MENTOR-RL: the
`valid_tool_names` set in src/verl/utils/reward_score/mentor.py and
src/verl/trainer/ppo/metric_utils.py). The paper's repository does not contain the tools'
JSON schemas or bodies: those ship inside the dataset (`extra_info.func_schemas` and
`extra_info.env`, Python source that a sandbox `exec`s). The parameter names below are
therefore our choice, kept to the most conventional spelling for each operation.

How results are computed and typed (the same rule for every tool):

* Arguments are JSON numbers. A float is read as the decimal it was written as (its
  shortest round-trip repr: 0.1 means 1/10), and all arithmetic is exact rational
  arithmetic (`fractions.Fraction`). Only the final result is rounded, once, to the
  nearest double. So add(0.1, 0.2) is 0.3 and modulo(0.3, 0.1) is 0.0, not the binary
  float artefacts 0.30000000000000004 and 0.09999999999999998.
* A result is a JSON integer when every numeric argument was an integer and the exact
  result is a whole number (add(2, 3) -> 5, divide(6, 3) -> 2, sqrt(16) -> 4); otherwise
  it is a float (divide(7, 2) -> 3.5, add(2.0, 3) -> 5.0, sqrt(2) -> 1.4142135623730951).
  floor, ceil and round_number with decimals <= 0 always return integers, like Python's
  math.floor/math.ceil/round(x).
* Every rejected call raises ValueError with a message meant for the model: booleans,
  strings, NaN and infinities as numbers; division or modulo by zero; sqrt of a negative
  number; a negative base with a non-integer exponent; 0 to a negative power.
* Sizes are capped so that no call can allocate gigabytes or run for long: integers in
  and out have at most MAX_INT_DIGITS digits, sum_numbers takes at most MAX_LIST_LENGTH
  numbers, round_number's decimals lie in [-MAX_DECIMALS, MAX_DECIMALS], and power checks
  the size of its result before computing it. A float result that overflows a double, or
  a non-zero result that would underflow to 0.0, is an error rather than inf or 0.0.

Conventions that differ between languages, fixed here:

* modulo follows Python's `%`: the remainder has the sign of the divisor (floored
  division), so modulo(-7, 3) is 2 and modulo(7, -3) is -2.
* round_number rounds halves away from zero, on the decimal value written: 2.5 -> 3,
  -2.5 -> -3, round_number(2.675, 2) -> 2.68. This is the rounding math problems expect;
  Python's round() would give 2, -2 and 2.67 (half-to-even on the binary double). The
  paper's sandbox environment is not public, so this is a deliberate choice, not a copy.

Tool output, as the paper's sandbox showed it to the model, was the Python `str()` of the
returned value after a "result: " line; `format_number` and `format_result` reproduce that.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..plugins import hookimpl
from .base import Tool
from .numbers import MAX_INT_DIGITS, MAX_LIST_LENGTH, all_ints, describe, exact, result, whole_result

#: The tool names, in the order the paper lists them.
MENTOR_MATH_TOOLS: tuple[str, ...] = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "sum_numbers",
    "floor",
    "ceil",
    "round_number",
    "power",
    "sqrt",
    "abs_value",
    "modulo",
)

TOOLSET = "mentor_math"

#: round_number's decimals must lie in [-MAX_DECIMALS, MAX_DECIMALS].
MAX_DECIMALS = 100

# Exact Fraction powers whose operands would exceed this many bits are computed with
# high-precision decimals instead; beyond it exact arithmetic gets slow for no gain,
# because such a result is rounded to a double anyway.
_EXACT_POWER_BITS = 20_000
# Digits carried by decimal fallbacks (sqrt, fractional powers): far more than a double's
# 17, so the single rounding to float is what decides the result.
_DECIMAL_DIGITS = 60


def _context() -> decimal.Context:
    # A fresh context per use: contexts record flags, so sharing one across threads races.
    return decimal.Context(
        prec=_DECIMAL_DIGITS, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
    )


# --- argument and result handling -------------------------------------------------------


def _decimal(value: Fraction) -> decimal.Decimal:
    return _context().divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))


def _from_decimal(value: decimal.Decimal, exact_nonzero: bool) -> float:
    out = float(value)
    if math.isinf(out):
        raise ValueError("the result is too large to represent as a number")
    if out == 0.0 and exact_nonzero:
        raise ValueError("the result is too close to zero to represent as a number")
    return out


def _integer_argument(value: Any, name: str) -> int:
    """An integer argument. JSON Schema's "integer" also admits 2.0, so accept whole floats."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        raise ValueError(f"{name} must be an integer, got {describe(value)}")
    return value


# --- the tools --------------------------------------------------------------------------


def add(a: int | float, b: int | float) -> int | float:
    """a + b."""
    return result(exact(a, "a") + exact(b, "b"), all_ints(a, b))


def subtract(a: int | float, b: int | float) -> int | float:
    """a - b."""
    return result(exact(a, "a") - exact(b, "b"), all_ints(a, b))


def multiply(a: int | float, b: int | float) -> int | float:
    """a * b."""
    return result(exact(a, "a") * exact(b, "b"), all_ints(a, b))


def divide(a: int | float, b: int | float) -> int | float:
    """a / b: an int when both are ints and b divides a, else a float."""
    x, y = exact(a, "a"), exact(b, "b")
    if y == 0:
        raise ValueError("division by zero: b must not be 0")
    return result(x / y, all_ints(a, b))


def sum_numbers(numbers: list[int | float]) -> int | float:
    """The sum of a list of numbers; the empty sum is 0."""
    if not isinstance(numbers, (list, tuple)):
        raise ValueError(f"numbers must be a list of numbers, got {describe(numbers)}")
    if len(numbers) > MAX_LIST_LENGTH:
        raise ValueError(f"numbers may hold at most {MAX_LIST_LENGTH} numbers, got {len(numbers)}")
    total = sum((exact(v, f"numbers[{i}]") for i, v in enumerate(numbers)), Fraction(0))
    return result(total, all_ints(*numbers))


def floor(x: int | float) -> int:
    """The largest integer <= x."""
    return whole_result(math.floor(exact(x, "x")))


def ceil(x: int | float) -> int:
    """The smallest integer >= x."""
    return whole_result(math.ceil(exact(x, "x")))


def round_number(x: int | float, decimals: int = 0) -> int | float:
    """x rounded to `decimals` places, halves away from zero.

    decimals <= 0 gives an integer (negative decimals round to tens, hundreds, ...).
    """
    value = exact(x, "x")
    places = _integer_argument(decimals, "decimals")
    if abs(places) > MAX_DECIMALS:
        raise ValueError(f"decimals must be between {-MAX_DECIMALS} and {MAX_DECIMALS}, got {places}")
    scale = Fraction(10) ** places
    scaled = abs(value) * scale
    whole = math.floor(scaled + Fraction(1, 2))
    rounded = Fraction(whole if value >= 0 else -whole) / scale
    return result(rounded, places <= 0 or all_ints(x))


def power(base: int | float, exponent: int | float) -> int | float:
    """base ** exponent, for real results only."""
    b, e = exact(base, "base"), exact(exponent, "exponent")
    ints = all_ints(base, exponent)
    if e.denominator == 1:
        return _integer_power(b, e.numerator, ints)
    # A fractional exponent: only a non-negative base has a real result.
    if b < 0:
        raise ValueError("a negative base with a non-integer exponent has no real result")
    if b == 0:
        if e < 0:
            raise ValueError("0 cannot be raised to a negative power")
        return 0.0
    try:
        out = _context().power(_decimal(b), _decimal(e))
    except decimal.Overflow:
        raise ValueError("the result is too large to represent as a number") from None
    return _from_decimal(out, exact_nonzero=True)


def _integer_power(b: Fraction, n: int, ints: bool) -> int | float:
    if b == 0:
        if n < 0:
            raise ValueError("0 cannot be raised to a negative power")
        return result(Fraction(1 if n == 0 else 0), ints)
    if abs(b) == 1:
        # 1 and -1 stay small whatever the exponent, however large.
        return result(Fraction(1) if b == 1 or n % 2 == 0 else Fraction(-1), ints)
    if ints and n >= 0:
        # An integer result: refuse it before computing it if it has too many digits. Here
        # |b| >= 2, so an exponent of 4 * MAX_INT_DIGITS or more is too big; checking that
        # first also keeps a huge n from overflowing the float estimate.
        if n >= 4 * MAX_INT_DIGITS or n * math.log10(abs(b.numerator)) >= MAX_INT_DIGITS + 1:
            raise ValueError(f"the result has more than {MAX_INT_DIGITS} digits")
        return result(b**n, True)
    bits = abs(n) * max(b.numerator.bit_length(), b.denominator.bit_length())
    if bits <= _EXACT_POWER_BITS:
        return result(b**n, ints)
    # Too big to compute exactly; a double holds the result only if its size is sane.
    try:
        out = _context().power(_decimal(b), decimal.Decimal(n))
    except decimal.Overflow:
        raise ValueError("the result is too large to represent as a number") from None
    return _from_decimal(out, exact_nonzero=True)


def sqrt(x: int | float) -> int | float:
    """The non-negative square root of x; exact when x is a perfect square."""
    value = exact(x, "x")
    if value < 0:
        raise ValueError("the square root of a negative number is not a real number")
    num, den = value.numerator, value.denominator
    rn, rd = math.isqrt(num), math.isqrt(den)
    if rn * rn == num and rd * rd == den:
        return result(Fraction(rn, rd), all_ints(x))
    return _from_decimal(_context().sqrt(_decimal(value)), exact_nonzero=True)


def abs_value(x: int | float) -> int | float:
    """|x|."""
    return result(abs(exact(x, "x")), all_ints(x))


def modulo(a: int | float, b: int | float) -> int | float:
    """a mod b with the sign of b, as Python's %: a == b * floor(a / b) + modulo(a, b)."""
    x, y = exact(a, "a"), exact(b, "b")
    if y == 0:
        raise ValueError("modulo by zero: b must not be 0")
    return result(x - y * math.floor(x / y), all_ints(a, b))


# --- schemas ----------------------------------------------------------------------------


def _num(description: str) -> dict[str, Any]:
    return {"type": "number", "description": description}


def _params(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


_BINARY = _params({"a": _num("The first number."), "b": _num("The second number.")}, ["a", "b"])
_UNARY = _params({"x": _num("The number.")}, ["x"])

_SPECS: dict[str, tuple[Callable[..., Any], str, dict[str, Any]]] = {
    "add": (add, "Add two numbers: a + b.", _BINARY),
    "subtract": (subtract, "Subtract b from a: a - b.", _BINARY),
    "multiply": (multiply, "Multiply two numbers: a * b.", _BINARY),
    "divide": (
        divide,
        "Divide a by b: a / b. b must not be 0.",
        _params({"a": _num("The dividend."), "b": _num("The divisor; must not be 0.")}, ["a", "b"]),
    ),
    "sum_numbers": (
        sum_numbers,
        "Add up a list of numbers.",
        _params(
            {
                "numbers": {
                    "type": "array",
                    "items": {"type": "number"},
                    "maxItems": MAX_LIST_LENGTH,
                    "description": "The numbers to add.",
                }
            },
            ["numbers"],
        ),
    ),
    "floor": (floor, "Round a number down to the nearest integer (the largest integer <= x).", _UNARY),
    "ceil": (ceil, "Round a number up to the nearest integer (the smallest integer >= x).", _UNARY),
    "round_number": (
        round_number,
        "Round a number to a given number of decimal places, halves away from zero "
        "(2.5 -> 3, -2.5 -> -3). Negative decimals round to tens, hundreds, ...",
        _params(
            {
                "x": _num("The number to round."),
                "decimals": {
                    "type": "integer",
                    "minimum": -MAX_DECIMALS,
                    "maximum": MAX_DECIMALS,
                    "default": 0,
                    "description": "How many decimal places to keep (default 0).",
                },
            },
            ["x"],
        ),
    ),
    "power": (
        power,
        "Raise base to the power exponent: base ** exponent.",
        _params({"base": _num("The base."), "exponent": _num("The exponent.")}, ["base", "exponent"]),
    ),
    "sqrt": (
        sqrt,
        "The square root of a non-negative number.",
        _params({"x": {"type": "number", "minimum": 0, "description": "A non-negative number."}}, ["x"]),
    ),
    "abs_value": (abs_value, "The absolute value of a number.", _UNARY),
    "modulo": (
        modulo,
        "The remainder of a divided by b, with the sign of b (like Python's %). b must not be 0.",
        _params({"a": _num("The dividend."), "b": _num("The divisor; must not be 0.")}, ["a", "b"]),
    ),
}

assert tuple(_SPECS) == MENTOR_MATH_TOOLS


def build_tools() -> tuple[Tool, ...]:
    """Fresh Tool objects for the twelve tools, in the paper's order."""
    return tuple(
        Tool(name, description, parameters, fn, toolset=TOOLSET)
        for name, (fn, description, parameters) in _SPECS.items()
    )


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    for tool in build_tools():
        register(tool)


def worked_example():
    """The exchange shown before every task that offers `add`: one call, its result and
    the boxed answer. A 135M student writes far more well-formed calls after seeing one."""
    from ..fewshot import Example, ExampleCall

    return Example(
        "math.add", "What is 12 + 30?", ((ExampleCall("add", {"a": 12, "b": 30}, 42),),), "The answer is \\boxed{42}."
    )


@hookimpl
def register_examples(register: Callable[..., None]) -> None:
    register(worked_example())


# --- rendering --------------------------------------------------------------------------


def format_number(value: Any) -> str:
    """Render a tool's numeric output as the paper's sandbox showed it: Python's str().

    Integers print without a decimal point (5), floats with their shortest round-trip form
    (2.0, 0.1, 1e+20). Lists render element by element ([2, 2, 3]).
    """
    if isinstance(value, bool):
        raise TypeError("format_number expects a number, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot format a non-finite number: {value}")
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_number(v) for v in value) + "]"
    raise TypeError(f"format_number expects a number, got {describe(value)}")


def format_result(value: Any) -> str:
    """A successful call's tool response body in the paper's layout: "result: \\n<value>"."""
    return f"result: \n{format_number(value)}"
