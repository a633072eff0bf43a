"""BFCL categories as task records, with their ground truth as the teacher's calls.

`mentor_dsl.bfcl.load_category` gives BFCL's own records; this adds what a task record
has (`teacher`, `split`, `domain`) and keeps BFCL's fields (`functions`,
`possible_answer`, and for executable categories `ground_truth` and `execution_result`) so
`mentor_dsl.bfcl.grade_record` can still grade a student against them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError, RecordError


def _teacher_calls(record: dict[str, Any], category: str) -> list[dict[str, Any]]:
    from ..bfcl import EXEC_CATEGORIES, IRRELEVANCE_CATEGORIES, answer_to_calls, ground_truth_calls

    if category in IRRELEVANCE_CATEGORIES:
        return []  # the right behaviour is to call nothing
    if category in EXEC_CATEGORIES:
        calls = ground_truth_calls(record)
    else:
        calls = answer_to_calls(record.get("possible_answer"), record.get("functions"))
    bad = [c for c in calls if not c.well_formed]
    if bad:
        raise RecordError(
            f"ground truth {bad[0].raw!r:.80} does not parse: {bad[0].error or 'no name'}",
            record_id=record.get("id"),
            field="possible_answer",
        )
    return [{"name": c.name, "arguments": c.arguments} for c in calls]


def bfcl_tasks(
    category: str, path: str | Path | None = None, n: int | None = None
) -> tuple[list[dict[str, Any]], list[RecordError]]:
    """(task records, records that could not be converted) for a BFCL category, in file
    order; the first `n` of the category when given. Raises DataError when the data is
    missing (the message says how to get it)."""
    from ..bfcl import load_category

    if n is not None and n < 0:
        raise DataError(f"n must not be negative, got {n}")
    raw = load_category(category, path=path)
    if n is not None:
        raw = raw[:n]
    tasks, errors = [], []
    for record in raw:
        try:
            teacher = {"tool_calls": _teacher_calls(record, category)}
        except RecordError as exc:
            errors.append(exc)
            continue
        task = {
            "id": record["id"],
            "split": f"bfcl:{category}",
            "domain": "bfcl",
            "prompt": record["prompt"],
            "tools": record["tools"],
            "teacher": teacher,
        }
        task.update((k, v) for k, v in record.items() if k not in task)
        tasks.append(task)
    return tasks, errors
