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


# -- nesting limits: a positioned error, whatever the depth ----------------------------------------

@pytest.mark.parametrize("source, line, column", [
    # 3,000 nested `if`: the first expression past 100 levels is the 100th if's condition.
    ("if finished then " * 3000 + "1" + " else 0" * 3000, 2, 5 + 17 * 99 + 3),
    # 5,000 nested `min(`: the 101st call.
    ("min(" * 5000 + "finished" + ", 1)" * 5000, 2, 5 + 4 * 100),
    ("-" * 5000 + "finished", 2, 5 + 100),
    ("not " * 3000 + "finished", 2, 5 + 4 * 100),
    # Nested across lines inside parentheses: the error names the line.
    ("(" + "".join("if finished then\n    " for _ in range(3000)) + "1" + " else 0" * 3000 + ")", 101, 8),
])
def test_deep_nesting_is_a_positioned_error(source, line, column):
    with pytest.raises(SpecError) as info:
        parse(f"reward r:\n    {source}\n", "deep.mdsl")
    err = info.value
    assert err.message == "expression nested more than 100 levels deep"
    assert (err.line, err.column) == (line, column)
    assert "recursion" not in err.render()


def test_parentheses_do_not_count_as_nesting():
    assert expr("(" * 5000 + "finished" + ")" * 5000) == n.Name("finished")


def test_a_flat_chain_of_100_operators_is_within_the_limit():
    assert isinstance(expr(" + ".join(["finished"] * 100)), n.Binary)
    with pytest.raises(SpecError, match="nested more than 100 levels"):
        expr(" + ".join(["finished"] * 101))


# -- long input -------------------------------------------------------------------------------------

def test_a_megabyte_string_literal():
    value = "ab\\\"c" * 200_000 + "\\\\d+\\n"
    got = expr(f'"{value}"')
    assert got == n.String('ab"c' * 200_000 + "\\d+\n")


@pytest.mark.parametrize("written, value", [
    (r'"a\"b"', 'a"b'), (r"'a\'b'", "a'b"), (r'"\\boxed"', "\\boxed"), (r'"\d+\.\d"', r"\d+\.\d"),
    (r'"x\ny\tz"', "x\ny\tz"), (r'"\\\\"', "\\\\"), (r'"\\"', "\\"), (r'"\q"', r"\q"),
])
def test_string_escapes(written, value):
    assert expr(written) == n.String(value)


# -- lines: the lexer's count, the messages' count and the carets agree -----------------------------

# Characters `str.splitlines()` takes as line breaks but the lexer does not.
NOT_NEWLINES = ["\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@st.composite
def spec_with_an_error(draw):
    """A spec whose line `target` holds an unknown name, with strange characters in
    comments and strings before it, and '\\n' or '\\r\\n' line endings."""
    lines = ["reward r:"]
    count = draw(st.integers(0, 6))
    for i in range(count):
        junk = "".join(draw(st.lists(st.sampled_from(NOT_NEWLINES + ["x", " "]), max_size=4)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            lines.append(f"    # {junk}")
        elif kind == 1:
            lines.append(f'    b{i} = format(regex="{junk}")')
        else:
            lines.append(f"    b{i} = finished  # {junk}")
    target = len(lines) + 1
    pad = draw(st.sampled_from(["", "\x0c", "\x0c "]))  # a form feed is blank space to the lexer
    lines.append(f"    {pad}zzz_unknown + finished")
    endings = [draw(st.sampled_from(["\n", "\r\n"])) for _ in lines]
    text = "".join(line + end for line, end in zip(lines, endings))
    return text, target, len(pad)


@settings(max_examples=300, deadline=None)
@given(spec_with_an_error())
def test_carets_land_under_the_right_line(case):
    from mentor_dsl import compile

    text, target, pad = case
    with pytest.raises(SpecError) as info:
        compile(text, name="t.mdsl")
    err = info.value
    assert (err.line, err.column) == (target, 5 + pad)
    shown, caret = err.render().splitlines()[1:3]
    column = caret.index("^")
    assert shown[column:].startswith("zzz_unknown")
    assert caret[column:] == "^" + "~" * (len("zzz_unknown") - 1)


@pytest.mark.parametrize("text", [
    "a\nb\r\nc", "a\x0cb\nc", "a\rb\nc\n", "a\x85b\u2028\nc\u2029", "", "\n", "a\n\nb\n",
])
def test_source_lines_split_where_the_lexer_does(text):
    from mentor_dsl.errors import Source

    source = Source(text)
    expected = [line.removesuffix("\r") for line in (text[:-1] if text.endswith("\n") else text).split("\n")]
    assert source.line_count() == len(expected)
    assert [source.line(i) for i in range(1, len(expected) + 1)] == expected
    assert source.line(0) is None and source.line(len(expected) + 1) is None


def test_an_unexpected_control_character_is_shown_in_place():
    with pytest.raises(SpecError) as info:
        parse("reward r:\n    finished \x85+ 1\n", "t.mdsl")
    assert info.value.render() == (
        "t.mdsl:2:14: error: unexpected character '\\x85'\n"
        "        finished \ufffd+ 1\n"
        "                 ^"
    )
