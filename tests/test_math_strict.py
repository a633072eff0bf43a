"""The `math_strict` judge: the paper's judge without hedges and partial readings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import judge_corpus
from mentor_dsl import judges, math_judge, math_strict
from test_judges import NUMBER_FORMS


def strict(pred, gold):
    return judges.math_strict_judge(pred, gold)


@pytest.mark.parametrize("pred, gold", judge_corpus.STRICTER)
def test_hedges_and_partial_readings_are_rejected(pred, gold):
    assert judges.math_judge(pred, gold) == 1.0, "the paper's judge accepts it: a real hack"
    assert strict(pred, gold) == 0.0


@pytest.mark.parametrize("pred, gold", judge_corpus.STILL_ACCEPTED)
def test_equivalent_forms_are_still_accepted(pred, gold):
    assert strict(pred, gold) == 1.0


def test_it_agrees_with_the_paper_judge_on_the_judge_corpus():
    summary = judge_corpus.comparison()
    assert summary["pairs"] > 400 and summary["math"] > 80
    assert summary["differences"] == []


@settings(max_examples=150, deadline=None)
@given(NUMBER_FORMS, NUMBER_FORMS)
def test_it_never_accepts_what_the_paper_judge_rejects(pred, gold):
    if strict(pred, gold):
        assert judges.math_judge(pred, gold) == 1.0


@settings(max_examples=100, deadline=None)
@given(st.integers(-10**6, 10**6), st.sampled_from(["{} \\text{{ or }} {}", "{}, {}", "{} = {}", "x = {} \\text{{ or }} x = {}",
                                                    "\\{{{}, {}\\}}", "{} \\le x \\le {}"]))
def test_no_hedge_passes_whatever_the_numbers(gold, hedge):
    assert strict(hedge.format(gold - 1, gold), str(gold)) == 0.0
    assert strict(hedge.format(gold, gold + 1), str(gold)) == 0.0


@pytest.mark.parametrize("gold, allowed", [("\\pm 7", ["\\pm 7", "-7, 7"]), ("x = 5", ["5", "x = 5"]),
                                           ("(1, 2)", ["(1, 2)"])])
def test_a_gold_may_have_the_shape_it_asks_for(gold, allowed):
    for pred in allowed:
        assert strict(pred, gold) == 1.0, pred


@pytest.mark.parametrize("text, core, shapes", [
    ("x = 391", "391", set()),
    ("391 \\text{ apples}", "391", set()),
    ("\\text{The answer is } 391.", "391", set()),
    ("1\\,000", "1000", set()),
    ("391<|im_end|>", "391", set()),
    ("391\u200b", "391", set()),
    ("390 \\text{ or } 391", "390  or  391", {"or", "words"}),
    ("\\pm 7", "\\pm 7", {"plus-minus"}),
    ("391 \\quad 390", "391 , 390", {"several values"}),
    ("f(x) = 3", "f(x) = 3", {"relation"}),
    ("391 million", "391 million", {"words"}),
])
def test_shape(text, core, shapes):
    got = math_strict.shape(text)
    assert (got.core, set(got.shapes)) == (core, shapes)


def test_verdicts_are_cached_and_cleared_with_the_math_judge():
    judges.math_judge_cache_clear()
    strict("391", "391")
    strict("391", "391")
    assert math_strict.judge.cache_info().hits == 1
    judges.math_judge_cache_clear()
    assert math_strict.judge.cache_info().currsize == 0 and math_judge.judge.cache_info().currsize == 0
