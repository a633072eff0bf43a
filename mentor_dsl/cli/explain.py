"""`mentor explain`: why one record gets its reward."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import DataError, RecordError
from .options import parse_set, set_option, tool_executor, tool_limit_option


def pick_record(data: str, *, line: int | None = None, record_id: str | None = None) -> tuple[str, Any]:
    """(position, record) of one record of `data`: the one at `line` (a JSON Lines line,
    or a row of another form), the one whose id is `record_id`, else the first."""
    from ..data.sources import open_source
    from ..trajectory import record_id as id_of

    source = open_source(data)
    seen = 0
    for where, record in source:
        seen += 1
        if line is not None and where.number != line:
            continue
        if record_id is not None:
            if isinstance(record, RecordError) or id_of(record, where.default_id or str(seen)) != record_id:
                continue
        if isinstance(record, RecordError):
            raise DataError(f"{where}: {record.message}")
        return str(where), record
    if line is not None:
        raise DataError(f"{data}: no record at {source.unit} {line} ({seen} {source.unit}s)")
    if record_id is not None:
        raise DataError(f"{data}: no record with id {record_id!r}")
    raise DataError(f"{data}: no records")


def default_id(position: str) -> str | None:
    """A record without an id is known by its line or row number (as `mentor score` says)."""
    tail = position.rsplit(":", 1)[-1].removeprefix("row ").strip()
    return tail if tail.isdigit() else None


@click.command("explain")
@click.option("--reward", "spec", required=True, help="Spec file, library name, or FILE::REWARD.")
@click.option("--data", required=True, help="Trajectory records (any form `mentor score --data` takes).")
@click.option("--id", "record_id", help="Explain the record with this id.")
@click.option("--line", type=click.IntRange(1), help="Explain the record on this line (row, for tables).")
@click.option(
    "--eos",
    default=None,
    help="The text that marks a finished completion [default: the embedded student's end of turn].",
)
@click.option("--step", type=click.IntRange(0), default=0, show_default=True, help="The trainer step `step` reads.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@click.option("--no-completion", is_flag=True, help="Leave out the marked completion text.")
@set_option
@tool_limit_option
def explain_command(
    spec: str,
    data: str,
    record_id: str | None,
    line: int | None,
    eos: str | None,
    step: int,
    as_json: bool,
    no_completion: bool,
    overrides: tuple[str, ...],
    tool_limits: tuple[str, ...],
) -> None:
    """Explain why one record gets its reward: every guard and whether it retired the
    record, every binding and term with its value and evidence (the calls parsed and where
    they are, which matched the teacher's, which are invalid and why, the answer and the
    judge's verdict), and the arithmetic that combined them.

    Without --id or --line the first record is explained."""
    from ..reward import load
    from .traces import console, print_trace

    if line is not None and record_id is not None:
        raise click.UsageError("give --id or --line, not both")
    reward = load(spec, eos=eos, **parse_set(overrides))
    reward.use_executor(tool_executor(tool_limits))
    position, record = pick_record(data, line=line, record_id=record_id)
    if isinstance(record, dict) and "id" not in record and default_id(position):
        record = {**record, "id": default_id(position)}
    try:
        trace = reward.explain(record, step=step, position=position)
    except RecordError as exc:
        rid = f"record {exc.record_id!r}: " if exc.record_id is not None else ""
        raise DataError(f"{position}: {rid}{exc.message}") from None
    if as_json:
        click.echo(json.dumps(trace.to_json(), indent=2, ensure_ascii=False))
        return
    print_trace(trace, console(), show_completion=not no_completion)
