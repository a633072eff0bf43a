"""The evaluation metrics, computed from trajectory rows (no model needed).

A *row* is one evaluated task: a trajectory record (docs/records.md) plus what the runner
measured on it. The fields the metrics read:

    split            "in_domain" | "ood" | "bfcl" (the group it is reported under)
    source           the data it came from: "test", "ood_sci", "bfcl:parallel", ...
    domain, family   for the breakdowns (family may be absent)
    finished         the completion ended with EOS
    correct          1.0/0.0: answer_correct(judge="math"), or bfcl_match for BFCL rows
    n_blocks         call blocks found by the call format, parsable or not
    n_calls          blocks that name a tool (what the `tool_calls` term counts)
    n_valid          blocks that parse, name an available tool and fit its JSON Schema
    n_hallucinated   named calls whose tool is not available to the task
    tool_names       the names of the named calls, in order
    teacher_names    the teacher's tool names, in order; None when the task has no teacher
    reward, reward_terms   the --reward spec's value and per-term values (optional)

Definitions, per group of rows (see `aggregate`):

    accuracy             mean of `correct`
    accuracy_ci          the 95% Wilson score interval of `accuracy` over the n tasks,
                         [low, high]; None without tasks (see `wilson_interval`)
    call_validity        sum(n_valid) / sum(n_blocks); None when no row has a block
    calls_valid_rate     fraction of rows whose every block is valid (the `calls_valid`
                         term: a row without blocks counts as valid)
    hallucination_rate   sum(n_hallucinated) / sum(n_calls); None when nothing was called
    calls_per_task       sum(n_calls) / rows
    teacher_similarity   1 - JSD_2(P_student, P_teacher): the tool-name distributions of
                         the student's named calls and the teacher's calls pooled over the
                         rows that have a teacher. 1 when both made no call, 0 when
                         exactly one did; None when no row has a teacher.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..calls import Call

#: The order groups and breakdowns are reported in.
SPLIT_ORDER = ("in_domain", "ood", "bfcl")


# -- distributions ---------------------------------------------------------------------------


def distribution(names: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    """Names (or name -> count) as probabilities; {} when there is no mass."""
    counts = Counter(names) if not isinstance(names, Mapping) else Counter(dict(names))
    total = float(sum(v for v in counts.values() if v > 0))
    if total <= 0:
        return {}
    return {k: v / total for k, v in counts.items() if v > 0}


def js_divergence(p: Iterable[str] | Mapping[str, float], q: Iterable[str] | Mapping[str, float]) -> float:
    """Jensen-Shannon divergence in bits (log base 2), so it lies in [0, 1].

    Empty distributions follow the convention of `tool_match(mode="f1")`: both empty are
    identical (0), exactly one empty is as far apart as possible (1)."""
    P, Q = distribution(p), distribution(q)
    if not P and not Q:
        return 0.0
    if not P or not Q:
        return 1.0
    total = 0.0
    for key in set(P) | set(Q):
        a, b = P.get(key, 0.0), Q.get(key, 0.0)
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log2(a / m)
        if b > 0:
            total += 0.5 * b * math.log2(b / m)
    # Rounding can leave a hair outside [0, 1].
    return min(1.0, max(0.0, total))


def js_similarity(p: Iterable[str] | Mapping[str, float], q: Iterable[str] | Mapping[str, float]) -> float:
    """1 - Jensen-Shannon divergence (base 2): 1 for identical distributions, 0 for disjoint."""
    return 1.0 - js_divergence(p, q)


# -- per-task call statistics ----------------------------------------------------------------

SchemaCheck = Callable[[str, Any], "str | None"]


@dataclass(frozen=True)
class CallStats:
    """What one completion's call blocks amount to (see the module docstring)."""

    blocks: int = 0
    calls: int = 0
    valid: int = 0
    hallucinated: int = 0
    names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def all_valid(self) -> bool:
        return self.valid == self.blocks


def call_stats(calls: Sequence[Call], available: Collection[str], check: SchemaCheck | None = None) -> CallStats:
    """Count a completion's calls. `check(name, arguments)` returns why the arguments do
    not fit the tool's schema, or None; it is only asked about available tools."""
    available = set(available)
    named = [c.name for c in calls if c.name is not None]
    valid = 0
    for call in calls:
        if not call.well_formed or call.name not in available:
            continue
        try:
            error = check(call.name, call.arguments) if check is not None else None
        except Exception as exc:  # a broken schema must not stop an evaluation
            error = f"schema check failed: {exc}"
        valid += error is None
    return CallStats(
        blocks=len(calls),
        calls=len(named),
        valid=valid,
        hallucinated=sum(1 for name in named if name not in available),
        names=tuple(named),
    )


def teacher_names(teacher: Any) -> list[str]:
    """Tool names of a record's `teacher` (bare names or call objects, docs/records.md)."""
    if isinstance(teacher, list):
        teacher = {"tool_calls": teacher}
    if not isinstance(teacher, Mapping):
        return []
    out = []
    for item in teacher.get("tool_calls") or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            fn = item.get("function", item)
            name = fn.get("name") if isinstance(fn, Mapping) else None
            if isinstance(name, str) and name:
                out.append(name)
    return out


# -- confidence intervals --------------------------------------------------------------------

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054


def wilson_interval(accuracy: float | None, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion `accuracy` observed over `n` tasks.

    Chosen over the normal (Wald) interval because it stays inside [0, 1] and is not of
    zero width at 0% or 100%, which small evaluation splits often hit; over a bootstrap
    because an evaluation is greedy (one outcome per task: no seeds to resample) and the
    interval must be reproducible from eval.json's `accuracy` and `n` alone."""
    if accuracy is None or n <= 0:
        return None
    p = min(1.0, max(0.0, float(accuracy)))
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Exactly, the interval holds p (its ends are p at 0 and 1); rounding can leave an end a
    # hair past it (2.8e-17 for 0 of 7), so the ends are clamped to p as well as to [0, 1].
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


# -- aggregation -----------------------------------------------------------------------------


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return sum(kept) / len(kept) if kept else None


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def group_values(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The fields of `results.GroupMetrics` for a group of rows (definitions in the module
    docstring)."""
    from .results import RewardMeans

    n = len(rows)
    blocks = sum(int(r.get("n_blocks", 0)) for r in rows)
    calls = sum(int(r.get("n_calls", 0)) for r in rows)
    student = [name for r in rows for name in r.get("tool_names", ())]
    taught = [r for r in rows if r.get("teacher_names") is not None]
    teacher = [name for r in taught for name in r["teacher_names"]]
    student_taught = [name for r in taught for name in r.get("tool_names", ())]
    accuracy = _mean(r.get("correct") for r in rows)
    out: dict[str, Any] = {
        "n": n,
        "accuracy": accuracy,
        "accuracy_ci": wilson_interval(accuracy, sum(1 for r in rows if r.get("correct") is not None)),
        "finished_rate": _mean(float(bool(r.get("finished"))) for r in rows),
        "call_validity": _ratio(sum(int(r.get("n_valid", 0)) for r in rows), blocks),
        "calls_valid_rate": _mean(float(int(r.get("n_valid", 0)) == int(r.get("n_blocks", 0))) for r in rows),
        "hallucination_rate": _ratio(sum(int(r.get("n_hallucinated", 0)) for r in rows), calls),
        "calls_per_task": _ratio(calls, n),
        "teacher_calls_per_task": _ratio(len(teacher), len(taught)),
        "teacher_similarity": js_similarity(student_taught, teacher) if taught else None,
        "tool_distribution": dict(Counter(student).most_common()),
        "teacher_distribution": dict(Counter(teacher).most_common()),
        "reward": None,
    }
    if any("reward" in r for r in rows):
        scored = [r for r in rows if r.get("reward") is not None]
        keys = list(dict.fromkeys(k for r in scored for k in (r.get("reward_terms") or {})))
        out["reward"] = RewardMeans(
            _mean(r["reward"] for r in scored),
            len(scored),
            {k: _mean(r["reward_terms"].get(k) for r in scored) for k in keys},
        )
    return out


def groups(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    """Rows by their value of `key`, in order of first appearance; rows without one are left out."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        value = r.get(key)
        if value is not None:
            out.setdefault(str(value), []).append(r)
    return out


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The metrics of a group of rows in eval.json's form (`results.GroupMetrics.of` is
    the typed record)."""
    from .results import GroupMetrics

    return GroupMetrics.of(rows).to_json()


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """`{"overall": metrics, "splits": {split: metrics + "sources"/"domains"/"families"}}`,
    eval.json's `metrics` (`results.Summary.of` is the typed record); families only for
    splits whose rows have one."""
    from .results import Summary

    return Summary.of(rows).to_json()
