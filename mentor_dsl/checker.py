"""Syntax tree -> checked IR.

The checker resolves every name (bindings, parameters, terms), binds term arguments and
validates their types against the registry, folds constants, refuses division by a
constant zero, and infers each reward's value range by interval arithmetic. It needs the
registry (for terms, judges, extractors, toolsets) but no torch.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from . import intervals as iv
from . import nodes as n
from .errors import SpecError, Span, did_you_mean
from .intervals import Interval
from .ir import IR, CheckedReward, CheckedSpec, Const, GuardIR, Op, ResultIR, TermUse, TermValue
from .terms.base import REFERENCES, Term, TermParam

#: Functions of numbers, with their argument counts (None: two or more).
FUNCTIONS = {"min": None, "max": None, "clip": 3, "abs": 1, "sin": 1, "cos": 1, "sqrt": 1}

#: Spec-wide settings: `option NAME = value`.
OPTIONS = {
    "call_format": "format",
    "eos": "string",
    "tools": "tools",
}

_ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
_LOGIC = {"and": "and", "or": "or"}


def _truth(x: float) -> bool:
    return x != 0


def fold(op: str, values: list[float]) -> float:
    """Evaluate `op` on constants exactly as the runtime does on tensors (float64)."""
    a = values[0]
    b = values[1] if len(values) > 1 else None
    if op == "neg":
        return -a
    if op == "not":
        return float(not _truth(a))
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b
    if op in ("lt", "le", "gt", "ge", "eq", "ne"):
        return float({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b, "ne": a != b}[op])
    if op == "and":
        return float(_truth(a) and _truth(b))
    if op == "or":
        return float(_truth(a) or _truth(b))
    if op == "where":
        return values[1] if _truth(a) else values[2]
    if op == "min":
        return min(values)
    if op == "max":
        return max(values)
    if op == "clip":
        return min(max(a, b), values[2])
    if op == "abs":
        return abs(a)
    if op == "sin":
        return math.sin(a)
    if op == "cos":
        return math.cos(a)
    if op == "sqrt":
        return math.sqrt(a)
    raise AssertionError(op)


class _Checker:
    def __init__(self, spec: n.Spec, registry, overrides: Mapping[str, Any] | None):
        self.spec = spec
        self.registry = registry
        self.terms: Mapping[str, Term] = registry.terms
        self.overrides = dict(overrides or {})
        self.params: dict[str, Any] = {}
        self.param_spans: dict[str, Span | None] = {}
        self.options: dict[str, Any] = {}
        self.uses: dict[tuple, dict] = {}
        self.warnings: list[str] = []
        self._ranges: dict[int, Interval] = {}

    # -- declarations ----------------------------------------------------------------------

    def run(self) -> CheckedSpec:
        for decl in self.spec.params:
            self._param(decl)
        self._apply_overrides()
        for decl in self.spec.options:
            self._option(decl)
        rewards, seen = [], {}
        for decl in self.spec.rewards:
            if decl.name in seen:
                raise SpecError(f"reward {decl.name!r} is already declared on line {seen[decl.name]}", decl.span)
            seen[decl.name] = decl.span.line if decl.span else "?"
            rewards.append(self._reward(decl))
        terms = self._term_uses()
        labels = {t.use: t.key for t in terms}
        rewards = [CheckedReward(r.name, r.statements, r.bindings, r.range, _weights(r.statements, labels), r.span)
                   for r in rewards]
        return CheckedSpec(tuple(self.params.items()), tuple(self.options.items()), terms, tuple(rewards),
                           tuple(self.warnings))

    def _reserved(self, name: str, span, what: str) -> None:
        if name in self.terms:
            raise SpecError(f"{what} {name!r} would hide the term of that name; pick another name", span)
        if name in FUNCTIONS:
            raise SpecError(f"{what} {name!r} would hide the function {name}(); pick another name", span)
        if name in REFERENCES:
            raise SpecError(f"{name!r} names the reference trajectory; pick another name", span)

    def _param(self, decl: n.ParamDecl) -> None:
        if decl.name in self.params:
            line = self.param_spans[decl.name].line if self.param_spans[decl.name] else "?"
            raise SpecError(f"parameter {decl.name!r} is already declared on line {line}", decl.span)
        self._reserved(decl.name, decl.span, "parameter")
        self.params[decl.name] = self._const(decl.value, f"the default of parameter {decl.name!r}")
        self.param_spans[decl.name] = decl.span

    def _apply_overrides(self) -> None:
        for name, raw in self.overrides.items():
            if name not in self.params:
                known = ", ".join(sorted(self.params)) or "none"
                raise SpecError(f"cannot set unknown parameter {name!r}{did_you_mean(name, self.params)} "
                                f"(parameters: {known})", filename=self.spec.source.name)
            self.params[name] = _coerce(name, raw, self.params[name], self.spec.source.name)

    def _option(self, decl: n.OptionDecl) -> None:
        kind = OPTIONS.get(decl.name)
        if kind is None:
            raise SpecError(f"unknown option {decl.name!r}{did_you_mean(decl.name, OPTIONS)}"
                            f" (options: {', '.join(sorted(OPTIONS))})", decl.span)
        if decl.name in self.options:
            raise SpecError(f"option {decl.name!r} is set twice", decl.span)
        value = self._const(decl.value, f"option {decl.name!r}")
        if not isinstance(value, str):
            raise SpecError(f"option {decl.name!r} takes a string", decl.value.span)
        if kind == "format" and self.registry.get("formats", value) is None:
            names = self.registry.names("formats")
            raise SpecError(f"unknown call format {value!r}{did_you_mean(value, names)} "
                            f"(formats: {', '.join(names)})", decl.value.span)
        if kind == "tools" and self.registry.toolset(value) is None:
            sets = self.registry.toolsets()
            raise SpecError(f"unknown toolset {value!r}{did_you_mean(value, sets)} (toolsets: {', '.join(sets)})",
                            decl.value.span)
        self.options[decl.name] = value

    # -- rewards ---------------------------------------------------------------------------

    def _reward(self, decl: n.RewardDecl) -> CheckedReward:
        env: dict[str, IR] = {}
        lines: dict[str, int] = {}
        used: set[str] = set()
        statements: list = []
        body = decl.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, n.Binding):
                self._reserved(stmt.name, stmt.span, "binding")
                if stmt.name in self.params:
                    raise SpecError(f"binding {stmt.name!r} would hide the parameter of that name", stmt.span)
                if stmt.name in env:
                    raise SpecError(f"{stmt.name!r} is already bound on line {lines[stmt.name]}", stmt.span)
                env[stmt.name] = self._num(stmt.value, env, used)
                lines[stmt.name] = stmt.span.line if stmt.span else 0
            elif isinstance(stmt, n.Guard):
                statements.append(GuardIR(self._num(stmt.cond, env, used), self._num(stmt.otherwise, env, used),
                                          stmt.span))
            else:
                if i != len(body) - 1:
                    raise SpecError("only the last statement can be a bare expression: it is the reward's value",
                                    stmt.span)
                statements.append(ResultIR(self._num(stmt.value, env, used), stmt.span))
        if not body or not isinstance(body[-1], n.Result):
            raise SpecError(f"reward {decl.name!r} has no value: end it with an expression", decl.span)
        for name in env:
            if name not in used:
                self.warnings.append(f"{self.spec.source.name}:{lines[name]}: binding {name!r} is never used")
        result_range = None
        for st in statements:
            r = self._range(st.otherwise if isinstance(st, GuardIR) else st.value)
            result_range = r if result_range is None else result_range.hull(r)
        return CheckedReward(decl.name, tuple(statements), tuple(env.items()), result_range, (), decl.span)

    # -- expressions -------------------------------------------------------------------------

    def _num(self, node: n.Expr, env: dict, used: set) -> IR:
        if isinstance(node, n.Number):
            return Const(node.value, node.span)
        if isinstance(node, n.Bool):
            return Const(1.0 if node.value else 0.0, node.span)
        if isinstance(node, n.String):
            raise SpecError("a string cannot be used as a number here", node.span)
        if isinstance(node, n.Name):
            return self._name(node, env, used)
        if isinstance(node, n.Call):
            return self._call(node, env, used)
        if isinstance(node, n.Unary):
            operand = self._num(node.operand, env, used)
            if node.op == "+":
                return operand
            return self._op("neg" if node.op == "-" else "not", (operand,), node.span)
        if isinstance(node, n.Binary):
            op = _ARITH.get(node.op) or _COMPARE.get(node.op) or _LOGIC[node.op]
            left = self._num(node.left, env, used)
            right = self._num(node.right, env, used)
            if op == "div" and isinstance(right, Const) and right.value == 0:
                raise SpecError("division by zero", node.right.span)
            return self._op(op, (left, right), node.span)
        if isinstance(node, n.IfExpr):
            cond = self._num(node.cond, env, used)
            then = self._num(node.then, env, used)
            otherwise = self._num(node.otherwise, env, used)
            if isinstance(cond, Const):
                return then if _truth(cond.value) else otherwise
            return Op("where", (cond, then, otherwise), node.span)
        raise SpecError(f"unsupported expression {type(node).__name__}", getattr(node, "span", None))

    def _op(self, op: str, args: tuple, span) -> IR:
        if all(isinstance(a, Const) for a in args):
            values = [a.value for a in args]
            if op == "sqrt" and values[0] < 0:
                raise SpecError(f"sqrt of the negative number {values[0]:g}", span)
            try:
                value = fold(op, values)
            except (OverflowError, ValueError, ZeroDivisionError) as exc:
                raise SpecError(f"cannot compute this constant: {exc}", span) from None
            if not math.isfinite(value):
                raise SpecError("this constant expression is not a finite number", span)
            return Const(value, span)
        return Op(op, args, span)

    def _name(self, node: n.Name, env: dict, used: set) -> IR:
        name = node.id
        if name in env:
            used.add(name)
            return env[name]
        if name in self.params:
            value = self.params[name]
            if isinstance(value, str):
                raise SpecError(f"parameter {name!r} holds a string; it cannot be used as a number", node.span)
            return Const(float(value), node.span)
        term = self.terms.get(name)
        if term is not None:
            if not term.bare_usable:
                needed = ", ".join(f"{p.name}=..." for p in term.params if p.required)
                raise SpecError(f"term {name!r} needs arguments: {name}({needed})", node.span)
            return self._use(term, node, {}, node.span)
        if name in FUNCTIONS:
            raise SpecError(f"{name!r} is a function; call it, e.g. {name}(x)", node.span)
        if name in REFERENCES:
            raise SpecError(f"{name!r} is the reference trajectory, not a number; pass it to a term, "
                            f"e.g. tool_match({name})", node.span)
        visible = [*env, *self.params, *(t for t, v in self.terms.items() if v.bare_usable)]
        raise SpecError(f"unknown name {name!r}{did_you_mean(name, visible)}", node.span)

    def _call(self, node: n.Call, env: dict, used: set) -> IR:
        if node.func in FUNCTIONS:
            if node.keywords:
                raise SpecError(f"{node.func}() takes no keyword arguments", node.keywords[0].span)
            arity = FUNCTIONS[node.func]
            count = len(node.args)
            if arity is None and count < 2:
                raise SpecError(f"{node.func}() needs at least 2 arguments, got {count}", node.span)
            if arity is not None and count != arity:
                plural = "s" if arity != 1 else ""
                raise SpecError(f"{node.func}() takes {arity} argument{plural}, got {count}", node.span)
            args = tuple(self._num(a, env, used) for a in node.args)
            return self._op(node.func, args, node.span)
        term = self.terms.get(node.func)
        if term is None:
            callables = [*self.terms, *FUNCTIONS]
            hint = did_you_mean(node.func, callables)
            if node.func in env or node.func in self.params:
                raise SpecError(f"{node.func!r} is a value, not a term or function", node.span)
            raise SpecError(f"unknown term {node.func!r}{hint}", node.span)
        if len(node.args) > len(term.params):
            extra = node.args[len(term.params)]
            if not term.params:
                raise SpecError(f"{term.name} takes no arguments; write it without parentheses", extra.span)
            raise SpecError(f"{term.name}() takes at most {len(term.params)} positional argument"
                            f"{'s' if len(term.params) != 1 else ''}", extra.span)
        given: dict[str, tuple[n.Expr, Span | None]] = {}
        for param, arg in zip(term.params, node.args):
            given[param.name] = (arg, arg.span)
        for kw in node.keywords:
            if term.param(kw.name) is None:
                names = [p.name for p in term.params]
                listed = ", ".join(names) if names else "none"
                raise SpecError(f"{term.name}() has no argument {kw.name!r}{did_you_mean(kw.name, names)} "
                                f"(arguments: {listed})", kw.span)
            if kw.name in given:
                raise SpecError(f"argument {kw.name!r} is given twice", kw.span)
            given[kw.name] = (kw.value, kw.span)
        return self._use(term, node, given, node.span)

    def _use(self, term: Term, node, given: dict, span) -> TermValue:
        args = []
        for param in term.params:
            if param.name in given:
                expr, arg_span = given[param.name]
                args.append((param.name, self._arg(term, param, expr)))
            elif param.required:
                raise SpecError(f"{term.name}() needs the argument {param.name!r}", span)
            else:
                args.append((param.name, param.default))
        use = (term.name, tuple(args))
        entry = self.uses.setdefault(use, {"term": term, "args": tuple(args), "spans": []})
        entry["spans"].append(span)
        return TermValue(use, span)

    def _arg(self, term: Term, param: TermParam, expr: n.Expr) -> Any:
        where = f"{term.name}() argument {param.name!r}"
        if param.type == "ref":
            if not isinstance(expr, n.Name) or expr.id not in REFERENCES:
                got = expr.id if isinstance(expr, n.Name) else None
                hint = did_you_mean(got, REFERENCES) if got else ""
                raise SpecError(f"{where} must be a reference ({', '.join(REFERENCES)}){hint}", expr.span)
            return expr.id
        value = self._const(expr, where)
        return _check_arg(self.registry, where, param, value, expr.span)

    def _const(self, node: n.Expr, what: str) -> Any:
        """The value of a compile-time constant: a literal, a parameter, or arithmetic on them."""
        if isinstance(node, n.String):
            return node.value
        if isinstance(node, n.Bool):
            return node.value
        if isinstance(node, n.Name):
            if node.id in self.params:
                return self.params[node.id]
            raise SpecError(f"{what} must be a constant (a literal or a parameter), not {node.id!r}", node.span)
        ir = self._num(node, {}, set())
        if not isinstance(ir, Const):
            raise SpecError(f"{what} must be a constant (a literal or a parameter)", node.span)
        return ir.value

    # -- terms and ranges -------------------------------------------------------------------

    def _term_uses(self) -> tuple[TermUse, ...]:
        """Name each distinct use: the bare term name, qualified by its non-default
        arguments only where one term is used with several argument sets."""
        by_term: dict[str, list] = {}
        for key, entry in self.uses.items():
            by_term.setdefault(key[0], []).append(entry)
        uses = []
        for name, entries in by_term.items():
            for entry in entries:
                term: Term = entry["term"]
                if len(entries) == 1:
                    label = name
                else:
                    defaults = {p.name: p.default for p in term.params}
                    shown = ", ".join(f"{k}={_show(v)}" for k, v in entry["args"] if v != defaults[k])
                    if len(shown) > 32 or not shown.isprintable():
                        # Long arguments (regexes) make unreadable names: number the uses.
                        label = f"{name}#{entries.index(entry) + 1}"
                    else:
                        label = f"{name}({shown})" if shown else name
                fields = term.fields
                try:
                    lo, hi = term.value_range(dict(entry["args"]))
                except Exception as exc:  # a plugin's range function
                    raise SpecError(f"term {name!r}: cannot compute its range: {exc}", entry["spans"][0]) from None
                uses.append(TermUse(label, name, entry["args"], Interval(lo, hi), fields, tuple(entry["spans"])))
        return tuple(uses)

    def _range(self, ir: IR) -> Interval:
        cached = self._ranges.get(id(ir))
        if cached is not None:
            return cached
        if isinstance(ir, Const):
            r = Interval.point(ir.value)
        elif isinstance(ir, TermValue):
            r = self._term_range(ir)
        else:
            r = self._op_range(ir)
        self._ranges[id(ir)] = r
        return r

    def _term_range(self, value: TermValue) -> Interval:
        entry = self.uses[value.use]
        try:
            lo, hi = entry["term"].value_range(dict(entry["args"]))
        except Exception as exc:  # a plugin's range function
            raise SpecError(f"term {entry['term'].name!r}: cannot compute its range: {exc}", value.span) from None
        return Interval(lo, hi)

    def _op_range(self, ir: Op) -> Interval:
        args = [self._range(a) for a in ir.args]
        op = ir.op
        if op == "neg":
            return iv.neg(args[0])
        if op == "add":
            return iv.add(*args)
        if op == "sub":
            return iv.sub(*args)
        if op == "mul":
            return iv.mul(*args)
        if op == "div":
            if args[1].contains(0.0):
                self.warnings.append(f"{self._where(ir.span)}: the divisor can be zero; its range is {args[1]}")
            return iv.div(*args)
        if op in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"):
            return iv.UNIT
        if op == "where":
            cond = iv.truth(args[0])
            if cond.lo == cond.hi:
                return args[1] if cond.lo else args[2]
            return args[1].hull(args[2])
        if op == "min":
            return iv.minimum(*args)
        if op == "max":
            return iv.maximum(*args)
        if op == "clip":
            return iv.minimum(iv.maximum(args[0], args[1]), args[2])
        if op == "abs":
            return iv.absolute(args[0])
        if op in ("sin", "cos"):
            return iv.periodic(args[0], getattr(math, op))
        if op == "sqrt":
            if args[0].hi < 0:
                raise SpecError(f"sqrt of a value that is always negative (range {args[0]})", ir.span)
            if args[0].lo < 0:
                self.warnings.append(f"{self._where(ir.span)}: sqrt of a value that can be negative ({args[0]})")
            return iv.sqrt(args[0])
        raise AssertionError(op)

    def _where(self, span: Span | None) -> str:
        name = self.spec.source.name
        return f"{name}:{span.line}:{span.column}" if span else name


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_arg(registry, where: str, param: TermParam, value: Any, span) -> Any:
    kind = param.type
    if kind in ("number", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where} must be a number, not {_type_name(value)}", span)
        if kind == "int":
            if not float(value).is_integer():
                raise SpecError(f"{where} must be a whole number, not {value:g}", span)
            return int(value)
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise SpecError(f"{where} must be true or false, not {_type_name(value)}", span)
        return value
    if not isinstance(value, str):
        raise SpecError(f"{where} must be a string, not {_type_name(value)}", span)
    if kind == "string" and param.choices is not None and value not in param.choices:
        raise SpecError(f"{where} must be one of {', '.join(repr(c) for c in param.choices)}, not {value!r}"
                        f"{did_you_mean(value, param.choices)}", span)
    if kind == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise SpecError(f"{where} is not a valid regular expression: {exc}", span) from None
    if kind == "judge" and registry.get("judges", value) is None:
        names = registry.names("judges")
        raise SpecError(f"unknown judge {value!r}{did_you_mean(value, names)} (judges: {', '.join(names)})", span)
    if kind == "extractor":
        from .answers import resolve

        if resolve(value, lambda x: registry.get("extractors", x)) is None:
            names = registry.names("extractors") + ["tag:NAME"]
            raise SpecError(f"unknown extractor {value!r}{did_you_mean(value, names)} "
                            f"(extractors: {', '.join(names)})", span)
    if kind == "tools" and registry.toolset(value) is None:
        sets = registry.toolsets()
        raise SpecError(f"unknown toolset {value!r}{did_you_mean(value, sets)} (toolsets: {', '.join(sets)})", span)
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return type(value).__name__


def _coerce(name: str, raw: Any, default: Any, filename: str) -> Any:
    """An override from `--set` or keyword arguments, converted to the default's type."""
    def fail(expected: str):
        return SpecError(f"parameter {name!r} takes {expected}; got {raw!r}", filename=filename)

    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise fail("true or false")
    if isinstance(default, (int, float)):
        if isinstance(raw, bool):
            raise fail("a number")
        if isinstance(raw, (int, float)):
            value = float(raw)
        else:
            try:
                value = float(str(raw))
            except ValueError:
                raise fail("a number") from None
        if not math.isfinite(value):
            raise fail("a finite number")
        return value
    if isinstance(raw, str):
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            return raw[1:-1]
        return raw
    raise fail("a string")


def _weights(statements, labels: Mapping[tuple, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """How each term enters the reward: its constant factors where it enters linearly,
    otherwise 'gate', 'condition' or 'nonlinear'."""
    out: dict[str, set] = {}

    def add(key: str, label) -> None:
        out.setdefault(key, set()).add(label)

    def walk(ir: IR, factor: float | None, role: str) -> None:
        if isinstance(ir, Const):
            return
        if isinstance(ir, TermValue):
            add(labels[ir.use], factor if factor is not None else role)
            return
        op, args = ir.op, ir.args
        if factor is None:
            for a in args:
                walk(a, None, role)
            return
        if op == "add":
            walk(args[0], factor, role)
            walk(args[1], factor, role)
        elif op == "sub":
            walk(args[0], factor, role)
            walk(args[1], -factor, role)
        elif op == "neg":
            walk(args[0], -factor, role)
        elif op == "mul" and isinstance(args[0], Const):
            walk(args[1], factor * args[0].value, role)
        elif op == "mul" and isinstance(args[1], Const):
            walk(args[0], factor * args[1].value, role)
        elif op == "div" and isinstance(args[1], Const):
            walk(args[0], factor / args[1].value, role)
        elif op == "where":
            walk(args[0], None, "condition")
            walk(args[1], factor, role)
            walk(args[2], factor, role)
        elif op in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"):
            for a in args:
                walk(a, None, "condition")
        else:
            for a in args:
                walk(a, None, "nonlinear")

    for st in statements:
        if isinstance(st, GuardIR):
            walk(st.cond, None, "gate")
            walk(st.otherwise, 1.0, "gate")
        else:
            walk(st.value, 1.0, "nonlinear")
    result = []
    for key, labels in out.items():
        numbers = sorted((x for x in labels if not isinstance(x, str)), key=lambda x: -abs(x))
        words = sorted(x for x in labels if isinstance(x, str))
        result.append((key, tuple([f"{x:.4g}" for x in numbers] + words)))
    return tuple(result)


def check(spec: n.Spec, registry, overrides: Mapping[str, Any] | None = None) -> CheckedSpec:
    """Check a parsed spec against a registry. Raises `SpecError` with a position."""
    try:
        return _Checker(spec, registry, overrides).run()
    except SpecError as exc:
        if exc.message.startswith("unknown "):
            # The missing name may belong to a plugin that failed to load.
            failed = sorted(p.name for p in getattr(registry, "plugins", ()) if p.error)
            if failed:
                exc.notes.append(f"plugin{'s' if len(failed) > 1 else ''} {', '.join(map(repr, failed))} "
                                 "failed to load; see `mentor plugins`")
        raise exc.with_source(spec.source) from None
    except RecursionError:
        raise SpecError("spec is nested too deeply", Span(1, 1), spec.source) from None
