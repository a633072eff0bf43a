"""Generation with vLLM (GPU): TRL's colocated engine or a `trl vllm-serve` server.

vLLM needs no cache bookkeeping from us: its prefix caching finds the shared prompt and
the conversation so far by itself, so each turn simply sends every row's whole context.
It stops at the inline layout's stop text itself, and returns the sampling
log-probability of every token, so TRL's importance-sampling correction (vLLM samples
with bf16 kernels that differ slightly from the training forward) stays on; tool tokens,
which nothing sampled, get 0 and are masked from the loss anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import TrainingError
from .loop import Generated


def _sampled_logprobs(token_ids: Sequence[int], logprobs: Any) -> list[float] | None:
    """The sampled token's log-probability at each position (vLLM returns a dict of
    token -> Logprob per position, the sampled token always included)."""
    if logprobs is None:
        return None
    out = []
    for token, entry in zip(token_ids, logprobs):
        value = entry.get(token) if isinstance(entry, dict) else None
        if value is None:
            out.append(0.0)
        else:
            out.append(float(value.logprob if hasattr(value, "logprob") else value))
    return out


class VLLMGenerator:
    """The `Generator` for TRL's vLLM engine (`--use-vllm`)."""

    def __init__(self, generation, *, stop: str | None, sampling: dict[str, Any], num_processes: int = 1):
        self.generation = generation
        if generation.mode == "server" and num_processes > 1:
            # Rows finish their turns at different times on different processes, so the
            # gather-to-the-server collectives TRL uses would not line up.
            raise TrainingError("multi-turn rollouts with several processes need vllm_mode='colocate'")
        self.stop = stop
        self.sampling = sampling

    @classmethod
    def for_trainer(cls, trainer, stop: str | None) -> VLLMGenerator:
        # The sampling settings TRL gives vLLM for single-turn generation.
        sampling = {"temperature": trainer.temperature, "top_p": trainer.top_p, "top_k": trainer.top_k}
        if getattr(trainer, "repetition_penalty", None) is not None:
            sampling["repetition_penalty"] = trainer.repetition_penalty
        return cls(
            trainer.vllm_generation, stop=stop, sampling=sampling, num_processes=trainer.accelerator.num_processes
        )

    def start(self, prompts: Sequence[Sequence[int]]) -> None:
        generation = self.generation
        if (
            generation.mode == "colocate"
            and getattr(generation, "enable_sleep_mode", False)
            and getattr(generation, "_llm_weights_sleeping", False)
        ):
            generation.sync_weights()  # sleep level 2 dropped the weights: push the current ones

    def close(self) -> None:
        generation = self.generation
        if generation.mode == "colocate" and getattr(generation, "enable_sleep_mode", False):
            generation.llm.sleep(level=2)
            generation._llm_weights_sleeping = True

    def turn(self, rows: Sequence[int], contexts: Sequence[Sequence[int]], budgets: Sequence[int]) -> list[Generated]:
        stop = {"stop": [self.stop], "include_stop_str_in_output": True} if self.stop else {}
        if self.generation.mode == "colocate":
            from vllm import SamplingParams

            params = [SamplingParams(n=1, max_tokens=b, logprobs=0, **stop, **self.sampling) for b in budgets]
            outputs = self.generation.llm.generate(
                [{"prompt_token_ids": list(c)} for c in contexts], params, use_tqdm=False
            )
            return [
                Generated(
                    list(o.outputs[0].token_ids),
                    _sampled_logprobs(o.outputs[0].token_ids, getattr(o.outputs[0], "logprobs", None)),
                )
                for o in outputs
            ]
        output = self.generation.vllm_client.generate(
            prompts=[list(c) for c in contexts],
            n=1,
            max_tokens=max(budgets),
            logprobs=0,
            **self.sampling,
            generation_kwargs=stop,
        )
        logprobs = output.get("logprobs")
        return [
            Generated(list(ids), None if logprobs is None else [float(p[0]) if p else 0.0 for p in logprobs[i]])
            for i, ids in enumerate(output["completion_ids"])
        ]
