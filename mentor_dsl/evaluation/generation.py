"""Greedy generation for evaluation: the rollout generator with prompt prefixes kept.

Every task of a split shows the same system prompt (the tool schemas, the call format, a
worked example: ~870 of its ~900 tokens). `rollouts.hf.HFGenerator` with
`reuse_prefixes=True` prefills that prefix once for the whole evaluation (the weights do
not change) and keeps each row's cache across turns, so a batch costs its questions and
answers instead of 8 copies of the tool list.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rollouts.loop import Generator, Rollout, greedy_config

__all__ = ["greedy_config", "single_turn"]


def single_turn(
    generator: Generator, prompt_ids: Sequence[Sequence[int]], max_new_tokens: int, eos: set[int] | frozenset[int]
) -> list[Rollout]:
    """One model turn per prompt, no tools run: BFCL's single-turn setting."""
    prompts = [list(p) for p in prompt_ids]
    generator.start(prompts)
    try:
        generated = generator.turn(range(len(prompts)), prompts, [max_new_tokens] * len(prompts))
    finally:
        generator.close()
    out = []
    for prompt, new in zip(prompts, generated):
        rollout = Rollout(list(prompt))
        # Rows that stopped early are padded with pad_token_id, which can be the EOS id.
        end = next((k + 1 for k, token in enumerate(new.ids) if token in eos), None)
        rollout.add(new.ids[:end] if end else new.ids[:max_new_tokens], from_model=True)
        rollout.finished = end is not None
        rollout.turns = 1
        rollout.done = True
        out.append(rollout)
    return out
