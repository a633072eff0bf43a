"""mentor's GRPOTrainer: TRL's, with the shared-prefix forward, per-phase timings and
mentor's metrics in the trainer's log.

A subclass, not a fork: it overrides TRL's log-prob computation (`prefix.py`), wraps
`training_step` and `_prepare_inputs` to time the phases of a step, and adds mentor's
metrics (tool calls, failures, the finished rate, where the step's seconds went) to the
logs before TRL's `log` hands them on. So every tracker (`report_to`) and every callback
sees one set of numbers, TRL's and mentor's together, and `metrics.jsonl` is written from
those same logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import torch
from transformers import TrainerCallback

from ..models import base_model
from .prefix import MIN_SHARED, logps_with_shared_prefix, shared_prefix


@dataclass
class PhaseClock:
    """Seconds since the last `take()` in the phases the trainer times itself."""

    step: float = 0.0  # whole optimiser steps (from on_step_begin to on_step_end)
    prepare: float = 0.0  # TRL's _prepare_inputs: rollouts, rewards, advantages
    train: float = 0.0  # forward and backward of the loss
    optimizer: float = 0.0  # the optimiser step (and gradient clipping)
    forward_tokens: int = 0  # real tokens of the sequences the loss's forwards scored
    shared_tokens: int = 0  # prompt tokens those forwards did not recompute

    def take(self) -> PhaseClock:
        snapshot = PhaseClock(**{f.name: getattr(self, f.name) for f in fields(self)})
        for f in fields(self):
            setattr(self, f.name, type(getattr(self, f.name))())
        return snapshot


def make_trainer_class(base=None, *, shared_prefix_forward: bool = True):
    """A subclass of `base` (TRL's GRPOTrainer by default) with the phase clock and, when
    asked, the shared-prefix forward."""
    if base is None:
        from trl import GRPOTrainer as base

    class MentorGRPOTrainer(base):
        shared_prefix_min = MIN_SHARED if shared_prefix_forward else None

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.add_callback(PhaseTimer(self.mentor_clock))
            self._mentor_reward_seconds = 0.0

        @property
        def mentor_clock(self) -> PhaseClock:
            clock = self.__dict__.get("_mentor_clock")
            if clock is None:
                clock = self.__dict__["_mentor_clock"] = PhaseClock()
            return clock

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            # A training step's log (not the end-of-training summary, which has train_loss):
            # mentor's metrics join it, and TRL adds its own before passing it on.
            if "loss" in logs and self.model.training:
                logs.update(self.mentor_metrics())
            super().log(logs, start_time)

        def mentor_metrics(self) -> dict[str, float]:
            """mentor's metrics since the last logged step. Every process calls it (the
            counts are gathered), as every process calls `log`."""
            stats = getattr(self.rollout_func, "stats", None)
            totals = stats.take() if stats is not None else None
            (completions, calls, failed, finished), (generation_s, tool_s) = across_processes(totals)
            reward_total = sum(getattr(f, "seconds", 0.0) for f in self.reward_funcs)
            reward_s, self._mentor_reward_seconds = reward_total - self._mentor_reward_seconds, reward_total
            clock = self.mentor_clock.take()
            step = clock.step
            memory = {"memory/peak_gib": torch.cuda.max_memory_allocated() / 2**30} if torch.cuda.is_available() else {}
            return {
                "tools/calls_per_completion": calls / completions if completions else 0.0,
                "tools/failure_rate": failed / calls if calls else 0.0,
                "finished_rate": finished / completions if completions else 0.0,
                # Where the step went: the rollouts' generation and tools, the reward, TRL's
                # other scoring (advantages, old log-probs), the loss's forward and backward,
                # the optimiser.
                "time/step": step,
                "time/generation": generation_s,
                "time/tools": tool_s,
                "time/reward": reward_s,
                "time/other": max(clock.prepare - generation_s - tool_s - reward_s, 0.0),
                "time/forward_backward": clock.train,
                "time/optimizer": clock.optimizer,
                "tokens/forward": clock.forward_tokens,
                "tokens/shared_prefix": clock.shared_tokens,
                "share/reward": reward_s / step if step else 0.0,
                "share/tools": tool_s / step if step else 0.0,
                **memory,  # the GPU's peak allocation so far
            }

        def training_step(self, model, inputs, num_items_in_batch=None):
            started = time.perf_counter()
            before = self.mentor_clock.prepare
            loss = super().training_step(model, inputs, num_items_in_batch)
            self.mentor_clock.train += time.perf_counter() - started - (self.mentor_clock.prepare - before)
            return loss

        def _prepare_inputs(self, generation_batch):
            started = time.perf_counter()
            try:
                return super()._prepare_inputs(generation_batch)
            finally:
                self.mentor_clock.prepare += time.perf_counter() - started

        def _get_per_token_logps_and_entropies(
            self,
            model,
            input_ids,
            attention_mask,
            logits_to_keep,
            batch_size=None,
            compute_entropy=False,
            compute_aux_loss=False,
            **multimodal: Any,
        ):
            if torch.is_grad_enabled():
                self.mentor_clock.forward_tokens += int(attention_mask.sum())
            plain = (
                self.shared_prefix_min is None
                or compute_aux_loss
                or any(v is not None for v in multimodal.values())
                or (torch.is_grad_enabled() and getattr(base_model(model), "is_gradient_checkpointing", False))
            )
            if plain:
                return super()._get_per_token_logps_and_entropies(
                    model,
                    input_ids,
                    attention_mask,
                    logits_to_keep,
                    batch_size,
                    compute_entropy,
                    compute_aux_loss,
                    **multimodal,
                )
            batch_size = batch_size or input_ids.size(0)
            all_logps, all_entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                ids = input_ids[start : start + batch_size]
                mask = attention_mask[start : start + batch_size]
                shared, prompts = shared_prefix(ids, mask, logits_to_keep)
                if shared < self.shared_prefix_min:
                    logps, entropy, _ = super()._get_per_token_logps_and_entropies(
                        model, ids, mask, logits_to_keep, None, compute_entropy, False
                    )
                else:
                    with self.accelerator.autocast():
                        logps, entropy = logps_with_shared_prefix(
                            model, ids, mask, logits_to_keep, compute_entropy, shared, prompts
                        )
                    if torch.is_grad_enabled():
                        self.mentor_clock.shared_tokens += shared * (ids.size(0) - 1)
                all_logps.append(logps)
                if compute_entropy:
                    all_entropies.append(entropy)
            return torch.cat(all_logps), (torch.cat(all_entropies) if compute_entropy else None), None

    MentorGRPOTrainer.__qualname__ = MentorGRPOTrainer.__name__ = f"Mentor{base.__name__}"
    return MentorGRPOTrainer


def across_processes(stats) -> tuple[list[float], list[float]]:
    """A step's rollout counts (completions, calls, failed calls, finished) summed over the
    processes of an `accelerate launch` run (each generates its share of the batch), and its
    timings (generation, tools) as the slowest process's. `stats` None counts nothing."""
    counts = [stats.completions, stats.calls, stats.failed_calls, stats.finished] if stats else [0, 0, 0, 0]
    seconds = [stats.generation_seconds, stats.tool_seconds] if stats else [0.0, 0.0]
    from accelerate import PartialState

    state = PartialState()
    if state.num_processes == 1:
        return counts, seconds
    from accelerate.utils import gather

    # float32: NCCL and gloo both reduce it; the values are small counts and seconds.
    rows = gather(torch.tensor([counts + seconds], dtype=torch.float32, device=state.device))
    split = len(counts)
    return rows[:, :split].sum(dim=0).tolist(), rows[:, split:].max(dim=0).values.tolist()


class PhaseTimer(TrainerCallback):
    """Adds whole steps' and the optimiser's seconds to a trainer's clock (the optimiser
    step has no method of the trainer to wrap)."""

    def __init__(self, clock: PhaseClock):
        self.clock = clock
        self.step_started = self.optimizer_started = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.clock.step += time.perf_counter() - self.step_started

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self.optimizer_started = time.perf_counter()

    def on_optimizer_step(self, args, state, control, **kwargs):
        self.clock.optimizer += time.perf_counter() - self.optimizer_started
