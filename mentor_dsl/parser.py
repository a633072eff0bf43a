"""Text -> syntax tree. No torch, no registry: `parse` only knows the grammar.

One LALR parser is built on first use and cached. It builds the syntax tree's nodes as it
reduces (Lark's inline transformer), with no intermediate parse tree and no recursion,
so no input can exhaust the stack. Every failure becomes a `SpecError` with a line and
column; nothing else escapes `parse`.
"""

from __future__ import annotations

import gc
import math
import re
import threading
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from typing import cast

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.indenter import Indenter

from . import nodes as n
from .errors import Source, Span, SpecError
from .nodes import MAX_DEPTH


class _SpecIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4

    def handle_NL(self, token: Token):
        if self.paren_level > 0:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1]
        indent = indent_str.count(" ") + indent_str.count("\t") * self.tab_len
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
            return
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
        if indent != self.indent_level[-1]:
            raise SpecError(
                "this line's indentation does not match any enclosing block",
                Span(_position(token.end_line), _position(token.end_column)),
            )


_ESCAPE = re.compile(r"""\\(["'\\nt])""")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


def _unquote(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], text[1:-1])


def _position(value: int | None) -> int:
    """A lexed token's line or column. The lexer sets every position of the tokens it makes;
    Lark types them optional because a token built by hand may have none."""
    return cast(int, value)


def _bounds(x) -> Span:
    """Where a token, a node or a parenthesised group lies in the text."""
    if isinstance(x, Token):
        return Span(_position(x.line), _position(x.column), x.end_line, x.end_column)
    if isinstance(x, _Group):
        return x.extent
    return x.span


def _extent(first, last) -> Span:
    a, b = _bounds(first), _bounds(last)
    return Span(a.line, a.column, b.end_line, b.end_column)


class _Group:
    """A parenthesised expression while parsing: the expression keeps its own span, and
    the expressions around it extend to the parentheses."""

    __slots__ = ("node", "extent")

    def __init__(self, node, extent: Span):
        self.node, self.extent = node, extent


def _node(x):
    while isinstance(x, _Group):
        x = x.node
    return x


class _ToNodes(Transformer):
    """Called by the parser as it reduces each rule, children before parents.

    Errors found here (a number too large) are collected, not raised: a syntax error
    anywhere in the file is reported first, as the user must fix it first."""

    def __init__(self):
        super().__init__()
        self.errors: list[SpecError] = []

    def start(self, items):
        return items

    def param_decl(self, children):
        name, value, *limits = children
        bounds = None
        if limits:
            lsqb, low, high, rsqb = limits
            bounds = n.Bounds(_node(low), _node(high), span=_extent(lsqb, rsqb))
        return n.ParamDecl(str(name), _node(value), bounds, span=_bounds(name))

    def option_decl(self, children):
        name, value = children
        return n.OptionDecl(str(name), _node(value), span=_bounds(name))

    def reward_decl(self, children):
        name, *body = children
        return n.RewardDecl(str(name), tuple(body), span=_bounds(name))

    def binding(self, children):
        name, value = children
        return n.Binding(str(name), _node(value), span=_bounds(name))

    def guard(self, children):
        keyword, cond, otherwise = children
        return n.Guard(_node(cond), _node(otherwise), span=_extent(keyword, otherwise))

    def result(self, children):
        value = _node(children[0])
        return n.Result(value, span=value.span)

    def if_expr(self, children):
        keyword, cond, then, otherwise = children
        return n.IfExpr(_node(cond), _node(then), _node(otherwise), span=_extent(keyword, otherwise))

    def binary(self, children):
        left, op, right = children
        return n.Binary(str(op), _node(left), _node(right), span=_extent(left, right))

    def unary(self, children):
        op, operand = children
        return n.Unary(str(op), _node(operand), span=_extent(op, operand))

    def number(self, children):
        (tok,) = children
        value = float(tok)
        if not math.isfinite(value):
            self.errors.append(SpecError(f"number {str(tok)!r} is too large", _bounds(tok)))
            value = 0.0
        return n.Number(value, span=_bounds(tok))

    def string(self, children):
        (tok,) = children
        return n.String(_unquote(str(tok)), span=_bounds(tok))

    def true(self, children):
        return n.Bool(True, span=_bounds(children[0]))

    def false(self, children):
        return n.Bool(False, span=_bounds(children[0]))

    def name(self, children):
        (tok,) = children
        return n.Name(str(tok), span=_bounds(tok))

    def keyword(self, children):
        name, value = children
        return n.Keyword(str(name), _node(value), span=_bounds(name))

    def call(self, children):
        name, *rest = children
        args, keywords = [], []
        for c in rest:
            if isinstance(c, Token):
                continue
            c = _node(c)
            if isinstance(c, n.Keyword):
                keywords.append(c)
            else:
                if keywords:
                    # Positional arguments after keywords are ambiguous; refuse them like Python does.
                    self.errors.append(SpecError("positional argument follows keyword argument", c.span))
                args.append(c)
        return n.Call(str(name), tuple(args), tuple(keywords), span=_extent(name, children[-1]))

    def group(self, children):
        lpar, expr, rpar = children
        return _Group(expr, _extent(lpar, rpar))


@contextmanager
def without_cycle_collection():
    """Pause Python's cyclic garbage collector while building a large structure.

    A spec's nodes, IR and plan hold no reference cycles (reference counting frees them),
    but each of the collector's full passes walks every live object: building 200,000
    bindings triggered a dozen of them, and parsing and checking grew faster than the
    spec. Restores the collector's previous state, so nesting and threads are safe."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: The parser's node builder holds the errors of the parse in progress, and the indenter
#: its indentation stack: one parse at a time.
_BUILDER = _ToNodes()
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    # The basic lexer, not the contextual one: keywords must never lex as names.
    return Lark(
        grammar, parser="lalr", lexer="basic", postlex=_SpecIndenter(), transformer=_BUILDER, maybe_placeholders=False
    )


# -- error messages --------------------------------------------------------------------------

_DESCRIPTIONS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "_NL": "end of line",
    "_INDENT": "an indented block",
    "_DEDENT": "end of block",
    "$END": "end of file",
    "CMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
}
_OPERATORS = {"CMP_OP", "ADD_OP", "MUL_OP", "AND", "OR"}
_EXPRESSION_START = {"NAME", "NUMBER", "STRING", "LPAR", "TRUE", "FALSE", "NOT", "ADD_OP", "IF"}


def _describe_terminal(name: str) -> str:
    if name in _DESCRIPTIONS:
        return _DESCRIPTIONS[name]
    for term in _parser().terminals:
        if term.name == name and term.pattern.type == "str":
            return repr(term.pattern.value)
    return name.lower()


def _describe_token(tok: Token) -> str:
    if tok.type in ("_NL", "_INDENT", "_DEDENT", "$END"):
        return {"_INDENT": "indentation", "_DEDENT": "end of block"}.get(tok.type, _DESCRIPTIONS[tok.type])
    if tok.type == "NAME":
        return f"name {str(tok)!r}"
    if tok.type == "NUMBER":
        return f"number {str(tok)}"
    if tok.type == "STRING":
        return f"string {str(tok)}"
    return repr(str(tok))


def _expected(names) -> str:
    names = set(names)
    parts = []
    if names & {"NAME", "NUMBER"}:
        names -= _EXPRESSION_START
        parts.append("an expression")
    if names & (_OPERATORS - {"ADD_OP"}):
        names -= _OPERATORS
        parts.append("an operator")
    parts += sorted(_describe_terminal(x) for x in names)
    if not parts:
        return ""
    if len(parts) > 6:
        parts = parts[:6] + ["..."]
    return "; expected " + (parts[0] if len(parts) == 1 else "one of " + ", ".join(parts))


def _token_span(tok: Token, text: str) -> Span:
    if tok.type == "_INDENT" and tok.end_line is not None:
        return Span(tok.end_line, _position(tok.end_column))
    if getattr(tok, "line", None) is None:  # the end of the file
        source = Source(text)
        last = source.line_count()
        return Span(last, len(source.line(last) or "") + 1)
    return Span(_position(tok.line), _position(tok.column), tok.end_line, tok.end_column)


#: What `_unclosed_paren` looks at: strings and comments (skipped whole), brackets and
#: newlines. A string ends at its closing quote or, unterminated, before a newline.
_PAREN_SCAN = re.compile(
    r"""
    "[^"\\\n]*(?:\\.[^"\\\n]*)*"?
  | '[^'\\\n]*(?:\\.[^'\\\n]*)*'?
  | \#[^\n]*
  | [()\[\]\n]
""",
    re.VERBOSE,
)
_CLOSES = {")": "(", "]": "["}


def _unclosed_paren(text: str, end: int | None = None) -> tuple[str, Span] | None:
    """The first '(' or '[' still open at offset `end` (default: the end) and where it was
    opened, ignoring strings and comments."""
    stack: list[tuple[str, Span]] = []
    line, line_start = 1, 0
    for m in _PAREN_SCAN.finditer(text, 0, len(text) if end is None else end):
        ch = m.group()
        if ch == "\n":
            line, line_start = line + 1, m.end()
        elif ch in "([":
            stack.append((ch, Span(line, m.start() - line_start + 1)))
        elif ch in _CLOSES and stack and stack[-1][0] == _CLOSES[ch]:
            stack.pop()
    return stack[0] if stack else None


def _syntax_error(exc: UnexpectedInput, text: str) -> SpecError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if pos is not None and 0 <= pos < len(text) else exc.char
        what = {'"': "unterminated string", "'": "unterminated string"}.get(ch, f"unexpected character {ch!r}")
        return SpecError(what, Span(exc.line, exc.column))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        span = _token_span(tok, text)
        if tok.type == "CMP_OP" and "CMP_OP" not in exc.expected:
            return SpecError("comparisons cannot be chained; combine them with 'and'", span)
        if tok.type == "_INDENT":
            return SpecError(
                "unexpected indentation (to continue an expression on the next line, put it in parentheses)", span
            )
        if tok.type in ("_DEDENT", "$END") and {"RPAR", "RSQB"} & set(exc.expected):
            opened = _unclosed_paren(text)
            if opened is not None:
                return SpecError(f"'{opened[0]}' was never closed", opened[1])
        if tok.type == "LSQB" and "_IN" in exc.expected:
            return SpecError("unexpected '['; a parameter's range is written `in [LOW, HIGH]`", span)
        if tok.type == "NOT" and "NAME" in exc.expected:
            return SpecError("'not' binds more loosely than arithmetic; put it in parentheses", span)
        if tok.type == "EQUAL" and "CMP_OP" in exc.expected:
            return SpecError("unexpected '='; use '==' to compare", span)
        message = f"unexpected {_describe_token(tok)}{_expected(exc.expected)}"
        opened = _unclosed_paren(text, tok.start_pos) if getattr(tok, "start_pos", None) is not None else None
        if opened is not None and tok.line is not None and tok.line > opened[1].line:
            bracket, where = opened
            message += f" (the '{bracket}' on line {where.line}, column {where.column} is still open)"
        return SpecError(message, span)
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    return SpecError("syntax error", Span(line, column))


def _depth_check(items) -> None:
    for item in items:
        exprs = (
            [item.value]
            if not isinstance(item, n.RewardDecl)
            else [
                e
                for stmt in item.body
                for e in ((stmt.cond, stmt.otherwise) if isinstance(stmt, n.Guard) else (stmt.value,))
            ]
        )
        if isinstance(item, n.ParamDecl) and item.bounds is not None:
            exprs += [item.bounds.low, item.bounds.high]
        for e in exprs:
            deep = n.too_deep(e)
            if deep is not None:
                raise SpecError(f"expression nested more than {MAX_DEPTH} levels deep", deep.span)


def parse(text: str, name: str = "<string>") -> n.Spec:
    """Parse spec text into a `Spec`. Raises `SpecError` (with position) on any problem."""
    source = Source(text if isinstance(text, str) else "", name)
    try:
        if not isinstance(text, str):
            raise SpecError("spec text must be a string")
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise SpecError("spec contains a NUL byte (is this a binary file?)", Span(line, 1))
        if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.split("\n")):
            raise SpecError("empty spec: declare at least one 'reward NAME:' block", Span(1, 1))
        with _LOCK, without_cycle_collection():
            _BUILDER.errors = []
            try:
                # The node builder's `start` returns the list of declarations, not a tree.
                items = cast(
                    "list[n.ParamDecl | n.OptionDecl | n.RewardDecl]",
                    _parser().parse(text if text.endswith("\n") else text + "\n"),
                )
            except UnexpectedInput as exc:
                raise _syntax_error(exc, text) from None
            except LarkError as exc:
                raise SpecError(f"syntax error: {exc}", Span(1, 1)) from None
            errors, _BUILDER.errors = _BUILDER.errors, []
        if errors:
            raise errors[0]
        _depth_check(items)
        spec = n.Spec(
            params=tuple(i for i in items if isinstance(i, n.ParamDecl)),
            options=tuple(i for i in items if isinstance(i, n.OptionDecl)),
            rewards=tuple(i for i in items if isinstance(i, n.RewardDecl)),
            source=source,
            span=Span(1, 1),
        )
        if not spec.rewards:
            raise SpecError("no reward declared: add a 'reward NAME:' block", Span(1, 1))
        return spec
    except SpecError as exc:
        raise exc.with_source(source) from None
