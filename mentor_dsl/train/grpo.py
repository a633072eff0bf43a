"""The built-in trainer: TRL's GRPOTrainer, the compiled reward, and tool-using rollouts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from ..errors import TrainingError
from .config import TrainConfig
from .session import Session


def grpo_args(config: TrainConfig, *, cuda: bool, bf16: bool):
    """GRPOConfig for a run. On CPU: no bf16, no gradient checkpointing (it doubles the
    backward of a model that fits in memory anyway), no reference model (beta 0)."""
    import warnings

    from trl import GRPOConfig

    batch = config.per_device_batch_size or config.num_generations
    if batch % config.num_generations:
        raise TrainingError(f"the batch size ({batch}) must be a multiple of --num-generations "
                            f"({config.num_generations}): each prompt's completions form one group")
    with warnings.catch_warnings():
        # transformers renamed gradient_checkpointing; TRL still sets the old name.
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*checkpointing.*")
        return _grpo_config(GRPOConfig, config, batch, cuda, bf16)


def _grpo_config(GRPOConfig, config: TrainConfig, batch: int, cuda: bool, bf16: bool):
    return GRPOConfig(
        output_dir=str(config.output_dir),
        max_steps=config.max_steps,
        per_device_train_batch_size=batch,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        learning_rate=config.learning_rate,
        temperature=config.temperature,
        beta=0.0,
        use_cpu=not cuda,
        bf16=bf16,
        fp16=False,
        gradient_checkpointing=cuda and not config.lora,
        report_to="none",
        logging_steps=config.logging_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_vllm=config.use_vllm,
        vllm_mode=config.extra.get("vllm_mode", "colocate"),
        **{k: v for k, v in config.extra.items() if k != "vllm_mode"},
    )


def build(config: TrainConfig, trainer_class=None) -> tuple[Session, Any]:
    """The session and the GRPOTrainer for a run, not started (tests wrap the trainer)."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    import torch
    from trl import GRPOTrainer

    from .rollout import ToolRollout

    session = Session(config)
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    args = grpo_args(config, cuda=cuda, bf16=bf16)
    rollout = ToolRollout(session.executor, session.call_format, max_turns=config.max_turns)
    trainer = (trainer_class or GRPOTrainer)(
        model=session.model,
        reward_funcs=[session.reward],
        args=args,
        train_dataset=session.dataset(),
        processing_class=session.tokenizer,
        rollout_func=rollout,
        callbacks=session.callbacks(rollout.stats),
        peft_config=session.peft_config(),
    )
    trainer.mentor_rollout = rollout
    return session, trainer


def train_grpo(config: TrainConfig) -> Path:
    """Train with GRPO. Returns the output directory (checkpoints, metrics.jsonl, model)."""
    session, trainer = build(config)
    return session.run(trainer)
