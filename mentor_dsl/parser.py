"""Text -> syntax tree. No torch, no registry: `parse` only knows the grammar.

One LALR parser is built on first use and cached. Every failure becomes a `SpecError`
with a line and column; nothing else escapes `parse`.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.indenter import Indenter

from . import nodes as n
from .errors import MentorError, Source, SpecError, Span

#: Deeper expressions are refused: they are never written by hand, and the later stages
#: walk the tree recursively.
MAX_DEPTH = 100


class _SpecIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR"]
    CLOSE_PAREN_types = ["RPAR"]
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
                Span(token.end_line, token.end_column),
            )


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    # The basic lexer, not the contextual one: keywords must never lex as names.
    return Lark(grammar, parser="lalr", lexer="basic", postlex=_SpecIndenter(),
                propagate_positions=True, maybe_placeholders=False)


def _span(meta) -> Span | None:
    return Span.of(meta)


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


def _unquote(text: str) -> str:
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] in _ESCAPES:
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToNodes(Transformer):
    def start(self, meta, items):
        return items

    def param_decl(self, meta, children):
        name, value = children
        return n.ParamDecl(str(name), value, span=Span.of(name))

    def option_decl(self, meta, children):
        name, value = children
        return n.OptionDecl(str(name), value, span=Span.of(name))

    def reward_decl(self, meta, children):
        name, *body = children
        return n.RewardDecl(str(name), tuple(body), span=Span.of(name))

    def binding(self, meta, children):
        name, value = children
        return n.Binding(str(name), value, span=Span.of(name))

    def guard(self, meta, children):
        cond, otherwise = children
        return n.Guard(cond, otherwise, span=_span(meta))

    def result(self, meta, children):
        (value,) = children
        return n.Result(value, span=value.span)

    def if_expr(self, meta, children):
        cond, then, otherwise = children
        return n.IfExpr(cond, then, otherwise, span=_span(meta))

    def binary(self, meta, children):
        left, op, right = children
        return n.Binary(str(op), left, right, span=_span(meta))

    def unary(self, meta, children):
        op, operand = children
        return n.Unary(str(op), operand, span=_span(meta))

    def number(self, meta, children):
        (tok,) = children
        value = float(tok)
        if not math.isfinite(value):
            raise SpecError(f"number {str(tok)!r} is too large", Span.of(tok))
        return n.Number(value, span=Span.of(tok))

    def string(self, meta, children):
        (tok,) = children
        return n.String(_unquote(str(tok)), span=Span.of(tok))

    def true(self, meta, children):
        return n.Bool(True, span=_span(meta))

    def false(self, meta, children):
        return n.Bool(False, span=_span(meta))

    def name(self, meta, children):
        (tok,) = children
        return n.Name(str(tok), span=Span.of(tok))

    def keyword(self, meta, children):
        name, value = children
        return n.Keyword(str(name), value, span=Span.of(name))

    def call(self, meta, children):
        name, *rest = children
        args = [c for c in rest if not isinstance(c, (Token, n.Keyword))]
        keywords = [c for c in rest if isinstance(c, n.Keyword)]
        # Positional arguments after keywords are ambiguous; refuse them like Python does.
        seen_keyword = False
        for c in rest:
            if isinstance(c, n.Keyword):
                seen_keyword = True
            elif not isinstance(c, Token) and seen_keyword:
                raise SpecError("positional argument follows keyword argument", c.span)
        return n.Call(str(name), tuple(args), tuple(keywords), span=_span(meta))

    def group(self, meta, children):
        return children[1]


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
        return Span(tok.end_line, tok.end_column)
    if getattr(tok, "line", None) is None:
        lines = text.splitlines() or [""]
        return Span(len(lines), len(lines[-1]) + 1)
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _unclosed_paren(text: str, end: int | None = None) -> Span | None:
    """Where the first '(' still open at offset `end` (default: the end) was opened,
    ignoring strings and comments."""
    stack, line, col, i, quote = [], 1, 1, 0, None
    end = len(text) if end is None else end
    while i < end:
        ch = text[i]
        if quote:
            if ch == "\\":
                i, col = i + 2, col + 2
                continue
            if ch == quote or ch == "\n":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif ch == "(":
            stack.append(Span(line, col))
        elif ch == ")" and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return stack[0] if stack else None


def _syntax_error(exc: UnexpectedInput, text: str) -> SpecError:
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if 0 <= exc.pos_in_stream < len(text) else exc.char
        what = {'"': "unterminated string", "'": "unterminated string"}.get(ch, f"unexpected character {ch!r}")
        return SpecError(what, Span(exc.line, exc.column))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        span = _token_span(tok, text)
        if tok.type == "CMP_OP" and "CMP_OP" not in exc.expected:
            return SpecError("comparisons cannot be chained; combine them with 'and'", span)
        if tok.type == "_INDENT":
            return SpecError("unexpected indentation (to continue an expression on the next line, "
                             "put it in parentheses)", span)
        if tok.type in ("_DEDENT", "$END") and "RPAR" in exc.expected:
            opened = _unclosed_paren(text)
            if opened is not None:
                return SpecError("'(' was never closed", opened)
        if tok.type == "NOT" and "NAME" in exc.expected:
            return SpecError("'not' binds more loosely than arithmetic; put it in parentheses", span)
        if tok.type == "EQUAL" and "CMP_OP" in exc.expected:
            return SpecError("unexpected '='; use '==' to compare", span)
        message = f"unexpected {_describe_token(tok)}{_expected(exc.expected)}"
        opened = _unclosed_paren(text, tok.start_pos) if getattr(tok, "start_pos", None) is not None else None
        if opened is not None and tok.line is not None and tok.line > opened.line:
            message += f" (the '(' on line {opened.line}, column {opened.column} is still open)"
        return SpecError(message, span)
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    return SpecError("syntax error", Span(line, column))


def _depth_check(spec_items) -> None:
    def depth(expr, level):
        if level > MAX_DEPTH:
            raise SpecError(f"expression nested more than {MAX_DEPTH} levels deep", expr.span)
        for child in _children(expr):
            depth(child, level + 1)

    for item in spec_items:
        exprs = [item.value] if not isinstance(item, n.RewardDecl) else [
            e for stmt in item.body for e in ((stmt.cond, stmt.otherwise) if isinstance(stmt, n.Guard) else (stmt.value,))
        ]
        for e in exprs:
            depth(e, 1)


def _children(expr):
    if isinstance(expr, n.Call):
        return (*expr.args, *(k.value for k in expr.keywords))
    if isinstance(expr, n.Unary):
        return (expr.operand,)
    if isinstance(expr, n.Binary):
        return (expr.left, expr.right)
    if isinstance(expr, n.IfExpr):
        return (expr.cond, expr.then, expr.otherwise)
    return ()


def parse(text: str, name: str = "<string>") -> n.Spec:
    """Parse spec text into a `Spec`. Raises `SpecError` (with position) on any problem."""
    source = Source(text, name)
    try:
        if not isinstance(text, str):
            raise SpecError("spec text must be a string")
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise SpecError("spec contains a NUL byte (is this a binary file?)", Span(line, 1))
        if not text.strip() or all(
            not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
        ):
            raise SpecError("empty spec: declare at least one 'reward NAME:' block", Span(1, 1))
        try:
            tree = _parser().parse(text if text.endswith("\n") else text + "\n")
            items = _ToNodes().transform(tree)
        except VisitError as exc:
            if isinstance(exc.orig_exc, MentorError):
                raise exc.orig_exc from None
            raise SpecError(f"internal error while reading the spec: {exc.orig_exc}") from None
        except UnexpectedInput as exc:
            raise _syntax_error(exc, text) from None
        except RecursionError:
            raise SpecError(f"expression nested more than {MAX_DEPTH} levels deep", Span(1, 1)) from None
        except LarkError as exc:
            raise SpecError(f"syntax error: {exc}", Span(1, 1)) from None
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
