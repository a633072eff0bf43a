"""The trainer's TRL configuration (GRPOConfig, SFTConfig): built from a `TrainConfig` and
the model's `from_pretrained` arguments alone (no model, tokenizer or data is loaded), with
the run's `trl` section checked against the class's own fields.

Three kinds of TRL field:
- set by a mentor option (`MIRRORED`): `--max-steps` is `max_steps`. The `trl` section may
  not set them, so each setting has one place;
- computed by mentor (`computed_arguments`: bf16 and fp16 from `mixed_precision`, gradient
  checkpointing on a GPU, no tracker, ...): the `trl` section overrides them;
- everything else: TRL's default, or the `trl` section's value.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import typing
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError, did_you_mean
from .config import TrainConfig, deprecated_extra
from .options import attribute

#: TRL field -> the mentor option that sets it (and its flag). `trl:` may not set these.
MIRRORED = {
    "output_dir": "output_dir",
    "max_steps": "max_steps",
    "learning_rate": "learning_rate",
    "per_device_train_batch_size": "per_device_batch_size",
    "num_generations": "num_generations",
    "max_completion_length": "max_completion_length",
    "temperature": "temperature",
    "use_vllm": "use_vllm",
    "seed": "seed",
    "logging_steps": "logging_steps",
    "save_steps": "save_steps",
    "save_total_limit": "keep_checkpoints",
    "report_to": "report_to",
    "run_name": "run_name",
}

#: Values TRL 1.16 accepts for fields it checks only when the first loss is computed, after
#: a whole step of rollouts; checked here before anything runs. (tests/test_trl_options.py
#: checks each value against the field's help text in the installed TRL.)
CHOICES: dict[str, tuple[Any, ...]] = {
    "loss_type": ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"),
    "scale_rewards": ("group", "batch", "none", True, False),
    "importance_sampling_level": ("token", "sequence"),
    "vllm_mode": ("server", "colocate"),
}

#: Trackers that are not integrations but transformers' own words.
_TRACKER_WORDS = ("none", "all")


def config_class(trainer: Callable | None) -> type | None:
    """The TRL configuration class a registered trainer declares as `fn.trl_config` (the
    class, or "module:Name"), or None."""
    declared = attribute(trainer, "trl_config")
    if declared is None or isinstance(declared, type):
        return declared
    module, _, name = str(declared).partition(":")
    return getattr(importlib.import_module(module), name)


def field_names(config_class: type) -> list[str]:
    return [f.name for f in dataclasses.fields(config_class) if f.init]


def computed_arguments(
    config: TrainConfig, model_kwargs: Mapping[str, Any], *, cuda: bool | None = None
) -> dict[str, Any]:
    """The TRL arguments every mentor trainer shares. The trainer builds the model itself
    from `model_init_kwargs` (so DeepSpeed ZeRO-3 shards it at load). On a GPU: autocast
    as `mixed_precision` says, gradient checkpointing. On a CPU: no gradient checkpointing, which doubles
    the backward of a model that fits anyway."""
    import torch

    if cuda is None:
        cuda = torch.cuda.is_available()
    mixed = mixed_precision(config.mixed_precision, model_kwargs.get("dtype"), cuda=cuda)
    return dict(
        output_dir=str(config.output_dir),
        max_steps=config.max_steps,
        per_device_train_batch_size=config.per_device_batch_size or config.num_generations,
        learning_rate=config.learning_rate,
        use_cpu=not cuda,
        bf16=mixed == "bf16",
        fp16=mixed == "fp16",
        gradient_checkpointing=cuda and not config.lora,
        model_init_kwargs=dict(model_kwargs),
        report_to=config.report_to,
        run_name=config.run_name,
        logging_steps=config.logging_steps,
        save_strategy="steps" if config.keep_checkpoints else "no",
        save_steps=config.save_steps,
        save_total_limit=config.keep_checkpoints or None,
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=True,  # mentor draws its own progress
        dataloader_num_workers=0,
    )


def mixed_precision(choice: str, dtype: str | None, *, cuda: bool | None = None) -> str:
    """The autocast a run uses: `auto` follows the weights (bf16 weights compute in bf16,
    fp16 in fp16) and uses bf16 for float32 weights on a GPU that has it; on a CPU it is
    off, since bf16 there is a measured trade (docs/training.md). `TrainConfig` has
    checked `choice` already."""
    import torch

    if choice != "auto":
        return choice
    if dtype == "bfloat16":
        return "bf16"
    if dtype == "float16":
        return "fp16"
    if cuda is None:
        cuda = torch.cuda.is_available()
    return "bf16" if cuda and torch.cuda.is_bf16_supported() else "no"


def trl_arguments(
    config_class: type,
    config: TrainConfig,
    model_kwargs: Mapping[str, Any],
    *,
    cuda: bool | None = None,
    **specific: Any,
):
    """The trainer's TRL configuration: mentor's computed arguments, the trainer's own
    (`specific`), then the run's checked `trl` section. Raises ConfigError naming the
    field for anything TRL would refuse."""
    given = trl_section(config_class, config)
    arguments = computed_arguments(config, model_kwargs, cuda=cuda)
    arguments.update(specific)
    if "model_init_kwargs" in given and isinstance(given["model_init_kwargs"], Mapping):
        # Added to mentor's (dtype, revision, local_files_only), not instead of them.
        given["model_init_kwargs"] = {**arguments["model_init_kwargs"], **given["model_init_kwargs"]}
    arguments.update(given)
    with warnings.catch_warnings():
        # transformers renamed gradient_checkpointing; TRL still sets the old name.
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*checkpointing.*")
        try:
            return config_class(**arguments)
        except (ValueError, TypeError) as exc:  # TRL's and transformers' own checks
            raise ConfigError(f"{config_class.__name__} refused the configuration: {exc}") from None


def trl_section(config_class: type, config: TrainConfig) -> dict[str, Any]:
    """The run's `trl` section over the deprecated `extra`, each checked against
    `config_class`, with its trackers checked too."""
    check_report_to(config.report_to)
    given = check_trl(config_class, deprecated_extra(config, config.trainer), section="extra")
    given.update(check_trl(config_class, config.trl))
    return given


def check_trl(config_class: type, values: Mapping[str, Any], *, section: str = "trl") -> dict[str, Any]:
    """`values` checked against the fields of `config_class`, each converted to its
    field's type. Text (from the command line) that is not of the field's type is read as
    YAML, so `--trl reward_weights=[1.0,0.5]` is a list and `--trl beta=0.04` a number."""
    fields = field_names(config_class)
    out: dict[str, Any] = {}
    problems = []
    for raw_key, value in values.items():
        key = str(raw_key).replace("-", "_")
        if key not in fields:
            # A trainer's own options have their own section; say so where they are mistaken for TRL's.
            own = "; a trainer's own options go in `trainer_options` (--trainer-option NAME=VALUE)"
            problems.append(
                f"{section}: unknown {config_class.__name__} field {raw_key!r}{did_you_mean(key, fields)}"
                + (own if section == "extra" else "")
            )
        elif key in MIRRORED:
            option = MIRRORED[key]
            problems.append(
                f"{section}: {key} is set by mentor's `{option}` option (--{option.replace('_', '-')}); "
                f"set it there instead"
            )
        else:
            try:
                out[key] = _convert(config_class, key, value)
            except ValueError as exc:
                problems.append(f"{section}: {key}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return out


def _convert(config_class: type, key: str, value: Any) -> Any:
    candidates = [value]
    if isinstance(value, str):
        import yaml

        try:
            read = yaml.safe_load(value)
        except yaml.YAMLError:
            read = value
        if not isinstance(read, str):
            # What the text says first: `{"a": 1}` is a table even where a field also takes
            # text; the text itself when the field refuses that (`run_name=123`).
            candidates.insert(0, read)
    if key in CHOICES:
        for candidate in candidates:
            if candidate in CHOICES[key] and type(candidate) in {type(c) for c in CHOICES[key]}:
                return candidate
        allowed = ", ".join(repr(c) for c in CHOICES[key])
        raise ValueError(f"expected one of {allowed} (got {value!r})")
    adapter = _adapter(config_class, key)
    if adapter is None:  # a type pydantic cannot check: TRL's own checks apply
        return value
    from pydantic import ValidationError

    failures: list[ValidationError] = []  # one per candidate, and there is at least one
    for candidate in candidates:
        try:
            return adapter.validate_python(candidate)
        except ValidationError as exc:
            failures.append(exc)
    error = failures[0].errors()[0]
    raise ValueError(f"{error['msg']} (got {value!r})")


@functools.cache
def _adapter(config_class: type, key: str):
    from pydantic import TypeAdapter

    try:
        hint = typing.get_type_hints(config_class)[key]
    except Exception:
        hint = {f.name: f.type for f in dataclasses.fields(config_class)}[key]
    if isinstance(hint, str):
        return None
    try:
        return TypeAdapter(hint)
    except Exception:  # noqa: BLE001 - e.g. a class pydantic has no schema for
        return None


def check_report_to(value: str | list[str]) -> None:
    """The trackers transformers knows, each installed (`all` takes the installed ones)."""
    names = [value] if isinstance(value, str) else list(value)
    wanted = [n for n in names if n not in _TRACKER_WORDS]
    if not wanted:
        return
    from transformers.integrations.integration_utils import (
        INTEGRATION_TO_CALLBACK,
        get_available_reporting_integrations,
    )

    known = sorted(INTEGRATION_TO_CALLBACK)
    for name in wanted:
        if name not in INTEGRATION_TO_CALLBACK:
            raise ConfigError(
                f"report_to: unknown tracker {name!r}{did_you_mean(name, known)} "
                f"(trackers: none, all, {', '.join(known)})"
            )
    available = get_available_reporting_integrations()
    missing = [n for n in wanted if n not in available]
    if missing:
        raise ConfigError(
            f"report_to: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed "
            f"(pip install {' '.join(missing)})"
        )


def checked(config: TrainConfig, trainer: Callable | None) -> TrainConfig:
    """`config` with its `trl` section checked against the TRL class the trainer declares and
    each value converted to its field's type, the deprecated `extra` merged in under it (a
    warning says so). Unchanged for a trainer that declares no class: its `extra` is its own.
    Raises ConfigError naming the field."""
    declared = config_class(trainer)
    if declared is None:
        return config
    return config.model_copy(update={"trl": trl_section(declared, config), "extra": {}})


def resolved(config: TrainConfig, trainer: Callable | None) -> dict[str, Any]:
    """What `mentor train --print-config` shows: mentor's options and, for a trainer that
    declares `trl_arguments`, the whole TRL configuration it would train with (for one that
    declares only `trl_config`, the checked `trl` section). `config` is `checked` already."""
    out: dict[str, Any] = {"mentor": config.to_json()}
    build = attribute(trainer, "trl_arguments")
    if build is None:
        declared = config_class(trainer)
        if declared is not None:
            out["trl_config"] = declared.__name__
            out["trl"] = _plain(config.trl)
        return out
    from ..models import init_kwargs, resolve_model

    ref = resolve_model(config.model, prepare=False)
    arguments = build(config, init_kwargs(ref, config.dtype, config.attn_implementation))
    out["trl_config"] = type(arguments).__name__
    out["trl"] = _plain(arguments.to_dict())
    return out


def _plain(value: Any) -> Any:
    """Values YAML and JSON can write: enums as their values, other objects as text."""
    import enum

    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
