"""Comparing a student's tool calls with the teacher's: sets, multisets and arguments."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..calls import Call, canonical_json

_WS = re.compile(r"\s+")


def name_set_score(student: Sequence[str], teacher: Sequence[str], mode: str) -> float:
    """Tool-name agreement. `student` holds the valid names the student called, in order."""
    if mode in ("exact_set", "overlap", "f1"):
        s, t = set(student), set(teacher)
        if mode == "exact_set":
            return 1.0 if s and s == t else 0.0
        if mode == "overlap":
            return 1.0 if s & t else 0.0
        if not s and not t:
            return 1.0
        if not s or not t:
            return 0.0
        common = len(s & t)
        if common == 0:
            return 0.0
        # Same operation order as the paper's F1, so values agree to the last bit.
        precision = common / len(s)
        recall = common / len(t)
        return 2 * precision * recall / (precision + recall)
    cs, ct = Counter(student), Counter(teacher)
    if not cs and not ct:
        return 1.0
    common = sum((cs & ct).values())
    if mode == "jaccard":
        return common / sum((cs | ct).values())
    if mode == "multiset_f1":
        if common == 0:
            return 0.0
        precision = common / sum(cs.values())
        recall = common / sum(ct.values())
        return 2 * precision * recall / (precision + recall)
    raise ValueError(f"unknown tool_match mode {mode!r}")


def _fold(text: str) -> str:
    return _WS.sub(" ", text.casefold()).strip()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def values_agree(a: Any, b: Any) -> bool:
    """Numbers within 1e-6 relative, strings equal after case and whitespace folding, or
    anything equal after JSON canonicalisation."""
    if _is_number(a) and _is_number(b):
        if math.isfinite(a) and math.isfinite(b):
            return math.isclose(a, b, rel_tol=1e-6)
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return _fold(a) == _fold(b)
    try:
        return canonical_json(a) == canonical_json(b)
    except (TypeError, ValueError, RecursionError):
        return False


def _args(call: Call) -> dict:
    return call.arguments if isinstance(call.arguments, dict) else {}


def pair_score(teacher: Call, student: Call, names_only: bool) -> float:
    """Fraction of argument keys (union of both calls) whose values agree."""
    if names_only:
        return 1.0
    t, s = _args(teacher), _args(student)
    keys = set(t) | set(s)
    if not keys:
        return 1.0
    agree = sum(1 for k in keys if k in t and k in s and values_agree(t[k], s[k]))
    return agree / len(keys)


def arg_overlap(student: Sequence[Call], teacher: Sequence[Call], names_only: bool) -> float:
    """Greedy best-first pairing of teacher calls with unused same-name student calls; the
    summed pair scores over max(#teacher, #student)."""
    if not student and not teacher:
        return 1.0
    candidates = [
        (-pair_score(tc, sc, names_only), i, j)
        for i, tc in enumerate(teacher)
        for j, sc in enumerate(student)
        if sc.name == tc.name
    ]
    candidates.sort()
    used_t, used_s, total = set(), set(), 0.0
    for neg, i, j in candidates:
        if i not in used_t and j not in used_s:
            used_t.add(i)
            used_s.add(j)
            total += -neg
    return total / max(len(teacher), len(student))


def _call_key(call: Call, names_only: bool) -> tuple:
    if names_only:
        return (call.name,)
    try:
        return (call.name, canonical_json(call.arguments))
    except (TypeError, ValueError, RecursionError):
        return (call.name, repr(call.arguments))


def calls_equal(student: Sequence[Call], teacher: Sequence[Call], names_only: bool, ordered: bool) -> bool:
    s = [_call_key(c, names_only) for c in student]
    t = [_call_key(c, names_only) for c in teacher]
    return s == t if ordered else Counter(s) == Counter(t)
