"""The operator table: each entry's constant fold, kernel and range rule agree, for every
operator, and the checker, the compiler and the runtime all read it."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mentor_dsl import SpecError, compile, ops, parse
from mentor_dsl.intervals import Interval
from mentor_dsl.ops import OPERATORS, Syntax

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
# Small integers and exact zeros reach the comparisons' ties, the divisor's zero and the
# conditions' falsy operand.
VALUES = st.one_of(FINITE, st.integers(-3, 3).map(float))


def operand_count(op, draw):
    return op.arity if op.arity is not None else draw(st.integers(2, 4))


def kernel(op, values):
    tensors = [torch.tensor(v, dtype=torch.float64) for v in values]
    return float(op.kernel(*tensors))


def close(a: float, b: float) -> bool:
    """Equal, or within two units in the last place (sin, cos and log on tensors may
    round differently from `math`)."""
    return a == b or abs(a - b) <= 2 * math.ulp(max(abs(a), abs(b)))


def refused(op, values) -> bool:
    """The checker refuses these constants (a zero divisor, sqrt of a negative)."""
    d = op.domain
    return d is not None and not d.allows(values[d.operand])


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.name)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_constant_folding_agrees_with_the_kernel(op, data):
    values = [data.draw(VALUES) for _ in range(operand_count(op, data.draw))]
    assume(not refused(op, values))
    try:
        folded = op.fold(*values)
    except (OverflowError, ValueError, ZeroDivisionError):
        # The checker reports "cannot compute this constant"; the kernel must not make a
        # finite number of it either.
        assert not math.isfinite(kernel(op, values))
        return
    got = kernel(op, values)
    if not math.isfinite(folded):
        assert not math.isfinite(got)  # refused by the checker as "not a finite number"
        return
    assert close(folded, got), (op.name, values, folded, got)


@st.composite
def intervals_with_points(draw):
    """An interval (ends may be infinite) and a finite point inside it."""
    a, b, c = sorted(draw(VALUES) for _ in range(3))
    lo = -math.inf if draw(st.integers(0, 4)) == 0 else a
    hi = math.inf if draw(st.integers(0, 4)) == 0 else c
    if draw(st.integers(0, 2)) == 0:  # a point interval
        lo = hi = b
    return Interval(lo, hi), b


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.name)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_value_lies_in_the_inferred_range(op, data):
    pairs = [data.draw(intervals_with_points()) for _ in range(operand_count(op, data.draw))]
    ranges = [r for r, _ in pairs]
    points = [x for _, x in pairs]
    d = op.domain
    # The checker stops at an operand that is never in the domain.
    assume(d is None or d.never is None or not d.never(ranges[d.operand]))
    r = op.range(*ranges)
    value = kernel(op, points)
    if math.isfinite(value):  # a non-finite value is a runtime error, not a value
        assert r.lo <= value <= r.hi, (op.name, ranges, points, value, r)


def test_every_operator_has_one_entry_and_every_spelling_parses():
    names = [op.name for op in OPERATORS]
    assert len(names) == len(set(names))
    for op in OPERATORS:
        if op.syntax is Syntax.INFIX:
            text = f"finished {op.spelling} step"
        elif op.syntax is Syntax.PREFIX:
            text = f"{op.spelling} finished"
        elif op.syntax is Syntax.CONDITIONAL:
            text = "if finished then step else 1"
        else:
            text = f"{op.spelling}({', '.join(['finished'] * (op.arity or 2))})"
        plan = compile(f"reward r:\n    {text}\n")
        assert op.name in [i.op for i in plan.reward().instrs], text


def test_the_runtime_runs_each_operator_from_the_table(monkeypatch):
    """Swap one kernel: the runtime follows the table."""
    from mentor_dsl.trajectory import Trajectory

    plan = compile("reward r:\n    abs(step - 3)\n")
    batch = [Trajectory.from_record({"id": "a", "completion": "x"}, index=0)]
    assert plan.bind()(batch, step=1).rewards.tolist() == [2.0]
    changed = ops.Operator(**{**ops.BY_NAME["abs"].__dict__, "kernel": lambda a: a * 0 + 7})
    monkeypatch.setitem(ops.BY_NAME, "abs", changed)
    assert plan.bind()(batch, step=1).rewards.tolist() == [7.0]


# -- log: a function added as one entry ---------------------------------------------------------

def test_log_folds_infers_a_range_and_runs():
    from mentor_dsl.trajectory import Trajectory

    plan = compile("reward r:\n    log(1 + step) + log(2.0)\n")
    r = plan.reward().range
    assert r.lo <= math.log(2.0) and r.hi == math.inf
    batch = [Trajectory.from_record({"id": "a", "completion": "x"}, index=0)]
    value = plan.bind()(batch, step=4).rewards.item()
    assert value == pytest.approx(math.log(5) + math.log(2))
    folded = [i for i in plan.reward().instrs if i.op == "const"]
    assert any(i.value == math.log(2.0) for i in folded)  # log(2.0) was folded


@pytest.mark.parametrize("body, message", [
    ("log(0)", "log of the non-positive number 0"),
    ("log(1 - 3)", "log of the non-positive number -2"),
    ("log(-tool_calls)", "log of a value that is never positive (range [-inf, 0])"),
    ("log(finished, 2)", "log() takes 1 argument, got 2"),
])
def test_log_domain_errors(body, message):
    with pytest.raises(SpecError) as info:
        compile(f"reward r:\n    {body}\n", name="t.mdsl")
    assert info.value.message == message
    assert info.value.line == 2


def test_log_of_a_value_that_can_be_zero_warns():
    plan = compile("reward r:\n    log(tool_calls)\n", name="t.mdsl")
    assert plan.warnings == ("t.mdsl:2:5: log of a value that can be zero or negative ([0, inf])",)


def test_log_is_a_reserved_function_name():
    with pytest.raises(SpecError, match="would hide the function log"):
        compile("reward r:\n    log = finished\n    log\n")
    with pytest.raises(SpecError, match="'log' is a function"):
        compile("reward r:\n    log\n")


def test_operators_parse_to_their_table_entries():
    spec = parse("reward r:\n    -finished + step * 2\n")
    assert ops.INFIX["+"].name == "add" and ops.PREFIX["-"].name == "neg" and ops.INFIX["-"].name == "sub"
    assert spec.rewards[0].body[0].value.op == "+"


def test_the_sqrt_range_holds_the_kernel_value_a_unit_below_math():
    """Hypothesis found it: torch's sqrt(2463) is one unit in the last place below math's."""
    r = ops.FUNCTIONS["sqrt"].range(Interval.point(2463.0))
    value = float(torch.tensor(2463.0, dtype=torch.float64).sqrt())
    assert r.lo <= value <= r.hi and r.lo >= 0
