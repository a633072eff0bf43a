"""Where records come from: one reader for every form `--data` takes.

    source = open_source("tasks.parquet")       # a DataError now if it cannot be read at all
    for where, record in source:                # where: "tasks.parquet:row 3", "t.jsonl:3"
        if isinstance(record, RecordError):     # one bad record; the others still come
            ...

The forms (docs/data.md has them for users):

    builtin:SPLIT            a built-in task set (a bare split name works when no such file exists)
    bfcl:CATEGORY            a BFCL category
    FILE.jsonl / .ndjson     JSON Lines; also a file without a suffix, and `-` (stdin)
    FILE.json                an array of records, an object whose "data" is one, or JSON Lines
    FILE.parquet             Parquet (through pyarrow)
    FILE.csv                 CSV with a header row
    FOLDER[:SPLIT]           a folder written by `save_to_disk`
    ORG/NAME[@REV][:SPLIT]   a Hugging Face Hub dataset, through `datasets.load_dataset`

Records are numbered by line in JSON Lines and by row (1-based, a CSV header not counted)
everywhere else; a record without an `id` is known by that number.

Tabular files cannot hold nested values in every column, so a CSV cell, or a string in
a Parquet file or dataset, that holds JSON text of a structured field's shape (chat
messages for `prompt` and `completion`, a list for `tools`, ...; see `_STRUCTURED`) is
decoded; any other text stays text, so a prompt that merely starts with "[" is left
alone. `answer` is never decoded: "[1, 2]" is an answer, not a list of accepted ones.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError, RecordError, did_you_mean
from .io import _BOM, InvalidJSON, from_dataset, iter_json_lines, open_lines, written_by_mentor

#: The forms `open_source` takes, for error messages.
FORMS = (
    "builtin:SPLIT",
    "bfcl:CATEGORY",
    "a .jsonl, .json, .parquet or .csv file (- for stdin)",
    "a save_to_disk folder (FOLDER or FOLDER:SPLIT)",
    "a Hub dataset ORG/NAME[@REVISION][:SPLIT]",
)

_HUB_ID = re.compile(
    r"(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?:@(?P<revision>[\w./-]+?))?"
    r"(?::(?P<split>[\w.-]+))?"
)


@dataclass(frozen=True)
class Position:
    """Where a record is: a line of a JSON Lines file or a row of anything else."""

    source: str
    number: int | None  # 1-based; None when the source cannot say (a BFCL record it could not convert)
    unit: str = "line"

    def __str__(self) -> str:
        if self.number is None:
            return self.source
        return f"{self.source}:{self.number}" if self.unit == "line" else f"{self.source}:row {self.number}"

    @property
    def default_id(self) -> str | None:
        """The id of a record that has none: its line or row number."""
        return None if self.number is None else str(self.number)


@dataclass
class Source:
    """The records of one source, read lazily: iterate for (Position, record) pairs, where
    a record that could not be read is a RecordError saying why."""

    name: str
    unit: str
    rows: Callable[[], Iterator[tuple[int | None, Any]]]
    total: int | None = None
    paths: tuple[Path, ...] = field(default_factory=tuple)  # local files read: never an output

    def __iter__(self) -> Iterator[tuple[Position, Any]]:
        for number, value in self.rows():
            yield Position(self.name, number, self.unit), value


def _not_a_record(value: Any) -> RecordError:
    return RecordError(f"a record must be a JSON object, not {type(value).__name__}")


# -- JSON Lines and JSON ---------------------------------------------------------------------------


def _jsonl(path: Path | str, name: str) -> Source:
    stream = open_lines(path)  # fail now, not at the first record

    def rows():
        for number, value in iter_json_lines(name, stream):
            if isinstance(value, InvalidJSON):
                value = RecordError(str(value))
            elif not isinstance(value, dict):
                value = _not_a_record(value)
            yield number, value

    if name == "-":
        return Source(name, "line", rows)
    return Source(name, "line", rows, total=_count_lines(Path(path)), paths=(Path(path),))


def _count_lines(path: Path) -> int | None:
    """Non-blank lines, for a progress bar's total (None when the file is not a plain file)."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return None


def _json(path: Path, name: str) -> Source:
    """An array of records, an object whose "data" is an array of records, a single
    record, or (many datasets name them so) JSON Lines."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{name}: cannot read: {exc.strerror or exc}") from None
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    head = body.lstrip()[:1]
    if head not in (b"[", b"{"):
        return _jsonl(path, name)
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
        if head == b"{":  # not one object: objects one a line, each read (and failing) on its own
            return _jsonl(path, name)
        if isinstance(exc, UnicodeDecodeError):
            raise DataError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start + 1})") from None
        reason = "nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
        raise DataError(f"{name}: invalid JSON: {reason}") from None
    if isinstance(value, dict):
        value = value["data"] if isinstance(value.get("data"), list) else [value]

    def rows():
        for number, item in enumerate(value, 1):
            yield number, item if isinstance(item, dict) else _not_a_record(item)

    return Source(name, "row", rows, total=len(value), paths=(path,))


# -- tables ----------------------------------------------------------------------------------------


def _messages(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(m, dict) and "role" in m for m in value)


#: Record fields that hold structure, and the shape their JSON text must decode to.
_STRUCTURED: dict[str, Callable[[Any], bool]] = {
    "prompt": _messages,
    "completion": _messages,
    "teacher": lambda v: isinstance(v, (dict, list)),
    "tools": lambda v: isinstance(v, list),
    "tool_results": lambda v: isinstance(v, list),
    "finished": lambda v: isinstance(v, bool),
    "functions": lambda v: isinstance(v, list),
    "possible_answer": lambda v: isinstance(v, (list, dict)),
    "ground_truth": lambda v: isinstance(v, list),
    "execution_result": lambda v: isinstance(v, list),
}


def _decode_cells(record: dict[str, Any], gaps: tuple = (None,)) -> dict[str, Any]:
    """A table's row as a record: JSON text of structured fields decoded, and cells in
    `gaps` left out (a table has every column in every row: an empty cell is a field
    the record does not have)."""
    out = {}
    for key, value in record.items():
        if any(value is gap or (isinstance(gap, str) and value == gap) for gap in gaps):
            continue
        shape = _STRUCTURED.get(key)
        if shape is not None and isinstance(value, str) and value.lstrip()[:1] in ("[", "{", "t", "f"):
            try:
                decoded = json.loads(value)
            except (ValueError, RecursionError):
                decoded = None
            if shape(decoded):
                value = decoded
        out[key] = value
    return out


def _parquet(path: Path, name: str) -> Source:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a file it cannot read
        raise DataError(f"{name}: not a Parquet file ({exc})") from None

    def one(batch, i: int) -> Any:
        try:
            return batch.slice(i, 1).to_pylist()[0]
        except Exception as exc:  # a value Python cannot hold (a date out of range, ...)
            return RecordError(f"cannot read the row: {exc}")

    def rows():
        number = 0
        batches = table.iter_batches(batch_size=1024)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except Exception as exc:  # a damaged row group: nothing after it can be found
                raise DataError(f"{name}: cannot read after row {number}: {exc}") from None
            try:
                items = batch.to_pylist()
            except Exception:  # find the rows that fail, keep the others
                items = [one(batch, i) for i in range(batch.num_rows)]
            for item in items:
                number += 1
                yield number, _decode_cells(item) if isinstance(item, dict) else item

    return Source(name, "row", rows, total=table.metadata.num_rows, paths=(path,))


def _csv(path: Path, name: str) -> Source:
    """CSV through the standard library: every cell stays the text it was (a reader that
    guesses types would turn the answer "1.50" into 1.5 and the id "007" into 7)."""
    try:
        handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise DataError(f"{name}: cannot read: {exc.strerror or exc}") from None
    # A completion can be longer than csv's default cell limit of 128 KiB.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

    def rows():
        with handle:
            reader = csv.DictReader(handle)
            number = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    number += 1
                    yield number, RecordError(f"not CSV: {exc}")
                    continue
                number += 1
                if None in row:
                    yield number, RecordError(f"{len(row[None])} more cell(s) than the header has columns")
                    continue
                if any(isinstance(v, str) and re.search("[\udc80-\udcff]", v) for v in row.values()):
                    yield number, RecordError("not UTF-8 text")
                    continue
                yield number, _decode_cells(row, gaps=(None, ""))  # CSV: no empty cell from a missing field

    return Source(name, "row", rows, paths=(path,))


# -- datasets --------------------------------------------------------------------------------------


def _records_source(name: str, records: list[Any], paths: tuple[Path, ...] = (), *, exact: bool = False) -> Source:
    """`exact`: the records are as mentor wrote them (built-in splits, datasets written by
    `to_dataset`): a null is a value and text is text. Otherwise they are a table's rows."""

    def rows():
        for number, record in enumerate(records, 1):
            if not isinstance(record, dict):
                yield number, _not_a_record(record)
            else:
                yield number, record if exact else _decode_cells(record)

    return Source(name, "row", rows, total=len(records), paths=paths)


def _one_split(loaded: Any, name: str, split: str | None, syntax: str) -> Any:
    from datasets import DatasetDict

    if isinstance(loaded, DatasetDict) and split is None and len(loaded) > 1:
        raise DataError(f"{name}: the dataset has splits {', '.join(loaded)}; choose one as {syntax}")
    return loaded


def _saved(path: Path, name: str, split: str | None = None) -> Source:
    from .io import _load_disk

    loaded = _one_split(_load_disk(path), name, split, f"{name}:SPLIT")
    try:
        records = from_dataset(loaded, split)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    return _records_source(name, records, (path,), exact=written_by_mentor(loaded))


def _hub(name: str, repo: str, revision: str | None, split: str | None) -> Source:
    """A Hub dataset through `datasets.load_dataset`, which reads the Hugging Face cache
    and honours HF_HUB_OFFLINE."""
    import datasets

    try:
        loaded = datasets.load_dataset(repo, split=split, revision=revision)
    except Exception as exc:  # datasets raises ConnectionError, FileNotFoundError, ValueError, its own ...
        raise DataError(_hub_failure(name, repo, revision, split, exc)) from None
    loaded = _one_split(loaded, name, split, f"{repo}:SPLIT")
    return _records_source(name, from_dataset(loaded, split), exact=written_by_mentor(loaded))


def _hub_failure(name: str, repo: str, revision: str | None, split: str | None, exc: Exception) -> str:
    import datasets
    from datasets.exceptions import DatasetNotFoundError

    if datasets.config.HF_HUB_OFFLINE and isinstance(exc, (ConnectionError, FileNotFoundError)):
        cache = datasets.config.HF_DATASETS_CACHE
        return (
            f"{name}: no such local path, and the Hub dataset {repo!r} is not in the local cache ({cache}), "
            "and HF_HUB_OFFLINE is set, so it cannot be downloaded. Fetch it once with network access: "
            f"python -c \"import datasets; datasets.load_dataset('{repo}')\" (or unset HF_HUB_OFFLINE)"
        )
    if isinstance(exc, DatasetNotFoundError):
        return f"{name}: no such local path, nor a dataset on the Hugging Face Hub that this login can see ({exc})"
    if split is not None:
        # datasets says "Unknown split" only in a ValueError's text: ask for the names instead.
        splits = _split_names(repo, revision)
        if splits and split not in splits:
            return f"{name}: no split {split!r}{did_you_mean(split, splits)} (splits: {', '.join(splits)})"
    return f"{name}: cannot load the Hub dataset {repo!r}: {type(exc).__name__}: {exc}"


def _split_names(repo: str, revision: str | None) -> list[str]:
    """The dataset's split names, or [] when they cannot be found either."""
    import datasets

    try:
        return list(datasets.get_dataset_split_names(repo, revision=revision))
    except Exception:  # the reason the dataset failed to load is reported instead
        return []


# -- one entry point -------------------------------------------------------------------------------

#: File suffix -> reader. A file without a suffix is read as JSON Lines (a pipe, `<(zcat ...)`).
READERS: dict[str, Callable[[Path, str], Source]] = {
    ".jsonl": _jsonl,
    ".ndjson": _jsonl,
    "": _jsonl,
    ".json": _json,
    ".parquet": _parquet,
    ".csv": _csv,
}


_FILE_SUFFIXES = frozenset(suffix for suffix in READERS if suffix)


def _accepted() -> str:
    return "; ".join(FORMS)


def open_source(spec: str | Path, *, bfcl_path: str | Path | None = None) -> Source:
    """The records of `spec` in any of the forms above. A source that cannot be read at
    all (missing, unknown suffix, not a dataset, offline and not cached) is a DataError
    now; a record that cannot be read comes as a RecordError in its place."""
    from .splits import is_split, load_split

    text = str(spec)
    if text == "-":
        return _jsonl("-", "-")
    if text.startswith("builtin:"):
        return _records_source(text, load_split(text[len("builtin:") :]), exact=True)
    if text.startswith("bfcl:"):
        from .bfcl import bfcl_tasks

        tasks, errors = bfcl_tasks(text[len("bfcl:") :], bfcl_path)
        records = _records_source(text, tasks, exact=True)  # then the records that could not be converted
        return Source(
            text, "row", lambda: iter([*records.rows(), *((None, e) for e in errors)]), total=len(tasks) + len(errors)
        )
    path = Path(text).expanduser()
    if path.is_dir():
        return _saved(path, text)
    if path.exists():
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            raise DataError(f"{text}: unknown kind of data file {path.suffix!r}; expected {_accepted()}")
        return reader(path, text)
    head, sep, split = text.rpartition(":")
    if sep and head and Path(head).expanduser().is_dir():
        return _saved(Path(head).expanduser(), text, split)
    if is_split(text):
        return _records_source(f"builtin:{text}", load_split(text), exact=True)
    hub = _HUB_ID.fullmatch(text)
    if hub is not None and Path(hub["repo"]).suffix.lower() not in _FILE_SUFFIXES:
        return _hub(text, hub["repo"], hub["revision"], hub["split"])
    raise DataError(f"{text}: no such file or directory; expected {_accepted()}")
