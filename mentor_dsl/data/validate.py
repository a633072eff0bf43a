"""Checking task records on import.

A task record is a trajectory record (DESIGN §5) that may lack the student `completion`:
it needs a `prompt`, and every other field it has must be well formed. The structural
checks are the trajectory parser's own, so a record that passes here can be scored once a
completion is attached.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import RecordError
from ..trajectory import Trajectory


def _check_prompt(prompt: Any, rid: str | None) -> None:
    if isinstance(prompt, str):
        if not prompt.strip():
            raise RecordError("'prompt' is empty", record_id=rid, field="prompt")
        return
    if not isinstance(prompt, list) or not prompt:
        raise RecordError("'prompt' must be a string or a non-empty list of chat messages",
                          record_id=rid, field="prompt")
    for i, message in enumerate(prompt):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise RecordError(f"prompt message {i} needs a string 'role'", record_id=rid, field="prompt")
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise RecordError(f"prompt message {i}: 'content' must be a string", record_id=rid, field="prompt")


def check_task(record: Any) -> None:
    """Raise RecordError (naming the record and field) unless `record` is a valid task."""
    if not isinstance(record, Mapping):
        raise RecordError(f"a record must be a JSON object, not {type(record).__name__}")
    rid = record.get("id")
    if rid is not None and (isinstance(rid, bool) or not isinstance(rid, (str, int))):
        raise RecordError("'id' must be a string or an integer", field="id")
    shown = rid if isinstance(rid, str) or rid is None else str(rid)
    if "prompt" not in record:
        raise RecordError("missing required field 'prompt'", record_id=shown, field="prompt")
    _check_prompt(record["prompt"], shown)
    # Task files carry no student completion; an empty one lets the parser check the rest.
    probe = dict(record) if "completion" in record else {**record, "completion": ""}
    Trajectory.from_record(probe)
    _check_task_fields(record, shown)


def _check_task_fields(record: Mapping[str, Any], rid: str | None) -> None:
    """The fields only prompts and judges read: `examples` and `judge`."""
    from ..errors import DataError
    from ..fewshot import record_examples

    try:
        record_examples(record)
    except DataError as exc:
        raise RecordError(f"'examples': {exc}", record_id=rid, field="examples") from None
    judge = record.get("judge")
    if judge is not None and (not isinstance(judge, str) or not judge):
        raise RecordError("'judge' must be the name of a judge", record_id=rid, field="judge")
