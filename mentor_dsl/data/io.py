"""Reading and writing task records: JSON Lines, Hugging Face `datasets`, and one resolver.

    records = resolve_data("builtin:test")        # or a .jsonl/.json/.parquet/.csv file, a
                                                  # save_to_disk folder, a Hub id (data/sources.py)
    save_jsonl(records, "test.jsonl")
    to_dataset(records).save_to_disk("test_ds")   # from_dataset("test_ds") == records

Arrow stores a column with one type, so some record fields cannot go in as they are: the
teacher's `arguments` differ in keys and mix integers with floats from call to call. A
column is stored natively when Arrow gives it back unchanged; otherwise `teacher` keeps
its shape with each call's `arguments` as a JSON string (the OpenAI convention, which
mentor's trajectory parser reads as is, so the dataset still works as TRL reward input),
and any other column becomes JSON text. Which columns were encoded, and how, is written to
the dataset's `info.description`, and `from_dataset` undoes it: the round trip is exact.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ..errors import DataError, RecordError

#: Marks our encoding metadata in `Dataset.info.description`.
_META_KEY = "mentor_records"
_MAX_REPORTED = 10


# --- JSON Lines ---------------------------------------------------------------------------


def save_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path, *, inputs: Iterable[Any] = ()) -> int:
    """Write one JSON object per line (UTF-8), atomically (see `mentor_dsl.outputs`):
    `path` is replaced only once every record is written. Returns the count."""
    from ..outputs import json_line, open_output

    count = 0
    with open_output(path, inputs=inputs) as out:
        for record in records:
            out.write(json_line(record))
            count += 1
    return count


class InvalidJSON(ValueError):
    """Stands in for a line of a JSON Lines file that is not a JSON value (bad JSON, or
    bytes that are not UTF-8); its text says which."""


_BOM = b"\xef\xbb\xbf"


def _decode_line(raw: bytes) -> Any:
    """One line's JSON value, or InvalidJSON saying why not. Every failure stays inside
    the line: bytes that are not UTF-8, bad JSON, nesting too deep for the parser, an
    integer too long to convert."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InvalidJSON(f"not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the line)")
    try:
        return json.loads(text)
    except RecursionError:
        return InvalidJSON("invalid JSON: nested too deeply to read")
    except ValueError as exc:  # JSONDecodeError, and int() refusing thousands of digits
        return InvalidJSON(f"invalid JSON: {exc}")


def open_lines(path: str | Path) -> contextlib.AbstractContextManager[IO[bytes]]:
    """`path` opened for reading bytes ("-": stdin), or a DataError saying why not. Use it
    in a `with` block, which gives the stream (and closes a file, never stdin)."""
    if str(path) == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    file = Path(path).expanduser()
    if file.is_dir():
        raise DataError(f"{path}: is a directory, not a JSONL file")
    try:
        return file.open("rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def iter_json_lines(
    path: str | Path, stream: contextlib.AbstractContextManager[IO[bytes]] | None = None
) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON value) for each non-blank line of `path` ("-" reads
    stdin). Lines are read as bytes and decoded one by one, so a line that is not UTF-8
    or not JSON yields an InvalidJSON in place of its value and the others still read; a
    UTF-8 byte order mark before the first line is skipped. A file that cannot be opened
    raises DataError (at the first `next`, or at once through `open_lines`)."""
    with stream if stream is not None else open_lines(path) as lines:
        for number, raw in enumerate(lines, 1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw.strip():
                continue
            yield number, _decode_line(raw)


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, record) for each non-blank line; a bad line yields a DataError
    in place of the record, so callers can report it and go on."""
    for number, value in iter_json_lines(path):
        if isinstance(value, InvalidJSON):
            yield number, DataError(f"{path}:{number}: {value}")
        elif not isinstance(value, dict):
            yield number, DataError(f"{path}:{number}: expected a JSON object, got {type(value).__name__}")
        else:
            yield number, value


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every record of a JSONL file; a DataError naming each bad line if there are any."""
    records, bad = [], []
    for _, value in iter_jsonl(path):
        if isinstance(value, DataError):
            bad.append(str(value))
        else:
            records.append(value)
    if bad:
        more = f"\n... and {len(bad) - _MAX_REPORTED} more" if len(bad) > _MAX_REPORTED else ""
        raise DataError(
            f"{len(bad)} bad line{'s' if len(bad) > 1 else ''} in {path}:\n" + "\n".join(bad[:_MAX_REPORTED]) + more
        )
    return records


# --- datasets -----------------------------------------------------------------------------

_ABSENT = object()


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values *and* of the same types (1 is not 1.0, a missing key is not null)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _native(values: list[Any]) -> bool:
    """Whether Arrow stores this column and gives it back unchanged."""
    from datasets import Dataset

    try:
        back = Dataset.from_dict({"c": values})["c"]
    except Exception:  # Arrow refuses mixed types with assorted exception classes
        return False
    return _same(list(back), values)


def _arguments_as_json(teacher: Any) -> Any:
    if not isinstance(teacher, dict) or not isinstance(teacher.get("tool_calls"), list):
        return teacher
    calls = [
        {**c, "arguments": json.dumps(c["arguments"], ensure_ascii=False)}
        if isinstance(c, dict) and "arguments" in c
        else c
        for c in teacher["tool_calls"]
    ]
    return {**teacher, "tool_calls": calls}


def _arguments_from_json(teacher: Any) -> Any:
    if not isinstance(teacher, dict) or not isinstance(teacher.get("tool_calls"), list):
        return teacher
    calls = [
        {**c, "arguments": json.loads(c["arguments"])}
        if isinstance(c, dict) and isinstance(c.get("arguments"), str)
        else c
        for c in teacher["tool_calls"]
    ]
    return {**teacher, "tool_calls": calls}


def _encode(name: str, values: list[Any]) -> tuple[str, list[Any]]:
    if all(v is not _ABSENT for v in values):
        if _native(values):
            return "native", values
        if name == "teacher":
            encoded = [_arguments_as_json(v) for v in values]
            if _native(encoded) and all(_same(_arguments_from_json(e), v) for e, v in zip(encoded, values)):
                return "arguments", encoded
    # Absent stays an Arrow null; a present null becomes the text "null".
    return "json", [None if v is _ABSENT else json.dumps(v, ensure_ascii=False) for v in values]


def to_dataset(records: Sequence[Mapping[str, Any]]):
    """A `datasets.Dataset` holding the records losslessly (see the module docstring)."""
    from datasets import Dataset

    records = list(records)
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise DataError(f"record {i} is not an object")
    columns: dict[str, None] = {}
    for r in records:
        columns.update(dict.fromkeys(r))
    data: dict[str, list[Any]] = {}
    encoding: dict[str, str] = {}
    for name in columns:
        how, values = _encode(name, [r.get(name, _ABSENT) for r in records])
        data[name] = values
        if how != "native":
            encoding[name] = how
    try:
        ds = Dataset.from_dict(data)
    except Exception as exc:
        raise DataError(f"cannot store the records as a dataset: {exc}") from None
    ds.info.description = json.dumps({_META_KEY: 1, "encoded": encoding})
    return ds


def _meta(ds) -> dict[str, Any] | None:
    """The encoding metadata `to_dataset` wrote, or None for a dataset it did not write."""
    try:
        meta = json.loads(ds.info.description or "")
    except (ValueError, TypeError):
        return None
    if isinstance(meta, dict) and meta.get(_META_KEY) == 1 and isinstance(meta.get("encoded"), dict):
        return meta
    return None


def _encoding_of(ds) -> dict[str, str]:
    meta = _meta(ds)
    return meta["encoded"] if meta is not None else {}


def written_by_mentor(ds) -> bool:
    """Whether `to_dataset` wrote this dataset: then a null is a field's value, not a gap."""
    from datasets import DatasetDict

    if isinstance(ds, DatasetDict):
        return all(written_by_mentor(d) for d in ds.values())
    return _meta(ds) is not None


def _load_disk(path: Path):
    from datasets import load_from_disk

    if not path.exists():
        raise DataError(f"{path}: no such dataset directory")
    try:
        return load_from_disk(str(path))
    except Exception as exc:  # datasets raises FileNotFoundError, ValueError, ... for non-datasets
        raise DataError(f"{path}: not a dataset saved with save_to_disk ({exc})") from None


def from_dataset(source: Any, split: str | None = None) -> list[dict[str, Any]]:
    """Records from a `Dataset`, a `DatasetDict` (its only split, or `split`), or the
    directory either was saved to. Columns `to_dataset` encoded are decoded."""
    from datasets import Dataset, DatasetDict

    ds = _load_disk(Path(source)) if isinstance(source, (str, Path)) else source
    if isinstance(ds, DatasetDict):
        if split is None and len(ds) == 1:
            split = next(iter(ds))
        if split not in ds:
            raise DataError(
                f"the dataset has splits {', '.join(ds)}; choose one" + (f" (no split {split!r})" if split else "")
            )
        ds = ds[split]
    if not isinstance(ds, Dataset):
        raise DataError(f"expected a datasets.Dataset, got {type(ds).__name__}")
    encoding = _encoding_of(ds)
    out = []
    for row in ds:
        record = {}
        for name, value in row.items():
            how = encoding.get(name)
            if how == "json":
                if value is None:
                    continue  # the record did not have this field
                value = json.loads(value)
            elif how == "arguments":
                value = _arguments_from_json(value)
            record[name] = value
        out.append(record)
    return out


def save_dataset(
    records: Sequence[Mapping[str, Any]], path: str | Path, *, progress: bool = True, inputs: Iterable[Any] = ()
) -> None:
    """`to_dataset(records).save_to_disk(path)`, atomically (built in a temporary folder
    beside `path`, then swapped in; see `mentor_dsl.outputs`). `progress=False` hides
    datasets' progress bar for this call only."""
    from datasets.utils import logging as ds_logging

    from ..outputs import output_dir

    ds = to_dataset(records)
    was_enabled = ds_logging.is_progress_bar_enabled()
    if not progress:
        ds_logging.disable_progress_bar()
    try:
        with output_dir(path, inputs=inputs) as temp:
            ds.save_to_disk(str(temp))
    finally:
        if was_enabled and not progress:
            ds_logging.enable_progress_bar()


# --- one entry point ----------------------------------------------------------------------


def resolve_data(
    spec: str | Path, n: int | None = None, *, bfcl_path: str | Path | None = None, default_ids: bool = False
) -> list[dict[str, Any]]:
    """Every record of `spec` (the first `n` when given), in any form `--data` takes:
    `builtin:SPLIT`, `bfcl:CATEGORY`, a JSON Lines, JSON, Parquet or CSV file, a
    `save_to_disk` folder or a Hub dataset `ORG/NAME[:SPLIT]` (see `data.sources`). The
    one resolver of train, eval and teach; a DataError names every bad record (up to 10).
    `default_ids`: a record without an `id` gets its line (or row) number as one, so its
    results can be joined back to it."""
    from .sources import open_source
    from .splits import is_split, load_split

    text = str(spec)
    if n is not None and n < 0:
        raise DataError(f"n must not be negative, got {n}")
    if text.startswith("builtin:"):
        return load_split(text[len("builtin:") :], n)  # says so when n is larger than the split
    if is_split(text) and not Path(text).expanduser().exists():
        return load_split(text, n)
    if text.startswith("bfcl:"):  # the records BFCL's grader cannot use are left out, as BFCL does
        from .bfcl import bfcl_tasks

        return bfcl_tasks(text[len("bfcl:") :], bfcl_path, n)[0]
    records: list[dict[str, Any]] = []
    bad: list[str] = []
    for where, value in open_source(text, bfcl_path=bfcl_path):
        if n is not None and len(records) >= n:
            break
        if isinstance(value, (RecordError, DataError)):
            bad.append(f"{where}: {value}")
        elif default_ids and "id" not in value and where.default_id is not None:
            records.append({"id": where.default_id, **value})
        else:
            records.append(value)
    if bad:
        more = f"\n... and {len(bad) - _MAX_REPORTED} more" if len(bad) > _MAX_REPORTED else ""
        raise DataError(
            f"{len(bad)} bad record{'s' if len(bad) > 1 else ''} in {text}:\n" + "\n".join(bad[:_MAX_REPORTED]) + more
        )
    return records
