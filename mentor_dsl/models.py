"""Where a student or teacher model comes from, and how it is loaded.

`--model` (train, eval, SFT, the `hf` teacher) takes one of:

    default                     the embedded SmolLM2-135M-Instruct (converted once into the cache)
    path/to/model               a local transformers model directory (config.json)
    runs/NAME                   a training run: its final model/, else its latest checkpoint
    org/name  org/name@rev      a Hugging Face Hub id, at a branch, tag or commit

`resolve_model` turns the text into a `ModelRef` without loading anything; it is the one
place that decides, so every command accepts the same forms. Hub ids go through
`from_pretrained`, so the Hugging Face cache, `HF_HOME`, `HF_TOKEN` and `HF_HUB_OFFLINE`
work as they do everywhere else. Offline with the model missing from the cache is a
`DataError` that names the id and the command that fetches it.

Loading for training is TRL's: the trainer gets the model *id* and `model_init_kwargs`
(`ModelRef.init_kwargs`), so it builds the model itself, after its accelerator and
DeepSpeed config exist (ZeRO-3 shards the weights at load).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from .errors import DataError

#: What `mentor train` writes into a run folder beside `model/` and the checkpoints. It is
#: not called config.json, so that a run folder is never mistaken for a model directory.
RUN_CONFIG = "mentor-run.json"
#: The per-step metrics a run folder holds (one JSON object per logged step).
RUN_METRICS = "metrics.jsonl"


def run_folder(location: str | os.PathLike) -> Path | None:
    """The training run folder a model directory belongs to (the folder itself, or the one
    holding it as `model/` or `checkpoint-N/`), absolute; None when it is not in one."""
    path = Path(location).expanduser()
    for candidate in (path, path.parent):
        if (candidate / RUN_CONFIG).is_file() or (candidate / RUN_METRICS).is_file():
            return candidate.resolve()
    return None


#: The dtypes a model loads in (`--dtype`); `auto` picks one for the device.
DType = Literal["auto", "bfloat16", "float16", "float32"]
DTYPES: tuple[DType, ...] = get_args(DType)

# `org/name` or `org/name@revision`, as the Hub spells repository ids.
_HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(?:@(?P<revision>[\w./-]+))?$")


@dataclass(frozen=True)
class ModelRef:
    """A resolved `--model`: `location` is a directory or a Hub repository id."""

    spec: str
    kind: str  # "default" | "local" | "hub"
    location: str
    revision: str | None = None

    @property
    def is_hub(self) -> bool:
        return self.kind == "hub"

    def pretrained_kwargs(self) -> dict[str, Any]:
        """What `from_pretrained` needs besides the location (model and tokenizer alike).
        A Hub id reads the cache the environment names now (HF_HUB_CACHE, HF_HOME), and
        only the cache when offline."""
        kwargs: dict[str, Any] = {}
        if self.revision:
            kwargs["revision"] = self.revision
        if not self.is_hub or offline():
            kwargs["local_files_only"] = True
        if self.is_hub:
            kwargs["cache_dir"] = str(hub_cache())
        return kwargs

    def __str__(self) -> str:
        return self.spec


def is_hub_id(text: str) -> bool:
    """Whether `text` reads as `org/name[@revision]` (and not as a relative path)."""
    return _HUB_ID.match(text) is not None and not text.startswith((".", "/", "~"))


def resolve_model(spec: str | os.PathLike | None, *, prepare: bool = True) -> ModelRef:
    """`--model` as written -> where the weights are (see the module docstring).
    `prepare=False` names where the embedded student goes without converting it there
    (`mentor train --print-config` reads no weights)."""
    text = "default" if spec in (None, "", "default") else str(spec)
    if text == "default":
        from .student import default_student_dir, student_cache_dir

        return ModelRef("default", "default", str(default_student_dir() if prepare else student_cache_dir()))
    path = Path(text).expanduser()
    if path.is_dir():
        return ModelRef(text, "local", str(_model_dir(path, text)))
    match = _HUB_ID.match(text)
    if match is None or not is_hub_id(text) or path.exists():
        raise DataError(
            f"--model {text!r}: no such model directory; expected 'default' (the embedded student), "
            "a local model directory, a training run folder, or a Hub id such as "
            "Qwen/Qwen2.5-1.5B-Instruct[@revision]"
        )
    ref = ModelRef(text, "hub", match["repo"], match["revision"])
    _check_cached_when_offline(ref)
    return ref


def _model_dir(path: Path, text: str) -> Path:
    if (path / "config.json").is_file() and not (path / RUN_CONFIG).is_file():
        return path
    if (path / RUN_CONFIG).is_file() or (path / "model").is_dir():  # a training run
        if (path / "model" / "config.json").is_file():
            return path / "model"
        from .train.checkpoints import latest_checkpoint

        checkpoint = latest_checkpoint(path)
        if checkpoint is not None:
            return checkpoint
        raise DataError(f"--model {text!r} is a training run with no final model and no checkpoint yet")
    raise DataError(f"--model {text!r} is not a transformers model directory (no config.json)")


def offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it (also set by TRANSFORMERS_OFFLINE)."""
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
    if value is not None:
        return value.strip().upper() in ("1", "ON", "YES", "TRUE")
    return bool(constants.HF_HUB_OFFLINE)


def hub_cache() -> Path:
    """The Hub cache as huggingface_hub resolves it now (HF_HUB_CACHE, HF_HOME, default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _check_cached_when_offline(ref: ModelRef) -> None:
    if not offline():
        return
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref.location, "config.json", cache_dir=str(hub_cache()), revision=ref.revision)
    if not isinstance(found, str):
        at = f" at revision {ref.revision!r}" if ref.revision else ""
        raise DataError(
            f"--model {ref.spec!r}: {ref.location}{at} is not in the Hugging Face cache "
            f"({hub_cache()}) and HF_HUB_OFFLINE is set; fetch it first with "
            f"`hf download {ref.location}{' --revision ' + ref.revision if ref.revision else ''}` "
            "on a machine with internet (or unset HF_HUB_OFFLINE)"
        )


# -- dtype and attention ---------------------------------------------------------------------


def resolve_dtype(name: str, device: str | None = None) -> str:
    """`auto`: bf16 on a GPU that supports it, else float32 (the CPU default: bf16
    autocast is an explicit choice there, see docs/training.md). Other names pass."""
    if name not in DTYPES:
        raise DataError(f"--dtype {name!r}: expected one of {', '.join(DTYPES)}")
    if name != "auto":
        return name
    import torch

    cuda = torch.cuda.is_available() and (device is None or str(device).startswith("cuda"))
    return "bfloat16" if cuda and torch.cuda.is_bf16_supported() else "float32"


def init_kwargs(
    ref: ModelRef, dtype: str = "auto", attn_implementation: str | None = None, device: str | None = None
) -> dict[str, Any]:
    """`from_pretrained` keyword arguments: TRL's `model_init_kwargs` for the trainers."""
    kwargs = ref.pretrained_kwargs()
    kwargs["dtype"] = resolve_dtype(dtype, device)
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    return kwargs


# -- loading ---------------------------------------------------------------------------------


def load_tokenizer(ref: ModelRef):
    """The model's tokenizer, ready for batched generation: left padding, a pad token."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(ref.location, **ref.pretrained_kwargs())
    except (OSError, ValueError) as exc:
        raise DataError(f"--model {ref.spec!r}: cannot load its tokenizer: {_reason(exc)}") from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    ref: ModelRef, *, dtype: str = "auto", attn_implementation: str | None = None, device: str | None = None
):
    """(model, tokenizer) for generation (eval, the `hf` teacher): in eval mode."""
    from transformers import AutoModelForCausalLM

    kwargs = init_kwargs(ref, dtype, attn_implementation, device)
    try:
        model = AutoModelForCausalLM.from_pretrained(ref.location, **kwargs)
    except (OSError, ValueError) as exc:
        raise DataError(f"--model {ref.spec!r}: cannot load the model: {_reason(exc)}") from None
    model.eval()
    return model, load_tokenizer(ref)


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_config(out: Path) -> dict[str, Any] | None:
    """The options a run folder was trained with, if it is one."""
    try:
        return json.loads((Path(out) / RUN_CONFIG).read_text())
    except (OSError, ValueError):
        return None


def base_model(model: Any) -> Any:
    """The causal LM under DDP/DeepSpeed/PEFT wrappers (for its config and its forward's
    signature)."""
    inner = getattr(model, "module", model)
    get = getattr(inner, "get_base_model", None)
    return get() if callable(get) else inner


def cache_keyword(model: Any) -> str:
    """The name of a model's cache argument: transformers 5.x calls it `cache`, earlier
    releases `past_key_values`."""
    import inspect

    names = inspect.signature(type(base_model(model)).forward).parameters
    return "cache" if "cache" in names else "past_key_values"
