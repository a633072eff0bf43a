"""Multi-turn tool rollouts as TRL's `rollout_func` (see `rollouts/` for the loop).

Why `rollout_func` and not TRL's `tools=`: TRL refuses chat templates without tool
support (the embedded student's), runs tools in-process with no timeout, ends a turn only
at EOS (so a student that imagines its own tool response in the inline layout is trained
on it), and cannot use mentor's JSON-Schema tools. With `rollout_func` TRL still does the
rewards, advantages, the loss (masked by `env_mask`), the optimiser and logging.

Besides TRL's keys, the returned dict carries columns for the reward: `finished` (TRL
strips the end-of-turn token from the completion text).
"""

from __future__ import annotations

import copy
from typing import Any

from ..rollouts.hf import HFGenerator
from ..rollouts.layout import ChatLayout
from ..rollouts.loop import Generator, ToolRollout
from ..rollouts.vllm import VLLMGenerator


class TrainerRollout:
    """A `rollout_func` for `GRPOTrainer`: `rollout(prompts, trainer) -> dict`. The
    prompts are the dataset's rendered prompt texts (`Session.rows_for`)."""

    #: What generates with a transformers model: `generator(model, tokenizer, config, stop)`.
    generator = HFGenerator

    def __init__(self, executor, layout: ChatLayout, *, max_turns: int = 3, log=None):
        self.layout = layout
        self.loop = ToolRollout(executor, layout, max_turns=max_turns)
        self.stats = self.loop.stats
        self.log = log  # a RolloutLog (--save-rollouts), or None

    @property
    def stop(self) -> str | None:
        return self.layout.stop_text

    def prompt_ids(self, prompt: Any) -> list[int]:
        if isinstance(prompt, str):
            return self.layout.encode(prompt)
        return self.layout.encode(self.layout.render(prompt, ()))

    def __call__(self, prompts: list, trainer) -> dict[str, Any]:
        from trl.models.utils import unwrap_model_for_generation

        prompt_ids = [self.prompt_ids(p) for p in prompts]
        ends = set(trainer.eos_token_ids) | set(self.layout.end_ids)
        limit = trainer.max_completion_length
        generator: Generator
        if getattr(trainer, "use_vllm", False):
            # TRL keeps the vLLM engine's weights in sync before calling us.
            generator = VLLMGenerator.for_trainer(trainer, self.stop)
            rollouts = self.loop.run(generator, prompt_ids, limit, ends)
        else:
            config = copy.deepcopy(trainer.generation_config)
            config.eos_token_id = sorted(ends)
            # TRL's own generation uses this context: it unwraps DDP/DeepSpeed and switches
            # gradient checkpointing off while generating.
            with (
                unwrap_model_for_generation(
                    trainer.model_wrapped,
                    trainer.accelerator,
                    gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                    generation_kwargs=trainer.generation_kwargs,
                    gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
                ) as model,
                trainer.accelerator.autocast(),
            ):  # the run's mixed precision, as in training
                generator = self.generator(model, self.layout.tokenizer, config, self.stop)
                rollouts = self.loop.run(generator, prompt_ids, limit, ends)
        if self.log is not None:  # the step these rollouts train is the next one
            self.log.rollouts(trainer.state.global_step + 1, prompts, rollouts)
        logprobs = [r.logprobs for r in rollouts]
        return {
            "prompt_ids": [r.prompt_ids for r in rollouts],
            "completion_ids": [r.completion_ids for r in rollouts],
            "logprobs": logprobs if all(lp is not None for lp in logprobs) else None,
            "env_mask": [r.env_mask for r in rollouts],
            # Reaches the reward as a column: TRL strips the end-of-turn token from the text.
            "finished": [r.finished for r in rollouts],
            # Also a column: the reward reads calls and answers only from what the model wrote.
            "model_segments": [self.layout.model_segments(r.completion_ids, r.model_spans) for r in rollouts],
        }
