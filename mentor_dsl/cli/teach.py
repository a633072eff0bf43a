"""`mentor teach`: generate teacher trajectories for tasks, verify them, keep the correct ones.

    mentor teach --teacher oracle --tasks builtin:train -o teacher.jsonl
    mentor teach --teacher hf --option model=./qwen2.5-7b-instruct --tasks tasks.jsonl -o t.jsonl -n 100
    OPENAI_API_KEY=... mentor teach --teacher openai --option model=gpt-4o-mini \\
        --tasks builtin:train -o openai.jsonl
    mentor train --data teacher.jsonl            # GRPO reads `teacher`, SFT reads `completion`

Tasks go to the teacher in batches of `--batch-size`; every trajectory it returns is
verified (teachers/verify.py: valid calls that really succeed, real tool responses, a
finished completion whose `\\boxed{}` answer the task's judge accepts: `--judge`, else the
task's `judge` field, else math) and only verified
ones are written, as they come, to OUTPUT.partial, which replaces OUTPUT when the run
completes. An interrupted run leaves OUTPUT as it was and keeps its work in the
partial file; `--resume` goes on from it. A summary on stderr counts generated, verified and failed tasks, failures
by reason. Progress shows as a bar on a terminal, and as a line at most every 10 seconds
(MENTOR_PROGRESS_INTERVAL) in a log.

Exit status, as `mentor score`: 0 when every task gave a verified trajectory; 1 when
some did not (the others are written; the summary says why); 8 when the teacher cannot
run at all (unknown teacher, bad option, model or endpoint unusable); 4 for unreadable
tasks or an unwritable output.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from ..data import resolve_data
from ..errors import OutputError, did_you_mean
from ..outputs import json_line
from ..plugins import registry
from ..teachers.base import Failure, TeacherError
from ..teachers.records import task_id
from ..teachers.verify import Verifier
from ..trajectory import DEFAULT_EOS

EXIT_INCOMPLETE = 1
_EXAMPLES = 1  # examples shown per failure reason


def parse_options(values: Iterable[str]) -> dict[str, str]:
    """`--option key=value` pairs; each teacher converts the values it takes."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--option")
        out[key.strip()] = value.strip()
    return out


def _accepted(factory: Any) -> list[str] | None:
    """The keyword options a factory takes, or None when it takes any (**options)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    # registry/executor are for Python callers, not for the command line.
    return [
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in ("self", "registry", "executor")
    ]


def build_teacher(name: str, options: dict[str, str]):
    """The registered teacher `name` built with `options`; TeacherError with a
    did-you-mean for an unknown teacher or option."""
    reg = registry()
    factory = reg.get("teachers", name)
    if factory is None:
        names = reg.names("teachers")
        raise TeacherError(
            f"unknown teacher {name!r}{did_you_mean(name, names)} "
            f"(teachers: {', '.join(names) or 'none'}; see `mentor plugins`)"
        )
    accepted = _accepted(factory)
    if accepted is not None:
        unknown = [k for k in options if k not in accepted]
        if unknown:
            raise TeacherError(
                f"teacher {name!r} has no option {unknown[0]!r}{did_you_mean(unknown[0], accepted)} "
                f"(options: {', '.join(accepted) or 'none'})"
            )
    try:
        return factory(**options)
    except TeacherError:
        raise
    except TypeError as exc:  # a factory with **options that rejects one
        raise TeacherError(f"teacher {name!r}: {exc}") from None
    except Exception as exc:
        from ..errors import MentorError

        if isinstance(exc, MentorError):
            raise TeacherError(f"teacher {name!r}: {getattr(exc, 'message', None) or exc}") from None
        raise TeacherError(f"teacher {name!r} failed to start: {type(exc).__name__}: {exc}") from None


class Tally:
    """What happened to every task, for the summary and the exit status."""

    def __init__(self) -> None:
        self.tasks = 0
        self.generated = 0
        self.verified = 0
        self.skipped = 0  # --resume: already in the output
        self.teacher: Counter[str] = Counter()  # no trajectory, by kind
        self.rejected: Counter[str] = Counter()  # unverified, by rule
        self.examples: dict[tuple[str, str], list[str]] = {}

    def fail(self, stage: str, kind: str, task: Any, detail: str) -> None:
        (self.teacher if stage == "teacher" else self.rejected)[kind] += 1
        shown = self.examples.setdefault((stage, kind), [])
        if len(shown) < _EXAMPLES:
            shown.append(f"{task}: {detail}" if detail else str(task))

    @property
    def failed(self) -> int:
        return sum(self.teacher.values()) + sum(self.rejected.values())

    def render(self, teacher: str, output: Path) -> list:
        """The summary: two lines and a table of failures by reason (display.echo prints it)."""
        from ..display import table

        out: list = [
            f"teacher {teacher!r}: {self.tasks} task{'s' if self.tasks != 1 else ''}"
            + (f" ({self.skipped} already in {output}, skipped)" if self.skipped else "")
            + f", {self.generated} generated, {self.verified} verified, {self.failed} failed",
            f"wrote {self.verified} trajector{'y' if self.verified == 1 else 'ies'} to {output}",
        ]
        rows = []
        for stage, counts in (("teacher", self.teacher), ("verify", self.rejected)):
            for kind, count in counts.most_common():
                example = (self.examples.get((stage, kind)) or [""])[0]
                rows.append([stage, kind, str(count), example[:100] + ("..." if len(example) > 100 else "")])
        if rows:
            out.append(table(["stage", "reason", "tasks", "example"], rows))
        return out


def _done_ids(path: Path) -> set[str]:
    """Ids of the records a --resume run continues from: those of the interrupted run's
    partial file if there is one, else those of the finished output."""
    from ..data import iter_jsonl
    from ..outputs import partial_of

    source = partial_of(path) if partial_of(path).exists() else path
    if not source.exists():
        return set()
    return {str(r.get("id")) for _, r in iter_jsonl(source) if isinstance(r, dict) and r.get("id") is not None}


@click.command("teach")
@click.option(
    "--teacher",
    "teacher_name",
    required=True,
    help="A registered teacher: oracle, hf, openai, or a plugin's (see `mentor plugins`).",
)
@click.option(
    "--tasks",
    required=True,
    help="builtin:SPLIT, a .jsonl, .json, .parquet or .csv file of task records, a datasets folder, or a "
    "Hub dataset ORG/NAME[:SPLIT].",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the verified trajectories go (JSON lines); OUTPUT.partial until the run completes.",
)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A teacher option (repeatable), e.g. model=..., base_url=..., temperature=0.7.",
)
@click.option("-n", "limit", type=click.IntRange(0), metavar="N", help="Only the first N tasks.")
@click.option(
    "--batch-size", default=8, show_default=True, type=click.IntRange(1), help="Tasks handed to the teacher at a time."
)
@click.option(
    "--rejected",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the trajectories that failed verification here, with the reason.",
)
@click.option("--allow-no-calls", is_flag=True, help="Keep correct trajectories that call no tool.")
@click.option(
    "--eos",
    default=None,
    help="The end marker of the written records (what `mentor score --eos` "
    "reads) [default: the embedded student's end of turn]. Training "
    "replaces it with the student's own end of turn.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Go on from an interrupted run's OUTPUT.partial (or from OUTPUT), skipping tasks whose id is in it.",
)
@click.option("--judge", help="The judge that checks every answer [default: each task's `judge` field, else math].")
@click.option(
    "--tools",
    "toolset",
    metavar="TOOLSET",
    help="The tools of tasks without a `tools` field, as a spec's `option tools` gives them to "
    "score, train and eval [default: every registered tool].",
)
def teach_command(
    teacher_name: str,
    tasks: str,
    output: Path,
    options: tuple[str, ...],
    limit: int | None,
    batch_size: int,
    rejected: Path | None,
    allow_no_calls: bool,
    resume: bool,
    eos: str | None,
    judge: str | None,
    toolset: str | None,
) -> None:
    """Generate teacher trajectories for TASKS, verify them and write the correct ones.

    \b
    Built-in teachers and their --option keys:
      oracle  runs the plan each task carries: timeout
      hf      a local transformers model: model=default|DIR, temperature, top_p,
              max_turns, max_new_tokens, batch_size, device, dtype, seed, timeout
      openai  an OpenAI-compatible endpoint: model, base_url, api_key, max_turns,
              timeout, temperature, max_tokens, retries, concurrency,
              system, tool_timeout (env: OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL)

    Exit status: 0 when every task gave a verified trajectory, 1 when some did not (the
    rest are written), 8 when the teacher cannot run, 4 for unreadable tasks. After an
    interruption, run the same command with --resume."""
    from ..outputs import claim, partial_of

    reg = registry()
    if judge is not None and reg.get("judges", judge) is None:
        names = reg.names("judges")
        raise click.BadParameter(
            f"unknown judge {judge!r}{did_you_mean(judge, names)} (judges: {', '.join(names)})", param_hint="--judge"
        )
    if toolset is not None and reg.toolset(toolset) is None:
        names = reg.toolsets()
        raise click.BadParameter(
            f"unknown toolset {toolset!r}{did_you_mean(toolset, names)} (toolsets: {', '.join(names)})",
            param_hint="--tools",
        )
    outputs = [p for p in (output, rejected) if p is not None]
    # Checked and locked before a teacher (a model, an endpoint) is set up.
    with claim(outputs, inputs=[tasks]):
        for path in outputs:
            if partial_of(path).exists() and not resume:
                raise OutputError(
                    path,
                    f"{partial_of(path)} holds the work of an interrupted run: continue it with --resume, or delete it",
                )
        given = parse_options(options)
        if eos is not None and "eos" in (_accepted(registry().get("teachers", teacher_name)) or ()):
            given.setdefault("eos", eos)
        teacher = build_teacher(teacher_name, given)
        try:
            _run(
                teacher,
                teacher_name,
                tasks,
                output,
                limit,
                batch_size,
                rejected,
                allow_no_calls,
                resume,
                eos or DEFAULT_EOS,
                judge,
                toolset,
            )
        finally:
            close = getattr(teacher, "close", None)
            if callable(close):
                close()


def offer_tools(tasks: list[dict[str, Any]], toolset: str | None) -> list[dict[str, Any]]:
    """Tasks without `tools` get the `--tools` toolset's names, by the rule of every command
    (`toolsets.offered`), so the teacher, the verifier and the written records (which
    `mentor train` reads) all see the one tool set."""
    if toolset is None:
        return tasks
    from ..teachers.records import tool_names

    reg = registry()
    return [
        task if task.get("tools") is not None else {**task, "tools": tool_names(task, reg, default=toolset)}
        for task in tasks
    ]


def _run(
    teacher,
    teacher_name: str,
    tasks_spec: str,
    output: Path,
    limit: int | None,
    batch_size: int,
    rejected: Path | None,
    allow_no_calls: bool,
    resume: bool,
    eos: str,
    judge: str | None = None,
    toolset: str | None = None,
) -> None:
    from ..display import echo, progress
    from ..outputs import open_output, partial_of

    tasks = resolve_data(tasks_spec, None, default_ids=True)
    if limit is not None:
        tasks = tasks[:limit]
    tasks = offer_tools(tasks, toolset)
    tally = Tally()
    done = _done_ids(output) if resume else set()
    if done:
        todo = [t for t in tasks if str(t.get("id")) not in done]
        tally.skipped = len(tasks) - len(todo)
        tasks = todo
    tally.tasks = len(tasks) + tally.skipped
    # Verified trajectories go to OUTPUT.partial as they come (a paid teacher's work
    # survives a crash), which replaces OUTPUT only when the run completes.
    try:
        with (
            open_output(output, partial=True, resume=resume) as out,
            open_output(rejected, partial=True, resume=resume) if rejected else contextlib.nullcontext() as bad,
            Verifier(require_calls=not allow_no_calls, eos=eos, judge=judge) as check,
            progress("teaching", len(tasks), unit="task") as bar,
        ):
            for start in range(0, len(tasks), batch_size):
                batch = tasks[start : start + batch_size]
                _teach_batch(teacher, batch, start, check, tally, out, bad)
                bar.advance(len(batch), note=f"{tally.verified} verified, {tally.failed} failed")
    except BaseException:
        if partial_of(output).exists():  # kept only when it holds work
            click.echo(
                f"stopped: the verified trajectories so far are in {partial_of(output)}, and {output} "
                "is unchanged; run the same command with --resume to go on",
                err=True,
            )
        raise
    echo(*tally.render(teacher_name, output), err=True)
    if tally.failed:
        raise SystemExit(EXIT_INCOMPLETE)


def _teach_batch(teacher, batch: list[dict[str, Any]], offset: int, check: Verifier, tally: Tally, out, bad) -> None:
    try:
        records = teacher.generate(batch)
    except TeacherError:
        raise
    except Exception as exc:  # a plugin teacher's bug fails its batch, not the run
        for i, task in enumerate(batch):
            tally.fail("teacher", "error", task_id(task, offset + i), f"{type(exc).__name__}: {exc}")
        return
    if not isinstance(records, list):
        records = list(records or [])
    failures = list(getattr(teacher, "failures", None) or [])
    tally.generated += len(records)
    answered: set[str] = set()
    for record in records:
        rid = record.get("id") if isinstance(record, dict) else None
        answered.add(str(rid))
        verdict = check(record)
        if verdict.ok:
            record = {**record, "tool_results": [r.to_json() for r in verdict.results]}
            out.write(json_line(record, default=str))
            tally.verified += 1
            continue
        tally.fail("verify", verdict.kind, rid, verdict.detail)
        if bad is not None and isinstance(record, dict):
            bad.write(json_line({**record, "rejected": verdict.reason}, default=str))
    reported: set[str] = set()
    for failure in failures:
        if isinstance(failure, tuple) and len(failure) == 2:  # a plugin's (task id, reason)
            failure = Failure(failure[0], "failed", str(failure[1]))
        if isinstance(failure, Failure):
            tally.fail("teacher", failure.kind, failure.task_id, failure.detail)
            reported.add(str(failure.task_id))
    # Tasks the teacher neither returned nor explained.
    for i, task in enumerate(batch):
        tid = task_id(task, offset + i)
        if str(tid) not in answered and str(tid) not in reported and str(task.get("id")) not in answered:
            tally.fail("teacher", "no_trajectory", tid, "the teacher returned nothing for this task")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(teach_command())
