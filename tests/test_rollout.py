"""Multi-turn rollouts without a model: a scripted generator stands in for the model."""

import json
import sys
import types

import pytest

from chat_templates import FAMILIES, family_tokenizer
from mentor_dsl.plugins import registry
from mentor_dsl.rollouts.layout import ChatLayout, LayoutError, template_format
from mentor_dsl.rollouts.loop import Generated, ToolRollout, record_text
from mentor_dsl.rollouts.vllm import VLLMGenerator
from mentor_dsl.tools.executor import Executor


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
    """Returns, turn after turn, the scripted text of each active row (as token ids)."""

    def __init__(self, tokenizer, turns):
        self.tokenizer, self.turns, self.calls = tokenizer, list(turns), []
        self.opened = self.closed = 0

    def start(self, prompts):
        self.opened += 1

    def close(self):
        self.closed += 1

    def turn(self, rows, contexts, budgets):
        self.calls.append((list(rows), contexts, budgets))
        texts = self.turns.pop(0)
        return [Generated(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]


CALL = '<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call>'


def rollout(executor, tokenizer, turns, *, max_turns=3, limit=200, prompts=2, fmt="hermes"):
    layout = ChatLayout.for_tokenizer(tokenizer, registry(), call_format=fmt)
    runner = ToolRollout(executor, layout, max_turns=max_turns)
    generator = Scripted(tokenizer, turns)
    out = runner.run(generator, [[1, 2, 3]] * prompts, limit)
    return runner, generator, out


def test_the_embedded_student_uses_the_inline_layout(tokenizer):
    layout = ChatLayout.for_tokenizer(tokenizer, registry())
    assert template_format(tokenizer) is None and not layout.native
    assert layout.format.name == "hermes" and layout.stop_text == "</tool_call>"
    assert layout.end_ids == {tokenizer.eos_token_id}


def test_tool_responses_are_appended_masked_and_generation_continues(executor, tokenizer):
    runner, generator, (a, b) = rollout(executor, tokenizer, [
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
    rows, contexts, _ = generator.calls[1]
    assert rows == [0] and contexts[0][:3] == [1, 2, 3] and contexts[0][3:] == a.completion_ids[:len(contexts[0]) - 3]
    assert runner.stats.calls == 1 and runner.stats.finished == 2
    assert generator.opened == generator.closed == 1
    assert len(a.model_spans) == 2 and len(a.steps) == 1 and a.steps[0][1][0].output == 391


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


def test_the_call_cap_holds_per_rollout_turn(tokenizer):
    """Row a makes three calls in one turn, row b two: with a cap of two, only a's third fails."""
    def block(n):
        return "<tool_call>" + json.dumps([{"name": "add", "arguments": {"a": k, "b": 1}} for k in range(n)]) + "</tool_call>"

    with Executor(registry().tools, max_calls=2) as capped:
        _, _, (a, b) = rollout(capped, tokenizer, [[block(3), block(2)], ["ok<|im_end|>", "ok<|im_end|>"]],
                               limit=400, fmt="json_list")
    assert (a.calls, a.failed_calls, b.calls, b.failed_calls) == (3, 1, 2, 0)
    assert "call limit reached" in tokenizer.decode(a.completion_ids)


def test_a_format_without_a_closing_tag_needs_a_template_written_for_it(tokenizer):
    for name in ("llama_json", "mistral", "pythonic"):
        with pytest.raises(LayoutError, match="chat template has no tool support"):
            ChatLayout.for_tokenizer(tokenizer, registry(), call_format=name)


def test_the_vllm_generator_stops_at_the_call_and_returns_sampling_logprobs(monkeypatch):
    """No GPU here: a stand-in engine checks what the generator asks vLLM for."""
    seen = {}

    class SamplingParams:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    class Output:
        def __init__(self, ids):
            logprobs = [{t: types.SimpleNamespace(logprob=-0.5 * (k + 1))} for k, t in enumerate(ids)]
            self.outputs = [types.SimpleNamespace(token_ids=ids, logprobs=logprobs)]

    class Engine:
        def generate(self, prompts, params, use_tqdm=False):
            seen["prompts"], seen["params"] = prompts, [p.kwargs for p in params]
            return [Output([5, 6]) for _ in prompts]

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(SamplingParams=SamplingParams))
    trainer = types.SimpleNamespace(
        vllm_generation=types.SimpleNamespace(mode="colocate", llm=Engine()), temperature=0.7, top_p=1.0, top_k=0,
        accelerator=types.SimpleNamespace(num_processes=1))
    generator = VLLMGenerator.for_trainer(trainer, "</tool_call>")
    generator.start([[1, 2], [3]])
    out = generator.turn([0, 1], [[1, 2], [3]], [10, 20])
    assert [g.ids for g in out] == [[5, 6], [5, 6]] and out[0].logprobs == [-0.5, -1.0]
    assert seen["prompts"] == [{"prompt_token_ids": [1, 2]}, {"prompt_token_ids": [3]}]
    assert seen["params"][1] == {"n": 1, "max_tokens": 20, "logprobs": 0, "stop": ["</tool_call>"],
                                 "include_stop_str_in_output": True, "temperature": 0.7, "top_p": 1.0, "top_k": 0}


def test_sampling_logprobs_cover_model_tokens_and_zero_tool_tokens(executor, tokenizer):
    """With vLLM, TRL's importance-sampling correction needs a log-prob per completion
    token: the model's from the engine, 0 for the tool response (masked anyway)."""
    class WithLogprobs(Scripted):
        def turn(self, rows, contexts, budgets):
            return [Generated(g.ids, [-0.25] * len(g.ids)) for g in super().turn(rows, contexts, budgets)]

    layout = ChatLayout.for_tokenizer(tokenizer, registry())
    (a,) = ToolRollout(executor, layout).run(WithLogprobs(tokenizer, [[CALL], ["\\boxed{391}<|im_end|>"]]),
                                             [[1, 2, 3]], 200)
    assert len(a.logprobs) == len(a.completion_ids)
    assert all((lp == -0.25) == bool(m) for lp, m in zip(a.logprobs, a.env_mask))


# -- the families' own chat templates -------------------------------------------------------------

# What each family's model writes for a call and for the answer, ending its turn.
FAMILY_TURNS = {
    "qwen": ('<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call><|im_end|>',
             "The answer is \\boxed{391}.<|im_end|>"),
    "llama": ('<|python_tag|>{"name": "multiply", "parameters": {"a": 17, "b": 23}}<|eom_id|>',
              "The answer is \\boxed{391}.<|eot_id|>"),
    "mistral": ('[TOOL_CALLS][{"name": "multiply", "arguments": {"a": 17, "b": 23}}]</s>',
                "The answer is \\boxed{391}.</s>"),
}
# How each family's template shows the tools, and the tool turn it renders after a call.
FAMILY_PROMPT = {"qwen": "<tools>\n{", "llama": "Given the following functions", "mistral": "[AVAILABLE_TOOLS][{"}
FAMILY_TOOL_TURN = {
    "qwen": "\n<|im_start|>user\n<tool_response>\n391\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
    "llama": "<|start_header_id|>ipython<|end_header_id|>\n\n391<|eot_id|><|start_header_id|>assistant"
             "<|end_header_id|>\n\n",
    "mistral": '[TOOL_RESULTS]{"content": "391", "call_id": "call00000"}[/TOOL_RESULTS]',
}
FORMATS = {"qwen": "hermes", "llama": "llama_json", "mistral": "mistral"}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_template_is_used_natively(family, executor):
    from mentor_dsl.toolsets import resolve_tools

    tokenizer = family_tokenizer(family)
    layout = ChatLayout.for_tokenizer(tokenizer, registry())
    assert layout.native and layout.format.name == FORMATS[family] and layout.stop_text is None
    assert tokenizer.convert_tokens_to_ids(FAMILIES[family][1]) in layout.end_ids

    # The prompt shows the tools the family's way.
    tools = resolve_tools(["add", "multiply"], registry())
    prompt = layout.prompt_text("What is 17 * 23?", tools)
    assert FAMILY_PROMPT[family] in prompt and '"name": "multiply"' in prompt and "What is 17 * 23?" in prompt
    assert "<tool_response>" not in prompt.split("What is 17 * 23?")[0] or family == "qwen"

    # A scripted rollout: the call, the template's tool turn, the answer.
    call, answer = FAMILY_TURNS[family]
    (r,) = ToolRollout(executor, layout).run(Scripted(tokenizer, [[call], [answer]]), [layout.encode(prompt)], 200)
    assert r.calls == 1 and r.failed_calls == 0 and r.finished and r.turns == 2
    tool_tokens = [t for t, m in zip(r.completion_ids, r.env_mask) if m == 0]
    assert tokenizer.decode(tool_tokens) == FAMILY_TOOL_TURN[family]
    assert r.steps[0][1][0].output == 391

    # The reward sees what the model wrote, finished, in the family's call format.
    import mentor_dsl

    reward = mentor_dsl.load("mentor", tokenizer=tokenizer)
    segments = layout.model_segments(r.completion_ids, r.model_spans)
    assert "391" not in segments[0] and segments[-1] == "The answer is \\boxed{391}."
    scores = reward(prompts=[prompt], completions=[tokenizer.decode(r.completion_ids, skip_special_tokens=True)],
                    completion_ids=[r.completion_ids], answer=["391"], finished=[r.finished],
                    teacher=[json.dumps({"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]})],
                    tools=[["add", "multiply"]], format=[layout.format.name], model_segments=[segments])
    assert scores == [pytest.approx(1.1)]  # finished, correct, the teacher's tool, no hallucination

    # Records keep mentor's record layout, whatever the template.
    text = record_text(r, layout, "<END>")
    assert "<tool_response>\n391\n</tool_response>" in text and text.endswith("\\boxed{391}.<END>")
