"""The data a study trains and validates on, written into its output folder.

- **Training** uses the training data (`--data`, default `builtin:train`) less its last
  tenth (at most 200 records): `OUTPUT/data/train.jsonl`.
- **In-domain validation** is that last tenth, never trained on: `OUTPUT/data/validation.jsonl`.
  For `builtin:train` it is records 1801-2000, which no test split shares (the built-in
  splits are disjoint by construction, docs/data.md).
- **Out-of-domain validation** is the last `OOD_TAIL` records of each built-in OOD split
  (`ood_sci`, `ood_chain`, `ood_distractor`): `OUTPUT/data/validation_ood_*.jsonl`.
  `mentor eval` reads the first `--limit` records of a split (10 by default), so an
  evaluation with `--limit` up to 200 - OOD_TAIL (100) never sees them.
- The in-domain test split (`builtin:test`) is never read.

Each trial evaluates the first `--eval-limit` records of each validation file. The study
keeps a digest of the files, so a resumed study, or a worker on another machine, refuses
to validate on other records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DataError

HELD_OUT_SHARE = 10  # one record in ten
HELD_OUT_MAX = 200
OOD_TAIL = 100
OOD_SOURCES = ("ood_sci", "ood_chain", "ood_distractor")


def held_out_size(total: int) -> int:
    return max(1, min(HELD_OUT_MAX, total // HELD_OUT_SHARE))


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    from ..outputs import json_line, open_output

    with open_output(path) as out:
        for record in records:
            out.write(json_line(record))
    return path


def digest(paths: list[Path]) -> str:
    """One hash of the files' names and contents."""
    import hashlib

    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def prepare(folder: Path, data: str, ood: bool) -> tuple[Path, list[Path], dict[str, str]]:
    """(training file, validation files, {source: why it was skipped}) in `folder`."""
    from ..data import resolve_data

    records = resolve_data(data, default_ids=True)
    if len(records) < 2:
        raise DataError(f"{data}: a study needs at least 2 training records (one is held out for validation)")
    cut = len(records) - held_out_size(len(records))
    folder.mkdir(parents=True, exist_ok=True)
    train = _write(folder / "train.jsonl", records[:cut])
    skipped: dict[str, str] = {}
    if not ood:
        return train, [_write(folder / "validation.jsonl", records[cut:])], skipped
    files = []
    for source in OOD_SOURCES:
        try:
            split = resolve_data(f"builtin:{source}")
        except DataError as exc:  # the scitools plugin is missing: validate on the others
            skipped[source] = str(exc)
            continue
        files.append(_write(folder / f"validation_{source}.jsonl", split[-OOD_TAIL:]))
    if not files:
        raise DataError("no out-of-domain validation data: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    return train, files, skipped
