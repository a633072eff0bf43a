"""`mentor data`: list, export and import task sets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import click

from ..errors import DataError, RecordError
from .options import table

EXIT_SKIPPED = 1


@click.group("data")
def data_command() -> None:
    """Built-in task sets (train, test and out-of-domain splits) and dataset import."""


@data_command.command("list")
def list_command() -> None:
    """List the built-in splits: name, size, domains and description."""
    from ..data import list_splits

    rows = []
    for info in list_splits():
        note = "" if info.available else f" [needs {info.requires}: not installed]"
        rows.append([info.name, str(info.size), ",".join(info.domains), info.description + note])
    click.echo(table(rows, ["split", "size", "domains", "description"], indent=0))


@data_command.command("export")
@click.argument("split")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here (a file for jsonl, a directory for datasets) instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "datasets"]), default="jsonl", show_default=True,
              help="JSON Lines, or a Hugging Face datasets directory (save_to_disk).")
@click.option("-n", type=click.IntRange(0), default=None, help="Only the first N records.")
def export_command(split: str, output: Path | None, fmt: str, n: int | None) -> None:
    """Write a built-in SPLIT (e.g. train, builtin:ood_chain) as JSONL or a dataset."""
    from ..data import load_split, save_dataset, split_lines

    if fmt == "datasets":
        if output is None:
            raise click.UsageError("--format datasets needs -o DIRECTORY")
        records = load_split(split, n)
        save_dataset(records, output, progress=False)
        click.echo(f"wrote {len(records)} records to {output}/ (datasets)", err=True)
        return
    lines = split_lines(split, n)
    if output is None:
        _write_stdout(lines)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(lines)} records to {output}", err=True)


def _write_stdout(lines: tuple[str, ...]) -> None:
    """Lines to stdout; a reader that stops early (`| head`) ends the command quietly."""
    import os

    try:
        for line in lines:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again while flushing at exit: point stdout at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


def _numbered(source: str, n: int | None, bfcl_path: str | None) -> Iterator[tuple[str, int, Any]]:
    """(where, number, record or error) for each record of SOURCE: `where` is file:line
    when the source has lines, `number` the line (or 1-based position) of the record."""
    from ..data import from_dataset, iter_jsonl
    from ..data.bfcl import bfcl_tasks

    if source.startswith("bfcl:"):
        tasks, errors = bfcl_tasks(source[len("bfcl:"):], bfcl_path, n)
        for error in errors:
            yield source, 0, error
        for i, task in enumerate(tasks, 1):
            yield source, i, task
        return
    path = Path(source).expanduser()
    if path.is_dir():
        records = from_dataset(path)
        for i, record in enumerate(records[:n] if n is not None else records):
            yield f"{source}[{i}]", i + 1, record
        return
    count = 0
    for line, value in iter_jsonl(path):
        if n is not None and count >= n:
            return
        count += 1
        yield f"{source}:{line}", line, value


@data_command.command("import")
@click.argument("source")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The JSONL file to write.")
@click.option("--path", "bfcl_path", type=click.Path(file_okay=False), default=None,
              help="For bfcl:CATEGORY: a gorilla checkout (default: the installed bfcl-eval data).")
@click.option("-n", type=click.IntRange(0), default=None, help="Only the first N records of SOURCE.")
def import_command(source: str, output: Path, bfcl_path: str | None, n: int | None) -> None:
    """Validate task records from SOURCE and write the good ones to a JSONL file.

    SOURCE is a JSONL file, a datasets directory, or bfcl:CATEGORY (e.g.
    bfcl:simple_python). Bad records are reported with their line and skipped; the exit
    status is then 1."""
    from ..data import check_task, save_jsonl

    kept: list[dict[str, Any]] = []
    ids: set[str] = set()
    skipped = 0
    stem = Path(source).stem if not source.startswith("bfcl:") else source.replace(":", "_")
    for where, number, value in _numbered(source, n, bfcl_path):
        try:
            if isinstance(value, (DataError, RecordError)):
                raise value
            check_task(value)
            if "id" not in value:
                # Ids join scores, teacher outputs and evaluations back to tasks.
                value = {"id": f"{stem}-{number}", **value}
            rid = str(value["id"])
            if rid in ids:
                raise RecordError("duplicate id (an earlier record has it)", record_id=rid, field="id")
        except (DataError, RecordError) as exc:
            skipped += 1
            message = exc.render() if isinstance(exc, RecordError) else str(exc)
            click.echo(message if message.startswith(where) else f"{where}: {message}", err=True)
            continue
        ids.add(rid)
        kept.append(value)
    save_jsonl(kept, output)
    click.echo(f"imported {len(kept)} record{'s' if len(kept) != 1 else ''} to {output}"
               + (f", skipped {skipped}" if skipped else ""), err=True)
    if skipped:
        raise SystemExit(EXIT_SKIPPED)
