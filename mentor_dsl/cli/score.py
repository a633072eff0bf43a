"""`mentor score`: score a JSONL file of trajectory records with a reward spec."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from ..data.io import InvalidJSON, iter_json_lines
from ..errors import RecordError
from .options import fmt, parse_set, set_option, table, tool_executor, tool_limit_option

if TYPE_CHECKING:  # the reward imports torch: only when a command runs
    from ..reward import Reward

EXIT_SKIPPED = 1


def read_records(path: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed JSON or the RecordError explaining why it is not a record)."""
    for number, value in iter_json_lines(path):
        if isinstance(value, InvalidJSON):
            value = RecordError(f"invalid JSON: {value}", line=number)
        yield number, value


def _json_value(x: float | None):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


class _Summary:
    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.rewards: list[float] = []
        self.skipped = 0

    def add(self, row: dict) -> None:
        self.rewards.append(row["reward"])
        for k, v in row["terms"].items():
            self.sums.setdefault(k, 0.0)
            self.counts.setdefault(k, 0)
            if v is not None:
                self.sums[k] += v
                self.counts[k] += 1

    def render(self, reward: Reward) -> str:
        n = len(self.rewards)
        lines = [f"scored {n} record{'s' if n != 1 else ''} with {reward.name!r}"
                 + (f", skipped {self.skipped}" if self.skipped else "")]
        if n:
            mean = sum(self.rewards) / n
            lines.append(f"  reward: mean {fmt(mean)}, min {fmt(min(self.rewards))}, max {fmt(max(self.rewards))}")
            rows = [[k, fmt(self.sums[k] / self.counts[k]) if self.counts[k] else "-", str(self.counts[k])]
                    for k in self.sums]
            lines.append(table(rows, ["term", "mean", "computed"]))
        return "\n".join(lines)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress(total_hint: int | None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if line.strip())
    except OSError:
        return None


@click.command("score")
@click.option("--reward", "spec", required=True, help="Spec file, library name, or FILE::REWARD.")
@click.option("--data", required=True, help="Trajectory records, one JSON object per line ('-' for stdin).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scores here (JSON lines) instead of stdout.")
@click.option("--eos", default=None, help="EOS string that marks a finished completion [default: <|im_end|>].")
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1))
@set_option
@tool_limit_option
def score_command(spec: str, data: str, output: Path | None, eos: str | None, batch_size: int,
                  overrides: tuple[str, ...], tool_limits: tuple[str, ...]) -> None:
    """Score trajectory records with a reward spec. Writes {"id", "reward", "terms"} per
    record and a summary table on stderr. Bad records are reported and skipped."""
    from ..reward import load

    reward = load(spec, eos=eos, **parse_set(overrides))
    reward.use_executor(tool_executor(tool_limits))
    summary = _Summary()
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with _progress(None) as progress:
            task = progress.add_task("score", total=_count_lines(data))
            for batch in _batches(read_records(data), batch_size):
                good = [(n, r) for n, r in batch if not isinstance(r, RecordError)]
                for n, r in batch:
                    if isinstance(r, RecordError):
                        _report(data, r)
                        summary.skipped += 1
                result = reward.score([r for _, r in good], on_error="skip")
                for i, (n, _) in enumerate(good):
                    if i in result.errors:
                        err = result.errors[i]
                        err.line = n
                        _report(data, err)
                        summary.skipped += 1
                rows = iter(result.rows())
                for i in range(len(good)):
                    if i in result.errors:
                        continue
                    row = next(rows)
                    summary.add(row)
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                progress.advance(task, len(batch))
    finally:
        if output:
            out.close()
        else:
            out.flush()
    click.echo(summary.render(reward), err=True)
    if summary.skipped:
        raise SystemExit(EXIT_SKIPPED)


def _report(path: str, error: RecordError) -> None:
    where = f"{path}:{error.line}: " if error.line is not None else f"{path}: "
    rid = f"record {error.record_id!r}: " if error.record_id is not None else ""
    click.echo(f"{where}{rid}{error.message}", err=True)
