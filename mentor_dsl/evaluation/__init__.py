"""Evaluate a student: greedy tool-use rollouts on held-out and out-of-domain splits, and
reports that compare runs (the MENTOR paper's accuracy vs. teacher-similarity view).

    from mentor_dsl.evaluation import evaluate, save_eval, load_eval, write_report

    result = evaluate("runs/f1/model", splits="all", limit=25)   # an EvalResult: rows + metrics
    save_eval(result, "runs/f1/eval.json")
    write_report([result, load_eval("runs/sft/eval.json")], "report.html")

Splits (`tasks`): `in_domain` (builtin:test), `ood` (ood_sci, ood_chain, ood_distractor),
`bfcl` (BFCL simple_python, multiple, parallel, parallel_multiple; single turn, graded by
BFCL's rules, never executed), `all`. Metric definitions: `metrics`. The result and the
eval.json layout: `results` (typed records, `to_json()` is eval.json's form). Reports:
`report`; what they compare (eval.json files, run folders, methods pooled over seeds):
`methods`.
"""

from .methods import load_runs, pool
from .metrics import aggregate, call_stats, js_divergence, js_similarity, summarize
from .report import write_charts, write_report
from .results import EvalConfig, EvalResult, GroupMetrics, RewardMeans, SplitMetrics, Summary
from .runner import evaluate, load_eval, run_name, save_eval, save_rollouts
from .tasks import SOURCES, SPLIT_CHOICES, resolve_splits

__all__ = [
    "EvalConfig",
    "EvalResult",
    "GroupMetrics",
    "RewardMeans",
    "SplitMetrics",
    "Summary",
    "SOURCES",
    "SPLIT_CHOICES",
    "aggregate",
    "call_stats",
    "evaluate",
    "js_divergence",
    "js_similarity",
    "load_eval",
    "load_runs",
    "pool",
    "resolve_splits",
    "run_name",
    "save_eval",
    "save_rollouts",
    "summarize",
    "write_charts",
    "write_report",
]
