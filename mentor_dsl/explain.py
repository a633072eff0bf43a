"""Why one record got its reward: a trace of every statement, term and piece of evidence.

    trace = mentor_dsl.load("mentor").explain(record)
    trace.value                  # the reward, as `score` computes it
    trace.steps                  # each guard, binding and the value, in source order
    trace.terms["tool_match"]    # its value and Evidence (terms/evidence.py)
    trace.to_json()

The record is scored the ordinary way (the batched runtime, on a batch of one); the trace
then walks the checked statements (`Plan.checked`) in source order, computing each
expression from the terms' values with the operators' own constant folding (ops.py), and
asks each computed term for its evidence (`Term.explain`). Two checks keep the trace
honest: its value must equal the runtime's, and each term's evidence must imply the
value the term computed; a difference is reported in `notes`, never hidden.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ir import IR, BindingIR, Const, GuardIR, Op, ResultIR, TermValue, postorder
from .ops import Syntax
from .terms.evidence import Evidence
from .views import kept_spans, response_tags

if TYPE_CHECKING:
    from .reward import Reward


@dataclass
class TermTrace:
    """A term use: its value for the record (None: not computed, the record was retired
    before it) and the term's evidence."""

    key: str
    term: str
    args: dict[str, Any]
    value: float | None
    evidence: Evidence | None = None
    error: str | None = None  # the term's explain function failed

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "args": _plain_args(self.args),
            "value": self.value,
            "evidence": self.evidence.to_json() if self.evidence else None,
            "error": self.error,
        }


@dataclass
class Step:
    """One statement. `outcome`: "passed" or "retired" (a guard), "computed" or "not
    computed" (a binding, the value), "not reached" (after the guard that retired the record)."""

    kind: str  # "guard", "binding", "value"
    source: str  # the statement as written
    line: int | None
    outcome: str
    value: float | None = None  # a guard's condition, a binding's or the reward's value
    otherwise: float | None = None  # a guard's `else` value
    name: str | None = None  # a binding's name
    worked: str | None = None  # the expression with the values in it
    terms: list[str] = field(default_factory=list)  # term uses this statement reads first

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "source": self.source,
            "line": self.line,
            "outcome": self.outcome,
            "value": self.value,
        }
        if self.kind == "guard":
            out["otherwise"] = self.otherwise
        if self.name is not None:
            out["name"] = self.name
        out.update(worked=self.worked, terms=self.terms)
        return out


@dataclass(frozen=True)
class Mark:
    """A marked stretch of the completion: a call, an answer or a tool response."""

    start: int
    end: int
    kind: str  # "call", "answer", "response"
    status: str  # calls: "matched", "valid", "invalid", "call"; answers: "answer"; "response"
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"span": [self.start, self.end], "kind": self.kind, "status": self.status, "label": self.label}


@dataclass
class Trace:
    spec: str
    reward: str
    record_id: str
    value: float
    range: tuple[float, float]
    params: dict[str, Any]
    steps: list[Step]
    terms: dict[str, TermTrace]
    completion: str
    marks: list[Mark]
    gold: Any = None
    teacher: list[str] | None = None
    position: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def retired_by(self) -> Step | None:
        return next((s for s in self.steps if s.outcome == "retired"), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "reward": self.reward,
            "record": {
                "id": self.record_id,
                "position": self.position,
                "gold": _plain(self.gold),
                "teacher": self.teacher,
            },
            "value": self.value,
            "range": [_plain(self.range[0]), _plain(self.range[1])],
            "params": _plain(self.params),
            "steps": [s.to_json() for s in self.steps],
            "terms": {k: t.to_json() for k, t in self.terms.items()},
            "completion": self.completion,
            "marks": [m.to_json() for m in self.marks],
            "notes": self.notes,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _plain_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


# -- numbers and expressions ------------------------------------------------------------------


def number(x: float | None) -> str:
    """A value as the trace shows it: integers plainly, others to 6 significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "?"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


_PRECEDENCE = {
    "where": 0,
    "or": 1,
    "and": 2,
    "not": 3,
    "lt": 4,
    "le": 4,
    "gt": 4,
    "ge": 4,
    "eq": 4,
    "ne": 4,
    "add": 5,
    "sub": 5,
    "mul": 6,
    "div": 6,
    "neg": 7,
}
_ATOM = 9


def render(ir: IR, leaf: Callable[[IR], str | None]) -> str:
    """`ir` as an expression; `leaf(node)` may give a node's text (a term's, a binding's),
    else operators are written out, parenthesised by precedence. Iterative (postorder)."""
    shown: dict[int, tuple[str, int]] = {}
    for node in postorder((ir,)):
        text = leaf(node) if node is not ir else None
        if text is not None:
            shown[id(node)] = (text, _ATOM)
        elif isinstance(node, Const):
            shown[id(node)] = (number(node.value), _ATOM if node.value >= 0 else _PRECEDENCE["neg"])
        elif isinstance(node, TermValue):
            shown[id(node)] = (leaf(node) or node.use[0], _ATOM)
        else:
            shown[id(node)] = _op_text(node, [shown[id(a)] for a in node.args])
    return shown[id(ir)][0]


def _op_text(node: Op, args: list[tuple[str, int]]) -> tuple[str, int]:
    op = node.op
    if op.syntax is Syntax.FUNCTION:
        return f"{op.spelling}({', '.join(t for t, _ in args)})", _ATOM
    mine = _PRECEDENCE[op.name]

    def wrap(arg: tuple[str, int], tight: bool) -> str:
        text, prec = arg
        return f"({text})" if prec < mine or (tight and prec == mine) else text

    if op.syntax is Syntax.CONDITIONAL:
        c, a, b = args
        return f"if {wrap(c, True)} then {wrap(a, True)} else {b[0]}", mine
    if op.syntax is Syntax.PREFIX:
        space = " " if op.spelling.isalpha() else ""
        return f"{op.spelling}{space}{wrap(args[0], False)}", mine
    left, right = args
    comparison = mine == _PRECEDENCE["eq"]
    return f"{wrap(left, comparison)} {op.spelling} {wrap(right, True)}", mine


def _fold(node: Op, values: list[float]) -> float:
    if any(math.isnan(v) for v in values) and node.op.chooses is None:
        return math.nan
    try:
        return float(node.op.fold(*values))
    except ZeroDivisionError:
        return math.nan if values[0] == 0 else math.copysign(math.inf, values[0])
    except (OverflowError, ValueError):
        return math.nan


# -- source text ------------------------------------------------------------------------------


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == "\\":
                continue
            if ch == quote and (i == 0 or line[i - 1] != "\\"):
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _statement_texts(text: str, body) -> list[str | None]:
    """Each statement as written: its lines up to the next statement, comments dropped
    and lines joined. None where the spec has no text (built in Python)."""
    if not text:
        return [None] * len(body)
    lines = text.split("\n")
    starts = [item.span.line if item.span else None for item in body]
    out: list[str | None] = []
    for k, item in enumerate(body):
        start = starts[k]
        if start is None:
            out.append(None)
            continue
        end = next((s for s in starts[k + 1 :] if s is not None), None)
        last = (end - 1) if end is not None else (item.span.end_line or start)
        chunk = [_strip_comment(line).strip() for line in lines[start - 1 : last]]
        out.append(" ".join(c for c in chunk if c))
    return out


# -- the trace --------------------------------------------------------------------------------


def explain(reward: Reward, record: Any, *, step: int = 0, position: str | None = None) -> Trace:
    """The trace of `record` (a record dict or a `Trajectory`) under `reward`. Raises
    `RecordError` for a record that cannot be scored, as `score` does."""
    plan, program = reward.plan, reward.plan.reward(reward.name)
    checked = plan.checked
    if checked is None:
        raise ValueError("this plan was not compiled from a spec (it has no checked statements)")
    (traj,), _ = reward.read_records([record])
    assert traj is not None  # read_records raises for a record it cannot read (on_error="raise")
    evaluation = reward.evaluate([traj], step=step)
    runtime_value = float(evaluation.rewards[0])
    ctx = reward._context(step)
    term_values = {k: float(v[0]) for k, v in evaluation.values.items()}
    keys = {use.use: use.key for use in checked.terms}
    checked_reward = next(r for r in checked.rewards if r.name == program.name)
    binding_of = {id(ir): name for name, ir in checked_reward.bindings}

    values: dict[int, float] = {}

    def value_of(root: IR) -> float:
        for node in postorder((root,), set(values) if values else None):
            if id(node) in values:
                continue
            if isinstance(node, Const):
                values[id(node)] = float(node.value)
            elif isinstance(node, TermValue):
                values[id(node)] = term_values.get(keys[node.use], math.nan)
            else:
                values[id(node)] = _fold(node, [values[id(a)] for a in node.args])
        return values[id(root)]

    def names(own: IR) -> Callable[[IR], str | None]:
        def leaf(node: IR) -> str | None:
            if node is not own and id(node) in binding_of:
                return binding_of[id(node)]
            if isinstance(node, TermValue):
                return keys[node.use]
            return None

        return leaf

    def worked(own: IR) -> Callable[[IR], str | None]:
        def leaf(node: IR) -> str | None:
            if (node is not own and id(node) in binding_of) or isinstance(node, TermValue):
                return number(value_of(node))
            return None

        return leaf

    steps: list[Step] = []
    listed: set[str] = set()
    texts = _statement_texts(plan.source_text, checked_reward.body)
    retired = False
    traced_value = math.nan
    for item, text in zip(checked_reward.body, texts):
        root = item.cond if isinstance(item, GuardIR) else item.value
        kind = {GuardIR: "guard", BindingIR: "binding", ResultIR: "value"}[type(item)]
        if text is None:
            text = _fallback_text(item, names)
        line = item.span.line if item.span else None
        uses = []
        for node in postorder((root, item.otherwise) if isinstance(item, GuardIR) else (root,)):
            if isinstance(node, TermValue) and keys[node.use] not in listed:
                uses.append(keys[node.use])
                listed.add(keys[node.use])
        if retired:
            steps.append(
                Step(
                    kind, text, line, "not reached", terms=uses, name=item.name if isinstance(item, BindingIR) else None
                )
            )
            continue
        value = value_of(root)
        shown = _worked_text(root, worked(root), value)
        if isinstance(item, GuardIR):
            otherwise = value_of(item.otherwise)
            passed = value != 0
            steps.append(
                Step(kind, text, line, "passed" if passed else "retired", value, otherwise, worked=shown, terms=uses)
            )
            if not passed:
                retired, traced_value = True, otherwise
        elif isinstance(item, BindingIR):
            steps.append(
                Step(
                    kind,
                    text,
                    line,
                    "not computed" if math.isnan(value) else "computed",
                    value,
                    name=item.name,
                    worked=shown,
                    terms=uses,
                )
            )
        else:
            steps.append(Step(kind, text, line, "computed", value, worked=shown, terms=uses))
            traced_value = value

    terms: dict[str, TermTrace] = {}
    for index in program.terms:
        use = plan.terms[index]
        computed = term_values.get(use.key, math.nan)
        entry = TermTrace(use.key, use.term, dict(use.args), None if math.isnan(computed) else computed)
        terms[use.key] = entry
        if entry.value is None:
            continue
        term = reward._bound.registry.terms.get(use.term)
        explain_fn = getattr(term, "explain", None)
        if explain_fn is None:
            continue
        try:
            entry.evidence = explain_fn(traj, ctx, **use.kwargs)
        except Exception as exc:  # a plugin's explanation failing must not hide the rest
            entry.error = f"{type(exc).__name__}: {exc}"
            continue
        implied = entry.evidence.value
        if implied is not None and not _same(implied, computed):
            entry.error = (
                f"its explanation implies {number(implied)} but the term computed {number(computed)}: "
                f"the explanation of {use.term!r} is wrong"
            )

    notes = []
    if not _same(traced_value, runtime_value):
        notes.append(
            f"the trace's arithmetic gives {number(traced_value)} but the reward is "
            f"{number(runtime_value)} (a bug in mentor; please report it)"
        )
    notes += [f"term {k}: {t.error}" for k, t in terms.items() if t.error]
    fmt = ctx.format_for(traj)
    return Trace(
        spec=plan.source_name,
        reward=program.name,
        record_id=traj.id,
        value=runtime_value,
        range=(program.range.lo, program.range.hi),
        params=dict(plan.params),
        steps=steps,
        terms=terms,
        completion=traj.text,
        marks=_marks(terms, traj.text, response_tags(fmt)),
        gold=traj.gold,
        teacher=traj.teacher.names if traj.teacher is not None else None,
        position=position,
        notes=notes,
    )


def _fallback_text(item, names) -> str:
    if isinstance(item, GuardIR):
        return f"require {render(item.cond, names(item.cond))} else {render(item.otherwise, names(item.otherwise))}"
    if isinstance(item, BindingIR):
        return f"{item.name} = {render(item.value, names(item.value))}"
    return render(item.value, names(item.value))


def _worked_text(root: IR, leaf, value: float) -> str | None:
    """`0.7 + (0.3 + 0.1) = 1.1`; None when the expression is a bare term or constant."""
    if not isinstance(root, Op):
        return None
    return f"{render(root, leaf)} = {number(value)}"


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _marks(terms: dict[str, TermTrace], text: str, responses) -> list[Mark]:
    """Calls (their status merged over every term that judged them), answers, and the
    tool responses, which no term reads."""
    calls: dict[tuple[int, int], dict[str, Any]] = {}
    answers: dict[tuple[int, int], str] = {}
    for trace in terms.values():
        evidence = trace.evidence
        if evidence is None:
            continue
        for call in evidence.calls:
            if call.span is None:
                continue
            entry = calls.setdefault(
                (call.span.start, call.span.end),
                {
                    "index": call.index,
                    "name": call.name,
                    "invalid": None,
                    "matched": False,
                    "valid": False,
                    "note": None,
                },
            )
            if call.valid is False and entry["invalid"] is None:
                entry["invalid"] = call.reason or "invalid"
            elif call.reason and entry["note"] is None:
                entry["note"] = call.reason
            entry["valid"] |= bool(call.valid)
            entry["matched"] |= bool(call.matched)
        if evidence.answer is not None and evidence.answer.span is not None:
            span = evidence.answer.span
            answers.setdefault((span.start, span.end), evidence.answer.extractor)
    marks = []
    for (start, end), c in calls.items():
        status = "invalid" if c["invalid"] else "matched" if c["matched"] else "valid" if c["valid"] else "call"
        notes = [c["invalid"] or c["note"], "matches the teacher" if c["matched"] else None]
        shown = "; ".join(n for n in notes if n)
        label = f"call {c['index']}: {c['name']}" + (f" ({shown})" if shown else "")
        marks.append(Mark(start, end, "call", status, label))
    for (start, end), extractor in answers.items():
        marks.append(Mark(start, end, "answer", "answer", f"answer ({extractor})"))
    if responses and responses[0] in text:
        kept = kept_spans(text, responses)
        for (_, gap_start), (gap_end, _) in zip(kept, kept[1:] + [(len(text), len(text))]):
            if gap_start < gap_end:
                marks.append(Mark(gap_start, gap_end, "response", "response", "tool response (not read)"))
    return sorted(marks, key=lambda m: (m.start, -m.end))
