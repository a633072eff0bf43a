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


# -- regexes: every compile failure is a positioned spec error, and their cost is bounded -----------

@pytest.mark.parametrize("pattern, message", [
    ("a{4294967296}", "is not a valid regular expression: the repetition number is too large"),
    ("(" * 2000 + ")" * 2000, "is not a valid regular expression: groups are nested too deeply"),
    ("a{2,1}", "is not a valid regular expression: min repeat greater than max repeat"),
    ("(<think>", "is not a valid regular expression: missing ), unterminated subpattern"),
    ("a{1001}", "is refused: it repeats 1,001 times; the limit is 1,000"),
    ("x" * 10_001, "is refused: it is 10,001 characters long; the limit is 10,000"),
    ("(a+)+$", "is refused: it nests a repeat inside a repeat, as in '(a+)+'"),
    (r"(?:\s*,)*", "is refused: it nests a repeat inside a repeat"),
    ("(a{1,3}){2,}", "is refused: it nests a repeat inside a repeat"),
    ("((a|b)*c)*", "is refused: it nests a repeat inside a repeat"),
])
def test_bad_regexes_are_positioned_spec_errors(pattern, message):
    with pytest.raises(SpecError) as info:
        checked(f'reward r:\n    format(regex="{pattern}")\n')
    err = info.value
    assert message in err.message
    assert err.message.startswith("format() argument 'regex' ")
    assert (err.line, err.column) == (2, 18)


@pytest.mark.parametrize("pattern", [
    "<think>.*?</think>", r"\A<think>.*?</think>\n<tool_call>\n(?:(?!<tool_call>|</tool_call>).)*?\n</tool_call>\s?\Z",
    "(ab?)*", "(a{2})*", "a{1000}", "(?>a+)+b", "(a++)+b", "(?:(?=a+b).)*", "x" * 10_000, "(a|b)+",
])
def test_regexes_within_the_limits_are_accepted(pattern):
    spec = checked(f'reward r:\n    format(regex="{pattern}")\n')
    assert spec.terms[0].term == "format"


# -- parameters from Python get the checks of --set ------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (10 ** 400, "takes a finite number; got an integer of about 401 digits"),
    (10 ** 5000, "takes a finite number; got an integer of about 5001 digits"),
    (float("inf"), "takes a finite number; got inf"),
    (float("nan"), "takes a finite number; got nan"),
    ("1e400", "takes a finite number; got '1e400'"),
    ("9" * 400, "takes a finite number; got '" + "9" * 60),
    (True, "takes a number; got True"),
    ([1], "takes a number; got [1]"),
], ids=["10**400", "10**5000", "inf", "nan", "text-1e400", "400-nines", "bool", "list"])
def test_python_parameters_get_the_checks_of_set(value, expected):
    import mentor_dsl

    with pytest.raises(SpecError) as info:
        mentor_dsl.load("mentor_args", w_answer=value)
    assert f"parameter 'w_answer' {expected}" in info.value.message


def test_set_and_python_parameters_say_the_same():
    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    result = CliRunner().invoke(cli, ["compile", "mentor_args", "--set", "w_answer=1e400"])
    assert result.exit_code == 3
    assert "parameter 'w_answer' takes a finite number; got '1e400'" in result.output
