"""The study: one Optuna study per output folder (or per storage and study name), and the
trial loop.

A trial trains in `evals` segments of `steps / evals` steps through the registered
trainer (`register_trainers`), each segment continuing the previous one from its
checkpoint, and evaluates the student after each: the values are Optuna's intermediate
values, so its pruner can stop a trial that is doing worse than the others at the same
step. Trials train with a constant learning rate, so that training in segments is
training in one run. A trainer may carry its own evaluation (`fn.evaluate`, with the
keyword arguments of `mentor_dsl.evaluation.evaluate`); otherwise `mentor eval`'s runs.

A study's settings (spec, search space, metric, budget, data) are stored in it: a study
resumes, and other workers join it, only with the same settings. A trial stopped by
Ctrl-C is failed, not counted, and its parameters are tried again first next time.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MentorError, did_you_mean
from . import TuneError, optuna
from .metrics import METRICS, Metric, MetricUndefined
from .space import SearchSpace

STUDY_FILE = "study.db"
BEST_SPEC = "best.mdsl"
BEST_JSON = "best.json"
#: What `--overwrite` removes from an output folder: only what a study writes there.
OWNED = (
    STUDY_FILE,
    "trials",
    "data",
    BEST_SPEC,
    BEST_JSON,
    "report.md",
    "report.html",
    "history.png",
    "importance.png",
    "intermediate.png",
)
#: Settings a study may change between runs: they do not change what a trial measures.
MAY_CHANGE = ("trials", "storage", "keep_models", "sampler_seed", "device", "eval_batch_size")
#: Optuna's heartbeat: a trial whose worker stopped beating this long ago is failed and
#: its parameters retried (Optuna's RetryFailedTrialCallback).
HEARTBEAT_S, GRACE_S = 60, 180


class TuneInterrupted(MentorError):
    exit_code = 130


@dataclass
class TuneConfig:
    """Options of `mentor tune` (see `mentor tune --help`)."""

    reward: str
    trials: int = 20
    metric: str = "ood_accuracy"
    output_dir: str = "runs/tune"
    study_name: str = "mentor-tune"
    storage: str | None = None
    steps: int = 20
    evals: int = 2
    eval_limit: int = 10
    startup_trials: int = 5
    pruner: str = "median"
    sampler_seed: int | None = None
    keep_models: bool = False
    overwrite: bool = False
    params: dict[str, Any] = field(default_factory=dict)  # fixed by --set: not searched
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields for every trial
    device: str = "auto"
    eval_batch_size: int = 8


@dataclass
class Outcome:
    """What `run` leaves: the study, and where the best spec and the report went."""

    study: Any
    space: SearchSpace
    metric: Metric
    out: Path
    best_spec: Path | None
    report: Path | None


def _segments(steps: int, evals: int) -> list[int]:
    """Cumulative steps after which a trial evaluates: 20 steps, 2 evaluations -> [10, 20]."""
    evals = max(1, min(evals, steps))
    return sorted({round(steps * (k + 1) / evals) for k in range(evals)})


def _retry_stale() -> dict[str, Any]:
    """Optuna's callback that retries the parameters of a trial whose worker died (its
    name since Optuna 4.9, and before)."""
    from optuna import storages

    if hasattr(storages, "RetryHeartbeatStaleTrialCallback"):
        return {"heartbeat_stale_trial_callback": storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
    return {"failed_trial_callback": storages.RetryFailedTrialCallback(max_retry=1)}


def _storage(config: TuneConfig, out: Path):

    opt = optuna()
    url = config.storage or f"sqlite:///{(out / STUDY_FILE).resolve()}"
    from optuna.storages import RDBStorage

    try:
        with warnings.catch_warnings():
            # Heartbeats are "experimental" in Optuna's terms: stable since 2.8, still so labelled.
            warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
            return url, RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S, **_retry_stale())
    except (ImportError, ModuleNotFoundError) as exc:
        raise TuneError(
            f"storage {url.split('://')[0]}: {exc} (install its database driver, e.g. psycopg2 for postgresql://)"
        ) from None
    except opt.exceptions.StorageInternalError as exc:
        raise TuneError(f"storage {url}: {exc}") from None
    except Exception as exc:  # SQLAlchemy: an unreachable server, a bad URL
        raise TuneError(f"storage {url}: {type(exc).__name__}: {exc}") from None


def _settings(config: TuneConfig, text: str, shown: str, space: SearchSpace, metric: Metric, digest: str) -> dict:
    return {
        "spec": shown,
        "spec_sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
        "metric": metric.name,
        "direction": metric.direction,
        "space": space.describe(),
        "fixed": {k: str(v) for k, v in space.fixed.items()},
        "steps": config.steps,
        "evals": config.evals,
        "eval_limit": config.eval_limit,
        "train": {k: v for k, v in sorted(config.train.items()) if k != "output_dir"},
        "validation": digest,
    }


def _check_settings(study, settings: dict, where: str) -> None:
    stored = study.user_attrs.get("settings")
    if stored is None:
        study.set_user_attr("settings", settings)
        return
    changed = [k for k in sorted(set(stored) | set(settings)) if stored.get(k) != settings.get(k)]
    if changed:
        details = "; ".join(f"{k}: {stored.get(k)!r} then, {settings.get(k)!r} now" for k in changed)
        raise TuneError(
            f"study {study.study_name!r} in {where} was started with other settings ({details}). "
            "Resume it with the same ones, or start another: --study-name, --output-dir or --overwrite"
        )


def _clear(out: Path) -> None:
    for name in OWNED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _stray_trials(out: Path, study) -> list[str]:
    known = {f"{t.number:04d}" for t in study.trials}
    folder = out / "trials"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in known) if folder.is_dir() else []


def _free(trial_dir: Path, keep_model: bool) -> None:
    """Checkpoints (weights and optimiser state, 1.6 GB for the embedded student) are only
    needed between segments; the model only with --keep-models."""
    for checkpoint in trial_dir.glob("checkpoint-*"):
        shutil.rmtree(checkpoint, ignore_errors=True)
    if not keep_model:
        shutil.rmtree(trial_dir / "model", ignore_errors=True)


def counted(study) -> int:
    states = optuna().trial.TrialState
    return sum(t.state in (states.COMPLETE, states.PRUNED) for t in study.trials)


def run(config: TuneConfig, echo: Callable[[str], None] | None = None) -> Outcome:
    """Run (or resume, or join) the study until it has `config.trials` finished trials
    (complete or pruned); write the best spec and the report."""
    opt = optuna()
    echo = echo or (lambda line: print(line, file=sys.stderr))
    from .. import library
    from ..compiler import compile
    from ..plugins import registry
    from ..train.config import TrainConfig
    from . import validation

    metric = METRICS.get(config.metric)
    if metric is None:
        raise TuneError(
            f"unknown metric {config.metric!r}{did_you_mean(config.metric, METRICS)} (metrics: {', '.join(METRICS)})"
        )
    text, shown, selected = library.open_spec(config.reward)
    plan = compile(text, None, config.params, name=shown)
    space = SearchSpace.of(plan.param_ranges, config.params)
    if not space.dimensions:
        plain = [name for name, value in plan.params if name not in config.params]
        hint = f" (parameters without one: {', '.join(plain)})" if plain else ""
        raise TuneError(f"{shown}: no parameter to search: declare a range, e.g. `param w = 0.2 in [0, 0.5]`{hint}")
    known = set(TrainConfig.model_fields)
    unknown = sorted(set(config.train) - known)
    if unknown:
        raise TuneError(f"unknown training option(s): {', '.join(unknown)}")
    trainer_name = config.train.get("trainer", "grpo")
    train_fn = registry().get("trainers", trainer_name)
    if train_fn is None:
        names = registry().names("trainers")
        raise TuneError(
            f"unknown trainer {trainer_name!r}{did_you_mean(trainer_name, names)} (trainers: {', '.join(names)})"
        )
    from ..train.options import attribute

    evaluate_fn = attribute(train_fn, "evaluate")
    if evaluate_fn is None:
        from ..evaluation import evaluate as evaluate_fn

    out = Path(config.output_dir)
    if config.overwrite:
        _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    train_file, validation_files, skipped = validation.prepare(
        out / "data", config.train.get("data", TrainConfig.model_fields["data"].default), metric.ood
    )
    for source, reason in skipped.items():
        echo(f"warning: no {source} validation: {reason}")
    url, storage = _storage(config, out)
    # mentor prints a line per trial, which says what Optuna's warnings would (a failed
    # trial, a NaN value); errors still show.
    opt.logging.set_verbosity(opt.logging.ERROR)
    sampler = opt.samplers.TPESampler(seed=config.sampler_seed, n_startup_trials=config.startup_trials)
    pruner = (
        opt.pruners.MedianPruner(n_startup_trials=config.startup_trials, n_warmup_steps=0)
        if config.pruner == "median"
        else opt.pruners.NopPruner()
    )
    study = opt.create_study(
        study_name=config.study_name,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        direction=metric.direction,
        load_if_exists=True,
    )
    where = url if config.storage else str(out / STUDY_FILE)
    _check_settings(study, _settings(config, text, shown, space, metric, validation.digest(validation_files)), where)
    stray = _stray_trials(out, study)
    if stray:
        raise TuneError(
            f"{out / 'trials'} holds trials the study {config.study_name!r} does not know "
            f"({', '.join(stray[:5])}): another study's? Use another --output-dir, or --overwrite"
        )

    segments = _segments(config.steps, config.evals)
    base = TrainConfig.from_values({**config.train, "reward": config.reward, "data": str(train_file)})

    def objective(trial) -> float:
        params = space.suggest(trial)
        trial_dir = out / "trials" / f"{trial.number:04d}"
        trial.set_user_attr("dir", str(trial_dir))
        started = time.perf_counter()
        try:
            for k, until in enumerate(segments):
                # overwrite: the trial's own folder, fresh by its number.
                cfg = base.model_copy(
                    update=dict(
                        params={**config.params, **params},
                        output_dir=str(trial_dir),
                        max_steps=until,
                        save_steps=until,
                        resume=k > 0,
                        overwrite=k == 0,
                        keep_checkpoints=1 if len(segments) > 1 else 0,
                        trl={**base.trl, "lr_scheduler_type": "constant"},
                    )
                )
                model = train_fn(cfg)
                result = evaluate_fn(
                    str(model),
                    splits=[],
                    data=[str(f) for f in validation_files],
                    limit=config.eval_limit,
                    seed=base.seed,
                    batch_size=config.eval_batch_size,
                    max_turns=base.max_turns,
                    max_completion_length=base.max_completion_length,
                    call_format=base.call_format,
                    device=config.device,
                    dtype=base.dtype,
                    progress=False,
                    name=f"trial {trial.number}",
                )
                _save_eval(trial_dir / f"eval-step-{until}.json", result)
                value = metric.read(result)
                trial.report(value, until)
                if k < len(segments) - 1 and trial.should_prune():
                    trial.set_user_attr("seconds", round(time.perf_counter() - started, 1))
                    raise opt.TrialPruned(f"{metric.name} {value:.4g} at step {until}")
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 1))
            return value
        except (KeyboardInterrupt, TuneInterrupted) as exc:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
            raise TuneInterrupted(
                f"tune interrupted in trial {trial.number}; run the same command to continue "
                "the study (the trial's parameters are tried again first)"
            ) from exc
        except MentorError as exc:
            if exc.exit_code == 130:  # training stopped by Ctrl-C
                study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
                raise TuneInterrupted(
                    f"tune interrupted in trial {trial.number}; run the same command to continue "
                    "the study (the trial's parameters are tried again first)"
                ) from exc
            raise
        except MetricUndefined as exc:
            # NaN fails the trial (Optuna's rule) without stopping the study; the trial
            # line and the report say why.
            trial.set_user_attr("failure", str(exc))
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 1))
            return float("nan")
        except ValueError as exc:  # the evaluation has no such metric
            raise TuneError(f"trial {trial.number}: {exc}") from exc
        finally:
            _free(trial_dir, config.keep_models)

    def after(study_, trial) -> None:
        echo(_trial_line(trial, space, metric))
        _write_results(study_, space, metric, out, text, shown, config, charts=False)

    remaining = config.trials - counted(study)
    try:
        if remaining > 0:
            echo(
                f"study {config.study_name!r} ({where}): {counted(study)} of {config.trials} trials done; "
                f"searching {', '.join(space.names)} for {metric.direction[:3]} {metric.name}"
            )
            callbacks = [
                opt.study.MaxTrialsCallback(
                    config.trials, states=(opt.trial.TrialState.COMPLETE, opt.trial.TrialState.PRUNED)
                ),
                after,
            ]
            with warnings.catch_warnings():
                # Heartbeats and stale-trial checks are "experimental" in Optuna's terms
                # (stable since 2.9), and some releases say so at every trial.
                warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
                # gc after each trial: a trained student and its optimiser are gigabytes.
                study.optimize(objective, n_trials=remaining, callbacks=callbacks, gc_after_trial=True)
    finally:  # stopped or failed, the report shows the trials so far
        best, report = _write_results(study, space, metric, out, text, shown, config)
    return Outcome(study, space, metric, out, best, report)


def _save_eval(path: Path, result: dict) -> None:
    from ..evaluation import save_eval

    save_eval(result, path)


def _trial_line(trial, space: SearchSpace, metric: Metric) -> str:
    params = ", ".join(f"{k}={v:g}" for k, v in space.values(trial.params).items())
    steps = sorted(trial.intermediate_values.items())
    curve = ", ".join(f"{v:.3g}@{s}" for s, v in steps)
    state = trial.state.name.lower()
    value = f"{metric.name} {trial.value:.4g}" if trial.value is not None else state
    if "failure" in trial.user_attrs:
        return f"trial {trial.number}: {params} -> failed: {trial.user_attrs['failure']}"
    return f"trial {trial.number}: {params} -> {value} ({state}; {curve or 'no evaluation'})"


def best_trial(study):
    """The best complete trial, or None."""
    try:
        return study.best_trial
    except ValueError:
        return None


def _write_results(
    study,
    space: SearchSpace,
    metric: Metric,
    out: Path,
    text: str,
    shown: str,
    config: TuneConfig,
    *,
    charts: bool = True,
) -> tuple[Path | None, Path | None]:
    """best.mdsl, best.json and the report, from the study as it stands."""
    import json

    from ..outputs import write_text
    from .report import write_report
    from .space import with_values

    best = best_trial(study)
    best_path = None
    if best is not None:
        values = space.values(best.params)
        header = (
            f"Tuned by `mentor tune`: study {study.study_name!r}, trial {best.number}, {metric.name} "
            f"{best.value:.4g} on the validation data ({counted(study)} trials).\n"
            f"Started from {shown}; searched: "
            + ", ".join(f"{d.name} in [{d.low:g}, {d.high:g}]" for d in space.dimensions)
            + "."
        )
        best_path = write_text(out / BEST_SPEC, with_values(text, shown, values, header))
        write_text(
            out / BEST_JSON,
            json.dumps(
                {
                    "study": study.study_name,
                    "trial": best.number,
                    "metric": metric.name,
                    "value": best.value,
                    "params": values,
                    "fixed": dict(space.fixed),
                },
                indent=2,
            )
            + "\n",
        )
    report = write_report(study, space, metric, out, config, charts=charts)
    return best_path, report
