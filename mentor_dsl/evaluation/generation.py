"""Greedy generation for evaluation: a `ToolRollout` backend that computes a shared
prompt prefix once.

Every task of a split shows the same system prompt (12 tool schemas, the call format, a
worked example: ~870 of its ~900 tokens), and on CPU the prompt, recomputed every turn,
costs far more than the answer. `CachedBackend` keeps the key/value cache of the longest
prefix the batch's contexts share and lets `generate` run only the rest of each row, so
a batch costs its questions and answers instead of 8 copies of the tool list. The rows
are laid out `[shared prefix][left padding][own tokens]`; positions come from the
attention mask, so every row sees exactly the positions it would see alone.

It plugs into `ToolRollout.run`, the training rollout loop, so turns, stop text, tool
execution and response tokens are the training machinery's own; only the arithmetic of
one turn is shared between rows.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Sequence

import torch
from transformers import StoppingCriteriaList

from ..train.rollout import Rollout, StopAfter

# Below this many shared tokens a plain batch is as fast and simpler.
MIN_PREFIX = 64
# Distinct prefixes kept (one per tool list): ~40 MB each for the 135M student at 900 tokens.
MAX_PREFIXES = 4


def greedy_config(model, tokenizer, eos_ids: set[int]):
    """A generation config for greedy decoding: the model's own, sampling knobs unset
    (transformers warns about them otherwise), stopping at every EOS id."""
    config = copy.deepcopy(model.generation_config)
    config.do_sample = False
    config.num_beams = 1
    config.temperature = config.top_p = config.top_k = None
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = sorted(eos_ids)
    return config


def common_prefix(rows: Sequence[Sequence[int]]) -> int:
    """The length of the longest prefix all rows share, leaving each row one own token
    (generation needs a last token to continue from)."""
    if not rows:
        return 0
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    n = 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return max(n, 0)


class CachedBackend:
    """One turn of greedy generation for a batch (the `ToolRollout.run` backend protocol:
    `backend(contexts, budgets) -> new token ids per row`). `stop=None`: no stop text,
    rows run to EOS or the budget (single-turn BFCL answers, parallel calls included)."""

    def __init__(self, model, tokenizer, generation_config, stop: str | None, *, min_prefix: int = MIN_PREFIX):
        self.model, self.tokenizer, self.config, self.stop = model, tokenizer, generation_config, stop
        self.min_prefix = min_prefix
        self._prefixes: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.prefix_hits = 0

    @torch.no_grad()
    def __call__(self, contexts: list[list[int]], budgets: list[int]) -> list[list[int]]:
        device = next(self.model.parameters()).device
        shared = common_prefix(contexts)
        if shared < self.min_prefix:
            shared = 0
        prefix = contexts[0][:shared]
        own = [c[shared:] for c in contexts]
        width = max(len(r) for r in own)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(own), shared + width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        ids[:, :shared] = torch.tensor(prefix, dtype=torch.long)
        mask[:, :shared] = 1
        for i, row in enumerate(own):
            ids[i, shared + width - len(row):] = torch.tensor(row, dtype=torch.long)
            mask[i, shared + width - len(row):] = 1
        config = copy.deepcopy(self.config)
        config.max_new_tokens = max(budgets)
        kwargs = {}
        if shared:
            cache = copy.deepcopy(self._prefix_cache(tuple(prefix), device))
            cache.batch_repeat_interleave(len(own))
            kwargs["past_key_values"] = cache
        criteria = StoppingCriteriaList([StopAfter(self.tokenizer, ids.shape[1], self.stop)] if self.stop else [])
        out = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), generation_config=config,
                                  stopping_criteria=criteria, **kwargs)
        return out[:, ids.shape[1]:].tolist()

    def _prefix_cache(self, prefix: tuple[int, ...], device):
        from transformers import DynamicCache

        cache = self._prefixes.get(prefix)
        if cache is not None:
            self._prefixes.move_to_end(prefix)
            self.prefix_hits += 1
            return cache
        cache = DynamicCache(config=self.model.config)
        self.model(input_ids=torch.tensor([prefix], dtype=torch.long, device=device), past_key_values=cache,
                   use_cache=True)
        self._prefixes[prefix] = cache
        while len(self._prefixes) > MAX_PREFIXES:
            self._prefixes.popitem(last=False)
        return cache


def single_turn(backend: CachedBackend, prompt_ids: Sequence[Sequence[int]], max_new_tokens: int,
                eos: set[int]) -> list[Rollout]:
    """One model turn per prompt, no tools run: BFCL's single-turn setting."""
    generated = backend([list(p) for p in prompt_ids], [max_new_tokens] * len(prompt_ids))
    out = []
    for prompt, new in zip(prompt_ids, generated):
        rollout = Rollout(list(prompt))
        # Rows that stopped early are padded with pad_token_id, which can be the EOS id.
        end = next((k + 1 for k, token in enumerate(new) if token in eos), None)
        rollout.add(new[:end] if end else new[:max_new_tokens], from_model=True)
        rollout.finished = end is not None
        rollout.turns = 1
        rollout.done = True
        out.append(rollout)
    return out
