"""Terms that reproduce other papers' and benchmarks' rules: ToolRL, BFCL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from ..calls import Call
from ..context import EvalContext
from ..trajectory import Trajectory
from .base import Term, TermParam


def _jaccard(a: list, b: list) -> float:
    """ToolRL's list match: 1 for equal lists, 0 if either is empty, else the
    frequency-aware Jaccard."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    common = sum((Counter(a) & Counter(b)).values())
    return common / (len(a) + len(b) - common)


def _params(call: Call) -> dict:
    return call.arguments if isinstance(call.arguments, dict) else {}


def toolrl_score(student: Sequence[Call], teacher: Sequence[Call]) -> float:
    """ToolRL's correctness reward in [-3, 3] (arXiv 2504.13958, §3.3)."""
    if not teacher:
        return 0.0
    if not student or any(not c.well_formed for c in student):
        return -3.0
    if [(c.name, _params(c)) for c in student] == [(c.name, _params(c)) for c in teacher]:
        return 3.0
    score = _jaccard([c.name for c in teacher], [c.name for c in student])
    maximum = 1.0
    used: set[int] = set()
    for gold in teacher:
        g = _params(gold)
        maximum += 1 + len(g)
        best, best_score = None, 0.0
        for j, call in enumerate(student):
            if j in used or call.name != gold.name:
                continue
            p = _params(call)
            value = _jaccard(list(g), list(p)) + sum(1 for k in g if k in p and p[k] == g[k])
            if value > best_score:
                best, best_score = j, value
        if best is not None:
            used.add(best)
            score += best_score
    return 6.0 * score / maximum - 3.0


def _json_field(value):
    """Datasets store irregular nested fields as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def bfcl_match(trajs: Sequence[Trajectory], ctx: EvalContext) -> list[float]:
    """1 when BFCL's grading rules accept the student's calls for the record."""
    from ..bfcl import grade_record

    out = []
    for t in trajs:
        record = dict(t.record)
        for field in ("functions", "possible_answer", "execution_result"):
            if field in record:
                record[field] = _json_field(record[field])
        try:
            out.append(1.0 if grade_record(record, ctx.calls(t)).valid else 0.0)
        except Exception:  # a malformed record or completion is a failed answer, not a crash
            out.append(0.0)
    return out


def toolrl_correct(trajs: Sequence[Trajectory], ctx: EvalContext, ref: str) -> list[float]:
    return [toolrl_score(ctx.calls(t), ctx.reference(t, ref).calls) for t in trajs]


BASELINE_TERMS = (
    Term(
        "bfcl_match",
        bfcl_match,
        (),
        (0, 1),
        ("completion", "category", "functions"),
        "1 when BFCL's AST (or executable) grading accepts the student's calls for the record.",
    ),
    Term(
        "toolrl_correct",
        toolrl_correct,
        (TermParam("ref", "ref", "teacher"),),
        (-3, 3),
        ("completion", "teacher"),
        "ToolRL's call correctness: name Jaccard + key Jaccard + exact values per call, scaled to [-3, 3].",
    ),
)
