"""What a report compares: runs read from the files a comparison leaves behind, and runs of
one method pooled over their seeds.

    runs = load_runs(["runs/mentor-s0", "runs/mentor-s1", "runs/sft-s0/eval.json"])
    methods = pool(runs, seed_pattern=r"-s[0-9]+$")   # mentor (2 runs), sft-s0 -> sft

A report input is an eval.json, or a run folder: one that holds an eval.json, a training
run folder with its per-step `metrics.jsonl`, or both (what `examples/compare/` keeps for
every run). A folder's own metrics.jsonl gives its training curves; otherwise they come
from the training run the eval.json recorded (`config.run_dir`). A folder with only a
metrics.jsonl is a run with training curves and no evaluation.

Pooling. Runs whose names differ only where `seed_pattern` matches are one method, named
by what is left (`mentor-s0`, `mentor-s1` -> `mentor`). A pooled entry (a split, a source,
overall) counts every task of every run: n is their sum, accuracy is correct answers over
all of them, and its 95% Wilson interval is that pooled proportion's (the runs of a method
are usually evaluated on the same tasks, so this is the interval of the method on those
tasks, not of a new sample of tasks). Every other measure (call validity, teacher
similarity, reward, each term, ...) is the mean over the runs weighted by their n.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError
from .metrics import wilson_interval

EVAL_FILE = "eval.json"
#: Per-entry measures pooled as n-weighted means (accuracy and n are pooled as counts).
MEAN_KEYS = (
    "finished_rate",
    "call_validity",
    "calls_valid_rate",
    "hallucination_rate",
    "calls_per_task",
    "teacher_calls_per_task",
    "teacher_similarity",
)


def _metrics_file() -> str:
    from ..models import RUN_METRICS

    return RUN_METRICS


def load_run(path: str | os.PathLike) -> dict[str, Any]:
    """One report input (see the module docstring) as a run: a loaded eval.json, with
    `train_dir` set when the input is a folder that holds its own metrics.jsonl."""
    from .runner import load_eval

    given = Path(path)
    if not given.is_dir():
        return load_eval(given)
    metrics = given / _metrics_file()
    has_eval, has_metrics = (given / EVAL_FILE).is_file(), metrics.is_file()
    if has_eval:
        run = load_eval(given / EVAL_FILE)
    elif has_metrics:
        # A training run that was not evaluated: training curves only.
        run = {"name": given.resolve().name, "path": str(given), "metrics": None, "config": {}}
    else:
        raise DataError(
            f"{given}: a folder with neither an {EVAL_FILE} nor a {_metrics_file()} "
            "(give an eval.json, or a run folder holding one)"
        )
    if has_metrics:
        run["train_dir"] = str(given)
    return run


def load_runs(paths: Sequence[str | os.PathLike]) -> list[dict[str, Any]]:
    return [load_run(p) for p in paths]


def unique_names(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Run names, made unique (a second 'default' becomes 'default #2')."""
    out: list[str] = []
    for run in runs:
        base = str(run.get("name") or "run")
        label, k = base, 1
        while label in out:
            k += 1
            label = f"{base} #{k}"
        out.append(label)
    return out


def compile_seed_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise DataError(f"seed pattern {pattern!r} is not a regular expression: {exc}") from None


def method_name(name: str, pattern: re.Pattern[str] | None) -> str:
    """The run's method: its name without what `pattern` matches (the whole name when that
    would leave nothing)."""
    if pattern is None:
        return name
    return pattern.sub("", name) or name


# -- pooling ---------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _weighted_mean(pairs: Sequence[tuple[float | None, float]]) -> float | None:
    kept = [(v, w) for v, w in pairs if v is not None and w > 0]
    total = sum(w for _, w in kept)
    return sum(v * w for v, w in kept) / total if total else None


def pool_entries(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Entries of several runs (one split, source or overall each) as one; see the module
    docstring."""
    n = sum(int(e.get("n") or 0) for e in entries)
    graded = [(a, int(e.get("n") or 0)) for e in entries if (a := _number(e.get("accuracy"))) is not None]
    graded_n = sum(w for _, w in graded)
    accuracy = sum(a * w for a, w in graded) / graded_n if graded_n else None
    interval = wilson_interval(accuracy, graded_n)
    out: dict[str, Any] = {
        "n": n,
        "accuracy": accuracy,
        "accuracy_ci": list(interval) if interval else None,
        "pooled": len(entries),
    }
    for key in MEAN_KEYS:
        out[key] = _weighted_mean([(_number(e.get(key)), int(e.get("n") or 0)) for e in entries])
    scored = [e for e in entries if "reward" in e]
    if scored:
        weight = {id(e): int(e.get("reward_n", e.get("n")) or 0) for e in scored}
        out["reward"] = _weighted_mean([(_number(e.get("reward")), weight[id(e)]) for e in scored])
        out["reward_n"] = sum(weight.values())
        terms = list(dict.fromkeys(t for e in scored for t in (e.get("reward_terms") or {})))
        out["reward_terms"] = {
            t: _weighted_mean([(_number((e.get("reward_terms") or {}).get(t)), weight[id(e)]) for e in scored])
            for t in terms
        }
    return out


def pool_metrics(metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """eval.json `metrics` objects of several runs as one: overall, each split and each
    split's sources pooled (domains and families are left out: reports do not draw them)."""
    splits: dict[str, list[Mapping[str, Any]]] = {}
    for m in metrics:
        for split, entry in (m.get("splits") or {}).items():
            splits.setdefault(split, []).append(entry)
    out: dict[str, Any] = {"overall": pool_entries([m["overall"] for m in metrics if m.get("overall")]), "splits": {}}
    for split, entries in splits.items():
        pooled = pool_entries(entries)
        sources: dict[str, list[Mapping[str, Any]]] = {}
        for entry in entries:
            for source, sub in (entry.get("sources") or {}).items():
                sources.setdefault(source, []).append(sub)
        pooled["sources"] = {source: pool_entries(subs) for source, subs in sources.items()}
        out["splits"][split] = pooled
    return out


def pool(runs: Sequence[dict[str, Any]], seed_pattern: str | re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    """The methods among `runs`, in the order each first appears: runs whose names differ
    only where `seed_pattern` matches are pooled (module docstring). Every method is a run
    dict with unique `name` and `members` (the runs it pools, names made unique); a method
    of one run is that run. Without a pattern every run is its own method."""
    pattern = compile_seed_pattern(seed_pattern) if isinstance(seed_pattern, str) else seed_pattern
    members = [{**run, "name": name} for run, name in zip(runs, unique_names(runs))]
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in members:
        groups.setdefault(method_name(run["name"], pattern), []).append(run)
    methods = []
    for name, group in groups.items():
        if len(group) == 1:
            methods.append({**group[0], "members": group})
            continue
        evaluated = [r["metrics"] for r in group if r.get("metrics")]
        first = next((r for r in group if r.get("metrics")), group[0])
        methods.append(
            {
                "name": name,
                "path": ", ".join(str(r.get("path", "")) for r in group),
                "config": first.get("config") or {},
                "members": group,
                "metrics": pool_metrics(evaluated) if evaluated else None,
                "examples": next((r["examples"] for r in group if isinstance(r.get("examples"), dict)), None),
                "seconds": sum(_number(r.get("seconds")) or 0.0 for r in group),
            }
        )
    for method, name in zip(methods, unique_names(methods)):
        method["name"] = name
    return methods
