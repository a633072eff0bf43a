"""`mentor tune`: search a spec's parameters for the best student (mentor_dsl/tune/)."""

from __future__ import annotations

import click

from .options import parse_set, set_option

#: Options passed to every trial's TrainConfig, by field name (None: not given).
TRAIN_OPTIONS = (
    "model",
    "data",
    "trainer",
    "num_generations",
    "per_device_batch_size",
    "max_completion_length",
    "max_turns",
    "learning_rate",
    "temperature",
    "lora",
    "seed",
    "dtype",
    "call_format",
)


@click.command("tune")
@click.option(
    "--reward",
    required=True,
    help="The spec whose ranged parameters are searched (file, library name, or FILE::REWARD).",
)
@click.option(
    "--trials",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Finished trials (complete or pruned) the study should have; a resumed study runs the rest.",
)
@click.option(
    "--metric",
    default="ood_accuracy",
    show_default=True,
    help="What to optimise: accuracy, call_validity, teacher_similarity, finished_rate, hallucination_rate "
    "(in-domain validation), or the same with ood_ (out-of-domain validation).",
)
@click.option(
    "--output-dir",
    default="runs/tune",
    show_default=True,
    help="The study's folder: study.db, trials/, data/, best.mdsl, best.json, report.md/.html and charts.",
)
@click.option("--study-name", default="mentor-tune", show_default=True)
@click.option(
    "--storage",
    help="An Optuna storage URL shared by workers on several machines, e.g. "
    "postgresql://user:password@host/db [default: sqlite in --output-dir].",
)
@click.option("--steps", type=click.IntRange(1), default=20, show_default=True, help="Training steps per trial.")
@click.option(
    "--evals",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Evaluations per trial, evenly spaced; all but the last can prune the trial.",
)
@click.option(
    "--eval-limit",
    type=click.IntRange(1),
    default=10,
    show_default=True,
    help="Validation tasks per source per evaluation.",
)
@click.option(
    "--startup-trials",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="Trials sampled at random before the sampler and the pruner use the earlier results.",
)
@click.option("--pruner", type=click.Choice(["median", "none"]), default="median", show_default=True)
@click.option("--sampler-seed", type=int, help="Seed of the parameter sampler (give each worker its own).")
@click.option(
    "--keep-models", is_flag=True, help="Keep every trial's trained model (about 0.5 GB each for the embedded student)."
)
@click.option("--overwrite", is_flag=True, help="Start over: delete the study and trials in --output-dir.")
@click.option("--model", help="The student, as for `mentor train`.")
@click.option(
    "--data",
    help="Training data, as for `mentor train`; its last tenth (up to 200 records) is the "
    "in-domain validation data [default: builtin:train].",
)
@click.option("--trainer", help="A registered trainer [default: grpo].")
@click.option("--num-generations", type=click.IntRange(2))
@click.option("--per-device-batch-size", type=click.IntRange(1))
@click.option("--max-completion-length", type=click.IntRange(8), help="Tokens per rollout, in training and validation.")
@click.option("--max-turns", type=click.IntRange(1))
@click.option("--learning-rate", type=float)
@click.option("--temperature", type=float)
@click.option("--lora/--no-lora", default=None)
@click.option("--seed", type=int, help="Training and evaluation seed, the same for every trial.")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]))
@click.option("--call-format")
@click.option("--device", default="auto", show_default=True, help="Where validation runs: auto, cpu, cuda, ...")
@click.option("--eval-batch-size", type=click.IntRange(1), default=8, show_default=True)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A `mentor train` config file (YAML, TOML or JSON): every trial's training options; flags override.",
)
@set_option
def tune_command(
    reward: str,
    trials: int,
    metric: str,
    output_dir: str,
    study_name: str,
    storage: str | None,
    steps: int,
    evals: int,
    eval_limit: int,
    startup_trials: int,
    pruner: str,
    sampler_seed: int | None,
    keep_models: bool,
    overwrite: bool,
    device: str,
    eval_batch_size: int,
    config_file: str | None,
    overrides: tuple[str, ...],
    **train_flags,
) -> None:
    """Search the ranged parameters of a spec (`param w = 0.2 in [0, 0.5]`) for the
    values that train the best student, with Optuna.

    Each trial samples the parameters, trains a student (the normal `mentor train`, with
    --steps steps), evaluates it --evals times on validation data that no test split
    shares, and reports --metric; bad trials are pruned early. The study resumes where it
    stopped; --storage lets workers on several machines share it. Writes best.mdsl (the
    spec with the best values), best.json and report.md/.html with charts."""
    from ..display import echo, table
    from ..train.config import read_config_file
    from ..tune.report import trial_header, trial_rows
    from ..tune.study import TuneConfig, run

    train = read_config_file(config_file) if config_file else {}
    fixed = {**train.pop("params", {}), **parse_set(overrides)}
    train.pop("output_dir", None)  # each trial has its own
    train.update({k: v for k, v in train_flags.items() if v is not None and k in TRAIN_OPTIONS})
    config = TuneConfig(
        reward=reward,
        trials=trials,
        metric=metric,
        output_dir=output_dir,
        study_name=study_name,
        storage=storage,
        steps=steps,
        evals=evals,
        eval_limit=eval_limit,
        startup_trials=startup_trials,
        pruner=pruner,
        sampler_seed=sampler_seed,
        keep_models=keep_models,
        overwrite=overwrite,
        params=fixed,
        train=train,
        device=device,
        eval_batch_size=eval_batch_size,
    )
    outcome = run(config, echo=lambda line: click.echo(line, err=True))
    # The report's columns less the intermediate values and seconds (the trial lines above
    # have them), so the table fits a terminal.
    shown = len(trial_header(outcome.space, outcome.metric)) - 2
    rows = [row[:shown] for row in trial_rows(outcome.study, outcome.space, outcome.metric)]
    if rows:
        echo(table(trial_header(outcome.space, outcome.metric)[:shown], rows))
    best = outcome.study.best_trial if outcome.best_spec else None
    if best is not None:
        values = outcome.space.values(best.params)
        click.echo(
            f"best: trial {best.number}, {outcome.metric.name} {best.value:.4g}: "
            + ", ".join(f"{k} = {v:g}" for k, v in values.items())
        )
        click.echo(f"wrote {outcome.best_spec}")
    else:
        click.echo("no trial has completed yet")
    click.echo(f"report: {outcome.report}")
