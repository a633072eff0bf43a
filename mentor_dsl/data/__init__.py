"""The built-in task sets and task-record I/O.

A procedurally generated, executable tool-use benchmark with a programmatic oracle
teacher (docs/design.md, "Training, evaluation, teachers, data"): every task's reference trajectory is executed with the registered
tools and checked against an independently computed answer before it is kept.

    from mentor_dsl.data import list_splits, load_split, resolve_data
    train = load_split("train")              # 2000 in-domain tasks over the 12 math tools
    ood = resolve_data("builtin:ood_chain")  # the same through the resolver

Splits: `train` (2000), `test` (200), `ood_sci` (200, needs the mentor-scitools plugin),
`ood_chain` (200), `ood_distractor` (200, needs mentor-scitools). Records are trajectory
records without a student: `completion` holds the oracle teacher's own rendered
trajectory (Hermes calls, tool responses, `\\boxed{answer}` and EOS), so scoring an
exported split scores the oracle, and SFT can train on it directly.
"""

from ..deprecated import renamed
from .io import from_dataset, iter_jsonl, load_jsonl, resolve_data, save_dataset, save_jsonl, to_dataset
from .numbers import format_answer
from .oracle import CallPlan, Draft, OracleFailure, Ref, render_completion, signature
from .splits import (
    SPLITS,
    GenerationReport,
    SplitInfo,
    clear_cache,
    generation_report,
    list_splits,
    load_split,
    split_lines,
)
from .validate import check_task

__all__ = [
    "SPLITS",
    "CallPlan",
    "Draft",
    "GenerationReport",
    "OracleFailure",
    "Ref",
    "SplitInfo",
    "check_task",
    "clear_cache",
    "format_answer",
    "from_dataset",
    "generation_report",
    "iter_jsonl",
    "list_splits",
    "load_jsonl",
    "load_split",
    "render_completion",
    "resolve_data",
    "save_dataset",
    "save_jsonl",
    "signature",
    "split_lines",
    "to_dataset",
]

#: `Plan` was also the name of a compiled spec (`mentor_dsl.Plan`).
__getattr__ = renamed(__name__, {"Plan": "CallPlan"})
