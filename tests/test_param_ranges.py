"""Parameter ranges: `param w = 0.2 in [0, 0.5]` (parse, check, compile, overrides)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl import compile, nodes as n, parse
from mentor_dsl.cli import cli
from mentor_dsl.errors import SpecError, Span

SPEC = """param w = 0.2 in [0, 0.5]
param v = 1
reward r:
    w * finished + v
"""


def test_parse_keeps_the_bounds_and_their_span():
    spec = parse(SPEC)
    w, v = spec.params
    assert w.bounds == n.Bounds(n.Number(0.0), n.Number(0.5))
    assert w.bounds.span == Span(1, 18, 1, 26)
    assert v.bounds is None


def test_a_range_may_span_lines_like_parentheses():
    spec = parse("param w = 0.2 in [0,\n    0.5]\nreward r:\n    w\n")
    assert spec.params[0].bounds.high == n.Number(0.5)


def test_plan_carries_ranges_and_json_lists_them():
    plan = compile(SPEC)
    assert [(r.name, r.low, r.high) for r in plan.param_ranges] == [("w", 0.0, 0.5)]
    assert plan.to_json()["param_ranges"] == {"w": [0.0, 0.5]}


def test_range_ends_may_use_earlier_parameters():
    plan = compile("param lo = 0.1\nparam w = 0.2 in [lo, 2 * lo + 0.5]\nreward r:\n    w\n")
    assert (plan.param_ranges[0].low, plan.param_ranges[0].high) == (0.1, pytest.approx(0.7))


@pytest.mark.parametrize("value", [0.0, 0.25, 0.5])
def test_overrides_inside_the_range_are_taken(value):
    reward = mentor_dsl.loads(SPEC, w=value)
    assert dict(reward.plan.params)["w"] == value


@pytest.mark.parametrize("value", [-0.01, 0.51, "0.9"])
def test_overrides_outside_the_range_are_refused(value):
    with pytest.raises(SpecError) as info:
        mentor_dsl.loads(SPEC, w=value)
    assert "parameter 'w' = " in info.value.message and "is outside its range [0, 0.5] (declared on line 1)" \
        in info.value.message


def test_parameters_without_a_range_take_any_number():
    assert dict(mentor_dsl.loads(SPEC, v=1e6).plan.params)["v"] == 1e6


def test_compile_lists_the_range():
    result = CliRunner().invoke(cli, ["compile", "mentor_args"])
    assert result.exit_code == 0, result.output
    assert ("parameters: w_answer = 0.5 in [0, 1], w_tools = 0.2 in [0, 0.5], w_args = 0.2 in [0, 0.5], "
            "w_exec = 0.1 in [0, 0.3]") in result.output


def test_compiled_plan_file_has_the_ranges(tmp_path):
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(cli, ["compile", "mentor_args", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["param_ranges"]["w_exec"] == [0.0, 0.3]


def test_specs_built_in_python_have_their_bounds_checked():
    bad = n.Spec(params=(n.ParamDecl("w", n.Number(0.2), n.Bounds(n.Number(0.0), n.Number(float("inf")))),),
                 rewards=(n.RewardDecl("r", (n.Result(n.Name("w")),)),))
    with pytest.raises(SpecError, match="not a finite number"):
        compile(bad)
    good = n.Spec(params=(n.ParamDecl("w", n.Number(0.2), n.Bounds(n.Number(0.0), n.Number(1.0))),),
                  rewards=(n.RewardDecl("r", (n.Result(n.Name("w")),)),))
    assert compile(good).param_ranges[0].high == 1.0


def test_in_is_a_keyword():
    with pytest.raises(SpecError):
        parse("reward r:\n    in = finished\n    in\n")


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(finite, finite, finite)
def test_a_default_is_accepted_exactly_when_it_lies_in_a_nonempty_range(a, b, default):
    text = f"param w = {default!r} in [{a!r}, {b!r}]\nreward r:\n    w\n"
    text = text.replace("[-", "[0 - ").replace(", -", ", 0 - ").replace("= -", "= 0 - ")
    if a < b and a <= default <= b:
        plan = compile(text)
        assert (plan.param_ranges[0].low, plan.param_ranges[0].high) == (a, b)
    else:
        with pytest.raises(SpecError, match="range"):
            compile(text)
