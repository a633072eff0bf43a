"""The checker: names, arguments, parameters, constants, ranges and weights."""

import math

import pytest

from mentor_dsl import SpecError, compile, parse
from mentor_dsl.checker import check
from mentor_dsl.library import open_spec
from mentor_dsl.plugins import registry


def checked(text: str, **overrides):
    return check(parse(text, "t.mdsl"), registry(), overrides)


def reward_range(text: str, **overrides):
    r = checked(text, **overrides).rewards[0].range
    return r.lo, r.hi


@pytest.mark.parametrize("name, expected", [
    ("mentor", (0.0, 1.1)), ("mentor_overlap", (0.0, 1.0)), ("mentor_nomatch", (0.0, 0.7999999999999999)),
    ("mentor_f1", (0.0, 1.1)), ("sparse", (0.0, 1.0)), ("strict", (0.0, 1.0)), ("toolrl", (-3.0, 4.0)),
    ("tool_n1", (0.0, 1.0)), ("mentor_args", (0.0, 1.0)),
])
def test_library_ranges(name, expected):
    text, shown, _ = open_spec(name)
    r = compile(text, name=shown).reward().range
    assert (r.lo, r.hi) == pytest.approx(expected)


@pytest.mark.parametrize("body, expected", [
    ("clip(step / 100, 0, 1)", (0.0, 1.0)),
    ("-tool_calls", (-math.inf, 0.0)),
    ("2 * finished - 1", (-1.0, 1.0)),
    ("abs(finished - 0.75)", (0.0, 0.75)),
    ("min(finished, 0.5) + max(answer_present, 0.25)", (0.25, 1.5)),
    ("sin(step)", (-1.0, 1.0)),
    ("cos(0) * finished", (0.0, 1.0)),
    ("sqrt(tool_calls)", (0.0, math.inf)),
    ("if finished then 2 else -1", (-1.0, 2.0)),
    ("finished < 0.5", (0.0, 1.0)),
    ("tool_calls * 0", (0.0, 0.0)),
    ("finished / (1 + tool_calls)", (0.0, 1.0)),
])
def test_interval_inference(body, expected):
    assert reward_range(f"reward r:\n    {body}\n") == expected


def test_guards_contribute_their_values_to_the_range():
    assert reward_range("reward r:\n    require finished else -5\n    require answer_present else 3\n    0.5\n") \
        == (-5.0, 3.0)


def test_warnings_for_risky_operations():
    spec = checked("reward r:\n    x = finished / tool_calls\n    unused = step\n    sqrt(finished - 0.5) + x\n")
    text = "\n".join(spec.warnings)
    assert "divisor can be zero" in text
    assert "sqrt of a value that can be negative" in text
    assert "binding 'unused' is never used" in text


def test_equal_term_uses_share_one_instance():
    spec = checked('reward r:\n    tool_match(teacher) + tool_match(teacher, mode="exact_set") + tool_match\n')
    assert [t.key for t in spec.terms] == ["tool_match"]


def test_distinct_argument_sets_get_distinct_names():
    spec = checked('reward r:\n    tool_match(teacher) + tool_match(teacher, mode="f1")\n')
    assert sorted(t.key for t in spec.terms) == ['tool_match', 'tool_match(mode="f1")']


def test_weights_of_the_mentor_reward():
    text, shown, _ = open_spec("mentor")
    weights = dict(check(parse(text, shown), registry()).rewards[0].weights)
    assert weights["tool_match"] == ("0.3", "0.06")
    assert weights["no_hallucination"] == ("0.1",)
    assert weights["answer_correct"] == ("condition",)
    assert weights["finished"] == ("gate",)


def test_parameters_and_overrides():
    text = "param w = 0.3\nparam flag = true\nparam mode = \"f1\"\nreward r:\n    w * tool_match(teacher, mode=mode)\n"
    assert reward_range(text) == (0.0, 0.3)
    assert reward_range(text, w="0.5") == (0.0, 0.5)
    assert reward_range(text, w=2) == (0.0, 2.0)
    assert dict(checked(text, flag="false").params)["flag"] is False
    assert dict(checked(text, mode="'overlap'").params)["mode"] == "overlap"
    with pytest.raises(SpecError, match="must be one of"):
        checked(text, mode="nope")
    with pytest.raises(SpecError, match="takes a number"):
        checked(text, w="heavy")
    with pytest.raises(SpecError, match="takes true or false"):
        checked(text, flag="maybe")
    with pytest.raises(SpecError, match="cannot set unknown parameter 'ww'; did you mean 'w'"):
        checked(text, ww="1")


def test_parameters_can_use_earlier_parameters():
    assert reward_range("param a = 0.25\nparam b = a * 2\nreward r:\n    b * finished\n") == (0.0, 0.5)


def test_constant_folding_and_division_by_a_folded_zero():
    spec = checked("param w = 3\nreward r:\n    (w - 1) * 2 + finished\n")
    assert (spec.rewards[0].range.lo, spec.rewards[0].range.hi) == (4.0, 5.0)
    with pytest.raises(SpecError, match="division by zero"):
        checked("param w = 3\nreward r:\n    finished / (w - 3)\n")


def test_constant_conditions_pick_a_branch():
    assert reward_range("reward r:\n    if 1 < 2 then finished else -10\n") == (0.0, 1.0)


@pytest.mark.parametrize("source, message", [
    ("x = 1\n    y = x + z\n    y", "unknown name 'z'"),
    ("tool_match(teacher, mode=\"f1\", mode=\"f1\")", "given twice"),
    ("tool_match(teacher, teacher, teacher, teacher, teacher)", "takes at most 4 positional arguments"),
    ("strict_match(teacher, ordered=1)", "must be true or false"),
    ("answer_correct(extractor=\"tag:\")", "unknown extractor"),
    ("min(finished)", "needs at least 2 arguments"),
    ("min(finished, a=1)", "takes no keyword arguments"),
    ("clip(finished, 0)", "takes 3 arguments"),
    ("finished(1)", "takes no arguments"),
    ("finished(x=1)", "has no argument 'x'"),
    ("x = 1\n    x(2)", "is a value, not a term"),
    ("min", "is a function"),
    ("sqrt(-1 * tool_calls - 1)", "always negative"),
    ("1 / 0", "division by zero"),
])
def test_checker_errors(source, message):
    with pytest.raises(SpecError, match=message):
        checked(f"reward r:\n    {source}\n")


def test_tag_extractors_are_accepted():
    spec = checked('reward r:\n    answer_correct(judge="exact", extractor="tag:answer")\n')
    assert dict(spec.terms[0].args)["extractor"] == "tag:answer"


def test_param_names_cannot_hide_terms():
    with pytest.raises(SpecError, match="would hide the term"):
        checked("param step = 1\nreward r:\n    step\n")
