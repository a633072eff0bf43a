"""The shared-prefix training forward (train/prefix.py) computes what TRL's plain forward
computes: the same per-token log-probs and entropies, the same loss, the same gradients.

Every case runs TRL's own `_get_per_token_logps_and_entropies` and mentor's override on
one batch of the embedded student, backpropagates the same GRPO-shaped loss through both,
and compares. Each case also checks that the shared path really ran (the clock counts the
prompt tokens it saved), so a silent fall-back to the plain forward cannot pass.

Tolerances. In float32, the loss agrees within 1e-5 relative, and each token's log-prob
and entropy within 3e-5 (relative, absolute below 1): the logits are sums of hundreds of
float32 products, so computing the same logit in another order (a batch of four rows
against one row and a cache) moves it by a few 1e-6, and the largest differences measured
on these batches are 1.1e-5 to 1.5e-5. The
gradients of the prompt's parameters are sums over the G completions; the shared forward
adds them in another order (once, through the expanded cache) than the plain one (G
separate prompt forwards), and float32 rounding of that reordering alone moves a few
small parameters (the layer norms' weights) by up to about 3e-5 of their norm. So in
float32 the whole gradient agrees within 1e-5 relative and each parameter within 1e-4.
In float64, where that rounding is out of the way, log-probs agree within 1e-9 and every
parameter's gradient within 1e-5 (the whole gradient: 9.4e-8; what is left comes from the
parts the model keeps in float32, such as its rotary angles): the computation is the
same, only its summation order differs.

Every prompt here has the same length, as in a batch of one group. With prompts of other
lengths TRL left-pads them and its plain forward numbers positions from the padding, while
the shared path (like generation) numbers them from each row's first real token. Rotary
position angles are computed in float32, so the two then differ by up to about 1e-3 in
the log-probs: not an error of the shared path, which matches how the rollout was sampled.
"""

from __future__ import annotations

import contextlib
import copy
import types

import pytest
import torch

from mentor_dsl.models import load_model, resolve_model
from mentor_dsl.train.prefix import shared_prefix
from mentor_dsl.train.trainer import make_trainer_class

TEMPERATURE = 0.7

SYSTEM = ("<|im_start|>system\nYou are a careful assistant. Call a tool inside <tool_call></tool_call> "
          "when it helps, then give the final answer as \\boxed{...}.\n# Tools\n"
          '{"name": "add", "description": "Add two numbers", "parameters": {"type": "object", '
          '"properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}\n'
          '{"name": "python", "description": "Run Python code", "parameters": {"type": "object", '
          '"properties": {"code": {"type": "string"}}}}<|im_end|>\n')
QUESTIONS = ["What is 17 times 23?", "A train leaves at 3pm and travels 120 km at 80 km/h. When does it arrive?",
             "Sum the first ten primes.", "How many days are in 3 weeks?"]
ANSWERS = ["17 * 23 is 391, so \\boxed{391}",
           "It takes 1.5 hours.",
           "2+3+5+7+11+13+17+19+23+29 = 129. \\boxed{129}",
           "\\boxed{21}", "I think the answer is 42.", "Let me compute: 17 * 20 = 340 and 17 * 3 = 51."]
# A multi-turn completion: the tool's reply (env_mask 0) sits between two model turns.
CALL = '<tool_call>\n{"name": "python", "arguments": {"code": "print(17 * 23)"}}\n</tool_call>'
REPLY = "<|im_end|>\n<|im_start|>user\n<tool_response>\n391\n</tool_response><|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def student():
    model, tokenizer = load_model(resolve_model("default"), dtype="float32")
    model.train()
    return model, tokenizer


def _with_head(model):
    from trl.trainer.utils import add_fused_lm_head

    add_fused_lm_head(model, temperature=TEMPERATURE, outputs=("log_probs", "entropy"))
    return model


@pytest.fixture(scope="module")
def model32(student):
    return _with_head(copy.deepcopy(student[0]))


def _trainer():
    """The override's owner, with only what the log-prob path reads."""
    cls = make_trainer_class()
    trainer = cls.__new__(cls)
    trainer.accelerator = types.SimpleNamespace(autocast=contextlib.nullcontext, is_main_process=True)
    return trainer


def _batch(tokenizer, groups: int, size: int, *, multi_turn: bool = False, seed: int = 0):
    """A left-padded prompt batch with right-padded completions, TRL's layout: `groups`
    prompts of different lengths, `size` completions each, of ragged lengths; with
    `multi_turn`, half the completions carry a tool call and its reply (env_mask 0)."""
    rng = torch.Generator().manual_seed(seed)
    prompts, completions, env = [], [], []
    head = tokenizer(SYSTEM + "<|im_start|>user\n")["input_ids"]
    tail = tokenizer("<|im_end|>\n<|im_start|>assistant\n")["input_ids"]
    asked = [tokenizer(q)["input_ids"] for q in QUESTIONS]
    same = min(map(len, asked))  # equal prompt lengths: no left padding (see the module docstring)
    for g in range(groups):
        prompt = head + asked[g % len(asked)][:same] + tail
        for _ in range(size):
            answer = ANSWERS[int(torch.randint(len(ANSWERS), (1,), generator=rng))]
            if multi_turn and int(torch.randint(2, (1,), generator=rng)):
                first, reply, last = (tokenizer(t)["input_ids"] for t in (CALL, REPLY, answer))
                tokens, mask = first + reply + last, [1] * len(first) + [0] * len(reply) + [1] * len(last)
            else:
                tokens = tokenizer(answer)["input_ids"]
                mask = [1] * len(tokens)
            prompts.append(prompt)
            completions.append(tokens)
            env.append(mask)
    width, length = max(map(len, prompts)), max(map(len, completions))
    rows = len(prompts)
    ids = torch.full((rows, width + length), tokenizer.pad_token_id or 0, dtype=torch.long)
    attention = torch.zeros_like(ids)
    env_mask = torch.zeros(rows, length)
    for i, (p, c, e) in enumerate(zip(prompts, completions, env)):
        ids[i, width - len(p):width] = torch.tensor(p)
        attention[i, width - len(p):width] = 1
        ids[i, width:width + len(c)] = torch.tensor(c)
        attention[i, width:width + len(c)] = 1
        env_mask[i, :len(e)] = torch.tensor(e, dtype=torch.float)
    advantages = torch.randn(rows, generator=rng)
    return ids, attention, length, env_mask, advantages


def _run(method, trainer, model, batch, micro_batch=None):
    """Per-token log-probs, entropies, a GRPO-shaped loss and every gradient."""
    ids, attention, length, env_mask, advantages = batch
    model.zero_grad(set_to_none=True)
    logps, entropy, _ = method(trainer, model, ids, attention, length, micro_batch, True)
    mask = attention[:, -length:].to(logps.dtype) * env_mask.to(logps.dtype)
    # The policy-gradient term at ratio 1 (exp(logp - logp.detach()) * A) plus an entropy
    # bonus, averaged over the model's own tokens, as TRL's loss reduces it.
    ratio = torch.exp(logps - logps.detach())
    loss = -((ratio * advantages.to(logps.dtype)[:, None] + 0.01 * entropy) * mask).sum() / mask.sum()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}
    return logps.detach(), entropy.detach(), loss.detach(), grads, attention[:, -length:].bool()


def _compare(model, batch, *, micro_batch=None, logp_tol=3e-5, loss_tol=1e-5, grad_tol=1e-5, param_tol=1e-4):
    from trl import GRPOTrainer

    plain_owner, shared_owner = _trainer(), _trainer()
    plain = _run(GRPOTrainer._get_per_token_logps_and_entropies, plain_owner, model, batch, micro_batch)
    shared = _run(type(shared_owner)._get_per_token_logps_and_entropies, shared_owner, model, batch, micro_batch)
    assert shared_owner.mentor_clock.shared_tokens > 0, "the shared-prefix path did not run"

    mask = plain[4]
    # Relative to the log-prob, and absolute below 1 (a token of probability near 1 has a
    # log-prob near 0, where any rounding is a large relative error).
    rel = ((plain[0] - shared[0]).abs() / plain[0].abs().clamp(min=1.0))[mask]
    assert rel.max() <= logp_tol, f"log-probs differ by {rel.max():.2e} relative"
    assert torch.allclose(plain[1][mask], shared[1][mask], rtol=logp_tol, atol=logp_tol)
    assert torch.isclose(plain[2], shared[2], rtol=loss_tol, atol=0), (plain[2], shared[2])

    assert plain[3].keys() == shared[3].keys() and plain[3]
    diff = sum(((plain[3][n] - shared[3][n]) ** 2).sum() for n in plain[3]).sqrt()
    total = sum((g ** 2).sum() for g in plain[3].values()).sqrt()
    assert diff / total <= grad_tol, f"gradient differs by {diff / total:.2e} relative"
    worst = max((((plain[3][n] - shared[3][n]).norm() / plain[3][n].norm().clamp(min=1e-30)).item(), n)
                for n in plain[3])
    assert worst[0] <= param_tol, f"{worst[1]}'s gradient differs by {worst[0]:.2e} relative"
    return shared_owner


def test_shared_prefix_of_a_group_is_its_whole_prompt_but_one_token():
    ids = torch.tensor([[0, 5, 6, 7, 8, 1, 2], [0, 5, 6, 7, 8, 3, 0], [9, 5, 6, 7, 4, 3, 4]])
    mask = torch.tensor([[0, 1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1]])
    shared, prompts = shared_prefix(ids[:2], mask[:2], logits_to_keep=2)
    assert shared == 3 and [p.tolist() for p in prompts] == [[5, 6, 7, 8], [5, 6, 7, 8]]
    # Two prompts that differ from their first token share nothing.
    assert shared_prefix(ids[1:], mask[1:], logits_to_keep=2)[0] == 0


@pytest.mark.parametrize("groups,size", [(2, 2), (1, 8)], ids=["G2-two-groups-ragged", "G8"])
def test_single_turn_matches_plain_forward(student, model32, groups, size):
    _compare(model32, _batch(student[1], groups, size))


def test_multi_turn_matches_plain_forward(student, model32):
    batch = _batch(student[1], 2, 4, multi_turn=True, seed=1)
    assert (batch[3] == 0).any(), "the batch has no tool tokens"
    _compare(model32, batch)


def test_group_split_across_micro_batches(student, model32):
    # Six rows in micro-batches of four: the second group straddles the boundary.
    owner = _compare(model32, _batch(student[1], 2, 3, seed=2), micro_batch=4)
    assert owner.mentor_clock.shared_tokens > 0


def test_lora_matches_plain_forward(student):
    peft = pytest.importorskip("peft")
    torch.manual_seed(0)
    # TRL adds its fused head to the causal LM, then PEFT wraps it.
    model = peft.get_peft_model(_with_head(copy.deepcopy(student[0])), peft.LoraConfig(
        r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM", init_lora_weights=False))
    _compare(model, _batch(student[1], 2, 2, seed=3))


def test_float64_gradients_match_per_parameter(student):
    """Without float32 rounding every parameter's gradient agrees within 1e-5: the shared
    forward computes the plain forward's gradient, summed in another order."""
    model = _with_head(copy.deepcopy(student[0]).double())
    _compare(model, _batch(student[1], 2, 2, multi_turn=True, seed=4),
             logp_tol=1e-9, loss_tol=1e-9, grad_tol=1e-6, param_tol=1e-5)
