"""The shared-prefix training forward: a group's prompt computed once, not G times.

TRL's GRPOTrainer runs every completion of a batch with its whole prompt, so a group of
G completions of one prompt computes that prompt G times, in every log-prob forward (the
policy's, the old policy's, the reference's) and in the backward. With tool schemas in
the prompt, the prompt is most of the sequence.

Here each micro-batch is split at the longest prefix its rows share (the whole prompt for
one group; the system prompt and tool list when several groups share a batch). The prefix
runs once, through the model, with a key/value cache; the cache is expanded to the rows;
then each row runs only its remainder (what is left of its prompt, and its completion),
attending to the prefix's keys and values. Autograd carries every row's gradient back
through the expanded cache into the one prefix forward, so the loss and the gradients are
those of the plain forward (the tests check per-token log-probs and every parameter's
gradient on the embedded student, LoRA included).

The log-probs come from TRL's own fused LM head (`fused_lm_head=True`): labels mark the
completion tokens, so temperature, soft-capping and the entropy are TRL's. Multi-turn
completions need nothing special: tool tokens are completion tokens the loss masks with
`env_mask`, as in the plain forward.

The plain forward is used instead when sharing cannot apply or would not pay: no prefix
of at least `MIN_SHARED` tokens, gradient checkpointing (it drops a layer's cache, since a
replayed layer would write it twice), image inputs, or MoE auxiliary losses.

Why not the `prefix-grouper` package: it reimplements attention for a packed
[prefix | suffixes] layout and must be wired into each model's attention function; this
uses the model's own attention through the standard cache interface, so it works with
any model transformers can run with a cache, and with LoRA, unchanged.
"""

from __future__ import annotations

import torch

from ..models import base_model, cache_keyword

#: Below this many shared tokens the plain forward is as fast and simpler.
MIN_SHARED = 32


def shared_prefix(input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int):
    """(prefix length, each row's prompt tokens) for a left-padded prompt batch; the
    prefix leaves every row at least one prompt token of its own (the one whose logits
    predict the first completion token)."""
    width = input_ids.size(1) - logits_to_keep
    prompts = [row[:width][mask[:width].bool()] for row, mask in zip(input_ids, attention_mask)]
    limit = min(len(p) for p in prompts) - 1
    if limit <= 0:
        return 0, prompts
    return agreeing_columns(torch.stack([p[:limit] for p in prompts])), prompts


def agreeing_columns(rows: torch.Tensor) -> int:
    """How many leading columns of `rows` (`[B, width]`) hold the same token in every row."""
    differ = (~(rows == rows[:1]).all(dim=0)).nonzero()
    return int(differ[0]) if differ.numel() else rows.size(1)


def expanded_prefix_cache(model, prefix: torch.Tensor, rows: int):
    """The key/value cache of `prefix` (one row of token ids), computed once with gradients
    and expanded to `rows` rows for the rows' remainders to attend to."""
    from transformers import DynamicCache

    cache = DynamicCache(config=base_model(model).config)
    model(input_ids=prefix.unsqueeze(0), use_cache=True, logits_to_keep=1, **{cache_keyword(model): cache})
    cache.batch_repeat_interleave(rows)
    return cache


def logps_with_shared_prefix(
    model,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    compute_entropy: bool,
    shared: int,
    prompts: list[torch.Tensor],
):
    """Per-token log-probs (and entropies) of the completion tokens, `[B, logits_to_keep]`,
    the first `shared` prompt tokens computed once (see the module docstring)."""
    rows = input_ids.size(0)
    device = input_ids.device
    key = cache_keyword(model)
    completions = input_ids[:, -logits_to_keep:]
    completion_mask = attention_mask[:, -logits_to_keep:]

    # The prefix, once: its cache (with gradients) is what the rows attend to.
    cache = expanded_prefix_cache(model, prompts[0][:shared], rows)

    # Each row's remainder: its own prompt tokens, then its completion, right-padded.
    own = [p[shared:] for p in prompts]
    width = max(len(o) for o in own) + logits_to_keep
    rest = torch.full((rows, width), 0, dtype=input_ids.dtype, device=device)
    mask = torch.zeros((rows, shared + width), dtype=attention_mask.dtype, device=device)
    mask[:, :shared] = 1
    labels = torch.full((rows, width), -100, dtype=input_ids.dtype, device=device)
    for i, tokens in enumerate(own):
        n = len(tokens)
        rest[i, :n] = tokens
        rest[i, n : n + logits_to_keep] = completions[i]
        mask[i, shared : shared + n] = 1
        mask[i, shared + n : shared + n + logits_to_keep] = completion_mask[i]
        labels[i, n : n + logits_to_keep] = completions[i].masked_fill(completion_mask[i] == 0, -100)
    positions = torch.arange(shared, shared + width, device=device).unsqueeze(0).expand(rows, -1)
    outputs = model(
        input_ids=rest, attention_mask=mask, position_ids=positions, labels=labels, fused_lm_head=True, **{key: cache}
    )

    # Output j predicts rest token j + 1: completion token k of row i is rest token n_i + k.
    index = torch.stack([torch.arange(len(o) - 1, len(o) - 1 + logits_to_keep, device=device) for o in own])
    logps = outputs.log_probs.gather(1, index)
    entropy = outputs.entropy.gather(1, index) if compute_entropy and outputs.entropy is not None else None
    return logps, entropy


# -- whole sequences (SFT) --------------------------------------------------------------------


def sequence_prefix(input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor) -> int:
    """The prefix the rows of a right-padded SFT batch share and may compute once: the
    columns where every row has the same real token, ending before the output that predicts
    any row's first supervised label (so the prefix's own outputs are never scored). 0 for a
    batch that is not right-padded, or of one row."""
    if input_ids.size(0) < 2:
        return 0
    lengths = attention_mask.sum(dim=1)
    columns = torch.arange(input_ids.size(1), device=input_ids.device)
    if not torch.equal(attention_mask.bool(), columns.unsqueeze(0) < lengths.unsqueeze(1)):
        return 0  # not right-padded: positions would not line up
    supervised = labels != -100
    first = torch.where(supervised.any(dim=1), supervised.int().argmax(dim=1), lengths)
    # Output t predicts token t + 1: label at column p comes from the output at p - 1.
    limit = int(torch.minimum(first - 1, lengths - 1).min())
    if limit <= 0:
        return 0
    return agreeing_columns(input_ids[:, :limit])


def forward_with_shared_prefix(
    model, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor, shared: int
):
    """The fused-head forward (`labels`, `fused_lm_head=True`) of a right-padded batch with
    its first `shared` tokens computed once. Returns the model's output for the columns
    after the prefix: the same per-token log-probs, entropies and label mask as the plain
    forward's, for the same supervised tokens, so sums over them (the SFT loss and its
    metrics) are the plain forward's."""
    rows, width = input_ids.shape
    cache = expanded_prefix_cache(model, input_ids[0, :shared], rows)
    positions = torch.arange(shared, width, device=input_ids.device).unsqueeze(0).expand(rows, -1)
    return model(
        input_ids=input_ids[:, shared:],
        attention_mask=attention_mask,
        position_ids=positions,
        labels=labels[:, shared:],
        fused_lm_head=True,
        **{cache_keyword(model): cache},
    )
