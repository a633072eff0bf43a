"""A key/value cache that appends in place.

transformers' `DynamicLayer` appends a decoded token by concatenating: every token copies
the layer's whole cache into a new tensor. A GRPO group decodes against a long prompt (the
tool schemas, expanded to every row), so at the default 902-token prompt and 4 rows that
is ~190 MB copied per decoded token, about a third of the decode step on the 2-core CPU
measured (benchmarks/bench_rollout.py). `GrowingLayer` keeps each layer's keys and values
in a buffer with room to spare and hands attention views of its filled part, as a vector
grows: a token is written once, and the buffer is copied only when it runs out of room
(every `SPARE` tokens).

Everything else is `DynamicLayer`'s: the layer's `keys`/`values` are ordinary tensors
(views), so its row selection, expansion, cropping and deep copies work unchanged. When
any of them replaces the tensors, the views no longer belong to the buffer, and the next
append moves the data into a new one.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

# Tokens of room added when a buffer is (re)made: one copy per this many appended tokens.
SPARE = 256


class GrowingLayer(DynamicLayer):
    """A `DynamicLayer` that writes appended keys and values into spare room."""

    _buffers: tuple[torch.Tensor, torch.Tensor] | None = None

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        length = self.get_seq_length()
        end = length + key_states.shape[-2]
        if not self._owns_views(key_states, end):
            self._rebuffer(key_states, value_states, length, end + SPARE)
        assert self._buffers is not None
        keys, values = self._buffers
        keys[:, :, length:end] = key_states
        values[:, :, length:end] = value_states
        self.keys, self.values = keys[:, :, :end], values[:, :, :end]
        return self.keys, self.values

    def _owns_views(self, key_states: torch.Tensor, end: int) -> bool:
        """Whether `keys`/`values` are still views of this layer's buffers (nothing
        replaced them), shaped for `key_states`, with room up to `end`."""
        if self._buffers is None or self.keys is None or self.values is None:
            return False
        keys, values = self._buffers
        return (
            self.keys._base is keys
            and self.values._base is values
            and keys.shape[:2] == key_states.shape[:2]
            and keys.shape[-2] >= end
        )

    def _rebuffer(self, key_states: torch.Tensor, value_states: torch.Tensor, length: int, room: int) -> None:
        rows, heads = key_states.shape[:2]
        keys = key_states.new_empty(rows, heads, room, key_states.shape[-1])
        values = value_states.new_empty(rows, heads, room, value_states.shape[-1])
        if length and self.keys is not None and self.values is not None:
            keys[:, :, :length] = self.keys
            values[:, :, :length] = self.values
        self._buffers = (keys, values)


def growing_cache(config: Any) -> DynamicCache:
    """A `DynamicCache` for `config` whose full-attention layers are `GrowingLayer`s
    (sliding-window and other special layers keep transformers' own classes)."""
    cache = DynamicCache(config=config)
    cache.layers = [GrowingLayer() if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache
