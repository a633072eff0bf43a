"""What every trainer needs around TRL: the student, the data, the reward, the executor,
metrics, progress, checkpoints, resume, and a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import math
import shutil
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from ..errors import MentorError, TrainingError
from ..models import RUN_CONFIG
from ..models import RUN_METRICS as METRICS
from ..plugins import registry
from ..reward import OPTIONAL_FIELDS, load
from .checkpoints import latest_checkpoint
from .config import TrainConfig

ROLLOUTS = "rollouts.jsonl"  # --save-rollouts (rollout_log.py)

# TRL 1.x still calls transformers' deprecated gradient-checkpointing names on every step.
warnings.filterwarnings("ignore", category=FutureWarning, message=r".*(is_)?gradient_checkpointing.*")


class Session:
    """`needs_reward=False` for trainers that learn from the teacher's text alone (SFT).

    The session resolves the model and loads its tokenizer, but not the weights: the
    trainer gets `model_id` and builds the model from `model_init_kwargs`."""

    def __init__(self, config: TrainConfig, *, needs_reward: bool = True):
        from ..data import resolve_data
        from ..models import init_kwargs, load_tokenizer, resolve_model
        from ..rollouts.layout import ChatLayout
        from ..tools.executor import Executor
        from ..toolsets import executable

        self.config = config
        self.out = Path(config.output_dir)
        self.registry = registry()
        tool_limits = self._tool_limits()  # checked before anything slow happens
        self.reward = load(config.reward, **config.params) if needs_reward else None
        self.records = resolve_data(config.data)
        if not self.records:
            raise TrainingError(f"no training records in {config.data!r}")
        self.model_ref = resolve_model(config.model)
        self.model_kwargs = init_kwargs(self.model_ref, config.dtype, config.attn_implementation)
        self.tokenizer = load_tokenizer(self.model_ref)
        spec_format = self.reward.plan.option("call_format") if self.reward else None
        self.layout = ChatLayout.for_tokenizer(
            self.tokenizer,
            self.registry,
            call_format=config.call_format or spec_format,
            generation_config=_generation_config(self.model_ref),
        )
        self.call_format = self.layout.format
        self.tools = [self.tools_of(r) for r in self.records]
        if self.reward is not None:
            self._check_records()
        self._prepare_output()
        self.executor = Executor(executable([t for ts in self.tools for t in ts], self.registry), limits=tool_limits)
        if self.reward is not None:
            self.reward.with_tokenizer(self.tokenizer).use_executor(self.executor)
        self.metrics: list[dict[str, Any]] = []
        self.interrupted = False

    @property
    def model_id(self) -> str:
        """What the trainer loads: a directory or a Hub id (the revision is in the kwargs)."""
        return self.model_ref.location

    # -- setup ---------------------------------------------------------------------------------

    def _prepare_output(self) -> None:
        has_state = latest_checkpoint(self.out) is not None or (self.out / METRICS).exists()
        if has_state and not self.config.resume:
            if not self.config.overwrite:
                raise TrainingError(
                    f"{self.out} already holds a run: pass --resume to continue it, "
                    "--overwrite to start again, or another --output-dir"
                )
            for child in self.out.glob("checkpoint-*"):
                shutil.rmtree(child)
            (self.out / METRICS).unlink(missing_ok=True)
            (self.out / ROLLOUTS).unlink(missing_ok=True)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / RUN_CONFIG).write_text(json.dumps(self.config.to_json(), indent=2, default=str) + "\n")

    def _tool_limits(self):
        from ..tools.base import ToolLimits

        try:
            return ToolLimits.from_mapping(self.config.tool_limits)
        except ValueError as exc:
            raise TrainingError(f"tool_limits: {exc}") from None

    def _check_records(self) -> None:
        """Every record has the fields the reward reads (nothing to check without one)."""
        reward = self.reward
        if reward is None:
            return
        needed = [f for f in reward.required_fields if f not in OPTIONAL_FIELDS]
        for record in self.records:
            missing = [f for f in needed if record.get(f) is None]
            if missing or "prompt" not in record:
                what = ", ".join(repr(f) for f in (missing or ["prompt"]))
                raise TrainingError(
                    f"record {record.get('id', '?')!r} of {self.config.data!r} has no {what}, "
                    f"which reward {reward.name!r} needs"
                )

    def peft_config(self):
        if not self.config.lora:
            return None
        from peft import LoraConfig

        rank = self.config.lora_rank
        return LoraConfig(
            r=rank, lora_alpha=2 * rank, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM"
        )

    def tools_of(self, record: dict) -> list:
        """The record's tools (see `toolsets.resolve_tools`): its `tools`, else the spec's
        `option tools`, else every registered tool."""
        from ..toolsets import resolve_tools

        default = self.reward.plan.option("tools") if self.reward else None
        try:
            return resolve_tools(record.get("tools"), self.registry, default=default)
        except MentorError as exc:
            raise TrainingError(
                f"record {record.get('id', '?')!r} of {self.config.data!r}: {getattr(exc, 'message', None) or exc}"
            ) from None

    def rows_for(self, records: list[dict], tools: list[list] | None = None) -> list[dict[str, Any]]:
        """One training row per record: the rendered prompt, plus the columns the reward reads."""
        from ..fewshot import record_examples

        rows = []
        for i, record in enumerate(records):
            offered = tools[i] if tools is not None else self.tools_of(record)
            try:
                examples = record_examples(record)  # the task file's own few-shot exchanges, if any
            except MentorError as exc:
                raise TrainingError(
                    f"record {record.get('id', i)!r} of {self.config.data!r}: 'examples': "
                    f"{getattr(exc, 'message', None) or exc}"
                ) from None
            rows.append(
                {
                    "id": str(record.get("id", i)),
                    "prompt": self.layout.prompt_text(record["prompt"], offered, examples=examples),
                    "answer": _text(record.get("answer")),
                    # Irregular nested objects do not fit Arrow columns; the reward reads JSON text.
                    "teacher": json.dumps(record.get("teacher")),
                    "tools": [t.name for t in offered],
                    # The reward parses calls in the format the student was prompted with.
                    "format": self.layout.format.name,
                    # The task's own judge, for a spec that does not pin one (judges.judge_name).
                    "judge": record.get("judge"),
                }
            )
        return rows

    def dataset(self):
        from datasets import Dataset

        return Dataset.from_list(self.rows_for(self.records, self.tools))

    def callbacks(self) -> list:
        return [_Metrics(self), _Finish(self)]

    # -- running ---------------------------------------------------------------------------------

    def run(self, trainer) -> Path:
        from transformers import PrinterCallback, ProgressCallback

        # Our progress display replaces the Trainer's printed log dictionaries.
        for callback in (PrinterCallback, ProgressCallback):
            if hasattr(trainer, "remove_callback"):
                trainer.remove_callback(callback)
        checkpoint = latest_checkpoint(self.out) if self.config.resume else None
        if self.config.resume and checkpoint is None:
            raise TrainingError(f"--resume: no checkpoint in {self.out}")
        self._trim_metrics(checkpoint)
        self.interrupted = False
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, self._on_interrupt)
        self.progress = _Progress(self, shown=_is_main(trainer))  # one display per run, not per process
        try:
            with self.progress:
                trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            self.executor.close()
        last = latest_checkpoint(self.out)
        if self.interrupted:
            raise _Interrupted(self.out, last)
        self._save_final(trainer)
        if _is_main(trainer):
            _print_summary(self)
        return self.out

    def _on_interrupt(self, signum, frame) -> None:
        if self.interrupted:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.interrupted = True
        print("\nstopping after this step and saving a checkpoint (Ctrl-C again to stop now)", file=sys.stderr)

    def _trim_metrics(self, checkpoint: Path | None) -> None:
        """A resumed run continues the metrics file from the checkpoint's step."""
        path = self.out / METRICS
        if not path.exists():
            return
        if checkpoint is None:
            path.unlink()
            return
        step = int(checkpoint.name.split("-")[1])
        kept = [line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= step]
        from ..outputs import write_text

        write_text(path, "".join(line + "\n" for line in kept))  # a crash here keeps the old metrics
        self.metrics = [json.loads(line) for line in kept]

    def _save_final(self, trainer) -> None:
        """The trained student, ready for `mentor eval --model OUTPUT_DIR/model`. Every
        process takes part (ZeRO-3 gathers the weights); the main one writes."""
        target = self.out / "model"
        model = trainer.model
        if hasattr(model, "merge_and_unload"):  # LoRA: a plain model is easier to use later
            if _is_main(trainer):
                model.merge_and_unload().save_pretrained(target)
        else:
            trainer.save_model(str(target))
        if _is_main(trainer):
            self.tokenizer.save_pretrained(target)


class _Interrupted(MentorError):
    exit_code = 130

    def __init__(self, out: Path, checkpoint: Path | None):
        where = f"the last checkpoint is {checkpoint}" if checkpoint else "no checkpoint was written yet"
        super().__init__(f"training interrupted; {where}. Continue with: mentor train ... --output-dir {out} --resume")


def _is_main(trainer) -> bool:
    check = getattr(trainer, "is_world_process_zero", None)
    return bool(check()) if callable(check) else True


def _generation_config(ref):
    """The model's generation config (its end-of-turn ids), read without the weights."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(ref.location, **ref.pretrained_kwargs())
    except (OSError, ValueError):
        return None


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


# -- callbacks ----------------------------------------------------------------------------------


class StepTimer(TrainerCallback):
    """Time spent in training steps since the last logged one (`take()` resets it)."""

    def __init__(self):
        self.step_started = 0.0
        self.step_seconds = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.step_seconds += time.perf_counter() - self.step_started

    def take(self) -> float:
        seconds, self.step_seconds = self.step_seconds, 0.0
        return seconds


#: metrics.jsonl's keys, in order, and the trainer log's keys they are read from (besides
#: `step` and `reward/<term>`). The trainer puts mentor's own metrics into the log
#: (trainer.py), so the file and every tracker get the same numbers.
METRICS_FROM_LOG = {
    "reward": "reward",
    "reward_std": "reward_std",
    "tools/calls_per_completion": "tools/calls_per_completion",
    "tools/failure_rate": "tools/failure_rate",
    "finished_rate": "finished_rate",
    "completion_length": "completions/mean_length",
    "loss": "loss",
    "kl": "kl",  # only when beta > 0
    "entropy": "entropy",
    "grad_norm": "grad_norm",
    "learning_rate": "learning_rate",
    "time/step": "time/step",
    "time/generation": "time/generation",
    "time/tools": "time/tools",
    "time/reward": "time/reward",
    "time/other": "time/other",
    "time/forward_backward": "time/forward_backward",
    "time/optimizer": "time/optimizer",
    "tokens/forward": "tokens/forward",
    "tokens/shared_prefix": "tokens/shared_prefix",
    "share/reward": "share/reward",
    "share/tools": "share/tools",
    "memory/peak_gib": "memory/peak_gib",  # only on a GPU
}


class _Metrics(TrainerCallback):
    """Writes OUTPUT_DIR/metrics.jsonl from the trainer's logs: one object per logged step."""

    def __init__(self, session: Session):
        self.session = session

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "reward" not in logs:
            return
        session = self.session
        reward = session.reward
        row: dict[str, Any] = {"step": state.global_step, "reward": logs["reward"]}
        # Every term and binding, null when no completion of the step needed it.
        for key in reward.term_names:
            row[f"reward/{key}"] = logs.get(f"{reward.name}/{key}")
        row.update({key: logs[source] for key, source in METRICS_FROM_LOG.items() if source in logs})
        row = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        session.metrics.append(row)
        if not state.is_world_process_zero:  # one metrics file and one display per run
            return
        with open(session.out / METRICS, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        session.progress.update(row, state.max_steps)


class _Finish(TrainerCallback):
    """Saves a checkpoint at the last step and when Ctrl-C asked to stop."""

    def __init__(self, session: Session):
        self.session = session

    def on_step_end(self, args, state, control, **kwargs):
        keep = self.session.config.keep_checkpoints > 0
        if state.global_step >= state.max_steps:
            control.should_save = keep
        if self.session.interrupted:
            control.should_save = keep
            control.should_training_stop = True
        return control


# -- display ------------------------------------------------------------------------------------


class _Progress:
    """Training progress through the shared display (mentor_dsl/display.py): a bar on a
    terminal, a line at most every 10 seconds in a log; the latest step's reward and terms
    as its note."""

    def __init__(self, session: Session, shown: bool = True):
        from ..display import Progress

        self.session = session
        self.display = Progress("training", session.config.max_steps, unit="step", enabled=shown)

    def __enter__(self):
        self.display.__enter__()
        return self

    def __exit__(self, *exc):
        self.display.__exit__(*exc)

    def update(self, row: dict[str, Any], max_steps: int) -> None:
        main = [k for k in row if k.startswith("reward/")][:4]
        # The optimisation's health beside the reward: loss, KL (only logged when beta > 0),
        # entropy and the gradient norm.
        shown = [k for k in ("reward", "loss", "kl", "entropy", "grad_norm") if k in row]
        text = "  ".join([f"{k} {_fmt(row[k])}" for k in shown] + [f"{k[7:]} {_fmt(row[k])}" for k in main])
        self.display.update(completed=row["step"], total=max_steps, note=text)


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3g}"


def _print_summary(session: Session) -> None:
    from ..display import echo, table

    rows = session.metrics
    if not rows:
        echo("no steps were logged", err=True)
        return
    keys = (
        ["reward", "loss", "kl", "entropy", "grad_norm"]
        + [k for k in rows[-1] if k.startswith("reward/")]
        + ["tools/calls_per_completion", "tools/failure_rate", "finished_rate", "completion_length"]
    )
    name = session.reward.name if session.reward else session.config.trainer
    lines = []
    for key in keys:
        values = [r[key] for r in rows if r.get(key) is not None]
        if values:
            lines.append([key, _fmt(values[0]), _fmt(values[-1]), _fmt(sum(values) / len(values))])
    shown: list = [
        f"{name}: {len(rows)} logged steps, output in {session.out}",
        table(["metric", "first step", "last step", "mean"], lines),
    ]
    step = [r["time/step"] for r in rows if r.get("time/step")]
    if step and "time/reward" in rows[-1]:
        share_r = sum(r["time/reward"] for r in rows) / sum(step)
        share_t = sum(r["time/tools"] for r in rows) / sum(step)
        shown.append(
            f"{sum(step) / len(step):.1f} s/step; reward {100 * share_r:.2f}% and tools "
            f"{100 * share_t:.2f}% of step time"
        )
    echo(*shown, err=True)
