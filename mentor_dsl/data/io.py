"""Reading and writing task records: JSON Lines, Hugging Face `datasets`, and one resolver.

    records = resolve_data("builtin:test")        # or "tasks.jsonl", or a save_to_disk folder
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
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Sequence

from ..errors import DataError

#: Marks our encoding metadata in `Dataset.info.description`.
_META_KEY = "mentor_records"
_MAX_REPORTED = 10


# --- JSON Lines ---------------------------------------------------------------------------


def save_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path) -> int:
    """Write one JSON object per line (UTF-8, parents created). Returns the count."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    except OSError as exc:
        raise DataError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return count


class InvalidJSON(ValueError):
    """Stands in for a line of a JSON Lines file that is not valid JSON."""


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON value) for each non-blank line of `path` ("-" reads stdin).
    A line that is not JSON yields an InvalidJSON in place of its value, so callers can
    report it and go on; a file that cannot be read at all raises DataError."""
    stream: IO[str]
    if str(path) == "-":
        stream, closing = sys.stdin, contextlib.nullcontext(sys.stdin)
    else:
        file = Path(path)
        if file.is_dir():
            raise DataError(f"{path}: is a directory, not a JSONL file")
        try:
            stream = closing = file.open(encoding="utf-8", errors="strict")
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with closing:
        number = 0
        while True:
            try:
                line = stream.readline()
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: not UTF-8 text after line {number} ({exc.reason})") from None
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as exc:
                yield number, InvalidJSON(str(exc))


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, record) for each non-blank line; a bad line yields a DataError
    in place of the record, so callers can report it and go on."""
    for number, value in iter_json_lines(path):
        if isinstance(value, InvalidJSON):
            yield number, DataError(f"{path}:{number}: invalid JSON: {value}")
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
        raise DataError(f"{len(bad)} bad line{'s' if len(bad) > 1 else ''} in {path}:\n"
                        + "\n".join(bad[:_MAX_REPORTED]) + more)
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
    calls = [{**c, "arguments": json.dumps(c["arguments"], ensure_ascii=False)}
             if isinstance(c, dict) and "arguments" in c else c for c in teacher["tool_calls"]]
    return {**teacher, "tool_calls": calls}


def _arguments_from_json(teacher: Any) -> Any:
    if not isinstance(teacher, dict) or not isinstance(teacher.get("tool_calls"), list):
        return teacher
    calls = [{**c, "arguments": json.loads(c["arguments"])}
             if isinstance(c, dict) and isinstance(c.get("arguments"), str) else c for c in teacher["tool_calls"]]
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


def _encoding_of(ds) -> dict[str, str]:
    try:
        meta = json.loads(ds.info.description or "")
    except (ValueError, TypeError):
        return {}
    if isinstance(meta, dict) and meta.get(_META_KEY) == 1 and isinstance(meta.get("encoded"), dict):
        return meta["encoded"]
    return {}


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
            raise DataError(f"the dataset has splits {', '.join(ds)}; choose one"
                            + (f" (no split {split!r})" if split else ""))
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


def save_dataset(records: Sequence[Mapping[str, Any]], path: str | Path, *, progress: bool = True) -> None:
    """`to_dataset(records).save_to_disk(path)`, with a clean error. `progress=False`
    hides datasets' progress bar for this call only."""
    from datasets.utils import logging as ds_logging

    ds = to_dataset(records)
    was_enabled = ds_logging.is_progress_bar_enabled()
    if not progress:
        ds_logging.disable_progress_bar()
    try:
        ds.save_to_disk(str(path))
    except OSError as exc:
        raise DataError(f"{path}: cannot write the dataset: {exc}") from None
    finally:
        if was_enabled and not progress:
            ds_logging.enable_progress_bar()


# --- one entry point ----------------------------------------------------------------------


def resolve_data(spec: str | Path, n: int | None = None, *,
                 bfcl_path: str | Path | None = None) -> list[dict[str, Any]]:
    """Records from `builtin:SPLIT`, `bfcl:CATEGORY`, a JSONL file, or a datasets directory
    (the first `n` when given). A bare split name works when no such file exists."""
    from .splits import SPLITS, load_split

    text = str(spec)
    if text.startswith("builtin:"):
        return load_split(text[len("builtin:"):], n)
    if text.startswith("bfcl:"):
        from .bfcl import bfcl_tasks

        tasks, _ = bfcl_tasks(text[len("bfcl:"):], bfcl_path, n)
        return tasks
    path = Path(text).expanduser()
    if path.is_dir():
        records = from_dataset(path)
    elif path.exists():
        records = load_jsonl(path)
    elif text in SPLITS:
        return load_split(text, n)
    else:
        raise DataError(f"{text}: no such file or directory; expected builtin:SPLIT (one of "
                        f"{', '.join(SPLITS)}), bfcl:CATEGORY, a .jsonl file or a datasets directory")
    if n is not None:
        if n < 0:
            raise DataError(f"n must not be negative, got {n}")
        records = records[:n]
    return records
