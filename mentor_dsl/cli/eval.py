"""`mentor eval`: evaluate a student, and `mentor eval report`: compare saved evaluations.

    mentor eval --model runs/f1/model --split all -o runs/f1/eval.json
    mentor eval --model runs/f1/model --compare runs/sft/eval.json --report report.html
    mentor eval report runs/*/eval.json -o report.html

`eval` is a group so that `report` can build a comparison from existing eval.json files
without loading a model; without a subcommand it evaluates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from ..errors import DataError
from ..evaluation.report import CHARTS as CHART_NAMES
from ..models import DTYPES
from .options import fmt, parse_set, set_option, spec_file

if TYPE_CHECKING:  # the evaluation code is imported when a command runs
    from ..evaluation.results import GroupMetrics, Summary

#: Tasks per source split on a CPU: `--split all` is 8 sources, so 10 each is 80 tasks
#: (a few minutes on 2 cores). `--limit 0` evaluates everything.
DEFAULT_LIMIT = 10
DEFAULT_OUTPUT = "eval.json"

_SUMMARY = [
    ("n", "n"),
    ("accuracy", "accuracy"),
    ("call_validity", "valid calls"),
    ("hallucination_rate", "halluc."),
    ("calls_per_task", "calls/task"),
    ("teacher_similarity", "teacher sim."),
    ("finished_rate", "finished"),
]


def summary_table(metrics: Summary):
    """Split groups, their sources indented below them; a reward column with --reward."""
    from ..display import table

    with_reward = any(e.reward is not None for e in metrics.splits.values())
    header = ["split"] + [label for _, label in _SUMMARY] + (["reward"] if with_reward else [])

    def cells(name: str, entry: GroupMetrics) -> list[str]:
        row = [name] + [str(entry.n) if k == "n" else fmt(getattr(entry, k)) for k, _ in _SUMMARY]
        return row + ([fmt(entry.reward.mean if entry.reward else None)] if with_reward else [])

    rows = []
    for split, entry in metrics.splits.items():
        rows.append(cells(split, entry))
        if len(entry.sources) > 1:
            rows.extend(cells(f"  {source}", sub) for source, sub in entry.sources.items())
    if len(metrics.splits) > 1:
        rows.append(cells("overall", metrics.overall))
    return table(header, rows)


def eval_path(path: str) -> Path:
    """An eval.json, or the eval.json inside a directory (`runs/f1` for `runs/f1/eval.json`)."""
    candidate = Path(path)
    if candidate.is_dir() and (candidate / DEFAULT_OUTPUT).is_file():
        return candidate / DEFAULT_OUTPUT
    return candidate


def _report(runs: Sequence[dict[str, Any]], path: str) -> None:
    from ..evaluation import write_report

    target = write_report(runs, path)
    click.echo(f"report: {target}", err=True)


def _check_report(path: str | None) -> None:
    if path is None:
        return
    from ..evaluation.report import check_report_path

    try:
        check_report_path(path)
    except DataError as exc:
        raise click.BadParameter(str(exc), param_hint="--report") from None


@click.group("eval", invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--model",
    default="default",
    show_default=True,
    help="'default' (the embedded SmolLM2-135M-Instruct), a model directory, a training run "
    "(runs/NAME), or a Hub id org/name[@revision].",
)
@click.option(
    "--split",
    "splits",
    multiple=True,
    type=click.Choice(["in_domain", "ood", "bfcl", "all"]),
    help="in_domain (builtin:test), ood (ood_sci, ood_chain, ood_distractor), bfcl (simple_python, "
    "multiple, parallel, parallel_multiple) or all; repeatable  [default: all]",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    metavar="SOURCE",
    help="Your own tasks (repeatable): a .jsonl, .json, .parquet or .csv file, a datasets folder or a Hub "
    "dataset ORG/NAME[:SPLIT], reported as the split group 'data'. Without --split, only these run.",
)
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Tasks per source split (the first N); 0 for all of them.",
)
@click.option("--reward", help="Also report this spec's mean reward and per-term means (a file or library name).")
@set_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=8, show_default=True)
@click.option(
    "--max-turns",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Model turns per task (tool calls in between); BFCL is always one turn.",
)
@click.option(
    "--max-completion-length",
    type=click.IntRange(8),
    default=128,
    show_default=True,
    help="Tokens per task, tool responses included.",
)
@click.option(
    "--call-format",
    help="The call syntax the student writes [default: its chat template's "
    "(hermes, llama_json, mistral), else hermes].",
)
@click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    default="auto",
    show_default=True,
    help="Weights' dtype: auto is bfloat16 on a GPU that supports it, else float32.",
)
@click.option("--attn-implementation", help="transformers' attention kernel: sdpa, eager, flash_attention_2, ...")
@click.option("--device", default="auto", show_default=True, help="auto (CUDA when available), cpu, cuda, cuda:1, ...")
@click.option("--name", help="The run's label in reports [default: the run directory's name].")
@click.option(
    "--bfcl-path", type=click.Path(exists=True), help="BFCL data (a gorilla checkout) instead of bfcl-eval's."
)
@click.option(
    "-o",
    "--output",
    default=DEFAULT_OUTPUT,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where the eval.json (config and metrics) goes.",
)
@click.option(
    "--save-rollouts",
    type=click.Path(dir_okay=False),
    help="Also write every task's trajectory record and measurements (JSON Lines).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help='Write a comparison report: .html or .png (drawn by matplotlib: pip install "mentor[plot]").',
)
@click.option(
    "--compare",
    multiple=True,
    type=click.Path(),
    help="An earlier eval.json, or a run folder holding one (its metrics.jsonl adds training curves), "
    "to put beside this run in the report (repeatable).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result (what eval.json holds) as JSON on stdout instead of the summary table.",
)
@click.pass_context
def eval_command(
    ctx: click.Context,
    model: str,
    splits: tuple[str, ...],
    data: tuple[str, ...],
    limit: int,
    reward: str | None,
    overrides: tuple[str, ...],
    seed: int,
    batch_size: int,
    max_turns: int,
    max_completion_length: int,
    call_format: str | None,
    dtype: str,
    attn_implementation: str | None,
    device: str,
    name: str | None,
    bfcl_path: str | None,
    output: str,
    save_rollouts: str | None,
    report_path: str | None,
    compare: tuple[str, ...],
    quiet: bool,
    as_json: bool,
) -> None:
    """Evaluate a student with greedy tool-use rollouts and write eval.json.

    Accuracy, tool-call validity, hallucinated tools, calls per task and similarity to the
    teacher's tool distribution, per split, domain and family. Use `mentor eval report
    A.json B.json -o report.html` to compare saved runs without re-running them."""
    if ctx.invoked_subcommand is not None:
        given = [
            p.opts[0]
            for p in ctx.command.params
            if ctx.get_parameter_source(p.name) not in (ParameterSource.DEFAULT, None)
        ]
        if given:
            verb = "belongs" if len(given) == 1 else "belong"
            raise click.UsageError(
                f"{', '.join(given)} {verb} to `mentor eval` itself, not to `mentor eval {ctx.invoked_subcommand}`"
            )
        return
    from ..evaluation import evaluate, save_eval
    from ..evaluation import save_rollouts as write_rollouts

    if compare and not report_path:
        raise click.UsageError("--compare needs --report PATH (the comparison is drawn in the report)")
    if overrides and not reward:
        raise click.UsageError("--set overrides parameters of the --reward spec; give --reward")
    _check_report(report_path)
    from ..evaluation.methods import load_run
    from ..outputs import claim

    others = [load_run(path) for path in compare]  # fail before minutes of generation
    inputs = [*data, *(eval_path(path) for path in compare), spec_file(reward)]
    # The outputs are checked and locked now: a clash fails before minutes of generation.
    with claim([output, save_rollouts, report_path], inputs=inputs):
        result = evaluate(
            model,
            splits=list(splits) or ([] if data else ["all"]),
            limit=limit or None,
            reward=reward,
            seed=seed,
            batch_size=batch_size,
            max_turns=max_turns,
            max_completion_length=max_completion_length,
            call_format=call_format,
            params=parse_set(overrides),
            bfcl_path=bfcl_path,
            name=name,
            device=device,
            progress=not quiet,
            data=list(data),
            dtype=dtype,
            attn_implementation=attn_implementation,
        )
        save_eval(result, output)
        if save_rollouts:
            write_rollouts(result.rows, save_rollouts)
        if as_json:
            from ..evaluation.runner import eval_json

            click.echo(eval_json(result), nl=False)
        else:
            from ..display import echo

            echo(
                f"{result.name}: {len(result.rows)} tasks in {result.seconds:.0f}s (model {result.config.model_path})",
                summary_table(result.metrics),
            )
        for source, reason in result.skipped.items():
            click.echo(f"skipped {source}: {reason}", err=True)
        click.echo(f"wrote {output}" + (f" and {save_rollouts}" if save_rollouts else ""), err=True)
        if report_path:
            _report([result.to_json(rows=True), *others], report_path)


@eval_command.command("report")
@click.argument("runs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help='The report: .html or .png (drawn by matplotlib: pip install "mentor[plot]").',
)
@click.option(
    "--charts-dir",
    type=click.Path(file_okay=False),
    help="Also write each chart as a PNG of its own here, NAME.png (for pages that place charts one by one).",
)
@click.option(
    "--chart",
    "only",
    multiple=True,
    type=click.Choice(list(CHART_NAMES)),
    help="Draw only this chart (repeatable) [default: every chart the runs have data for]. "
    "An HTML report keeps every table.",
)
@click.option(
    "--seed-pattern",
    metavar="REGEX",
    help="Pool runs into methods: runs whose names differ only where REGEX matches (their seeds) are "
    "one method, e.g. '-s[0-9]+$' makes mentor-s0 and mentor-s1 the method mentor.",
)
@click.option("--title", default="mentor eval report", show_default=True)
def report_command(
    runs: tuple[str, ...],
    output: str | None,
    charts_dir: str | None,
    only: tuple[str, ...],
    seed_pattern: str | None,
    title: str,
) -> None:
    """Compare saved evaluations and training runs side by side (no model is loaded).

    RUNS are eval.json files or run folders: a folder holding an eval.json, a training
    run's metrics.jsonl (its per-step training curves), or both. Runs are labelled by
    their names."""
    from ..evaluation import report as reports
    from ..evaluation.methods import compile_seed_pattern, load_runs

    if not output and not charts_dir:
        raise click.UsageError("give -o/--output (a report) and/or --charts-dir (one PNG per chart)")
    if output:
        try:
            reports.check_report_path(output)
        except DataError as exc:
            raise click.BadParameter(str(exc), param_hint="-o/--output") from None
    if seed_pattern is not None:
        try:
            compile_seed_pattern(seed_pattern)
        except DataError as exc:
            raise click.BadParameter(str(exc), param_hint="--seed-pattern") from None
    loaded = load_runs(runs)
    from ..outputs import check_paths

    inputs = [path for run in loaded for path in (run["path"], run.get("train_dir")) if path]
    planned = [output, *(reports.chart_paths(charts_dir, only) if charts_dir else [])]
    check_paths(planned, inputs)
    # Draw everything asked for before writing anything: a chart that cannot be drawn
    # fails the command with no file half-written.
    reports.build_charts(loaded, seed_pattern=seed_pattern, only=only)
    written = []
    if output:
        written.append(
            ("report", reports.write_report(loaded, output, title=title, seed_pattern=seed_pattern, only=only))
        )
    if charts_dir:
        written += [
            ("chart", path)
            for path in reports.write_charts(loaded, charts_dir, title=title, seed_pattern=seed_pattern, only=only)
        ]
    for label, run in zip(reports.labels(loaded), loaded):
        click.echo(f"{label}: {run['path']}")
    for kind, path in written:
        click.echo(f"{kind}: {path}")


@eval_command.command("signal")
@click.option("--model", default="default", show_default=True, help="The student, as `mentor eval --model` takes it.")
@click.option("--tasks", default="builtin:train", show_default=True, help="Tasks to sample on (any --data form).")
@click.option("--limit", type=click.IntRange(1), default=16, show_default=True, help="Tasks (the first N).")
@click.option(
    "--generations", type=click.IntRange(2), default=8, show_default=True, help="Rollouts per task: the GRPO group."
)
@click.option("--temperature", type=click.FloatRange(min=0, min_open=True), default=0.7, show_default=True)
@click.option(
    "--spec",
    "specs",
    multiple=True,
    help="A reward spec to measure (repeatable) [default: every library spec that scores the tasks].",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the table as JSON here.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def signal_command(
    model: str,
    tasks: str,
    limit: int,
    generations: int,
    temperature: float,
    specs: tuple[str, ...],
    seed: int,
    output: str | None,
    quiet: bool,
) -> None:
    """How much learning signal each reward gives GRPO on a student's own rollouts.

    Samples GENERATIONS rollouts of each task and scores them with every spec: the share
    of groups whose rewards differ (the only groups with an advantage), the mean
    within-group standard deviation, and the correlation with answer_correct."""
    import json

    from ..display import echo, table
    from ..evaluation.signal import DEFAULT_SPECS, measure
    from ..outputs import claim, open_output

    with claim([output] if output else [], inputs=[tasks]):
        result = measure(
            model,
            tasks=tasks,
            limit=limit,
            generations=generations,
            temperature=temperature,
            seed=seed,
            specs=specs or DEFAULT_SPECS,
            progress=not quiet,
        )
        rows = [
            [name, _num(s["varied"]), _num(s["group_std"]), _num(s["corr_correct"]), _num(s["mean"])]
            for name, s in result["specs"].items()
        ]
        echo(
            f"{result['rollouts']} rollouts: {limit} tasks x {generations}, temperature {temperature}, model {model}",
            table(["spec", "groups with signal", "group std", "corr. with correct", "mean reward"], rows),
        )
        if output:
            with open_output(output) as out:
                out.write(json.dumps(result, indent=2) + "\n")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
