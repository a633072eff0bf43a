"""What a training run is asked to do: one pydantic model shared by the CLI and every trainer.

`TrainConfig` holds mentor's own options. The TRL configuration of the trainer (GRPOConfig,
SFTConfig) is not copied here: its fields go, as given, into the `trl` section, and
`trl_options.py` checks them against TRL's class and builds it.

Where values come from, lowest first: the defaults below, a config file (`--config`: YAML,
TOML or JSON), then command-line flags.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError, MentorWarning, did_you_mean
from ..models import DType


def _text(value: Any) -> Any:
    """A path given in Python (a `Path`) is as good as its text."""
    return os.fspath(value) if isinstance(value, os.PathLike) else value


Text = Annotated[str, BeforeValidator(_text)]


class ConfigWarning(MentorWarning):
    """A config file that works but uses a deprecated form."""


class TrainConfig(BaseModel):
    """Options of `mentor train`. Trainers registered through the `register_trainers` hook
    receive one of these; CPU-sized defaults train the embedded student in minutes."""

    # Every field is checked on assignment too; an unknown name is an error, not a new field.
    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        protected_namespaces=(),
        use_attribute_docstrings=True,
        title="mentor train configuration",
    )

    reward: Text = "mentor"
    """The reward spec: a file, a library name, or FILE::REWARD."""
    model: Text = "default"
    """The student: `default` (the embedded SmolLM2-135M-Instruct), a model directory, a training run, or a Hub id org/name[@revision]."""
    dtype: DType = "auto"
    """The weights' dtype; `auto` is bfloat16 on a GPU that supports it, else float32."""
    mixed_precision: Literal["auto", "bf16", "fp16", "no"] = "auto"
    """Autocast: `auto` follows the weights (bf16 weights compute in bf16, fp16 in fp16) and uses bf16 for float32 weights on a GPU that has it; off on a CPU."""
    attn_implementation: str | None = None
    """transformers' attention kernel (sdpa, eager, flash_attention_2, ...); none: transformers' choice."""
    call_format: str | None = None
    """The tool-call format; none: the spec's `option call_format`, else the chat template's."""
    data: Text = "builtin:train"
    """The training tasks: builtin:SPLIT, a file (JSONL, JSON, parquet, CSV), a datasets folder, or a Hub dataset org/name[:split]."""
    trainer: str = "grpo"
    """A registered trainer: grpo, sft, or a plugin's."""
    output_dir: Text = "runs/mentor"
    """Where checkpoints, metrics.jsonl, mentor-run.json and the final model/ go."""
    max_steps: int = Field(5, ge=1)
    """Optimiser steps."""
    num_generations: int = Field(4, ge=2)
    """Completions per prompt: the GRPO group."""
    per_device_batch_size: int | None = Field(None, ge=1)
    """Completions per device and step, a multiple of num_generations; none: num_generations (one prompt per step)."""
    max_completion_length: int = Field(96, ge=8)
    """Tokens per rollout, the tools' responses included."""
    max_turns: int = Field(3, ge=1)
    """Model turns per rollout; tool calls happen between turns."""
    learning_rate: float = Field(1e-5, gt=0)
    """The optimiser's learning rate."""
    lora: bool = False
    """Train LoRA adapters (peft) instead of all weights."""
    lora_rank: int = Field(16, ge=1)
    """The LoRA rank (alpha is twice the rank)."""
    seed: int = 0
    """Seed of the run and of its data order."""
    use_vllm: bool = False
    """Generate with vLLM through TRL (GPU)."""
    shared_prefix: bool = True
    """Compute each batch's shared prompt prefix once in the training forwards (off with gradient checkpointing)."""
    resume: bool = False
    """Continue from the latest checkpoint in output_dir."""
    overwrite: bool = False
    """Replace an earlier run in output_dir (without it or resume, an earlier run is refused)."""
    save_steps: int = Field(5, ge=1)
    """A checkpoint every N steps, and always at the last step."""
    # A checkpoint of the 135M student with its optimizer state is about 1.6 GB.
    keep_checkpoints: int = Field(2, ge=0)
    """How many of the latest checkpoints stay on disk; 0 keeps none (the run cannot resume) and saves only the final model."""
    logging_steps: int = Field(1, ge=1)
    """Log metrics every N steps."""
    save_rollouts: int = Field(0, ge=0)
    """Write the rollouts of step 1 and every Nth step after it to rollouts.jsonl; 0: none."""
    temperature: float = Field(0.7, gt=0)  # a 135M student makes far more well-formed calls than at 1.0
    """Sampling temperature of the rollouts."""
    report_to: str | list[str] = "none"
    """Trackers that receive every logged metric, as transformers names them: none, all, tensorboard, wandb, trackio, mlflow, ... (a list, or names separated by commas)."""
    run_name: str | None = None
    """The run's name in the trackers; none: the tracker's own default."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Values of the reward spec's parameters (--set NAME=VALUE)."""
    tool_limits: dict[str, Any] = Field(default_factory=dict)
    """The executor's limits on each tool call (--tool-limit NAME=VALUE): timeout, max_output, memory_mb, max_calls."""
    trl: dict[str, Any] = Field(default_factory=dict)
    """Fields of the trainer's TRL configuration (GRPOConfig for grpo, SFTConfig for sft), checked against that class; they override the values mentor computes (--trl KEY=VALUE)."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Options of a plugin trainer, passed through unchecked. For a trainer with a TRL configuration, a deprecated spelling of `trl`."""
    trainer_options: dict[str, Any] = Field(default_factory=dict)
    """The trainer's own options, as it declares them (--trainer-option NAME=VALUE; train/options.py)."""

    @field_validator("report_to", mode="before")
    @classmethod
    def _tracker_list(cls, value: Any) -> Any:
        """`tensorboard,wandb` on the command line is the list transformers takes."""
        if isinstance(value, str) and "," in value:
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @classmethod
    def from_values(
        cls, values: Mapping[str, Any], *, source: str | None = None, trl_config: type | None = None
    ) -> TrainConfig:
        """A checked configuration. `source` names where the values came from in errors (a
        config file); `trl_config` is the trainer's TRL configuration class, whose fields
        given at the top level are pointed to the `trl` section."""
        prefix = f"{source}: " if source else ""
        known = set(cls.model_fields)
        unknown = [k for k in values if k not in known]
        if unknown:
            raise ConfigError("\n".join(f"{prefix}unknown option {k!r}{_hint(k, known, trl_config)}" for k in unknown))
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError("\n".join(prefix + _pydantic_problem(e) for e in exc.errors())) from None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a config file, by suffix: `.yaml`/`.yml`, `.toml` or `.json`. Option
    names may use dashes for underscores, as the flags do."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(f"{path}: a config file is YAML (.yaml, .yml), TOML (.toml) or JSON (.json)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config: {getattr(exc, 'strerror', None) or exc}") from None
    data = reader(path, text)
    if data is None:  # an empty YAML file
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file holds a table of options, not {type(data).__name__}")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _read_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None


def _read_toml(path: Path, text: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _read_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        where = f"{path}:{exc.lineno}:{exc.colno}" if isinstance(exc, json.JSONDecodeError) else str(path)
        raise ConfigError(f"{where}: invalid JSON: {getattr(exc, 'msg', exc)}") from None


_READERS = {".yaml": _read_yaml, ".yml": _read_yaml, ".toml": _read_toml, ".json": _read_json}


def _field_names(config_class: type) -> set[str]:
    from dataclasses import fields

    return {f.name for f in fields(config_class) if f.init}


def _hint(key: str, known: Collection[str], trl_config: type | None) -> str:
    if trl_config is None:
        return did_you_mean(key, known)
    trl_fields = _field_names(trl_config)
    if key in trl_fields:
        return f"; did you mean `trl: {key}`? ({key} is a {trl_config.__name__} field: TRL's fields go in the `trl` section)"
    close = did_you_mean(key, known)
    if close:
        return close
    close = did_you_mean(key, trl_fields)
    if close:
        name = close.split("'")[1]
        return f"; did you mean `trl: {name}`? (a {trl_config.__name__} field)"
    return ""


def _pydantic_problem(error: Mapping[str, Any]) -> str:
    """One of pydantic's errors as `field: message (got VALUE)`."""
    where = ".".join(str(part) for part in error["loc"]) or "value"
    got = error.get("input")
    shown = json.dumps(got, default=str) if not isinstance(got, Mapping) else None
    if shown is not None and len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{where}: {error['msg']}" + (f" (got {shown})" if shown is not None else "")


def deprecated_extra(config: TrainConfig, trainer: str) -> dict[str, Any]:
    """`extra`, for a trainer with a TRL configuration: the old spelling of `trl`."""
    if config.extra:
        warnings.warn(
            ConfigWarning(
                f"`extra` is deprecated for trainer {trainer!r}: write its TRL options under "
                "`trl` (a `trl:` section or --trl KEY=VALUE)"
            ),
            stacklevel=2,
        )
    return dict(config.extra)
