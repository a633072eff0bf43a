"""The parser: syntax, precedence, positions, and that it needs no torch."""

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_dsl import SpecError, nodes as n, parse
from mentor_dsl.library import library_names, open_spec


def body(text: str):
    return parse(text).rewards[0].body


def expr(source: str):
    (stmt,) = body(f"reward r:\n    {source}\n")
    return stmt.value


@pytest.mark.parametrize("name", library_names())
def test_every_library_spec_parses(name):
    text, shown, _ = open_spec(name)
    spec = parse(text, shown)
    assert spec.rewards and spec.source.name == shown


def test_structure_of_a_spec():
    spec = parse(
        "# a comment\n"
        "param w = 0.5  # trailing comment\n"
        'option call_format = "hermes"\n'
        "\n"
        "reward a:\n"
        "    require finished else 0\n"
        "\n"
        "    # comment inside a block\n"
        "    x = w * answer_present\n"
        "    x + 1\n"
        "reward b:\n"
        "    step\n"
    )
    assert [p.name for p in spec.params] == ["w"]
    assert [o.name for o in spec.options] == ["call_format"]
    assert spec.reward_names == ("a", "b")
    guard, binding, result = spec.rewards[0].body
    assert isinstance(guard, n.Guard) and guard.cond == n.Name("finished")
    assert isinstance(binding, n.Binding) and binding.name == "x"
    assert isinstance(result, n.Result)


@pytest.mark.parametrize("source, expected", [
    ("a + b * c", n.Binary("+", n.Name("a"), n.Binary("*", n.Name("b"), n.Name("c")))),
    ("a - b - c", n.Binary("-", n.Binary("-", n.Name("a"), n.Name("b")), n.Name("c"))),
    ("a / b * c", n.Binary("*", n.Binary("/", n.Name("a"), n.Name("b")), n.Name("c"))),
    ("-a * b", n.Binary("*", n.Unary("-", n.Name("a")), n.Name("b"))),
    ("not a and b", n.Binary("and", n.Unary("not", n.Name("a")), n.Name("b"))),
    ("a or b and c", n.Binary("or", n.Name("a"), n.Binary("and", n.Name("b"), n.Name("c")))),
    ("a + 1 < b", n.Binary("<", n.Binary("+", n.Name("a"), n.Number(1.0)), n.Name("b"))),
    ("not a < b", n.Unary("not", n.Binary("<", n.Name("a"), n.Name("b")))),
    ("if a then b else c + 1", n.IfExpr(n.Name("a"), n.Name("b"), n.Binary("+", n.Name("c"), n.Number(1.0)))),
    ("if a then if b then 1 else 2 else 3",
     n.IfExpr(n.Name("a"), n.IfExpr(n.Name("b"), n.Number(1.0), n.Number(2.0)), n.Number(3.0))),
    ("(a + b) * c", n.Binary("*", n.Binary("+", n.Name("a"), n.Name("b")), n.Name("c"))),
    ("f(x, k=1)", n.Call("f", (n.Name("x"),), (n.Keyword("k", n.Number(1.0)),))),
    ("f()", n.Call("f")),
    ("true == false", n.Binary("==", n.Bool(True), n.Bool(False))),
    (".5e1", n.Number(5.0)),
])
def test_precedence_and_shape(source, expected):
    assert expr(source) == expected


@pytest.mark.parametrize("literal, value", [
    (r'"\d+"', r"\d+"),
    (r'"\\boxed"', "\\boxed"),
    (r'"a\"b"', 'a"b'),
    (r"'it\'s'", "it's"),
    (r'"x\ny"', "x\ny"),
    (r'"tab\t"', "tab\t"),
    ('"é∞"', "é∞"),
])
def test_string_escapes(literal, value):
    assert expr(f"f({literal})").args[0] == n.String(value)


def test_newlines_inside_parentheses_and_continuations():
    e = expr("min(a,\n        b,\n        c) + \\\n    1")
    assert e == n.Binary("+", n.Call("min", (n.Name("a"), n.Name("b"), n.Name("c"))), n.Number(1.0))


def test_positions_point_at_the_source():
    spec = parse("reward r:\n    x = tool_match(teacher, mode=\"f1\")\n    x\n", "f.mdsl")
    binding = spec.rewards[0].body[0]
    assert (binding.span.line, binding.span.column) == (2, 5)
    call = binding.value
    assert (call.span.line, call.span.column) == (2, 9)
    keyword = call.keywords[0]
    assert (keyword.span.line, keyword.span.column) == (2, 29)
    assert (keyword.value.span.line, keyword.value.span.column) == (2, 34)


@pytest.mark.parametrize("word", ["if", "then", "else", "and", "or", "not", "require", "reward", "param",
                                  "option", "true", "false"])
def test_keywords_are_not_names(word):
    with pytest.raises(SpecError):
        parse(f"reward r:\n    {word} = 1\n    1\n")


def test_errors_carry_line_and_column():
    with pytest.raises(SpecError) as info:
        parse("reward r:\n    require finished else\n", "x.mdsl")
    err = info.value
    assert (err.filename, err.line, err.column) == ("x.mdsl", 2, 26)
    assert err.render().splitlines()[0] == "x.mdsl:2:26: error: unexpected end of line; expected an expression"


def test_windows_line_endings_and_tabs():
    spec = parse("reward r:\r\n\trequire finished else 0\r\n\t1\r\n")
    assert len(spec.rewards[0].body) == 2


def test_parse_needs_no_torch():
    code = ("import sys, mentor_dsl\n"
            "mentor_dsl.compile(open('rewards/mentor.mdsl').read())\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))


NAMES = st.sampled_from(["a", "b", "finished", "step", "x1"])


@st.composite
def printed(draw, depth=0):
    """An expression and its fully parenthesised text."""
    if depth > 3 or draw(st.booleans()):
        if draw(st.booleans()):
            value = draw(st.integers(0, 1000))
            return n.Number(float(value)), str(value)
        name = draw(NAMES)
        return n.Name(name), name
    kind = draw(st.sampled_from(["bin", "not", "neg", "if", "call"]))
    a, ta = draw(printed(depth + 1))
    b, tb = draw(printed(depth + 1))
    if kind == "bin":
        op = draw(st.sampled_from(["+", "-", "*", "/", "<", "<=", "==", "!=", "and", "or"]))
        return n.Binary(op, a, b), f"({ta} {op} {tb})"
    if kind == "not":
        return n.Unary("not", a), f"(not {ta})"
    if kind == "neg":
        return n.Unary("-", a), f"(-{ta})"
    if kind == "if":
        c, tc = draw(printed(depth + 1))
        return n.IfExpr(a, b, c), f"(if {ta} then {tb} else {tc})"
    return n.Call("max", (a, b)), f"max({ta}, {tb})"


@settings(max_examples=300, deadline=None)
@given(printed())
def test_printed_expressions_parse_back_to_the_same_tree(pair):
    tree, text = pair
    assert expr(text) == tree
