"""Judges. The math judge must give exactly the paper's unified judge's verdict; its
shortcuts and cache may only make it faster."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import paper_reference as ref
from mentor_dsl import judges, math_judge

FORMS = ["391", "390", "-391", "0391", "391.0", "3.91e2", "\\frac{782}{2}", "391\\%", "\\text{391}", "{391}",
         "x = 391", "391 apples", "", " ", "1,000", "1000", "0.5", "\\frac{1}{2}", "1/2", "50\\%", "0", "-0",
         "00", "7", "8", "12345678901234567890", "12345678901234567891", "\\sqrt{4}", "2", "+5", "5"]


def full(pred, gold):
    return ref.judge(pred, gold)


GOLDS = ["391", "\\boxed{391}", "1000", "0.5", "0", "5", ["7", "391"]]


@pytest.mark.parametrize("pred", FORMS)
@pytest.mark.parametrize("gold", GOLDS)
def test_math_judge_equals_the_paper_judge(pred, gold):
    judges.math_judge_cache_clear()
    assert judges.math_judge(pred, gold) == (1.0 if full(pred, gold) else 0.0)


def test_integer_shortcut_agrees_with_the_full_judge():
    rng = random.Random(7)
    pairs = [(str(a), str(b)) for a, b in ((rng.randint(-10**6, 10**6), rng.randint(-10**6, 10**6))
                                           for _ in range(40))]
    pairs += [("0", "-0"), ("007", "7"), ("-0", "0"), ("10", "010"), (str(10**30), str(10**30 + 1)),
              (str(10**17), str(10**17 + 1)), ("999999999999", "999999999998"), (str(10**12), str(10**12 + 1)),
              ("999999", "1000000"), ("1", "2")]
    for pred, gold in pairs:
        judges.math_judge_cache_clear()
        assert judges.math_judge(pred, gold) == (1.0 if full(pred, gold) else 0.0), (pred, gold)


@settings(max_examples=60, deadline=None)
@given(st.integers(-2000, 2000), st.integers(-2000, 2000))
def test_integer_pairs(a, b):
    judges.math_judge_cache_clear()
    assert judges.math_judge(str(a), str(b)) == (1.0 if full(str(a), str(b)) else 0.0)


DECIMAL_PAIRS = [("250.25", "250.75"), ("0.1234567", "0.1234568"), ("0.123456", "0.123457"),
                 ("0.12345", "0.12346"), ("0.00001", "0.00002"), ("3.5", "3.50"), ("3.5", "3"), ("-0.5", "0.5"),
                 ("16.0", "16"), ("16.00001", "16"), ("999999999.5", "999999999.25"), ("1.000001", "1"),
                 ("1.00001", "1"), ("41.6", "41.60000"), ("2.5", "2.4999999")]


@pytest.mark.parametrize("pred, gold", DECIMAL_PAIRS + [(b, a) for a, b in DECIMAL_PAIRS])
def test_decimal_shortcut_agrees_with_the_full_judge(pred, gold):
    judges.math_judge_cache_clear()
    assert judges.math_judge(pred, gold) == (1.0 if full(pred, gold) else 0.0), (pred, gold)


@settings(max_examples=80, deadline=None)
@given(st.decimals(-1000, 1000, places=3), st.decimals(-1000, 1000, places=3))
def test_decimal_pairs(a, b):
    judges.math_judge_cache_clear()
    assert judges.math_judge(str(a), str(b)) == (1.0 if full(str(a), str(b)) else 0.0)


def test_results_are_cached():
    judges.math_judge_cache_clear()
    judges.math_judge("\\frac{1}{2}", "0.5")
    judges.math_judge("\\frac{1}{2}", "0.5")
    info = math_judge.judge.cache_info()
    assert (info.hits, info.misses) == (1, 1)


@pytest.mark.parametrize("pred, gold, value", [
    ("Paris", "paris", 1.0), ("$5$", "5", 1.0), ("5.", "5", 1.0), ("ＰＡＲＩＳ", "paris", 1.0),
    ("Paris", ["Rome", "Paris"], 1.0), ("Pariss", "paris", 0.0), ("42", "\\boxed{42}", 1.0),
])
def test_exact_judge(pred, gold, value):
    assert judges.exact_judge(pred, gold) == value


@pytest.mark.parametrize("pred, gold, value", [
    ("the cat sat", "a cat sat", 1.0), ("cat", "cat sat", 2 / 3), ("dog", "cat", 0.0), ("", "", 1.0),
    ("New York City", ["NYC", "new york"], 0.8),
])
def test_f1_judge(pred, gold, value):
    assert judges.f1_judge(pred, gold) == pytest.approx(value)


NUMBER_FORMS = st.one_of(
    st.integers(-300, 300).map(str),
    st.decimals(-300, 300, places=2).map(str),
    st.tuples(st.integers(0, 40), st.integers(1, 40), st.sampled_from(["{}/{}", "\\frac{{{}}}{{{}}}",
                                                                        "-\\frac{{{}}}{{{}}}", "\\dfrac{{{}}}{{{}}}"]))
    .map(lambda t: t[2].format(t[0], t[1])),
)


@settings(max_examples=150, deadline=None)
@given(NUMBER_FORMS, NUMBER_FORMS)
def test_number_forms_agree_with_the_full_judge(pred, gold):
    judges.math_judge_cache_clear()
    assert judges.math_judge(pred, gold) == (1.0 if full(pred, gold) else 0.0), (pred, gold)


FRACTION_PAIRS = [("9/13", "13"), ("9/13", "9"), ("\\frac{9}{13}", "13"), ("3/1", "3"), ("0/5", "0"), ("6/4", "1.5"),
                  ("6/4", "\\frac{3}{2}"), ("1/3", "0.333333"), ("1/3", "0.33333"), ("2/3", "0.666667"),
                  ("-\\frac{1}{2}", "-0.5")]


@pytest.mark.parametrize("pred, gold", FRACTION_PAIRS)
def test_fraction_shortcut_edge_cases(pred, gold):
    judges.math_judge_cache_clear()
    assert judges.math_judge(pred, gold) == (1.0 if full(pred, gold) else 0.0), (pred, gold)
