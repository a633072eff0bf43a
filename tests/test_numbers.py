"""The number convention shared by the built-in math tools and tool plugins."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentor_dsl.tools.numbers import MAX_INT_DIGITS, all_ints, describe, exact, result


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_means_the_decimal_it_was_written_as(x):
    value = exact(x, "x")
    assert value == Fraction(repr(x))
    assert result(value, integer=False) == x  # one rounding gives the double back


def test_exact_arithmetic_rounds_once():
    assert result(exact(0.1, "a") + exact(0.2, "b"), all_ints(0.1, 0.2)) == 0.3


@pytest.mark.parametrize("bad, kind", [(True, "a boolean"), (None, "null"), ("1" * 10**6, "a string"),
                                       ([1], "a list"), ({}, "an object")])
def test_bad_arguments_are_named_by_kind_never_echoed(bad, kind):
    with pytest.raises(ValueError) as info:
        exact(bad, "x")
    assert str(info.value) == f"x must be a number, got {kind}"
    assert describe(bad) == kind


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**MAX_INT_DIGITS])
def test_non_finite_and_huge_numbers_are_refused(bad):
    with pytest.raises(ValueError):
        exact(bad, "x")


def test_integer_results_only_from_integer_arguments():
    assert all_ints(1, [2, [3]]) and not all_ints(1, [2, 3.0]) and not all_ints(True)
    assert result(Fraction(6, 3), integer=True) == 2 and isinstance(result(Fraction(6, 3), integer=True), int)
    assert isinstance(result(Fraction(2), integer=False), float)
    assert result(Fraction(7, 2), integer=True) == 3.5


@pytest.mark.parametrize("value, message", [
    (Fraction(10**MAX_INT_DIGITS), "more than"),
    (Fraction(10**400, 3), "too large"),
    (Fraction(1, 10**400), "too close to zero"),
])
def test_unrepresentable_results_are_errors(value, message):
    with pytest.raises(ValueError, match=message):
        result(value, integer=True)
