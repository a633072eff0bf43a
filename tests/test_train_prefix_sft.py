"""The shared-prefix SFT forward (train/prefix.py `forward_with_shared_prefix`, used by
train/sft.py's trainer) scores a batch of teacher trajectories as TRL's plain fused-head
forward does: the same loss, the same sums behind TRL's metrics, the same gradients.

Tolerances are those of the GRPO path (test_train_prefix.py explains them): float32
rounding of the same sums taken in another order.
"""

from __future__ import annotations

import types

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mentor_dsl.models import load_model, resolve_model
from mentor_dsl.train.prefix import sequence_prefix
from mentor_dsl.train.sft import _SharedPrefixCall, make_sft_trainer_class

from test_train_prefix import ANSWERS, CALL, QUESTIONS, REPLY, SYSTEM

OUTPUTS = ("log_probs", "entropy", "is_top1")


@pytest.fixture(scope="module")
def model_and_tokenizer():
    from trl.trainer.utils import add_fused_lm_head

    model, tokenizer = load_model(resolve_model("default"), dtype="float32")
    model.train()
    add_fused_lm_head(model, outputs=OUTPUTS)  # as SFTTrainer does
    return model, tokenizer


def _batch(tokenizer, rows: int):
    """Right-padded SFT examples, TRL's collated layout: one system prompt and tool list,
    a different question and answer per row; labels -100 on the prompt, on the tool reply
    of multi-turn rows and on padding."""
    head = tokenizer(SYSTEM + "<|im_start|>user\n")["input_ids"]
    tail = tokenizer("<|im_end|>\n<|im_start|>assistant\n")["input_ids"]
    examples = []
    for i in range(rows):
        prompt = head + tokenizer(QUESTIONS[i % len(QUESTIONS)])["input_ids"] + tail
        if i % 2:
            call, reply, answer = (tokenizer(t)["input_ids"] for t in (CALL, REPLY, ANSWERS[i % len(ANSWERS)]))
            tokens, learn = call + reply + answer, [1] * len(call) + [0] * len(reply) + [1] * len(answer)
        else:
            tokens = tokenizer(ANSWERS[i % len(ANSWERS)])["input_ids"]
            learn = [1] * len(tokens)
        ids = prompt + tokens
        labels = [-100] * len(prompt) + [t if keep else -100 for t, keep in zip(tokens, learn)]
        examples.append((ids, labels))
    width = max(len(ids) for ids, _ in examples)
    input_ids = torch.zeros((rows, width), dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    labels = torch.full_like(input_ids, -100)
    for i, (ids, lab) in enumerate(examples):
        input_ids[i, : len(ids)], mask[i, : len(ids)], labels[i, : len(ids)] = torch.tensor(ids), 1, torch.tensor(lab)
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels, "use_cache": False}


def _loss_and_grads(call, model, batch):
    """TRL's SFT loss (the mean negative log-prob of the supervised tokens) and the sums
    its metrics read, through `call`, with every gradient."""
    model.zero_grad(set_to_none=True)
    out = call(**batch, fused_lm_head=True)
    loss = -out.log_probs.sum() / out.label_mask.sum()
    loss.backward()
    sums = [float(out.label_mask.sum()), float(out.entropy.detach().sum()), float(out.is_top1.sum())]
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), sums, grads


@pytest.mark.parametrize("rows", [2, 5])
def test_shared_sft_forward_matches_plain(model_and_tokenizer, rows):
    model, tokenizer = model_and_tokenizer
    batch = _batch(tokenizer, rows)
    owner = types.SimpleNamespace(shared_tokens=0)
    plain = _loss_and_grads(model, model, batch)
    shared = _loss_and_grads(_SharedPrefixCall(model, owner), model, batch)
    prefix = sequence_prefix(batch["input_ids"], batch["attention_mask"], batch["labels"])
    assert prefix >= 32 and owner.shared_tokens == prefix * (rows - 1), "the shared path did not run"

    assert torch.isclose(plain[0], shared[0], rtol=1e-5, atol=0), (plain[0], shared[0])
    assert plain[1][0] == shared[1][0]  # the same supervised tokens
    assert plain[1][2] == shared[1][2]  # the same top-1 hits
    assert shared[1][1] == pytest.approx(plain[1][1], rel=3e-5)
    assert plain[2].keys() == shared[2].keys() and plain[2]
    diff = sum(((plain[2][n] - shared[2][n]) ** 2).sum() for n in plain[2]).sqrt()
    total = sum((g**2).sum() for g in plain[2].values()).sqrt()
    assert diff / total <= 1e-5, f"gradient differs by {diff / total:.2e} relative"
    worst = max(((plain[2][n] - shared[2][n]).norm() / plain[2][n].norm()).item() for n in plain[2])
    assert worst <= 1e-4, f"a parameter's gradient differs by {worst:.2e} relative"


def test_left_padded_or_unknown_inputs_take_the_plain_forward(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    batch = _batch(tokenizer, 2)
    owner = types.SimpleNamespace(shared_tokens=0)
    call = _SharedPrefixCall(model, owner)
    with torch.no_grad():
        call(**batch, fused_lm_head=True, position_ids=torch.arange(batch["input_ids"].size(1)).expand(2, -1))
        flipped = {k: (v.flip(1) if torch.is_tensor(v) else v) for k, v in batch.items()}  # left-padded
        call(**flipped, fused_lm_head=True)
    assert owner.shared_tokens == 0


@given(st.lists(st.tuples(st.integers(1, 12), st.integers(0, 12), st.integers(0, 4)), min_size=2, max_size=5),
       st.integers(0, 3))
def test_sequence_prefix_never_covers_a_scored_output(rows, common):
    """The prefix is shared by every row, and no output inside it predicts a supervised
    label (those outputs are not computed per row)."""
    examples = []
    for own, learned, pad in rows:
        prompt = [7] * common + list(range(10 + len(examples), 10 + len(examples) + own))
        ids = prompt + [3] * learned
        labels = [-100] * len(prompt) + [3] * learned
        examples.append((ids, labels, pad))
    width = max(len(i) + p for i, _, p in examples)
    input_ids = torch.zeros((len(examples), width), dtype=torch.long)
    mask, labels = torch.zeros_like(input_ids), torch.full_like(input_ids, -100)
    for r, (ids, lab, _) in enumerate(examples):
        input_ids[r, : len(ids)], mask[r, : len(ids)], labels[r, : len(ids)] = torch.tensor(ids), 1, torch.tensor(lab)
    shared = sequence_prefix(input_ids, mask, labels)
    assert (input_ids[:, :shared] == input_ids[:1, :shared]).all()
    for r in range(len(examples)):
        scored = (labels[r] != -100).nonzero()
        assert not scored.numel() or shared <= int(scored[0]) - 1
        assert shared <= int(mask[r].sum()) - 1 or shared == 0


def test_the_trainer_takes_trls_forward_when_it_must():
    from trl import SFTTrainer

    seen = []

    class Base:
        aux_loss_enabled = False
        compute_loss_func = None
        label_smoother = None
        args = types.SimpleNamespace(loss_type="nll")

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            seen.append(model)

    model = torch.nn.Linear(1, 1)
    make_sft_trainer_class(Base)().compute_loss(model, {})
    assert isinstance(seen[-1], _SharedPrefixCall)
    make_sft_trainer_class(Base, shared_prefix_forward=False)().compute_loss(model, {})
    assert seen[-1] is model
    smoothing = make_sft_trainer_class(Base)()
    smoothing.label_smoother = object()
    smoothing.compute_loss(model, {})
    assert seen[-1] is model
    assert make_sft_trainer_class(SFTTrainer).__name__ == "MentorSFTTrainer"
    assert len(seen) == 3
