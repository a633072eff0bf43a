"""The pythonic tool-call format: `[f(a=1), g(b='x')]`."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentor_dsl.calls import Call
from mentor_dsl.formats.pythonic import MAX_INPUT_CHARS, PYTHONIC, parse_call_list, python_literal


def parse(text):
    return PYTHONIC.parse(text)


def simple(calls):
    return [(c.name, c.arguments, c.error) for c in calls]


def test_format_object():
    assert PYTHONIC.name == "pythonic"
    assert "[" in PYTHONIC.instructions() and "keyword" in PYTHONIC.instructions()
    for attr in ("parse", "render", "instructions"):
        assert callable(getattr(PYTHONIC, attr))


def test_call_list():
    calls = parse('[f(a=1, b="x"), g(c=[1,2], d={"k": 2.5})]')
    assert simple(calls) == [("f", {"a": 1, "b": "x"}, None), ("g", {"c": [1, 2], "d": {"k": 2.5}}, None)]
    assert calls[0].raw == 'f(a=1, b="x")' and calls[0].well_formed


def test_bare_call_dotted_names_and_literals():
    assert simple(parse("f(a=1)")) == [("f", {"a": 1}, None)]
    assert simple(parse("math.factorial(n=5)")) == [("math.factorial", {"n": 5}, None)]
    assert simple(parse("[a.b.c(x=-3, y=-2.5e-3, z=+4, t=True, u=False, v=None, w='q')]")) == [
        ("a.b.c", {"x": -3, "y": -0.0025, "z": 4, "t": True, "u": False, "v": None, "w": "q"}, None)]
    assert simple(parse("[get_time()]")) == [("get_time", {}, None)]


def test_nested_structures_and_tuples():
    [c] = parse("[f(a={'x': [1, {'y': (2, 3)}], 'z': {}}, b=[[1, 2], [3, 4]], c=(1,), d=())]")
    assert c.arguments == {"a": {"x": [1, {"y": (2, 3)}], "z": {}}, "b": [[1, 2], [3, 4]], "c": (1,), "d": ()}
    assert isinstance(c.arguments["c"], tuple)  # kept a tuple, as BFCL's decoder does


def test_constant_arithmetic_is_folded():
    [c] = parse("[f(p=1/6, q=2**10, r=-(3), s=7 // 2, t=1e3 * 2)]")
    assert c.arguments == {"p": 1 / 6, "q": 1024, "r": -3, "s": 3, "t": 2000.0}
    [c] = parse("[f(a=9**9**9)]")
    assert c.error and "exponent too large" in c.error
    [c] = parse("[f(a=1/0)]")
    assert c.error and "arithmetic failed" in c.error
    [c] = parse("[f(a='x' * 3)]")
    assert c.error


def test_found_inside_surrounding_text():
    text = "Sure! Let me check.\n```python\n[get_weather(city='Paris', unit='celsius')]\n```\nHope that helps."
    assert simple(parse(text)) == [("get_weather", {"city": "Paris", "unit": "celsius"}, None)]
    text = "I'll call [search(query='it\\'s [a] (test)'), lookup(id=3)] now."
    assert simple(parse(text)) == [("search", {"query": "it's [a] (test)"}, None), ("lookup", {"id": 3}, None)]
    assert simple(parse("<|python_tag|>f(a=1)<|eom_id|>")) == [("f", {"a": 1}, None)]
    assert simple(parse("<TOOLCALL>[f(a=1)]</TOOLCALL>")) == [("f", {"a": 1}, None)]
    assert simple(parse("f(a=1)\ng(b=2)")) == [("f", {"a": 1}, None), ("g", {"b": 2}, None)]
    assert simple(parse('<|python_tag|>f(a=1); g(b="x;y",\n c=[1,\n 2])<|eom_id|>')) == [
        ("f", {"a": 1}, None), ("g", {"b": "x;y", "c": [1, 2]}, None)]
    assert simple(parse("'[f(a=1)]'")) == [("f", {"a": 1}, None)]
    # Parentheses in prose are not calls.
    assert parse("I will (maybe) answer: the total is 42 (approximately).") == []


def test_no_calls():
    for text in ("", "   ", "The answer is 42.", "[]", "[1, 2, 3]", "{'a': 1}", "```\n```", "print"):
        assert parse(text) == [], text


def test_errors_are_calls_with_error_set():
    [c] = parse("[f(x=foo)]")
    assert c.name == "f" and "bare name 'foo'" in c.error and not c.well_formed
    [c] = parse("[f(1, 2)]")
    assert "positional" in c.error
    [c] = parse("[f(a=1, a=2)]")
    assert "given twice" in c.error
    [c] = parse("[f(a=g(b=1))]")
    assert "nested calls" in c.error
    [c] = parse("[f(**kw)]")
    assert "unpacking" in c.error
    [c] = parse('[f(a=f"{x}")]')
    assert "f-strings" in c.error
    [c] = parse("[f(a={1, 2})]")
    assert c.error
    [c] = parse("[f(a=1), g(b=2]")
    assert c.name is None and c.error
    [c] = parse("[f(a=1), 3]")  # a list that is not all calls
    assert c.name is None and c.error


def test_not_a_string():
    assert parse(None) == []  # type: ignore[arg-type]
    assert parse(b"[f(a=1)]") == []  # type: ignore[arg-type]


def test_huge_and_deep_inputs_are_bounded():
    [c] = parse("x" * (MAX_INPUT_CHARS + 1))
    assert c.name is None and "too long" in c.error
    for text in ("[" * 50_000, "(" * 50_000, "[f(a=" + "[" * 5_000 + "]" * 5_000 + ")]",
                 "[f(a=" + "-" * 20_000 + "1)]", "[f(a=" + "+".join(["1"] * 10_000) + ")]",
                 "f(" * 20_000, "hello [f(" * 10_000, '"' * 90_000, "[f(a=" + "1" * 5_000 + ")]",
                 "[f(a=1)]" * 10_000, "a(b=" * 20_000):
        result = parse(text)
        assert all(c.error is None or isinstance(c.error, str) for c in result)
    [c] = parse("[f(a=" + "[" * 30 + "1" + "]" * 30 + ")]")
    assert c.error is None  # moderate nesting is fine


def test_render():
    calls = [Call("f", {"a": 1, "b": "x"}), Call("g", {"c": [1, 2.5], "d": {"k": None}, "e": (1,), "t": True})]
    assert PYTHONIC.render(calls) == "[f(a=1, b='x'), g(c=[1, 2.5], d={'k': None}, e=(1,), t=True)]"
    assert PYTHONIC.render([]) == "[]"
    assert PYTHONIC.render([Call(None, None, "junk", "bad")]) == "[]"
    assert python_literal(float("inf")) == "1e999" and python_literal(-math.inf) == "-1e999"


def test_round_trip():
    calls = [Call("math.factorial", {"n": 5}), Call("g", {"s": "it's \"quoted\"\n", "x": -0.5, "l": [[1], {"a": (2,)}]})]
    back = parse(PYTHONIC.render(calls))
    assert [(c.name, c.arguments) for c in back] == [(c.name, c.arguments) for c in calls]


def test_parse_call_list_keeps_positional_arguments():
    [p] = parse_call_list("calculate_mean([1,3,4,6,8])")
    assert p.name == "calculate_mean" and p.positional == ([1, 3, 4, 6, 8],) and p.keywords == {}
    assert parse_call_list("no calls here") is None
    assert parse_call_list("[]") == []


# ---------------------------------------------------------------------------------------
# Property tests

_keys = st.builds(lambda head, tail: head + tail, st.sampled_from("abcxyz_"),
                  st.text(alphabet="abcxyz_0123456789", max_size=8))
_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64)
            | st.floats(allow_nan=False) | st.text(max_size=20))
_values = st.recursive(
    _scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)
_names = st.lists(_keys, min_size=1, max_size=3).map(".".join)
_calls = st.builds(lambda name, args: Call(name, args), _names, st.dictionaries(_keys, _values, max_size=4))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b) or (a != a and b != b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_calls, min_size=1, max_size=4))
def test_render_parse_round_trip(calls):
    text = PYTHONIC.render(calls)
    back = parse(text)
    assert len(back) == len(calls)
    for original, parsed in zip(calls, back):
        assert parsed.error is None, (text, parsed.error)
        assert parsed.name == original.name
        assert _same(parsed.arguments, original.arguments)


_tokens = st.sampled_from(list("[](){}'\"=,.:;-+*/_ \n\tabcfxyz0123456789`\\<>|#")
                          + ["f(", "a=", "```", "True", "None", "<|python_tag|>", "**", "1e999"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_tokens, max_size=80).map("".join) | st.text(max_size=200))
def test_parse_never_raises(text):
    calls = parse(text)
    assert isinstance(calls, list)
    for c in calls:
        assert isinstance(c, Call)
        assert c.error is None or isinstance(c.error, str)
        if c.error is None:
            assert isinstance(c.name, str) and isinstance(c.arguments, dict)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_calls, min_size=1, max_size=3), st.text(max_size=40), st.text(max_size=40))
def test_calls_survive_surrounding_noise(calls, before, after):
    rendered = PYTHONIC.render(calls)
    calls_back = parse(f"{before}\n```python\n{rendered}\n```\n{after}")
    # Noise can itself look like code, but the fenced list is always found when nothing
    # before it parses as a call list.
    if "[" not in before and "(" not in before and "```" not in before + after and "<" not in before:
        assert [c.name for c in calls_back] == [c.name for c in calls]
