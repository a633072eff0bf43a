"""Rollouts into trajectory rows, and their accuracy.

A row is a trajectory record (docs/records.md: `mentor score --data rollouts.jsonl` reads it)
plus the measurements `metrics.aggregate` reads. Accuracy is computed by reward specs, so
it is by definition the `answer_correct` (the task's `judge`, else math) and `bfcl_match` terms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from .metrics import call_stats, teacher_names
from .tasks import EvalTask, available_tools, schema_check

TASK_ACCURACY = "reward accuracy:\n    answer_correct\n"
BFCL_ACCURACY = "reward accuracy:\n    bfcl_match\n"

# BFCL fields the `bfcl_match` term grades against; kept so the rows can be re-scored.
_BFCL_FIELDS = ("category", "functions", "possible_answer", "ground_truth", "execution_result", "execution_result_type")


def build_row(task: EvalTask, rollout, layout, registry) -> dict[str, Any]:
    """The row of one task's rollout. `completion` is the completion in mentor's record
    layout (tool responses included, as `<tool_response>` blocks, whatever the student's
    chat template); `finished` is the rollout's own verdict (an end-of-turn token
    generated), not a guess from the text."""
    from ..rollouts.loop import record_text
    from ..trajectory import DEFAULT_EOS

    record = task.record
    fmt = layout.format
    text = record_text(rollout, layout, DEFAULT_EOS)
    row: dict[str, Any] = {
        "id": task.id,
        "split": task.split,
        "source": task.source,
        "domain": record.get("domain"),
        "family": record.get("family"),
        "prompt": record.get("prompt"),
        "completion": text,
        "finished": bool(rollout.finished),
        "format": fmt.name,
        "tools": available_tools(task, registry),
        "teacher": record.get("teacher"),
    }
    if task.kind == "bfcl":
        row.update((k, record[k]) for k in _BFCL_FIELDS if k in record)
    else:
        row["answer"] = record.get("answer")
        if record.get("judge") is not None:  # the task's own judge grades its accuracy
            row["judge"] = record["judge"]
    try:
        calls = fmt.parse(text)
    except Exception:  # a plugin format failing on odd text: the completion has no calls
        calls = []
    stats = call_stats(calls, row["tools"], schema_check(task, registry))
    row.update(
        {
            "turns": rollout.turns,
            "model_tokens": sum(rollout.env_mask),
            "executed_calls": rollout.calls,
            "failed_calls": rollout.failed_calls,
            "n_blocks": stats.blocks,
            "n_calls": stats.calls,
            "n_valid": stats.valid,
            "n_hallucinated": stats.hallucinated,
            "tool_names": list(stats.names),
            # None, not []: a task without a teacher reference says nothing about similarity.
            "teacher_names": teacher_names(record["teacher"]) if record.get("teacher") is not None else None,
        }
    )
    return row


@cache
def _accuracy_reward(kind: str):
    from ..reward import loads

    text = BFCL_ACCURACY if kind == "bfcl" else TASK_ACCURACY
    return loads(text, name=f"<mentor eval: {kind} accuracy>")


def score_accuracy(rows: Sequence[dict[str, Any]]) -> None:
    """Set each row's `correct` (0/1). A row the judge cannot score counts as wrong and
    says why in `accuracy_error`."""
    for kind in ("task", "bfcl"):
        index = [i for i, r in enumerate(rows) if (r["source"].startswith("bfcl:")) == (kind == "bfcl")]
        if not index:
            continue
        result = _accuracy_reward(kind).score([rows[i] for i in index], on_error="skip")
        for j, i in enumerate(index):
            value = float(result.rewards[j])
            rows[i]["correct"] = value if math.isfinite(value) else 0.0
            if j in result.errors:
                rows[i]["accuracy_error"] = str(result.errors[j])


def score_reward(rows: Sequence[dict[str, Any]], reward) -> None:
    """Set each row's `reward` and `reward_terms` under a user spec. Rows the spec cannot
    score (a math reward on BFCL rows, which have no `answer`) get None."""
    result = reward.score(list(rows), on_error="skip")
    for i, row in enumerate(rows):
        if i in result.errors:
            row["reward"], row["reward_terms"] = None, None
            continue
        value = float(result.rewards[i])
        row["reward"] = value if math.isfinite(value) else None
        row["reward_terms"] = {
            k: (float(v[i]) if math.isfinite(float(v[i])) else None) for k, v in result.terms.items()
        }


#: Example trajectories kept per split group in eval.json, for the report.
EXAMPLES_PER_SPLIT = 3
_EXAMPLE_FIELDS = (
    "id",
    "split",
    "source",
    "prompt",
    "completion",
    "finished",
    "correct",
    "accuracy_error",
    "reward",
    "reward_terms",
    "tool_names",
    "teacher_names",
)


def pick_examples(rows: Sequence[dict[str, Any]], per_split: int = EXAMPLES_PER_SPLIT) -> dict[str, list[dict]]:
    """A few trajectories per split group, as eval.json keeps them (the rows themselves are
    not kept): the first correct one and the first wrong one, then the next in task
    order, so a report shows both outcomes where there are both."""
    out: dict[str, list[dict]] = {}
    for split in dict.fromkeys(r.get("split") for r in rows):
        group = [r for r in rows if r.get("split") == split]
        right = [r for r in group if r.get("correct")]
        wrong = [r for r in group if not r.get("correct")]
        chosen = right[:1] + wrong[:1]
        chosen += [r for r in group if not any(r is c for c in chosen)][: max(0, per_split - len(chosen))]
        order = {id(r): i for i, r in enumerate(group)}
        chosen.sort(key=lambda r: order[id(r)])
        out[str(split)] = [{k: r[k] for k in _EXAMPLE_FIELDS if k in r} for r in chosen[:per_split]]
    return out
