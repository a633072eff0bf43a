"""The built-in trainer: TRL's GRPOTrainer, the compiled reward, and tool-using rollouts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

from ..errors import TrainingError
from ..reward import Reward
from .config import TrainConfig
from .session import Session


def grpo_arguments(config: TrainConfig, model_kwargs: dict[str, Any]):
    """GRPOConfig for a run, from its options and the model's `from_pretrained` arguments
    alone: no reference model (beta 0) unless the `trl` section sets one."""
    from trl import GRPOConfig

    from .trl_options import trl_arguments

    batch = config.per_device_batch_size or config.num_generations
    if batch % config.num_generations:
        raise TrainingError(
            f"the batch size ({batch}) must be a multiple of --num-generations "
            f"({config.num_generations}): each prompt's completions form one group"
        )
    return trl_arguments(
        GRPOConfig,
        config,
        model_kwargs,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        beta=0.0,
        use_vllm=config.use_vllm,
        vllm_mode="colocate",  # `trl: {vllm_mode: server}` chooses a server
    )


def grpo_args(session: Session):
    """GRPOConfig for a session's run (see `grpo_arguments`)."""
    return grpo_arguments(session.config, session.model_kwargs)


def rollout_log(session: Session, reward: Reward):
    """The `--save-rollouts` log of a run, fed by the rollouts and the reward; None when off."""
    if not session.config.save_rollouts:
        return None
    from .rollout_log import RolloutLog

    log = RolloutLog(session.out, session.config.save_rollouts, session.layout, eos=session.layout.end_text)
    reward.on_score = log.on_score
    return log


def build(config: TrainConfig, trainer_class=None) -> tuple[Session, Any]:
    """The session and the GRPOTrainer for a run, not started (tests wrap the trainer)."""
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl import GRPOTrainer

    from .rollout import TrainerRollout
    from .rollout_log import RolloutLogWriter
    from .trainer import make_trainer_class

    # The prompt computed once per batch in every log-prob forward; every phase timed.
    base = make_trainer_class(trainer_class or GRPOTrainer, shared_prefix_forward=config.shared_prefix)
    session = Session(config)
    reward = cast(Reward, session.reward)  # a Session loads the reward unless needs_reward=False
    args = grpo_args(session)
    log = rollout_log(session, reward)
    rollout = TrainerRollout(session.executor, session.layout, max_turns=config.max_turns, log=log)
    trainer = base(
        model=session.model_id,
        reward_funcs=[reward],
        args=args,
        train_dataset=session.dataset(),
        processing_class=session.tokenizer,
        rollout_func=rollout,
        callbacks=session.callbacks() + ([RolloutLogWriter(log)] if log is not None else []),
        peft_config=session.peft_config(),
    )
    trainer.mentor_rollout = rollout
    return session, trainer


def train_grpo(config: TrainConfig) -> Path:
    """Train with GRPO. Returns the output directory (checkpoints, metrics.jsonl, model)."""
    session, trainer = build(config)
    return session.run(trainer)
