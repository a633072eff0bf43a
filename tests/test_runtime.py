"""The runtime: batched evaluation, guards that retire rows, lazy terms, errors."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl import EvaluationError, compile
from mentor_dsl.plugins import hookimpl
from mentor_dsl.terms import Term, TermParam
from mentor_dsl.trajectory import Trajectory


class Probe:
    """A plugin with terms that record which trajectories they were asked about."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def register_terms(self, register):
        def value(trajs, ctx, column):
            self.calls.append([t.id for t in trajs])
            return [float(t.record.get(column, 0.0)) for t in trajs]

        register(Term("probe", value, (TermParam("column", "string", "v"),), (-10, 10), ("completion",)))
        register(Term("bad_probe", lambda trajs, ctx: [math.nan] * len(trajs), (), (0, 1)))
        register(Term("raising_probe", lambda trajs, ctx: 1 / 0, (), (0, 1)))


@pytest.fixture
def probe(plugin):
    return plugin(Probe())


def trajs(*rows):
    return [Trajectory.from_record({"id": f"r{i}", "completion": "x", **row}, index=i) for i, row in enumerate(rows)]


def run(text, batch, **kw):
    return compile(text).bind()(batch, **kw)


def test_guards_retire_rows_and_later_terms_skip_them(probe):
    text = """reward r:
    require probe(column="g") > 0 else -1
    probe(column="v") * 2
"""
    batch = trajs({"g": 1, "v": 3}, {"g": 0, "v": 5}, {"g": 2, "v": -1})
    ev = run(text, batch)
    assert ev.rewards.tolist() == [6.0, -1.0, -2.0]
    assert probe.calls == [["r0", "r1", "r2"], ["r0", "r2"]]
    values = ev.values["probe"]  # the default argument set keeps the bare name
    assert values[0].item() == 3.0 and math.isnan(values[1].item())


def test_a_term_used_many_times_is_computed_once(probe):
    text = "reward r:\n    x = probe\n    probe + x * probe + max(probe, x)\n"
    ev = run(text, trajs({"v": 2}, {"v": 3}))
    assert ev.rewards.tolist() == [2 + 4 + 2, 3 + 9 + 3]
    assert probe.calls == [["r0", "r1"]]


def test_if_is_elementwise_and_bindings_are_reported(probe):
    text = "reward r:\n    big = probe > 1\n    if big then probe else -probe\n"
    ev = run(text, trajs({"v": 2}, {"v": 0.5}, {"v": -3}))
    assert ev.rewards.tolist() == [2.0, -0.5, 3.0]
    assert ev.values["big"].tolist() == [1.0, 0.0, 0.0]


def test_logic_and_comparisons(probe):
    text = "reward r:\n    (probe > 0 and not probe >= 2) + 10 * (probe == 3 or probe < -1) + 100 * (probe != 0)\n"
    ev = run(text, trajs({"v": 1}, {"v": 3}, {"v": -2}, {"v": 0}))
    assert ev.rewards.tolist() == [101.0, 110.0, 110.0, 0.0]


def test_functions(probe):
    text = "reward r:\n    clip(probe, -1, 1) + abs(probe) + sqrt(abs(probe)) + min(probe, 0, 1) + max(probe, 2)\n"
    ev = run(text, trajs({"v": 4}, {"v": -9}))
    assert ev.rewards.tolist() == [1 + 4 + 2 + 0 + 4, -1 + 9 + 3 - 9 + 2]


def test_step_comes_from_the_caller():
    ev = run("reward r:\n    clip(step / 100, 0, 1)\n", trajs({}, {}), step=50)
    assert ev.rewards.tolist() == [0.5, 0.5]


def test_non_finite_term_values_name_the_term(probe):
    with pytest.raises(EvaluationError, match="term 'bad_probe' returned nan for record 'r0'"):
        run("reward r:\n    bad_probe\n", trajs({}))


def test_a_raising_term_is_named(probe):
    with pytest.raises(EvaluationError, match="term 'raising_probe' failed: ZeroDivisionError"):
        run("reward r:\n    raising_probe\n", trajs({}))


def test_division_by_zero_at_run_time_names_the_place(probe):
    with pytest.raises(EvaluationError, match=r"reward 'r' is inf for record 'r1' from a division at t.mdsl:2:5"):
        compile("reward r:\n    1 / probe\n", name="t.mdsl").bind()(trajs({"v": 1}, {"v": 0}))


def test_non_finite_values_in_an_unchosen_branch_are_fine(probe):
    ev = run("reward r:\n    if probe == 0 then 0 else 1 / probe\n", trajs({"v": 0}, {"v": 4}))
    assert ev.rewards.tolist() == [0.0, 0.25]


def test_empty_batch():
    ev = run("reward r:\n    finished\n", [])
    assert ev.rewards.shape == (0,)


def test_dtype_and_device():
    bound = compile("reward r:\n    finished * 0.1\n").bind("cpu", torch.float32)
    ev = bound(trajs({}))
    assert ev.rewards.dtype == torch.float32 and ev.rewards.device.type == "cpu"


# -- interval soundness: every value the runtime produces lies in the inferred range -----------

LEAVES = ["probe", 'probe(column="w")', "0.5", "2", "-1", "step"]


@st.composite
def expressions(draw, depth=0):
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(LEAVES))
    a, b = draw(expressions(depth + 1)), draw(expressions(depth + 1))
    return draw(st.sampled_from([
        f"({a} + {b})", f"({a} - {b})", f"({a} * {b})", f"-{a}", f"abs({a})", f"min({a}, {b})",
        f"max({a}, {b})", f"clip({a}, -1, 1)", f"sin({a})", f"cos({a})", f"({a} < {b})",
        f"(if {a} then {b} else 0.25)", f"({a} and {b})", f"sqrt(abs({a}))",
    ]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions(), st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), min_size=1, max_size=6),
       st.integers(0, 10_000))
def test_inferred_range_contains_every_value(probe, text, values, step):
    plan = compile(f"reward r:\n    {text}\n")
    r = plan.reward().range
    batch = trajs(*({"v": v, "w": w} for v, w in values))
    ev = plan.bind()(batch, step=step)
    for x in ev.rewards.tolist():
        assert r.lo - 1e-9 <= x <= r.hi + 1e-9, (text, x, r)


def test_reward_objects_share_the_plan_cache():
    a = mentor_dsl.loads("reward r:\n    finished\n")
    b = mentor_dsl.loads("reward r:\n    finished\n")
    assert a.plan is b.plan
