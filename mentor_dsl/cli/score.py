"""`mentor score`: score trajectory records (JSON Lines, Parquet, ... any `--data` form) with a reward spec."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import RecordError, UncomputedReward
from .options import fmt, parse_set, set_option, spec_file, tool_executor, tool_limit_option

if TYPE_CHECKING:  # the reward imports torch: only when a command runs
    from ..data.sources import Position
    from ..reward import Reward

EXIT_SKIPPED = 1


class _Summary:
    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.rewards: list[float] = []
        self.skipped = 0
        self.uncomputed = 0  # skipped because a term or the reward gave NaN, inf or an out-of-range value
        self.failed: dict[str, list] = {}  # kind -> [count, an example]

    def add(self, row: dict) -> None:
        self.rewards.append(row["reward"])
        for call in row.get("failed_calls", ()):
            entry = self.failed.setdefault(
                call["kind"], [0, f"record {row['id']!r}, call {call['call']} ({call['name']}): {call['error']}"]
            )
            entry[0] += 1
        for k, v in row["terms"].items():
            self.sums.setdefault(k, 0.0)
            self.counts.setdefault(k, 0)
            if v is not None:
                self.sums[k] += v
                self.counts[k] += 1

    def render(self, reward: Reward) -> list:
        """The summary: a headline, the reward's range, the per-term table (display.echo prints it)."""
        from ..display import table

        n = len(self.rewards)
        out: list = [
            f"scored {n} record{'s' if n != 1 else ''} with {reward.name!r}"
            + (f", skipped {self.skipped}" if self.skipped else "")
        ]
        if n:
            mean = sum(self.rewards) / n
            out.append(f"reward: mean {fmt(mean)}, min {fmt(min(self.rewards))}, max {fmt(max(self.rewards))}")
            rows = [
                [k, fmt(self.sums[k] / self.counts[k]) if self.counts[k] else "-", str(self.counts[k])]
                for k in self.sums
            ]
            out.append(table(["term", "mean", "computed"], rows))
        if self.failed:
            total = sum(n for n, _ in self.failed.values())
            out.append(f'failed calls: {total} (each record\'s "failed_calls" says why)')
            out.append(
                table(
                    ["why", "calls", "example"],
                    [
                        [kind, str(n), example if len(example) <= 100 else example[:97] + "..."]
                        for kind, (n, example) in sorted(self.failed.items(), key=lambda kv: -kv[1][0])
                    ],
                )
            )
        return out


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command("score")
@click.option("--reward", "spec", required=True, help="Spec file, library name, or FILE::REWARD.")
@click.option(
    "--data",
    required=True,
    help="Trajectory records: a .jsonl ('-' for stdin), .json, .parquet or .csv file, a save_to_disk "
    "folder, or a Hub dataset ORG/NAME[:SPLIT].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scores here (JSON lines, replaced atomically) instead of stdout.",
)
@click.option(
    "--eos",
    default=None,
    help="The text that marks a finished completion [default: the embedded student's end of turn].",
)
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1))
@set_option
@tool_limit_option
def score_command(
    spec: str,
    data: str,
    output: Path | None,
    eos: str | None,
    batch_size: int,
    overrides: tuple[str, ...],
    tool_limits: tuple[str, ...],
) -> None:
    """Score trajectory records with a reward spec. Writes {"id", "reward", "terms"} per
    record (and "failed_calls", with why each failed, when the spec ran its calls) and a
    summary table on stderr. Bad records are reported and skipped.

    A record without an id is known by its line (JSON Lines) or row number. -o is
    written to a temporary file and renamed into place at the end: on an error or Ctrl-C
    the previous file is left as it was."""
    from ..data.sources import open_source
    from ..display import echo, progress
    from ..outputs import json_line, open_output
    from ..reward import load

    reward = load(spec, eos=eos, **parse_set(overrides))
    reward.use_executor(tool_executor(tool_limits))
    source = open_source(data)  # a missing or unreadable file fails here, before -o is touched
    summary = _Summary()
    writer = (
        open_output(output, inputs=[*source.paths, spec_file(spec)]) if output else contextlib.nullcontext(sys.stdout)
    )
    with writer as out, progress("scoring", source.total, unit="record") as bar:
        for batch in _batches(iter(source), batch_size):
            good: list[tuple[Position, dict]] = [(w, r) for w, r in batch if not isinstance(r, RecordError)]
            result = reward.score(
                [r for _, r in good],
                on_error="skip",
                ids=[where.default_id or str(i) for i, (where, _) in enumerate(good)],
            )
            rows = iter(result.rows())
            index = -1  # into `good`: errors and rows come out in file order
            for where, record in batch:
                error = record if isinstance(record, RecordError) else None
                if error is None:
                    index += 1
                    error = result.errors.get(index)
                if error is not None:
                    _report(where, error)
                    summary.skipped += 1
                    summary.uncomputed += isinstance(error, UncomputedReward)
                    continue
                row = next(rows)
                summary.add(row)
                out.write(json_line(row))
            bar.advance(len(batch), note=f"{summary.skipped} skipped" if summary.skipped else None)
        if not output:
            out.flush()
    echo(*summary.render(reward), err=True)
    if summary.uncomputed:
        raise SystemExit(UncomputedReward.exit_code)
    if summary.skipped:
        raise SystemExit(EXIT_SKIPPED)


def _report(where: Position, error: RecordError) -> None:
    rid = f"record {error.record_id!r}: " if error.record_id is not None else ""
    click.echo(f"{where}: {rid}{error.message}", err=True)
