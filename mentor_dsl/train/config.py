"""What a training run is asked to do: one dataclass shared by the CLI and every trainer."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import TrainingError


@dataclass
class TrainConfig:
    """Options of `mentor train`. Trainers registered through the `register_trainers`
    hook receive one of these; CPU-sized defaults train the embedded student in minutes."""

    reward: str = "mentor"
    model: str = "default"                 # "default" (the embedded SmolLM2-135M-Instruct), a directory, a run, org/name[@rev]
    dtype: str = "auto"                    # weights: auto (bf16 on a GPU that has it, else float32), bfloat16, float16, float32
    # Autocast: auto (bf16 on a GPU that has it, none on a CPU), bf16, fp16, no.
    mixed_precision: str = "auto"
    attn_implementation: str | None = None  # e.g. sdpa, eager, flash_attention_2 (None: transformers' choice)
    call_format: str | None = None         # None: the reward spec's `option call_format`, else the chat template's
    data: str = "builtin:train"            # builtin:SPLIT, a file (JSONL, JSON, parquet, CSV), a datasets folder, org/name[:split]
    trainer: str = "grpo"
    output_dir: str = "runs/mentor"
    max_steps: int = 5
    num_generations: int = 4
    per_device_batch_size: int | None = None  # default: num_generations (one prompt per step)
    max_completion_length: int = 96
    max_turns: int = 3
    learning_rate: float = 1e-5
    lora: bool = False
    lora_rank: int = 16
    seed: int = 0
    use_vllm: bool = False
    # Compute each batch's shared prompt prefix once in the training forwards (train/prefix.py).
    shared_prefix: bool = True
    resume: bool = False
    save_steps: int = 5
    # A checkpoint of the 135M student with its optimizer state is about 1.6 GB; 0 keeps
    # none (the run cannot resume) and saves only the final model.
    keep_checkpoints: int = 2
    logging_steps: int = 1
    save_rollouts: int = 0  # write the rollouts of step 1 and every Nth after it to rollouts.jsonl; 0: none
    temperature: float = 0.7  # a 135M student makes far more well-formed calls than at 1.0
    params: dict[str, Any] = field(default_factory=dict)   # --set NAME=VALUE for the reward spec
    # --tool-limit NAME=VALUE: the executor's ToolLimits for the rollouts and exec_success
    tool_limits: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)    # trainer-specific options from the config file
    # --trainer-option NAME=VALUE, [trainer_options]: what the trainer declares (train/options.py)
    trainer_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_file(cls, path: str | Path) -> dict[str, Any]:
        """Values from a JSON or TOML config file, to be overridden by flags."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TrainingError(f"{path}: cannot read config: {exc.strerror or exc}") from None
        if path.suffix == ".toml":
            import tomllib

            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise TrainingError(f"{path}: invalid TOML: {exc}") from None
        else:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise TrainingError(f"{path}: invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise TrainingError(f"{path}: a config file holds a table of options")
        known = set(cls.names())
        unknown = sorted(k for k in data if k.replace("-", "_") not in known)
        if unknown:
            raise TrainingError(f"{path}: unknown option(s): {', '.join(unknown)}")
        return {k.replace("-", "_"): v for k, v in data.items()}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
