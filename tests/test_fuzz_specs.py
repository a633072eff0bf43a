"""Property test: no spec text, however broken, makes parse or check raise anything but
SpecError. Specs are generated from the grammar's pieces, then mutated at the character
and token level."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentor_dsl import SpecError
from mentor_dsl.compiler import compile
from mentor_dsl.plugins import registry

TERMS = ["finished", "answer_present", "tool_calls", "step", "no_hallucination", "exec_success",
         "calls_valid", "teacher_tool_calls", "tool_match(teacher)", 'tool_match(teacher, mode="f1")',
         'answer_correct(judge="exact")', 'format(regex="<think>")', "arg_overlap(teacher)",
         'strict_match(teacher, ordered=false)', "unknown_term", "tool_match(mode=3)"]
TOKENS = ["+", "-", "*", "/", "(", ")", ",", "=", "==", "<", ">=", "and", "or", "not", "if", "then",
          "else", "require", "reward", "param", "option", ":", "\n", "    ", "\t", "#", '"', "'",
          "0", "1", "0.5", "1e309", "x", "teacher", "min(", "max(", "clip(", "sqrt(", "\\", "\x00", "é", "∞"]


@st.composite
def expressions(draw, depth=0):
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(TERMS + ["0", "1", "0.3", "w", "x", "true", "-1"]))
    kind = draw(st.integers(0, 5))
    a = draw(expressions(depth + 1))
    b = draw(expressions(depth + 1))
    if kind == 0:
        return f"{a} {draw(st.sampled_from(['+', '-', '*', '/', '<', '==', 'and', 'or']))} {b}"
    if kind == 1:
        return f"if {a} then {b} else {draw(expressions(depth + 1))}"
    if kind == 2:
        return f"{draw(st.sampled_from(['min', 'max']))}({a}, {b})"
    if kind == 3:
        return f"({a})"
    if kind == 4:
        return f"not {a}" if draw(st.booleans()) else f"-{a}"
    return f"clip({a}, 0, 1)"


@st.composite
def specs(draw):
    lines = []
    if draw(st.booleans()):
        default = draw(st.sampled_from(["0.5", "1", "0", '"s"', "true"]))
        lines.append(f"param w = {default}")
    body = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 1))
        if kind == 0:
            body.append(f"    x = {draw(expressions())}")
        else:
            body.append(f"    require {draw(expressions())} else {draw(expressions())}")
    body.append(f"    {draw(expressions())}")
    lines.append(f"reward {draw(st.sampled_from(['r', 'mentor', 'x']))}:")
    lines.extend(body)
    return "\n".join(lines) + "\n"


@st.composite
def mutated(draw):
    text = draw(specs())
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(0, 4))):
        op = rng.randrange(4)
        pos = rng.randrange(len(text) + 1)
        if op == 0 and text:
            text = text[:pos] + text[pos + 1:]
        elif op == 1:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif op == 2:
            end = min(len(text), pos + rng.randrange(1, 12))
            text = text[:pos] + text[end:]
        else:
            text = text[:pos] + rng.choice(TOKENS) + " " + rng.choice(TOKENS) + text[pos:]
    return text


def _compile_or_spec_error(text: str) -> None:
    try:
        compile(text, registry())
    except SpecError as exc:
        assert exc.line is None or exc.line >= 1
        rendered = exc.render()
        assert "error:" in rendered


@settings(max_examples=1_500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_generated_and_mutated_specs_only_raise_spec_error(text):
    _compile_or_spec_error(text)


def _random_expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 3 or rng.random() < 0.4:
        return rng.choice(TERMS + ["0", "1", "0.3", "w", "x", "true", "-1"])
    a, b = _random_expression(rng, depth + 1), _random_expression(rng, depth + 1)
    return rng.choice([
        f"{a} {rng.choice(['+', '-', '*', '/', '<', '==', 'and', 'or'])} {b}",
        f"if {a} then {b} else {_random_expression(rng, depth + 1)}",
        f"{rng.choice(['min', 'max'])}({a}, {b})", f"({a})", f"not {a}", f"-{a}", f"clip({a}, 0, 1)",
    ])


def _random_spec(rng: random.Random) -> str:
    defaults = ["0.5", "1", "0", '"s"', "true"]
    lines = [f"param w = {rng.choice(defaults)}"] if rng.random() < 0.5 else []
    lines.append(f"reward {rng.choice(['r', 'mentor'])}:")
    for _ in range(rng.randrange(4)):
        if rng.random() < 0.5:
            lines.append(f"    x = {_random_expression(rng)}")
        else:
            lines.append(f"    require {_random_expression(rng)} else {_random_expression(rng)}")
    lines.append(f"    {_random_expression(rng)}")
    text = "\n".join(lines) + "\n"
    for _ in range(rng.randrange(5)):
        pos = rng.randrange(len(text) + 1)
        op = rng.randrange(3)
        if op == 0:
            text = text[:pos] + text[pos + 1:]
        elif op == 1:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        else:
            text = text[:pos] + text[min(len(text), pos + rng.randrange(1, 12)):]
    return text


def test_ten_thousand_seeded_specs_only_raise_spec_error():
    rng = random.Random(20251022)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(10_000):
        text = _random_spec(rng)
        try:
            compile(text, registry())
            outcomes["ok"] += 1
        except SpecError as exc:
            assert "error:" in exc.render()
            outcomes["error"] += 1
    # Both valid and broken specs must be exercised for the test to mean anything.
    assert outcomes["ok"] > 500 and outcomes["error"] > 500, outcomes


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_spec_error(text):
    _compile_or_spec_error(text)


def test_deep_nesting_is_a_spec_error():
    for text in ["reward r:\n    " + "(" * 5000 + "1" + ")" * 5000 + "\n",
                 "reward r:\n    " + "-" * 5000 + "1\n",
                 "reward r:\n    " + "not " * 3000 + "1\n",
                 "reward r:\n    " + "if 1 then " * 500 + "1" + " else 0" * 500 + "\n"]:
        _compile_or_spec_error(text)
