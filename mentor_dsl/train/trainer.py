"""mentor's GRPOTrainer: TRL's, with the shared-prefix forward and per-phase timings.

A subclass, not a fork: it overrides TRL's log-prob computation (`prefix.py`) and wraps
`training_step` and `_prepare_inputs` to time the phases of a step, so that every row of
`metrics.jsonl` says where its seconds went: generation, tools, reward, the
forward/backward, the optimiser, and the rest of TRL's scoring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import torch

from .prefix import MIN_SHARED, logps_with_shared_prefix, shared_prefix, _base_model


@dataclass
class PhaseClock:
    """Seconds since the last `take()` in the phases the trainer times itself."""

    prepare: float = 0.0     # TRL's _prepare_inputs: rollouts, rewards, advantages
    train: float = 0.0       # forward and backward of the loss
    optimizer: float = 0.0   # the optimiser step (and gradient clipping)
    forward_tokens: int = 0  # real tokens of the sequences the loss's forwards scored
    shared_tokens: int = 0   # prompt tokens those forwards did not recompute

    def take(self) -> "PhaseClock":
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

        @property
        def mentor_clock(self) -> PhaseClock:
            clock = self.__dict__.get("_mentor_clock")
            if clock is None:
                clock = self.__dict__["_mentor_clock"] = PhaseClock()
            return clock

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

        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                               batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                               **multimodal: Any):
            if torch.is_grad_enabled():
                self.mentor_clock.forward_tokens += int(attention_mask.sum())
            plain = (self.shared_prefix_min is None or compute_aux_loss
                     or any(v is not None for v in multimodal.values())
                     or (torch.is_grad_enabled() and getattr(_base_model(model), "is_gradient_checkpointing", False)))
            if plain:
                return super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size, compute_entropy,
                    compute_aux_loss, **multimodal)
            batch_size = batch_size or input_ids.size(0)
            all_logps, all_entropies = [], []
            for start in range(0, input_ids.size(0), batch_size):
                ids = input_ids[start:start + batch_size]
                mask = attention_mask[start:start + batch_size]
                shared, prompts = shared_prefix(ids, mask, logits_to_keep)
                if shared < self.shared_prefix_min:
                    logps, entropy, _ = super()._get_per_token_logps_and_entropies(
                        model, ids, mask, logits_to_keep, None, compute_entropy, False)
                else:
                    with self.accelerator.autocast():
                        logps, entropy = logps_with_shared_prefix(model, ids, mask, logits_to_keep,
                                                                  compute_entropy, shared, prompts)
                    if torch.is_grad_enabled():
                        self.mentor_clock.shared_tokens += shared * (ids.size(0) - 1)
                all_logps.append(logps)
                if compute_entropy:
                    all_entropies.append(entropy)
            return torch.cat(all_logps), (torch.cat(all_entropies) if compute_entropy else None), None

    MentorGRPOTrainer.__qualname__ = MentorGRPOTrainer.__name__ = f"Mentor{base.__name__}"
    return MentorGRPOTrainer


def optimizer_timer():
    """A callback that adds the optimiser step's seconds to the trainer's clock."""
    from transformers import TrainerCallback

    class OptimizerTimer(TrainerCallback):
        def __init__(self):
            self.clock: PhaseClock | None = None
            self.started = 0.0

        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_optimizer_step(self, args, state, control, **kwargs):
            if self.clock is not None:
                self.clock.optimizer += time.perf_counter() - self.started

    return OptimizerTimer()
