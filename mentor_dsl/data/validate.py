"""Checking task records on import.

A task record is a trajectory record that may lack the student `completion`: it needs a
`prompt`, and every other field it has must be well formed. The checks are the record
fields' own (`records.FIELDS`, which scoring uses too), so a record that passes here can be
scored once a completion is attached.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records import check_record


def check_task(record: Any) -> None:
    """Raise RecordError (naming the record and field) unless `record` is a valid task."""
    rid = record.get("id") if isinstance(record, Mapping) else None
    shown = rid if isinstance(rid, str) or rid is None else str(rid)
    if isinstance(rid, bool) or not isinstance(rid, (str, int, type(None))):
        shown = None  # the id itself is what is wrong
    check_record(record, task=True, record_id=shown)
