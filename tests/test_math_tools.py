"""The twelve MENTOR math tools: exact values, errors, schemas and properties."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import jsonschema
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_dsl import hookspecs
from mentor_dsl.tools import math as mt
from mentor_dsl.tools.base import Tool

TOOLS = {t.name: t for t in mt.build_tools()}


def call(name: str, **arguments):
    """Call a tool the way the executor does: validate against the schema, then fn(**args)."""
    tool = TOOLS[name]
    problem = tool.validate_arguments(arguments)
    assert problem is None, problem
    return tool.fn(**arguments)


def same(got, expected) -> bool:
    """Equal in value and in JSON type (5 is not 5.0 here)."""
    return type(got) is type(expected) and got == expected


# --- the set of tools -------------------------------------------------------------------


def test_names_and_order_follow_the_paper():
    assert mt.MENTOR_MATH_TOOLS == (
        "add", "subtract", "multiply", "divide", "sum_numbers", "floor",
        "ceil", "round_number", "power", "sqrt", "abs_value", "modulo",
    )
    assert tuple(TOOLS) == mt.MENTOR_MATH_TOOLS


def test_every_tool_is_pure_in_the_mentor_math_toolset():
    for tool in TOOLS.values():
        assert isinstance(tool, Tool)
        assert tool.kind == "pure"
        assert tool.toolset == "mentor_math"
        assert tool.description
        jsonschema.Draft202012Validator.check_schema(dict(tool.parameters))
        assert tool.parameters["additionalProperties"] is False
        schema = tool.schema()
        assert schema["function"]["name"] == tool.name
        json.dumps(schema)


def test_register_tools_hook_registers_all_twelve():
    pm = pluggy.PluginManager("mentor")
    pm.add_hookspecs(hookspecs)
    pm.register(mt, name="mentor.math_tools")
    seen: list[Tool] = []
    pm.hook.register_tools(register=seen.append)
    assert tuple(t.name for t in seen) == mt.MENTOR_MATH_TOOLS


def test_build_tools_returns_fresh_objects():
    # The registry stamps `plugin` on what it registers; fresh objects keep that local.
    assert mt.build_tools()[0] is not mt.build_tools()[0]


# --- exact values -----------------------------------------------------------------------

EXAMPLES = [
    ("add", {"a": 2, "b": 3}, 5),
    ("add", {"a": 0.1, "b": 0.2}, 0.3),
    ("add", {"a": 2.0, "b": 3}, 5.0),
    ("add", {"a": -1.5, "b": 1.5}, 0.0),
    ("add", {"a": 10**30, "b": 1}, 10**30 + 1),
    ("subtract", {"a": 5, "b": 7}, -2),
    ("subtract", {"a": 0.3, "b": 0.1}, 0.2),
    ("multiply", {"a": 6, "b": 7}, 42),
    ("multiply", {"a": 1.1, "b": 1.1}, 1.21),
    ("multiply", {"a": -3, "b": 0.5}, -1.5),
    ("divide", {"a": 6, "b": 3}, 2),
    ("divide", {"a": 7, "b": 2}, 3.5),
    ("divide", {"a": 1, "b": 3}, 1 / 3),
    ("divide", {"a": 0.3, "b": 0.1}, 3.0),
    ("divide", {"a": -9, "b": 4}, -2.25),
    ("sum_numbers", {"numbers": [1, 2, 3, 4]}, 10),
    ("sum_numbers", {"numbers": [1, 2, 3.5]}, 6.5),
    ("sum_numbers", {"numbers": [0.1] * 10}, 1.0),
    ("sum_numbers", {"numbers": []}, 0),
    ("floor", {"x": 2.7}, 2),
    ("floor", {"x": -2.5}, -3),
    ("floor", {"x": 5}, 5),
    ("floor", {"x": 3.0}, 3),
    ("ceil", {"x": 2.1}, 3),
    ("ceil", {"x": -2.5}, -2),
    ("ceil", {"x": 5}, 5),
    ("round_number", {"x": 2.5}, 3),
    ("round_number", {"x": -2.5}, -3),
    ("round_number", {"x": 3.14159, "decimals": 2}, 3.14),
    ("round_number", {"x": 2.675, "decimals": 2}, 2.68),
    ("round_number", {"x": 0.125, "decimals": 2}, 0.13),
    ("round_number", {"x": 1234, "decimals": -2}, 1200),
    ("round_number", {"x": 1250, "decimals": -2}, 1300),
    ("round_number", {"x": 5, "decimals": 2}, 5),
    ("round_number", {"x": 7.25, "decimals": 2.0}, 7.25),
    ("round_number", {"x": 1.5, "decimals": 0}, 2),
    ("power", {"base": 2, "exponent": 10}, 1024),
    ("power", {"base": -8, "exponent": 3}, -512),
    ("power", {"base": 2, "exponent": -2}, 0.25),
    ("power", {"base": 2.0, "exponent": 3}, 8.0),
    ("power", {"base": 1.1, "exponent": 2}, 1.21),
    ("power", {"base": 4, "exponent": 0.5}, 2.0),
    ("power", {"base": 2, "exponent": 0.5}, math.sqrt(2)),
    ("power", {"base": 0, "exponent": 0}, 1),
    ("power", {"base": 0, "exponent": 2.5}, 0.0),
    ("power", {"base": 1, "exponent": -(10**100)}, 1),
    ("power", {"base": -1, "exponent": 10**100 + 1}, -1),
    ("power", {"base": 2, "exponent": 3321}, 2**3321),
    ("sqrt", {"x": 16}, 4),
    ("sqrt", {"x": 16.0}, 4.0),
    ("sqrt", {"x": 2}, math.sqrt(2)),
    ("sqrt", {"x": 0.25}, 0.5),
    ("sqrt", {"x": 0}, 0),
    ("sqrt", {"x": 10**400}, 10**200),
    ("abs_value", {"x": -3}, 3),
    ("abs_value", {"x": -2.5}, 2.5),
    ("abs_value", {"x": 0}, 0),
    ("modulo", {"a": 7, "b": 3}, 1),
    ("modulo", {"a": -7, "b": 3}, 2),
    ("modulo", {"a": 7, "b": -3}, -2),
    ("modulo", {"a": 5.5, "b": 2}, 1.5),
    ("modulo", {"a": 0.3, "b": 0.1}, 0.0),
]


@pytest.mark.parametrize(("name", "arguments", "expected"), EXAMPLES)
def test_exact_values(name, arguments, expected):
    got = call(name, **arguments)
    assert same(got, expected), f"{name}({arguments}) = {got!r}, expected {expected!r}"
    # Outputs are plain JSON: they survive a strict round trip unchanged.
    assert same(json.loads(json.dumps(got, allow_nan=False)), expected)


def test_every_tool_has_an_example():
    assert {name for name, _, _ in EXAMPLES} == set(mt.MENTOR_MATH_TOOLS)


def test_decimals_defaults_to_zero():
    assert same(mt.round_number(2.4), 2)
    assert TOOLS["round_number"].parameters["required"] == ["x"]


# --- errors -----------------------------------------------------------------------------

ERRORS = [
    ("divide", {"a": 1, "b": 0}, "division by zero"),
    ("divide", {"a": 1, "b": 0.0}, "division by zero"),
    ("modulo", {"a": 1, "b": 0}, "modulo by zero"),
    ("sqrt", {"x": -4}, "negative"),
    ("power", {"base": -8, "exponent": 1 / 3}, "non-integer exponent"),
    ("power", {"base": 0, "exponent": -1}, "negative power"),
    ("power", {"base": 0.0, "exponent": -0.5}, "negative power"),
    ("power", {"base": 10, "exponent": 1001}, "1000 digits"),
    ("power", {"base": 2, "exponent": 10**12}, "1000 digits"),
    ("power", {"base": 2, "exponent": 10**999}, "1000 digits"),
    ("power", {"base": 2.5, "exponent": 10**6}, "too large"),
    ("power", {"base": 0.5, "exponent": 10**6}, "too close to zero"),
    ("power", {"base": 10, "exponent": 1e300}, "too large"),
    ("power", {"base": 1.5, "exponent": 1e300}, "too large"),
    ("multiply", {"a": 1e200, "b": 1e200}, "too large"),
    ("multiply", {"a": 10**600, "b": 10**600}, "1000 digits"),
    ("divide", {"a": 1e-200, "b": 1e200}, "too close to zero"),
    ("add", {"a": 10**1000, "b": 1}, "1000 digits"),
    ("round_number", {"x": 1, "decimals": 101}, "between"),
    ("round_number", {"x": 1, "decimals": 2.5}, "whole number"),
    ("sum_numbers", {"numbers": [1, None]}, "numbers[1]"),
    ("sum_numbers", {"numbers": [1] * (mt.MAX_LIST_LENGTH + 1)}, "at most"),
    ("sum_numbers", {"numbers": 5}, "list"),
    ("add", {"a": True, "b": 1}, "boolean"),
    ("add", {"a": "1", "b": 2}, "string"),
    ("add", {"a": None, "b": 2}, "null"),
    ("floor", {"x": math.nan}, "finite"),
    ("ceil", {"x": math.inf}, "finite"),
    ("abs_value", {"x": -math.inf}, "finite"),
]


@pytest.mark.parametrize(("name", "arguments", "message"), ERRORS)
def test_errors_raise_value_error(name, arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TOOLS[name].fn(**arguments)


def test_error_messages_stay_short():
    # A model reads these; echoing a 1000-digit number back would be useless noise.
    with pytest.raises(ValueError) as info:
        mt.add(10**1000, 1)
    assert len(str(info.value)) < 100


@pytest.mark.parametrize(("name", "arguments"), [
    ("add", {"a": 1}),
    ("add", {"a": 1, "b": 2, "c": 3}),
    ("add", {"a": "1", "b": 2}),
    ("add", {"a": True, "b": 2}),
    ("sum_numbers", {"numbers": [1, "2"]}),
    ("round_number", {"x": 1.5, "decimals": 0.5}),
    ("sqrt", {"x": -1}),
])
def test_schema_rejects_malformed_arguments(name, arguments):
    assert TOOLS[name].validate_arguments(arguments) is not None


# --- rendering --------------------------------------------------------------------------


def test_format_number_matches_python_str():
    assert mt.format_number(5) == "5"
    assert mt.format_number(2.0) == "2.0"
    assert mt.format_number(0.3) == "0.3"
    assert mt.format_number(1e20) == "1e+20"
    assert mt.format_number(-0.5) == "-0.5"
    assert mt.format_number([2, 2, 3]) == "[2, 2, 3]"
    assert mt.format_result(mt.add(2, 3)) == "result: \n5"


def test_format_number_rejects_non_numbers():
    with pytest.raises(TypeError):
        mt.format_number(True)
    with pytest.raises(TypeError):
        mt.format_number("5")
    with pytest.raises(ValueError):
        mt.format_number(math.nan)


# --- properties -------------------------------------------------------------------------

ints = st.integers(min_value=-(10**30), max_value=10**30)
nonzero_ints = ints.filter(lambda n: n != 0)
floats = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
numbers = st.one_of(ints, floats)


def exact(x) -> Fraction:
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


@settings(max_examples=200, deadline=None)
@given(ints, ints)
def test_add_and_subtract_are_inverse_on_ints(a, b):
    total = mt.add(a, b)
    assert same(total, a + b)
    assert same(mt.subtract(total, b), a)


@settings(max_examples=200, deadline=None)
@given(numbers, numbers)
def test_add_is_exact_then_rounded_once(a, b):
    total = exact(a) + exact(b)
    expected = int(total) if isinstance(a, int) and isinstance(b, int) else float(total)
    assert same(mt.add(a, b), expected)
    assert same(mt.add(b, a), expected)


@settings(max_examples=200, deadline=None)
@given(ints, nonzero_ints)
def test_divide_undoes_multiply_on_ints(a, b):
    assert same(mt.divide(mt.multiply(a, b), b), a)


@settings(max_examples=200, deadline=None)
@given(numbers)
def test_floor_le_x_le_ceil(x):
    lo, hi = mt.floor(x), mt.ceil(x)
    assert type(lo) is int and type(hi) is int
    assert lo <= exact(x) <= hi
    assert hi - lo == (0 if exact(x).denominator == 1 else 1)


@settings(max_examples=200, deadline=None)
@given(ints, nonzero_ints)
def test_modulo_matches_python_on_ints(a, b):
    r = mt.modulo(a, b)
    assert same(r, a % b)
    # The sign convention: the remainder has the sign of the divisor.
    assert (0 <= r < b) if b > 0 else (b < r <= 0)
    assert a == b * (a // b) + r


@settings(max_examples=200, deadline=None)
@given(floats, floats.filter(lambda y: y != 0))
def test_modulo_sign_follows_divisor_on_floats(a, b):
    r = exact(a) - exact(b) * math.floor(exact(a) / exact(b))
    assert mt.modulo(a, b) == float(r)
    assert (0 <= r < exact(b)) if b > 0 else (exact(b) < r <= 0)


@settings(max_examples=200, deadline=None)
@given(numbers, st.integers(min_value=-5, max_value=5))
def test_round_number_is_within_half_a_unit(x, decimals):
    got = mt.round_number(x, decimals)
    assert abs(exact(got) - exact(x)) <= Fraction(1, 2) * Fraction(10) ** -decimals
    if decimals <= 0:
        assert type(got) is int


@settings(max_examples=200, deadline=None)
@given(ints)
def test_sqrt_of_a_square_is_exact(n):
    assert same(mt.sqrt(n * n), abs(n))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_sqrt_squares_back(x):
    root = mt.sqrt(x)
    assert root >= 0
    assert math.isclose(root * root, x, rel_tol=1e-15, abs_tol=1e-300)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-50, max_value=50), st.integers(min_value=0, max_value=60))
def test_power_matches_python_on_small_ints(base, exponent):
    assert same(mt.power(base, exponent), base**exponent)


@settings(max_examples=200, deadline=None)
@given(numbers)
def test_abs_value_is_non_negative_and_keeps_type(x):
    got = mt.abs_value(x)
    assert got >= 0 and type(got) is type(x)
    assert exact(got) == abs(exact(x))


@settings(max_examples=100, deadline=None)
@given(st.lists(numbers, max_size=30))
def test_sum_numbers_is_exact(values):
    got = mt.sum_numbers(values)
    expected = sum((exact(v) for v in values), Fraction(0))
    assert exact(got) == expected if isinstance(got, int) else got == float(expected)
    assert isinstance(got, int) == all(isinstance(v, int) for v in values)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["add", "subtract", "multiply", "divide", "modulo", "power"]), numbers, numbers)
def test_outputs_are_json_numbers_or_value_errors(name, a, b):
    fn = TOOLS[name].fn
    try:
        got = fn(a, b)
    except ValueError:
        return
    assert isinstance(got, (int, float)) and not isinstance(got, bool)
    assert json.loads(json.dumps(got, allow_nan=False)) == got
