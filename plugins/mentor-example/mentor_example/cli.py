"""`mentor lengths`: how long are the completions, and what would `brevity` pay for them?

    $ mentor lengths --data examples/records.jsonl --max-tokens 40
    id             tokens  brevity
    -------------  ------  -------
    short-correct  23      1
    ...

A plugin command is a plain `click.Command`. mentor adds it to its own command group
lazily (so a broken plugin cannot break `mentor --help`), and errors derived from
`mentor_dsl.MentorError` are printed as one clean line with the error's exit code, like
those of the built-in commands.
"""

from __future__ import annotations

import json

import click

from mentor_dsl.errors import DataError, RecordError
from mentor_dsl.trajectory import Trajectory

from .brevity import UNITS, brevity_value, length


def _records(path: str):
    try:
        with click.open_file(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield Trajectory.from_record(json.loads(line), index=number - 1)
        except ValueError as exc:
            raise RecordError(f"invalid JSON: {exc}", line=number) from None


@click.command("lengths")
@click.option("--data", required=True, help="Trajectory records, one JSON object per line ('-' for stdin).")
@click.option("--max-tokens", type=click.IntRange(min=0), default=256, show_default=True,
              help="brevity's max_tokens.")
@click.option("--window", type=click.IntRange(min=0), default=None, help="brevity's window [default: max-tokens].")
@click.option("--unit", type=click.Choice(UNITS), default="tokens", show_default=True, help="What to count.")
def lengths_command(data: str, max_tokens: int, window: int | None, unit: str) -> None:
    """Completion lengths and the `brevity` term's value for each record (mentor-example)."""
    from mentor_dsl.cli.options import fmt
    from mentor_dsl.display import echo, table  # the tables every mentor command draws

    rows = []
    for traj in _records(data):
        n = length(traj.text, unit)
        rows.append([traj.id, str(n), fmt(brevity_value(n, max_tokens, window))])
    echo(table(["id", unit, "brevity"], rows))
