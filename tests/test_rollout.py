"""Multi-turn rollouts without a model: a scripted backend stands in for generation."""

import sys
import types

import pytest

from mentor_dsl.plugins import registry
from mentor_dsl.tools.executor import Executor
from mentor_dsl.train.rollout import ToolRollout, _VLLMBackend


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from mentor_dsl.student import default_student_dir

    return AutoTokenizer.from_pretrained(default_student_dir(), local_files_only=True)


@pytest.fixture(scope="module")
def executor():
    with Executor(registry().tools) as ex:
        yield ex


class Scripted:
    """Returns, turn after turn, the scripted text of each row (as token ids)."""

    def __init__(self, tokenizer, turns):
        self.tokenizer, self.turns, self.calls = tokenizer, list(turns), []

    def __call__(self, contexts, budgets):
        self.calls.append((contexts, budgets))
        texts = self.turns.pop(0)
        return [self.tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]


CALL = '<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call>'


def rollout(executor, tokenizer, turns, *, max_turns=3, limit=200, prompts=2):
    fmt = registry().get("formats", "hermes")
    runner = ToolRollout(executor, fmt, max_turns=max_turns)
    backend = Scripted(tokenizer, turns)
    out = runner.run(backend, tokenizer, [[1, 2, 3]] * prompts, limit, {tokenizer.eos_token_id})
    return runner, backend, out


def test_tool_responses_are_appended_masked_and_generation_continues(executor, tokenizer):
    runner, backend, (a, b) = rollout(executor, tokenizer, [
        [CALL + "\n", "The answer is \\boxed{391}<|im_end|>"],
        ["So \\boxed{391}<|im_end|>"],
    ])
    text = tokenizer.decode(a.completion_ids)
    assert "<tool_response>\n391\n</tool_response>" in text and text.endswith("\\boxed{391}<|im_end|>")
    masked = tokenizer.decode([t for t, m in zip(a.completion_ids, a.env_mask) if m == 0])
    assert masked.strip() == "<tool_response>\n391\n</tool_response>"
    assert a.finished and a.calls == 1 and a.failed_calls == 0 and a.turns == 2
    assert b.finished and b.calls == 0 and b.turns == 1 and all(b.env_mask)
    # the second turn only generated for the row that was still going, from its full context
    assert len(backend.calls[1][0]) == 1 and backend.calls[1][0][0][:3] == [1, 2, 3]
    assert runner.stats.calls == 1 and runner.stats.finished == 2


def test_failed_and_malformed_calls_come_back_as_errors(executor, tokenizer):
    _, _, (a, b) = rollout(executor, tokenizer, [
        ['<tool_call>{"name": "divide", "arguments": {"a": 1, "b": 0}}</tool_call>',
         "<tool_call>{not json</tool_call>"],
        ["ok<|im_end|>", "ok<|im_end|>"],
    ])
    assert "error: ValueError" in tokenizer.decode(a.completion_ids) and a.failed_calls == 1
    assert "error: block is not valid JSON" in tokenizer.decode(b.completion_ids) and b.failed_calls == 1


def test_a_call_on_the_last_turn_is_not_run_and_the_rollout_is_truncated(executor, tokenizer):
    _, _, (a,) = rollout(executor, tokenizer, [[CALL]], max_turns=1, prompts=1)
    assert not a.finished and a.calls == 0 and "<tool_response>" not in tokenizer.decode(a.completion_ids)


def test_no_room_for_the_response_truncates(executor, tokenizer):
    limit = len(tokenizer(CALL, add_special_tokens=False)["input_ids"]) + 3
    _, _, (a,) = rollout(executor, tokenizer, [[CALL]], limit=limit, prompts=1)
    assert not a.finished and all(a.env_mask)


def test_padding_after_eos_is_cut(executor, tokenizer):
    eos = tokenizer.eos_token
    _, _, (a,) = rollout(executor, tokenizer, [["done" + eos + eos + eos]], prompts=1)
    assert tokenizer.decode(a.completion_ids) == "done" + eos and a.finished


def test_the_vllm_backend_asks_the_engine_to_stop_at_the_call(monkeypatch, tokenizer):
    """No GPU here: a stand-in engine checks what the backend asks vLLM for."""
    seen = {}

    class SamplingParams:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    class Output:
        def __init__(self, ids):
            self.outputs = [types.SimpleNamespace(token_ids=ids)]

    class Engine:
        def generate(self, prompts, params, use_tqdm=False):
            seen["prompts"], seen["params"] = prompts, [p.kwargs for p in params]
            return [Output([5, 6]) for _ in prompts]

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(SamplingParams=SamplingParams))
    trainer = types.SimpleNamespace(
        vllm_generation=types.SimpleNamespace(mode="colocate", llm=Engine()), temperature=0.7, top_p=1.0, top_k=0,
        accelerator=types.SimpleNamespace(num_processes=1),
        mentor_rollout=types.SimpleNamespace(stop="</tool_call>"))
    out = _VLLMBackend(trainer)([[1, 2], [3]], [10, 20])
    assert out == [[5, 6], [5, 6]]
    assert seen["prompts"] == [{"prompt_token_ids": [1, 2]}, {"prompt_token_ids": [3]}]
    assert seen["params"][1] == {"n": 1, "max_tokens": 20, "stop": ["</tool_call>"],
                                 "include_stop_str_in_output": True, "temperature": 0.7, "top_p": 1.0, "top_k": 0}


def test_formats_without_a_stop_text_are_refused(executor):
    from mentor_dsl import TrainingError

    with pytest.raises(TrainingError, match="has no stop text"):
        ToolRollout(executor, registry().get("formats", "pythonic"))


def test_the_call_cap_holds_per_rollout_turn(tokenizer):
    """Row a makes three calls in one turn, row b two: with a cap of two, only a's third fails."""
    import json

    def block(n):
        return "<tool_call>" + json.dumps([{"name": "add", "arguments": {"a": k, "b": 1}} for k in range(n)]) + "</tool_call>"

    with Executor(registry().tools, max_calls=2) as capped:
        runner = ToolRollout(capped, registry().get("formats", "json_list"), max_turns=3)
        backend = Scripted(tokenizer, [[block(3), block(2)], ["ok<|im_end|>", "ok<|im_end|>"]])
        a, b = runner.run(backend, tokenizer, [[1, 2, 3]] * 2, 400, {tokenizer.eos_token_id})
    assert (a.calls, a.failed_calls, b.calls, b.failed_calls) == (3, 1, 2, 0)
    assert "call limit reached" in tokenizer.decode(a.completion_ids)
