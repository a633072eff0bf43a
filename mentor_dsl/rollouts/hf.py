"""Generation with transformers, computing nothing twice.

A GRPO group is G completions of one prompt, and a tool-use prompt is long (the tool
schemas); a multi-turn rollout used to re-run the whole conversation at every turn. Here:

* **The shared prompt once.** At the start of a batch the longest prefix all rows share
  (the whole prompt for one group; the system prompt and tool list across groups) is
  prefilled once, and its key/value cache is expanded to the rows.
* **The cache kept across turns.** Each row's cache lives for the whole rollout: a later
  turn feeds only what was appended since (the tool-response tokens), never the
  conversation again. Rows that finished are dropped from the cache.

The batch is one rectangular cache, so rows are laid out with holes: `[shared prefix]
[padding][own prompt tokens] [turn 1 ...][padding][tool tokens] [turn 2 ...]`. Padding is
masked out, and positions come from the attention mask (generate counts the unmasked
tokens), so every row sees exactly the tokens and positions it would see alone. Tokens a
row generated after its real end (batch padding, or text past a stop the loop cut) stay in
the cache but are masked from then on.

`reuse_prefixes` keeps prefix caches across batches (evaluation: the weights do not
change); training leaves it off, since every step changes the weights.

`fast_decode` (on by default) makes each decoded token cheaper without changing what is
computed: the cache appends in place instead of copying itself per token (`cache.py`),
and on x86 CPUs the linear layers run through oneDNN (`linears.py`). Benchmarks switch it
off to stand for plain `model.generate`.
"""

from __future__ import annotations

import contextlib
import copy
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache, StoppingCriteria, StoppingCriteriaList

from ..models import cache_keyword
from .cache import growing_cache
from .linears import OneDNNLinears
from .loop import WINDOW, Generated

# Below this many shared tokens a plain batch is as fast and simpler.
MIN_PREFIX = 64
# Distinct prefixes kept with `reuse_prefixes` (one per tool list): ~40 MB each for the
# 135M student at 900 tokens.
MAX_PREFIXES = 4


class StopAfter(StoppingCriteria):
    """Stops a row once the text it generated in this call contains `stop` (the context
    contains it too, so only new tokens are looked at)."""

    def __init__(self, tokenizer, start: int, stop: str):
        self.tokenizer, self.start, self.stop = tokenizer, start, stop

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.Tensor:
        tails = input_ids[:, self.start :][:, -WINDOW:].tolist()
        hits = [self.stop in self.tokenizer.decode(row) for row in tails]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


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


@dataclass
class _Batch:
    """The open batch: batch row -> rollout row, the token matrix, its attention mask and
    its key/value cache (a transformers `DynamicCache`)."""

    rows: list[int]
    ids: torch.Tensor
    mask: torch.Tensor
    cache: Any


class HFGenerator:
    """The `Generator` for a transformers model (see the module docstring)."""

    def __init__(
        self,
        model,
        tokenizer,
        generation_config,
        stop: str | None,
        *,
        reuse_prefixes: bool = False,
        min_prefix: int = MIN_PREFIX,
        fast_decode: bool = True,
    ):
        self.model, self.tokenizer, self.config, self.stop = model, tokenizer, generation_config, stop
        self.reuse_prefixes = reuse_prefixes
        self.min_prefix = min_prefix
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self._key = cache_keyword(model)
        self._linears = OneDNNLinears(model) if fast_decode else None
        self._new_cache = growing_cache if fast_decode else DynamicCache
        self._prefixes: OrderedDict[tuple[int, ...], object] = OrderedDict()
        self.prefix_hits = 0
        self.prefilled_tokens = 0  # tokens run through the model outside decoding (for benchmarks)
        self._reset()

    def _reset(self) -> None:
        self.batch: _Batch | None = None
        self.known: dict[int, int] = {}  # rollout row -> context tokens already in `ids`
        self.raw: dict[int, tuple[int, list[int]]] = {}  # rollout row -> (first column, tokens) of its last turn

    # -- the Generator protocol -----------------------------------------------------------

    def start(self, prompts: Sequence[Sequence[int]]) -> None:
        self._reset()

    def close(self) -> None:
        self._reset()

    @torch.no_grad()
    def turn(self, rows: Sequence[int], contexts: Sequence[Sequence[int]], budgets: Sequence[int]) -> list[Generated]:
        with self._linears.active() if self._linears else contextlib.nullcontext():
            return self._turn(rows, contexts, budgets)

    def _turn(self, rows: Sequence[int], contexts: Sequence[Sequence[int]], budgets: Sequence[int]) -> list[Generated]:
        device = next(self.model.parameters()).device
        if self.batch is None:
            batch = self.batch = self._open(list(rows), contexts, device)
        else:
            batch = self._extend(self.batch, list(rows), contexts, device)
        start = batch.ids.shape[1]
        config = copy.deepcopy(self.config)
        config.max_new_tokens = max(budgets)
        config.pad_token_id = self.pad
        criteria = StoppingCriteriaList([StopAfter(self.tokenizer, start, self.stop)] if self.stop else [])
        out = self.model.generate(
            input_ids=batch.ids,
            attention_mask=batch.mask,
            generation_config=config,
            stopping_criteria=criteria,
            **{self._key: batch.cache},
        )
        new = out[:, start:]
        batch.ids = out
        batch.mask = torch.cat([batch.mask, torch.ones_like(new)], dim=1)
        result = []
        for b, (row, context) in enumerate(zip(batch.rows, contexts)):
            tokens = new[b].tolist()
            self.known[row] = len(context)
            self.raw[row] = (start, tokens)
            result.append(Generated(tokens))
        return result

    # -- layout ---------------------------------------------------------------------------

    def _open(self, rows: list[int], contexts: Sequence[Sequence[int]], device) -> _Batch:
        """The first turn: the shared prefix once, expanded; each row's own tokens after."""
        shared = common_prefix(contexts)
        if shared < self.min_prefix:
            shared = 0
        prefix = tuple(contexts[0][:shared])
        own = [list(c[shared:]) for c in contexts]
        width = max(len(r) for r in own)
        ids = torch.full((len(own), shared + width), self.pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        if shared:
            ids[:, :shared] = torch.tensor(prefix, dtype=torch.long)
            mask[:, :shared] = 1
        for i, row in enumerate(own):
            ids[i, shared + width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[i, shared + width - len(row) :] = 1
        if shared:
            cache = self._prefix_cache(prefix, device)
            cache.batch_repeat_interleave(len(own))
        else:
            cache = self._new_cache(config=self.model.config)
        self.prefilled_tokens += shared + sum(len(r) for r in own)
        return _Batch(rows, ids.to(device), mask.to(device), cache)

    def _extend(self, batch: _Batch, rows: list[int], contexts: Sequence[Sequence[int]], device) -> _Batch:
        """A later turn: mask what each row generated past its real end, drop the rows
        that are done, and append what the loop added (tool tokens), right-aligned.
        Updates `batch` and returns it."""
        additions: list[list[int]] = []
        for row, context in zip(rows, contexts):
            known = self.known[row]
            first, tokens = self.raw[row]
            grown = list(context[known:])
            kept = 0
            while kept < min(len(tokens), len(grown)) and tokens[kept] == grown[kept]:
                kept += 1
            b = batch.rows.index(row)
            batch.mask[b, first + kept :] = 0
            additions.append(grown[kept:])
        index = [batch.rows.index(r) for r in rows]
        if index != list(range(len(batch.rows))):
            select = torch.tensor(index, dtype=torch.long, device=device)
            batch.ids, batch.mask = batch.ids[select], batch.mask[select]
            batch.cache.batch_select_indices(select)
            batch.rows = rows
        width = max((len(a) for a in additions), default=0)
        if width:
            seg = torch.full((len(rows), width), self.pad, dtype=torch.long)
            seg_mask = torch.zeros_like(seg)
            for i, tokens in enumerate(additions):
                if tokens:
                    seg[i, width - len(tokens) :] = torch.tensor(tokens, dtype=torch.long)
                    seg_mask[i, width - len(tokens) :] = 1
            batch.ids = torch.cat([batch.ids, seg.to(device)], dim=1)
            batch.mask = torch.cat([batch.mask, seg_mask.to(device)], dim=1)
        self.prefilled_tokens += sum(len(a) for a in additions)
        return batch

    def _prefix_cache(self, prefix: tuple[int, ...], device):
        """The cache of `prefix` for one row (a copy: generation grows it)."""
        cache = self._prefixes.get(prefix) if self.reuse_prefixes else None
        if cache is not None:
            self._prefixes.move_to_end(prefix)
            self.prefix_hits += 1
            return copy.deepcopy(cache)
        cache = self._new_cache(config=self.model.config)
        # Only the cache is wanted: logits for one position, not the prompt's whole vocabulary.
        self.model(
            input_ids=torch.tensor([prefix], dtype=torch.long, device=device),
            use_cache=True,
            logits_to_keep=1,
            **{self._key: cache},
        )
        if self.reuse_prefixes:
            self._prefixes[prefix] = cache
            while len(self._prefixes) > MAX_PREFIXES:
                self._prefixes.popitem(last=False)
            return copy.deepcopy(cache)
        return cache
