"""Syntax tree -> checked IR.

The checker resolves every name (bindings, parameters, terms), binds term arguments and
validates their types against the registry, folds constants, refuses operands outside an
operator's domain (a constant zero divisor), infers each reward's value range by interval
arithmetic, and works out how each term enters the reward (its weights). What each
operator means comes from the table in ops.py. It needs the registry (for terms, judges,
extractors, toolsets) but no torch.

Bindings make a reward a graph, not a tree: the range and weight analyses visit each node
of it once (`ir.postorder`), so checking is linear in the size of the spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import nodes as n
from . import ops, regexes
from .errors import Span, SpecError, UnknownName, did_you_mean, shown
from .intervals import Interval
from .ir import (
    IR,
    BindingIR,
    CheckedReward,
    CheckedSpec,
    Const,
    GuardIR,
    Op,
    ParamRange,
    ResultIR,
    TermUse,
    TermValue,
    postorder,
)
from .ops import Operator
from .terms.base import REFERENCES, Term, TermParam

#: Spec-wide settings: `option NAME = value`.
OPTIONS = {
    "call_format": "format",
    "eos": "string",
    "tools": "tools",
}

#: A term that enters a reward linearly along paths with more distinct factors than this
#: is listed as `linear` rather than with its factors: the list would be unreadable, and
#: the analysis stays linear in the size of the spec.
MAX_WEIGHTS = 8


class _Checker:
    def __init__(self, spec: n.Spec, registry, overrides: Mapping[str, Any] | None):
        self.spec = spec
        self.registry = registry
        self.terms: Mapping[str, Term] = registry.terms
        self.overrides = dict(overrides or {})
        self.params: dict[str, Any] = {}
        self.param_spans: dict[str, Span | None] = {}
        self.ranges: dict[str, ParamRange] = {}
        self.options: dict[str, Any] = {}
        self.uses: dict[tuple, dict] = {}
        self.warnings: list[str] = []
        self._range_of: dict[int, Interval] = {}
        self._range_seen: set[int] = set()

    # -- declarations ----------------------------------------------------------------------

    def run(self) -> CheckedSpec:
        _validate(self.spec)
        for param in self.spec.params:
            self._param(param)
        self._apply_overrides()
        for option in self.spec.options:
            self._option(option)
        rewards = []
        seen: dict[str, int | str] = {}
        for decl in self.spec.rewards:
            if decl.name in seen:
                raise SpecError(f"reward {decl.name!r} is already declared on line {seen[decl.name]}", decl.span)
            seen[decl.name] = decl.span.line if decl.span else "?"
            rewards.append(self._reward(decl))
        terms = self._term_uses()
        labels = {t.use: t.key for t in terms}
        rewards = [
            CheckedReward(r.name, r.statements, r.bindings, r.range, _weights(r.statements, labels), r.span, r.body)
            for r in rewards
        ]
        return CheckedSpec(
            tuple(self.params.items()),
            tuple(self.options.items()),
            terms,
            tuple(rewards),
            tuple(self.warnings),
            tuple(self.ranges.values()),
        )

    def _reserved(self, name: str, span, what: str) -> None:
        if name in self.terms:
            raise SpecError(f"{what} {name!r} would hide the term of that name; pick another name", span)
        if name in ops.FUNCTIONS:
            raise SpecError(f"{what} {name!r} would hide the function {name}(); pick another name", span)
        if name in REFERENCES:
            raise SpecError(f"{name!r} names the reference trajectory; pick another name", span)

    def _param(self, decl: n.ParamDecl) -> None:
        if decl.name in self.params:
            declared = self.param_spans[decl.name]
            line = declared.line if declared else "?"
            raise SpecError(f"parameter {decl.name!r} is already declared on line {line}", decl.span)
        self._reserved(decl.name, decl.span, "parameter")
        value = self._const(decl.value, f"the default of parameter {decl.name!r}")
        if decl.bounds is not None:
            bounds = self._bounds(decl.name, decl.bounds)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SpecError(
                    f"parameter {decl.name!r} has a range, so its default must be a number, not {_type_name(value)}",
                    decl.value.span,
                )
            if not bounds.low <= value <= bounds.high:
                raise SpecError(
                    f"the default of parameter {decl.name!r}, {value:g}, is outside its range {_show_range(bounds)}",
                    decl.value.span,
                )
            self.ranges[decl.name] = bounds
        self.params[decl.name] = value
        self.param_spans[decl.name] = decl.span

    def _bounds(self, name: str, bounds: n.Bounds) -> ParamRange:
        """The checked `[low, high]` of parameter `name`: constant numbers, low below high."""
        ends = []
        for which, expr in (("low", bounds.low), ("high", bounds.high)):
            what = f"the {which} end of the range of parameter {name!r}"
            value = self._const(expr, what)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise SpecError(f"{what} must be a number, not {_type_name(value)}", expr.span)
            ends.append(float(value))
        low, high = ends
        if not low < high:
            raise SpecError(
                f"the range of parameter {name!r} is empty: its low end {low:g} is not below its high end {high:g}",
                bounds.span,
            )
        return ParamRange(name, low, high)

    def _apply_overrides(self) -> None:
        for name, raw in self.overrides.items():
            if name not in self.params:
                known = ", ".join(sorted(self.params)) or "none"
                raise SpecError(
                    f"cannot set unknown parameter {name!r}{did_you_mean(name, self.params)} (parameters: {known})",
                    filename=self.spec.source.name,
                )
            value = _coerce(name, raw, self.params[name], self.spec.source.name)
            bounds = self.ranges.get(name)
            if bounds is not None and not bounds.low <= value <= bounds.high:
                declared = self.param_spans[name]
                line = declared.line if declared else "?"
                raise SpecError(
                    f"parameter {name!r} = {value:g} is outside its range {_show_range(bounds)} "
                    f"(declared on line {line})",
                    filename=self.spec.source.name,
                )
            self.params[name] = value

    def _option(self, decl: n.OptionDecl) -> None:
        kind = OPTIONS.get(decl.name)
        if kind is None:
            raise SpecError(
                f"unknown option {decl.name!r}{did_you_mean(decl.name, OPTIONS)}"
                f" (options: {', '.join(sorted(OPTIONS))})",
                decl.span,
            )
        if decl.name in self.options:
            raise SpecError(f"option {decl.name!r} is set twice", decl.span)
        value = self._const(decl.value, f"option {decl.name!r}")
        if not isinstance(value, str):
            raise SpecError(f"option {decl.name!r} takes a string", decl.value.span)
        if kind == "format" and self.registry.get("formats", value) is None:
            names = self.registry.names("formats")
            raise UnknownName(
                "call format",
                value,
                f"unknown call format {shown(value)}{did_you_mean(value, names)} (formats: {', '.join(names)})",
                decl.value.span,
            )
        if kind == "tools" and self.registry.toolset(value) is None:
            sets = self.registry.toolsets()
            raise UnknownName(
                "toolset",
                value,
                f"unknown toolset {shown(value)}{did_you_mean(value, sets)} (toolsets: {', '.join(sets)})",
                decl.value.span,
            )
        self.options[decl.name] = value

    # -- rewards ---------------------------------------------------------------------------

    def _reward(self, decl: n.RewardDecl) -> CheckedReward:
        env: dict[str, IR] = {}
        lines: dict[str, int] = {}
        used: set[str] = set()
        statements: list = []
        steps: list = []
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
                steps.append(BindingIR(stmt.name, env[stmt.name], stmt.span))
            elif isinstance(stmt, n.Guard):
                statements.append(
                    GuardIR(self._num(stmt.cond, env, used), self._num(stmt.otherwise, env, used), stmt.span)
                )
                steps.append(statements[-1])
            else:
                if i != len(body) - 1:
                    raise SpecError(
                        "only the last statement can be a bare expression: it is the reward's value", stmt.span
                    )
                statements.append(ResultIR(self._num(stmt.value, env, used), stmt.span))
                steps.append(statements[-1])
        if not body or not isinstance(body[-1], n.Result):
            raise SpecError(f"reward {decl.name!r} has no value: end it with an expression", decl.span)
        for name in env:
            if name not in used:
                self.warnings.append(f"{self.spec.source.name}:{lines[name]}: binding {name!r} is never used")
        values = [st.otherwise if isinstance(st, GuardIR) else st.value for st in statements]
        self._ranges(values)
        # The body ends with a result (checked above), so `values` is never empty.
        result_range = self._range_of[id(values[0])]
        for value in values[1:]:
            result_range = result_range.hull(self._range_of[id(value)])
        return CheckedReward(
            decl.name, tuple(statements), tuple(env.items()), result_range, (), decl.span, tuple(steps)
        )

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
                return operand  # unary plus is only syntax
            return self._op(ops.PREFIX[node.op], (operand,), (node.operand,), node)
        if isinstance(node, n.Binary):
            left = self._num(node.left, env, used)
            right = self._num(node.right, env, used)
            return self._op(ops.INFIX[node.op], (left, right), (node.left, node.right), node)
        if isinstance(node, n.IfExpr):
            operands = (node.cond, node.then, node.otherwise)
            return self._op(ops.CONDITIONAL, tuple(self._num(e, env, used) for e in operands), operands, node)
        raise SpecError(f"unsupported expression {type(node).__name__}", getattr(node, "span", None))

    def _op(self, op: Operator, args: tuple, operands: tuple, node: n.Expr) -> IR:
        """`op` applied to checked `args` (from the syntax `operands` of `node`), folded
        where the operands are constants."""
        domain = op.domain
        if domain is not None:
            arg = args[domain.operand]
            if isinstance(arg, Const) and not domain.allows(arg.value):
                span = operands[domain.operand].span if domain.at_operand else node.span
                raise SpecError(domain.constant_error.format(value=arg.value), span)
        if op.chooses is not None and isinstance(args[0], Const):
            return args[op.chooses(args[0].value)]
        if all(isinstance(a, Const) for a in args):
            try:
                value = op.fold(*(a.value for a in args))
            except (OverflowError, ValueError, ZeroDivisionError) as exc:
                raise SpecError(f"cannot compute this constant: {exc}", node.span) from None
            if not math.isfinite(value):
                raise SpecError("this constant expression is not a finite number", node.span)
            return Const(value, node.span)
        return Op(op, args, node.span)

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
        if name in ops.FUNCTIONS:
            raise SpecError(f"{name!r} is a function; call it, e.g. {name}(x)", node.span)
        if name in REFERENCES:
            raise SpecError(
                f"{name!r} is the reference trajectory, not a number; pass it to a term, e.g. tool_match({name})",
                node.span,
            )
        visible = [*env, *self.params, *(t for t, v in self.terms.items() if v.bare_usable)]
        raise UnknownName("name", name, f"unknown name {name!r}{did_you_mean(name, visible)}", node.span)

    def _call(self, node: n.Call, env: dict, used: set) -> IR:
        op = ops.FUNCTIONS.get(node.func)
        if op is not None:
            if node.keywords:
                raise SpecError(f"{node.func}() takes no keyword arguments", node.keywords[0].span)
            count = len(node.args)
            if op.arity is None and count < 2:
                raise SpecError(f"{node.func}() needs at least 2 arguments, got {count}", node.span)
            if op.arity is not None and count != op.arity:
                plural = "s" if op.arity != 1 else ""
                raise SpecError(f"{node.func}() takes {op.arity} argument{plural}, got {count}", node.span)
            args = tuple(self._num(a, env, used) for a in node.args)
            return self._op(op, args, node.args, node)
        term = self.terms.get(node.func)
        if term is None:
            callables = [*self.terms, *ops.FUNCTIONS]
            hint = did_you_mean(node.func, callables)
            if node.func in env or node.func in self.params:
                raise SpecError(f"{node.func!r} is a value, not a term or function", node.span)
            raise UnknownName("term", node.func, f"unknown term {node.func!r}{hint}", node.span)
        if len(node.args) > len(term.params):
            extra = node.args[len(term.params)]
            if not term.params:
                raise SpecError(f"{term.name} takes no arguments; write it without parentheses", extra.span)
            raise SpecError(
                f"{term.name}() takes at most {len(term.params)} positional argument"
                f"{'s' if len(term.params) != 1 else ''}",
                extra.span,
            )
        given: dict[str, tuple[n.Expr, Span | None]] = {}
        for param, arg in zip(term.params, node.args):
            given[param.name] = (arg, arg.span)
        for kw in node.keywords:
            if term.param(kw.name) is None:
                names = [p.name for p in term.params]
                listed = ", ".join(names) if names else "none"
                raise SpecError(
                    f"{term.name}() has no argument {kw.name!r}{did_you_mean(kw.name, names)} (arguments: {listed})",
                    kw.span,
                )
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

    def _ranges(self, roots: list[IR]) -> None:
        """The range of every node under `roots` (each computed once), with the domain
        checks that need ranges: an error where an operand is never in its operator's
        domain, a warning where it may leave it."""
        ranges = self._range_of
        for node in postorder(roots, self._range_seen):
            if isinstance(node, Const):
                r = Interval.point(node.value)
            elif isinstance(node, TermValue):
                r = self._term_range(node)
            else:
                args = [ranges[id(a)] for a in node.args]
                domain = node.op.domain
                if domain is not None:
                    operand = args[domain.operand]
                    if domain.never is not None and domain.never(operand):
                        raise SpecError(domain.never_error.format(range=operand), node.span)
                    if domain.maybe(operand):
                        self.warnings.append(f"{self._where(node.span)}: {domain.maybe_warning.format(range=operand)}")
                r = node.op.range(*args)
            ranges[id(node)] = r

    def _term_range(self, value: TermValue) -> Interval:
        entry = self.uses[value.use]
        try:
            lo, hi = entry["term"].value_range(dict(entry["args"]))
        except Exception as exc:  # a plugin's range function
            raise SpecError(f"term {entry['term'].name!r}: cannot compute its range: {exc}", value.span) from None
        return Interval(lo, hi)

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


def _show_range(bounds: ParamRange) -> str:
    return f"[{bounds.low:g}, {bounds.high:g}]"


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
        raise SpecError(
            f"{where} must be one of {', '.join(repr(c) for c in param.choices)}, not {shown(value)}"
            f"{did_you_mean(value, param.choices)}",
            span,
        )
    if kind == "regex":
        try:
            regexes.check(value)
        except regexes.CostlyRegex as exc:
            raise SpecError(f"{where} is refused: {exc}", span) from None
        except regexes.InvalidRegex as exc:
            raise SpecError(f"{where} is not a valid regular expression: {exc}", span) from None
    if kind == "judge" and registry.get("judges", value) is None:
        names = registry.names("judges")
        raise UnknownName(
            "judge",
            value,
            f"unknown judge {shown(value)}{did_you_mean(value, names)} (judges: {', '.join(names)})",
            span,
        )
    if kind == "extractor":
        from .answers import resolve

        if resolve(value, lambda x: registry.get("extractors", x)) is None:
            names = registry.names("extractors") + ["tag:NAME"]
            raise UnknownName(
                "extractor",
                value,
                f"unknown extractor {shown(value)}{did_you_mean(value, names)} (extractors: {', '.join(names)})",
                span,
            )
    if kind == "tools" and registry.toolset(value) is None:
        sets = registry.toolsets()
        raise UnknownName(
            "toolset",
            value,
            f"unknown toolset {shown(value)}{did_you_mean(value, sets)} (toolsets: {', '.join(sets)})",
            span,
        )
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value:g}"
    if isinstance(value, str):
        return f"the string {shown(value)}"
    return type(value).__name__


def _coerce(name: str, raw: Any, default: Any, filename: str) -> Any:
    """An override from `--set` (text) or keyword arguments (Python values), converted to
    the default's type. Both go through here, so they get the same checks."""

    def fail(expected: str):
        return SpecError(f"parameter {name!r} takes {expected}; got {shown(raw)}", filename=filename)

    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise fail("true or false")
    if isinstance(default, (int, float)):
        if isinstance(raw, bool):
            raise fail("a number")
        try:
            # float() of an int too large for a float raises OverflowError; of a string
            # too large, it returns inf. Both are "not finite".
            value = float(raw) if isinstance(raw, (int, float)) else float(str(raw))
        except OverflowError:
            raise fail("a finite number") from None
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
    """How each term enters the reward: the constant factors along the paths by which it
    enters linearly, otherwise 'gate', 'condition' or 'nonlinear' (see `ops.Role`).

    Each node is visited once, after every node that uses it (reverse `postorder`), with
    the set of weights that reach it; a set of more than `MAX_WEIGHTS` factors becomes
    `linear`. So the work is linear in the size of the graph, where following each path
    separately would double with every binding that uses the previous one twice."""
    roots: list[tuple[IR, ops.Weight]] = []
    for st in statements:
        if isinstance(st, GuardIR):
            roots += [(st.cond, ops.GATE), (st.otherwise, 1.0)]
        else:
            roots.append((st.value, 1.0))
    order = list(postorder(r for r, _ in roots))
    reaching: dict[int, set] = {}
    for root, weight in roots:
        reaching.setdefault(id(root), set()).add(weight)
    out: dict[str, set] = {}
    for node in reversed(order):
        weights = reaching.pop(id(node), set())
        factors = [w for w in weights if not isinstance(w, str)]
        if len(factors) > MAX_WEIGHTS:
            weights = {w for w in weights if isinstance(w, str)} | {ops.LINEAR}
        if isinstance(node, TermValue):
            out.setdefault(labels[node.use], set()).update(weights)
            continue
        if not isinstance(node, Op):
            continue
        constants = tuple(a.value if isinstance(a, Const) else None for a in node.args)
        for weight in weights:
            passed: tuple[ops.Weight | None, ...]
            if isinstance(weight, str) and weight != ops.LINEAR:
                passed = (weight,) * len(node.args)  # a role word holds for everything below
            else:
                passed = node.op.operand_weights(weight, constants)
            for arg, w in zip(node.args, passed):
                if w is not None and not isinstance(arg, Const):
                    reaching.setdefault(id(arg), set()).add(w)
    result = []
    for key in _first_reached(roots, labels):
        found = out[key]
        numbers = sorted((x for x in found if not isinstance(x, str)), key=lambda x: -abs(x))
        words = sorted(x for x in found if isinstance(x, str))
        result.append((key, tuple([f"{x:.4g}" for x in numbers] + words)))
    return tuple(result)


def _first_reached(roots, labels: Mapping[tuple, str]) -> list[str]:
    """Term labels in the order a walk of the statements, operands left to right, first
    reaches them (the order `mentor compile` lists weights in)."""
    seen: dict[str, None] = {}
    visited: set[int] = set()
    for root, _ in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in visited:
                continue
            visited.add(id(node))
            if isinstance(node, TermValue):
                seen.setdefault(labels[node.use], None)
            elif isinstance(node, Op):
                stack.extend(reversed(node.args))
    return list(seen)


def _validate(spec: n.Spec) -> None:
    """What the parser guarantees of the specs it makes, checked again for specs built in
    Python: a reward, finite numbers, known operators, bounded nesting."""
    if not spec.rewards:
        raise SpecError("no reward declared: add a 'reward NAME:' block", spec.span)
    for expr in n.expressions(spec):
        deep = n.too_deep(expr)
        if deep is not None:
            raise SpecError(f"expression nested more than {n.MAX_DEPTH} levels deep", deep.span)
        for node in n.walk(expr):
            if isinstance(node, n.Number):
                if (
                    isinstance(node.value, bool)
                    or not isinstance(node.value, (int, float))
                    or not math.isfinite(node.value)
                ):
                    raise SpecError(f"number {shown(node.value)} is not a finite number", node.span)
            elif isinstance(node, n.Binary):
                if node.op not in ops.INFIX:
                    raise SpecError(f"unknown operator {shown(node.op)}", node.span)
            elif isinstance(node, n.Unary):
                if node.op not in ops.PREFIX and node.op != "+":
                    raise SpecError(f"unknown prefix operator {shown(node.op)}", node.span)


def check(spec: n.Spec, registry, overrides: Mapping[str, Any] | None = None) -> CheckedSpec:
    """Check a parsed spec against a registry. Raises `SpecError` with a position."""
    if not isinstance(spec, n.Spec):
        raise SpecError(f"expected a Spec, got {type(spec).__name__}")
    try:
        return _Checker(spec, registry, overrides).run()
    except SpecError as exc:
        if isinstance(exc, UnknownName):
            # The missing name may belong to a plugin that failed to load.
            failed = sorted(p.name for p in getattr(registry, "plugins", ()) if p.error)
            if failed:
                exc.notes.append(
                    f"plugin{'s' if len(failed) > 1 else ''} {', '.join(map(repr, failed))} "
                    "failed to load; see `mentor plugins`"
                )
        raise exc.with_source(spec.source) from None
