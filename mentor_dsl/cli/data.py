"""`mentor data`: list, export and import task sets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..errors import DataError, RecordError

EXIT_SKIPPED = 1


@click.group("data")
def data_command() -> None:
    """Built-in task sets (train, test and out-of-domain splits) and dataset import."""


@data_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per split) instead of a table.")
def list_command(as_json: bool) -> None:
    """List the built-in splits: name, size, domains and description."""
    from dataclasses import asdict

    from ..data import list_splits
    from ..display import echo, table

    splits = list_splits()
    if as_json:
        import json

        click.echo(json.dumps([{**asdict(info), "domains": list(info.domains)} for info in splits], indent=2))
        return
    rows = []
    for info in splits:
        note = "" if info.available else f" [needs {info.requires}: not installed]"
        rows.append([info.name, str(info.size), ", ".join(info.domains), info.description + note])
    echo(table(["split", "size", "domains", "description"], rows))


@data_command.command("export")
@click.argument("split")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write here (a file for jsonl, a directory for datasets) instead of stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "datasets"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines, or a Hugging Face datasets directory (save_to_disk).",
)
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
    from ..outputs import write_text

    write_text(output, "".join(line + "\n" for line in lines))
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


@data_command.command("import")
@click.argument("source")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The JSONL file to write (replaced atomically).",
)
@click.option(
    "--path",
    "bfcl_path",
    type=click.Path(file_okay=False),
    default=None,
    help="For bfcl:CATEGORY: a gorilla checkout (default: the installed bfcl-eval data).",
)
@click.option("-n", type=click.IntRange(0), default=None, help="Only the first N records of SOURCE.")
def import_command(source: str, output: Path, bfcl_path: str | None, n: int | None) -> None:
    """Validate task records from SOURCE and write the good ones to a JSONL file.

    SOURCE is any form --data takes: a .jsonl, .json, .parquet or .csv file, a datasets
    folder, a Hub dataset ORG/NAME[:SPLIT], or bfcl:CATEGORY (e.g. bfcl:simple_python).
    Bad records are reported with their line (or row) and skipped; the exit status is
    then 1."""
    from ..data import check_task, save_jsonl
    from ..data.sources import open_source
    from ..outputs import claim

    records = open_source(source, bfcl_path=bfcl_path)
    kept: list[dict[str, Any]] = []
    ids: set[str] = set()
    skipped = 0
    unprovided: dict[str, list[str]] = {}  # tool name -> ids of the records that list it
    stem = _stem(source)
    from ..display import progress

    total = records.total if n is None or records.total is None else min(n, records.total)
    with claim([output], inputs=records.paths), progress("importing", total, unit="record") as bar:
        for where, value in records:
            if n is not None and len(kept) + skipped >= n:
                break
            try:
                if isinstance(value, (DataError, RecordError)):
                    raise value
                check_task(value)
                if "id" not in value:
                    # Ids join scores, teacher outputs and evaluations back to tasks.
                    value = {"id": f"{stem}-{where.default_id}", **value}
                rid = str(value["id"])
                if rid in ids:
                    raise RecordError("duplicate id (an earlier record has it)", record_id=rid, field="id")
            except (DataError, RecordError) as exc:
                skipped += 1
                message = exc.render() if isinstance(exc, RecordError) else str(exc)
                click.echo(f"{where}: {message}", err=True)
                bar.advance(1, note=f"{skipped} skipped")
                continue
            ids.add(rid)
            kept.append(value)
            for name in _unprovided(value):
                unprovided.setdefault(name, []).append(rid)
            bar.advance(1, note=f"{skipped} skipped" if skipped else None)
        save_jsonl(kept, output)
    click.echo(
        f"imported {len(kept)} record{'s' if len(kept) != 1 else ''} to {output}"
        + (f", skipped {skipped}" if skipped else ""),
        err=True,
    )
    for name, listed_by in sorted(unprovided.items()):
        # Kept: a score only needs the name. Training, evaluation and teaching need the tool.
        click.echo(
            f"warning: tool {name!r}, listed by {len(listed_by)} record{'s' if len(listed_by) != 1 else ''} "
            f"(first: {listed_by[0]!r}), is provided by no installed plugin: `mentor train`, `eval` and "
            "`teach` will refuse those records (see `mentor plugins`)",
            err=True,
        )
    if skipped:
        raise SystemExit(EXIT_SKIPPED)


def _unprovided(record: dict[str, Any]) -> tuple[str, ...]:
    """The tools a record lists by a name that no plugin registers (`toolsets.offered`)."""
    from ..plugins import registry
    from ..toolsets import offered

    if record.get("tools") is None:
        return ()
    try:
        return offered(record["tools"], registry()).missing
    except DataError:  # a malformed `tools` was already refused by check_task
        return ()


def _stem(source: str) -> str:
    """The prefix of the ids given to records without one: the file's name, the category."""
    if source.startswith("bfcl:"):
        return source.replace(":", "_")
    name = source.rstrip("/").split(":")[0] if not Path(source).exists() else source.rstrip("/")
    return Path(name).stem or "record"
