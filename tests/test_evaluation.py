"""`mentor_dsl.evaluation` without the student: metrics, rows from rollouts, batching,
the prefix-cached generator (on a tiny random model), eval files and reports."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentor_dsl.errors import DataError
from mentor_dsl.evaluation import metrics, report, runner, tasks
from mentor_dsl.evaluation.metrics import aggregate, call_stats, js_divergence, js_similarity, summarize
from mentor_dsl.evaluation.records import build_row, score_accuracy, score_reward
from mentor_dsl.evaluation.tasks import EvalTask
from mentor_dsl.formats.hermes import HERMES
from mentor_dsl.plugins import registry
from mentor_dsl.rollouts.loop import Generated, Rollout

MATH = ["add", "subtract", "multiply", "divide", "sum_numbers", "floor", "ceil", "round_number", "power", "sqrt",
        "abs_value", "modulo"]


def block(name, arguments) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


# -- Jensen-Shannon similarity -----------------------------------------------------------------

def test_identical_distributions_have_similarity_one():
    assert js_similarity(["add", "multiply", "add"], ["multiply", "add", "add"]) == pytest.approx(1.0)
    # Only proportions count: twice the calls, same mix.
    assert js_similarity({"add": 2, "power": 2}, {"add": 1, "power": 1}) == pytest.approx(1.0)


def test_disjoint_distributions_have_similarity_zero():
    assert js_similarity(["add", "add"], ["multiply", "power"]) == pytest.approx(0.0)
    assert js_divergence({"a": 1}, {"b": 3}) == pytest.approx(1.0)


def test_hand_computed_similarity():
    # P = {a: 1}, Q = {a: .5, b: .5}, M = {a: .75, b: .25}
    # KL(P||M) = log2(4/3) = 0.4150375; KL(Q||M) = .5*log2(2/3) + .5*log2(2) = 0.2075187
    # JSD = (0.4150375 + 0.2075187) / 2 = 0.3112781
    assert js_divergence(["a"], ["a", "b"]) == pytest.approx(0.3112781, abs=1e-6)
    assert js_similarity(["a"], ["a", "b"]) == pytest.approx(0.6887219, abs=1e-6)
    assert js_similarity(["a", "b"], ["a"]) == pytest.approx(js_similarity(["a"], ["a", "b"]))  # symmetric


def test_empty_distributions():
    assert js_similarity([], []) == 1.0  # neither called a tool: the same behaviour
    assert js_similarity([], ["add"]) == 0.0
    assert js_similarity(["add"], []) == 0.0


def test_similarity_stays_in_unit_interval():
    import random

    rng = random.Random(3)
    for _ in range(200):
        p = [rng.choice("abcde") for _ in range(rng.randint(1, 9))]
        q = [rng.choice("abcdef") for _ in range(rng.randint(1, 9))]
        assert 0.0 <= js_similarity(p, q) <= 1.0


# -- call statistics ------------------------------------------------------------------------------

def _math_check(name, arguments):
    return registry().tools[name].validate_arguments(arguments)


def test_call_stats_counts_validity_and_hallucination():
    text = "\n".join([
        block("add", {"a": 1, "b": 2}),                  # valid
        block("multiply", {"a": "x", "b": 2}),           # schema violation
        block("pow", {"a": 2, "b": 3}),                  # hallucinated
        "<tool_call>\nnot json\n</tool_call>",          # not a call at all
        block("subtract", {"a": 5, "b": 1}),             # valid
    ])
    stats = call_stats(HERMES.parse(text), MATH, _math_check)
    assert (stats.blocks, stats.calls, stats.valid, stats.hallucinated) == (5, 4, 2, 1)
    assert stats.names == ("add", "multiply", "pow", "subtract")
    assert not stats.all_valid


def test_call_stats_without_calls():
    stats = call_stats(HERMES.parse("The answer is \\boxed{4}"), MATH, _math_check)
    assert (stats.blocks, stats.calls, stats.valid, stats.hallucinated) == (0, 0, 0, 0)
    assert stats.all_valid  # as the calls_valid term: nothing invalid was written


def test_call_stats_agree_with_the_reward_terms():
    """Per task, "every block valid" is the calls_valid term and "no hallucinated call" is
    no_hallucination."""
    import mentor_dsl

    texts = ["no calls", block("add", {"a": 1, "b": 2}), block("add", {"a": 1}),
             block("pow", {"a": 1}), "<tool_call>{oops</tool_call>" + block("add", {"a": 1, "b": 2}),
             block("add", {"a": 1, "b": 2}) + block("sqrt", {"x": 4})]
    spec = mentor_dsl.loads("reward r:\n    10 * calls_valid + no_hallucination\n")
    result = spec.score([{"completion": t, "tools": MATH} for t in texts])
    for text, value in zip(texts, result.rewards.tolist()):
        stats = call_stats(HERMES.parse(text), MATH, _math_check)
        assert 10 * stats.all_valid + (stats.hallucinated == 0) == value, text


def test_teacher_names_accepts_names_and_calls():
    assert metrics.teacher_names({"tool_calls": ["add", {"name": "power", "arguments": {}},
                                                 {"function": {"name": "sqrt"}}]}) == ["add", "power", "sqrt"]
    assert metrics.teacher_names(None) == []
    assert metrics.teacher_names([{"name": "add"}]) == ["add"]


# -- aggregation ----------------------------------------------------------------------------------

def _row(split="in_domain", source="test", domain="math", family=None, correct=1.0, finished=True, blocks=1,
         calls=1, valid=1, hallucinated=0, names=("add",), teacher=("add",), **extra):
    return {"split": split, "source": source, "domain": domain, "family": family, "correct": correct,
            "finished": finished, "n_blocks": blocks, "n_calls": calls, "n_valid": valid,
            "n_hallucinated": hallucinated, "tool_names": list(names), "teacher_names": list(teacher), **extra}


def test_aggregate_definitions():
    rows = [
        _row(correct=1.0, blocks=2, calls=2, valid=1, hallucinated=1, names=("add", "pow"), teacher=("add",)),
        _row(correct=0.0, finished=False, blocks=0, calls=0, valid=0, names=(), teacher=("multiply",)),
        _row(correct=1.0, blocks=1, calls=1, valid=1, names=("multiply",), teacher=("multiply",)),
    ]
    m = aggregate(rows)
    assert m["n"] == 3
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["finished_rate"] == pytest.approx(2 / 3)
    assert m["call_validity"] == pytest.approx(2 / 3)        # 2 valid of 3 blocks
    assert m["calls_valid_rate"] == pytest.approx(2 / 3)     # rows 2 (no blocks) and 3
    assert m["hallucination_rate"] == pytest.approx(1 / 3)   # 1 of 3 named calls
    assert m["calls_per_task"] == pytest.approx(1.0)
    assert m["teacher_calls_per_task"] == pytest.approx(1.0)
    assert m["teacher_similarity"] == pytest.approx(js_similarity(["add", "pow", "multiply"],
                                                                  ["add", "multiply", "multiply"]))
    assert m["tool_distribution"] == {"add": 1, "pow": 1, "multiply": 1}
    assert "reward" not in m


def test_aggregate_without_calls_leaves_rates_undefined():
    m = aggregate([_row(blocks=0, calls=0, valid=0, names=())])
    assert m["call_validity"] is None and m["hallucination_rate"] is None
    assert m["calls_per_task"] == 0.0 and m["teacher_similarity"] == 0.0


def test_similarity_pools_only_rows_with_a_teacher():
    taught = _row(names=("add",), teacher=("add",))
    untaught = {**_row(split="bfcl", names=("math.factorial",)), "teacher_names": None}
    assert aggregate([taught, untaught])["teacher_similarity"] == 1.0
    assert aggregate([taught, untaught])["teacher_calls_per_task"] == 1.0
    assert aggregate([untaught])["teacher_similarity"] is None


def test_aggregate_reward_means_skip_unscored_rows():
    rows = [_row(reward=1.0, reward_terms={"finished": 1.0, "correct": None}),
            _row(reward=0.5, reward_terms={"finished": 1.0, "correct": 0.0}),
            _row(reward=None, reward_terms=None)]
    m = aggregate(rows)
    assert m["reward"] == pytest.approx(0.75) and m["reward_n"] == 2
    assert m["reward_terms"] == {"finished": 1.0, "correct": 0.0}


def test_summarize_groups_by_split_source_domain_family():
    rows = [_row("ood", "ood_sci", "geometry", "heron"), _row("ood", "ood_chain", "math", "chain", correct=0.0),
            _row("in_domain", "test", "math", "powers"), _row("bfcl", "bfcl:parallel", "bfcl", None)]
    s = summarize(rows)
    assert list(s["splits"]) == ["in_domain", "ood", "bfcl"]
    assert s["overall"]["n"] == 4 and s["overall"]["accuracy"] == 0.75
    ood = s["splits"]["ood"]
    assert ood["accuracy"] == 0.5
    assert set(ood["sources"]) == {"ood_sci", "ood_chain"}
    assert set(ood["domains"]) == {"geometry", "math"}
    assert set(ood["families"]) == {"heron", "chain"}
    assert "families" not in s["splits"]["bfcl"]


# -- confidence intervals --------------------------------------------------------------------------

def test_wilson_interval_hand_computed():
    low, high = metrics.wilson_interval(0.5, 4)
    assert (low, high) == (pytest.approx(0.1500, abs=1e-4), pytest.approx(0.8500, abs=1e-4))
    low, high = metrics.wilson_interval(1.0, 10)  # 10 of 10: the textbook [0.722, 1]
    assert low == pytest.approx(0.7225, abs=1e-4) and high == pytest.approx(1.0)
    low, high = metrics.wilson_interval(0.0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert metrics.wilson_interval(None, 4) is None and metrics.wilson_interval(0.5, 0) is None


def test_wilson_interval_holds_0_and_1_exactly():
    """Regression: at 0 of 7 the lower end came out as 2.8e-17, above the estimate itself
    (floating-point rounding of centre - half)."""
    for n in range(1, 60):
        assert metrics.wilson_interval(0.0, n)[0] == 0.0, n
        assert metrics.wilson_interval(1.0, n)[1] == 1.0, n


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_holds_the_estimate_and_narrows_with_n(successes, n):
    successes = min(successes, n)
    p = successes / n
    low, high = metrics.wilson_interval(p, n)
    assert 0.0 <= low <= p <= high <= 1.0
    wider = metrics.wilson_interval(p, max(1, n // 4))
    assert wider[1] - wider[0] >= high - low - 1e-12


def test_aggregate_records_the_accuracy_interval():
    m = aggregate([_row(correct=1.0), _row(correct=0.0), _row(correct=1.0), _row(correct=0.0)])
    assert m["accuracy_ci"] == [pytest.approx(0.15, abs=1e-4), pytest.approx(0.85, abs=1e-4)]


# -- example trajectories ---------------------------------------------------------------------------

def test_examples_show_a_right_and_a_wrong_task_per_split():
    from mentor_dsl.evaluation.records import pick_examples

    rows = [_row(correct=1.0, id="a"), _row(correct=1.0, id="b"), _row(correct=1.0, id="c"),
            _row(correct=0.0, id="d", completion="x", prompt="p", reward=0.1, reward_terms={"finished": 1.0}),
            _row("ood", "ood_sci", correct=0.0, id="e"), _row("ood", "ood_sci", correct=0.0, id="f")]
    picked = pick_examples(rows, per_split=3)
    assert [e["id"] for e in picked["in_domain"]] == ["a", "b", "d"]  # task order; the wrong one is in
    assert [e["id"] for e in picked["ood"]] == ["e", "f"]
    example = picked["in_domain"][2]
    assert example["reward_terms"] == {"finished": 1.0} and example["completion"] == "x"
    assert "n_blocks" not in example  # only what the report shows


# -- splits and tasks -------------------------------------------------------------------------------

def test_resolve_splits():
    assert tasks.resolve_splits("all") == ["in_domain", "ood", "bfcl"]
    assert tasks.resolve_splits(["bfcl", "in_domain", "bfcl"]) == ["in_domain", "bfcl"]
    with pytest.raises(DataError, match="did you mean 'in_domain'"):
        tasks.resolve_splits("in-domain")


def test_load_tasks_limits_each_source_and_skips_missing_data(monkeypatch):
    from mentor_dsl import data

    def fake(spec, n=None, *, bfcl_path=None):
        if spec == "builtin:ood_sci":
            raise DataError("split 'ood_sci' needs the tools of the mentor-scitools plugin")
        return [{"id": f"{spec}-{i}", "prompt": "q", "tools": ["add"]} for i in range(5)]

    monkeypatch.setattr(data, "resolve_data", fake)
    loaded, skipped = tasks.load_tasks(["in_domain", "ood"], limit=2)
    assert [t.source for t in loaded] == ["test", "test", "ood_chain", "ood_chain", "ood_distractor",
                                          "ood_distractor"]
    assert [t.split for t in loaded][:3] == ["in_domain", "in_domain", "ood"]
    assert list(skipped) == ["ood_sci"] and "scitools" in skipped["ood_sci"]
    loaded, _ = tasks.load_tasks(["in_domain"], limit=None)
    assert len(loaded) == 5
    with pytest.raises(DataError):
        tasks.load_tasks(["in_domain"], limit=-1)


def _bfcl_record():
    return {
        "id": "simple_python_0", "split": "bfcl:simple_python", "domain": "bfcl", "category": "simple_python",
        "prompt": [{"role": "user", "content": "Area of a triangle with base 10 and height 5?"}],
        "tools": ["calculate_triangle_area"],
        "teacher": {"tool_calls": [{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}]},
        "functions": [{"name": "calculate_triangle_area", "description": "Area of a triangle.",
                       "parameters": {"type": "dict", "properties": {
                           "base": {"type": "integer", "description": "The base."},
                           "height": {"type": "integer", "description": "The height."},
                           "unit": {"type": "string", "description": "The unit."}},
                           "required": ["base", "height"]}}],
        "possible_answer": {"id": "simple_python_0", "ground_truth": [
            {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]},
    }


def _task_record():
    return {"id": "test-00000", "split": "test", "domain": "math", "family": "powers",
            "prompt": [{"role": "user", "content": "What is 24 cubed?"}], "tools": MATH, "answer": "13824",
            "teacher": {"tool_calls": [{"name": "power", "arguments": {"base": 24, "exponent": 3}}],
                        "answer": "13824"}}


def _student_layout():
    from transformers import AutoTokenizer

    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.student import default_student_dir

    return ChatLayout.for_tokenizer(AutoTokenizer.from_pretrained(default_student_dir(), local_files_only=True),
                                    registry())


def test_prompts_show_the_tools():
    reg = registry()
    layout = _student_layout()
    task = EvalTask("in_domain", "test", _task_record())
    text = tasks.task_prompt(task, reg, layout)
    system, rest = text.split("<|im_end|>", 1)
    assert system.startswith("<|im_start|>system") and '"name":"power"' in system
    assert rest.endswith("What is 24 cubed?<|im_end|>\n<|im_start|>assistant\n")
    bfcl = EvalTask("bfcl", "bfcl:simple_python", _bfcl_record())
    system, rest = tasks.task_prompt(bfcl, reg, layout).split("<|im_end|>", 1)
    assert '"name":"calculate_triangle_area"' in system and '"type":"integer"' in system
    assert "<tool_call>" in system and "boxed" not in system
    assert rest.startswith("\n<|im_start|>user")


# -- rows from rollouts ------------------------------------------------------------------------------

class FakeTokenizer:
    """Token i decodes to pieces[i]; enough for build_row."""

    def __init__(self, pieces):
        self.pieces = pieces

    def decode(self, ids, skip_special_tokens=False):
        return "".join(self.pieces[i] for i in ids if not (skip_special_tokens and self.pieces[i] == "<|im_end|>"))


def fake_layout(tokenizer):
    """Enough of a `ChatLayout` for build_row: the inline layout, `<|im_end|>` ends a turn."""
    import types

    return types.SimpleNamespace(tokenizer=tokenizer, format=HERMES, native=False,
                                 end_ids=frozenset({tokenizer.pieces.index("<|im_end|>")}))


def _rollout(pieces_ids, env, finished, calls=0, failed=0, turns=1):
    r = Rollout([0, 1, 2])
    r.completion_ids, r.env_mask = list(pieces_ids), list(env)
    r.finished, r.calls, r.failed_calls, r.turns = finished, calls, failed, turns
    return r


def test_build_row_from_a_multi_turn_rollout():
    reg = registry()
    pieces = [block("power", {"base": 24, "exponent": 3}), "\n<tool_response>\n13824\n</tool_response>\n",
              "The answer is \\boxed{13824}", "<|im_end|>"]
    tokenizer = FakeTokenizer(pieces)
    task = EvalTask("in_domain", "test", _task_record())
    row = build_row(task, _rollout([0, 1, 2, 3], [1, 0, 1, 1], True, calls=1, turns=2), fake_layout(tokenizer), reg)
    assert row["completion"] == "".join(pieces)  # special tokens kept, tool response included
    assert row["finished"] is True and row["answer"] == "13824"
    assert (row["split"], row["source"], row["domain"], row["family"]) == ("in_domain", "test", "math", "powers")
    assert (row["n_blocks"], row["n_calls"], row["n_valid"], row["n_hallucinated"]) == (1, 1, 1, 0)
    assert row["tool_names"] == ["power"] and row["teacher_names"] == ["power"]
    assert row["model_tokens"] == 3 and row["executed_calls"] == 1 and row["turns"] == 2
    assert row["tools"] == MATH and row["format"] == "hermes"

    truncated = build_row(task, _rollout([2], [1], False), fake_layout(tokenizer), reg)
    rows = [row, truncated]
    score_accuracy(rows)
    assert [r["correct"] for r in rows] == [1.0, 1.0]  # accuracy ignores truncation, the reward does not
    assert truncated["finished"] is False


def test_build_row_for_bfcl_keeps_the_grading_fields():
    reg = registry()
    good = block("calculate_triangle_area", {"base": 10, "height": 5})
    wrong = block("calculate_triangle_area", {"base": 10, "height": "5"}) + block("area", {"x": 1})
    tokenizer = FakeTokenizer([good, wrong, "<|im_end|>"])
    task = EvalTask("bfcl", "bfcl:simple_python", _bfcl_record())
    right = build_row(task, _rollout([0, 2], [1, 1], True), fake_layout(tokenizer), reg)
    bad = build_row(task, _rollout([1, 2], [1, 1], True), fake_layout(tokenizer), reg)
    assert right["tools"] == ["calculate_triangle_area"] and "answer" not in right
    assert right["functions"] and right["possible_answer"] and right["category"] == "simple_python"
    assert (right["n_valid"], right["n_hallucinated"]) == (1, 0)
    assert (bad["n_blocks"], bad["n_valid"], bad["n_hallucinated"]) == (2, 0, 1)  # "5" is not an integer
    score_accuracy([right, bad])
    assert (right["correct"], bad["correct"]) == (1.0, 0.0)


def test_executable_bfcl_rows_are_graded_by_running_the_calls(bfcl_data):
    from mentor_dsl.data import resolve_data

    reg = registry()
    (task,) = [t for t in tasks.load_tasks(["bfcl"], limit=1)[0] if t.source == "bfcl:exec_simple"]
    assert task.record["id"] == "exec_simple_0"  # calc_binomial_probability(n=20, k=5, p=0.6)
    tokenizer = FakeTokenizer([block("calc_binomial_probability", {"n": 20, "k": 5, "p": 0.6}),
                               block("calc_binomial_probability", {"n": 20, "k": 6, "p": 0.6}), "<|im_end|>"])
    right = build_row(task, _rollout([0, 2], [1, 1], True), fake_layout(tokenizer), reg)
    wrong = build_row(task, _rollout([1, 2], [1, 1], True), fake_layout(tokenizer), reg)
    score_accuracy([right, wrong])
    assert (right["correct"], wrong["correct"]) == (1.0, 0.0)
    assert right["execution_result"] == resolve_data("bfcl:exec_simple")[0]["execution_result"]


def test_score_reward_leaves_rows_a_spec_cannot_score():
    import mentor_dsl

    reg = registry()
    tokenizer = FakeTokenizer([block("power", {"base": 24, "exponent": 3}), "\\boxed{13824}", "<|im_end|>"])
    task_row = build_row(EvalTask("in_domain", "test", _task_record()), _rollout([0, 1, 2], [1, 1, 1], True),
                         fake_layout(tokenizer), reg)
    bfcl_row = build_row(EvalTask("bfcl", "bfcl:simple_python", _bfcl_record()), _rollout([2], [1], True),
                         fake_layout(tokenizer), reg)
    score_reward([task_row, bfcl_row], mentor_dsl.load("mentor"))
    assert task_row["reward"] == pytest.approx(1.1)  # correct + exact tool set + clean
    assert task_row["reward_terms"]["finished"] == 1.0
    assert bfcl_row["reward"] is None  # no `answer`: the math reward does not apply
    m = aggregate([task_row, bfcl_row])
    assert m["reward"] == pytest.approx(1.1) and m["reward_n"] == 1


# -- batching and generation -----------------------------------------------------------------------

def test_batches_keep_kinds_apart_and_shared_prompts_together():
    def task(source, tools, i):
        return EvalTask("x", source, {"id": f"{source}{i}", "tools": tools, "functions": [{"name": f"f{i}"}]})

    math_tasks = [task("test", ["add", "multiply"], i) for i in range(5)]
    own = [task("ood_distractor", ["add", f"extra{i}"], i) for i in range(3)]
    bfcl = [task("bfcl:simple_python", ["f"], i) for i in range(3)]
    everything = math_tasks + own + bfcl
    prompts = {id(t): [0] * (10 + i) for i, t in enumerate(everything)}
    batches = runner._batches(everything, prompts, 2)
    assert sorted(t.id for b in batches for t in b) == sorted(t.id for t in everything)
    assert all(len(b) <= 2 for b in batches)
    assert all(len({t.kind for t in b}) == 1 for b in batches)
    shared = [b for b in batches if b[0].source == "test"]
    assert all(all(t.source == "test" for t in b) for b in shared)  # never mixed with one-off tool lists
    assert len(shared) == 3


def test_common_prefix_leaves_each_row_a_token():
    from mentor_dsl.rollouts.hf import common_prefix

    assert common_prefix([[1, 2, 3, 4], [1, 2, 3, 5]]) == 3
    assert common_prefix([[1, 2, 3], [1, 2, 3, 4]]) == 2
    assert common_prefix([[7, 1], [8, 1]]) == 0
    assert common_prefix([]) == 0


class _PadOnly:
    pad_token_id = 0


def test_the_generator_generates_what_each_row_generates_alone(tiny_model):
    """Shared prefix prefilled once, rows padded in the middle: every row's greedy tokens
    must equal that row generated on its own, without padding or cache."""
    import torch
    from transformers import GenerationConfig

    from mentor_dsl.rollouts.hf import HFGenerator

    config = GenerationConfig(do_sample=False, pad_token_id=0, eos_token_id=[1])
    prefix = [5, 6, 7, 8, 9, 10, 11, 12]
    contexts = [prefix + [20, 21, 22], prefix + [30], prefix + [40, 41, 42, 43, 44]]

    def one_turn(generator):
        generator.start(contexts)
        out = [g.ids for g in generator.turn(range(3), contexts, [10, 10, 10])]
        generator.close()
        return out

    generator = HFGenerator(tiny_model, _PadOnly(), config, None, reuse_prefixes=True, min_prefix=4)
    first = one_turn(generator)
    again = one_turn(generator)
    assert generator.prefix_hits == 1 and first == again
    alone_config = GenerationConfig(do_sample=False, pad_token_id=0, eos_token_id=[1], max_new_tokens=10)
    with torch.no_grad():
        for context, got in zip(contexts, first):
            ids = torch.tensor([context])
            out = tiny_model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                      generation_config=alone_config)
            want = out[0, len(context):].tolist()
            assert got[:len(want)] == want
    # Without a long enough shared prefix it is a plain left-padded batch, same tokens.
    assert one_turn(HFGenerator(tiny_model, _PadOnly(), config, None, min_prefix=100)) == first


def test_single_turn_marks_finished_rows(tiny_model):
    from mentor_dsl.evaluation.generation import single_turn

    class Generator:
        def start(self, prompts):
            pass

        def close(self):
            pass

        def turn(self, rows, contexts, budgets):
            return [Generated([5, 6, 1, 0, 0]), Generated([7, 7, 7, 7, 7])]

    done = single_turn(Generator(), [[3], [4]], 5, {1})
    assert done[0].completion_ids == [5, 6, 1] and done[0].finished
    assert done[1].completion_ids == [7] * 5 and not done[1].finished
    assert all(r.turns == 1 and r.env_mask == [1] * len(r.completion_ids) for r in done)


# -- model resolution and eval files --------------------------------------------------------------

def test_run_names(tmp_path):
    assert runner.run_name("default") == "default"
    assert runner.run_name(tmp_path / "runs" / "f1" / "model") == "f1"
    assert runner.run_name(tmp_path / "runs" / "f1" / "checkpoint-20") == "f1/checkpoint-20"
    assert runner.run_name(tmp_path / "my-student") == "my-student"


def test_model_directory_errors(tmp_path):
    from mentor_dsl.models import RUN_CONFIG, resolve_model

    with pytest.raises(DataError, match="no such model directory"):
        resolve_model(tmp_path / "missing")
    (tmp_path / "run" / "model").mkdir(parents=True)
    with pytest.raises(DataError, match="training run with no final model and no checkpoint"):
        resolve_model(tmp_path / "run")
    (tmp_path / "run" / "model" / "config.json").write_text("{}")
    assert resolve_model(tmp_path / "run" / "model").location == str(tmp_path / "run" / "model")
    # A run folder is its final model, even with mentor's run config beside it.
    (tmp_path / "run" / RUN_CONFIG).write_text("{}")
    assert resolve_model(tmp_path / "run").location == str(tmp_path / "run" / "model")


def fake_result(name="default", accuracy=0.5, similarity=0.7, ood=0.25, reward=None):
    rows = []
    for split, source, domain, acc in (("in_domain", "test", "math", accuracy),
                                       ("ood", "ood_sci", "geometry", ood), ("ood", "ood_chain", "math", ood),
                                       ("bfcl", "bfcl:parallel", "bfcl", accuracy / 2)):
        for k in range(4):
            row = _row(split, source, domain, correct=1.0 if k < acc * 4 else 0.0,
                       names=("add",) if k else ("multiply",), teacher=("add",))
            if reward is not None:
                row.update(reward=reward, reward_terms={"finished": 1.0})
            rows.append(row)
    return {"format": runner.FORMAT, "format_version": runner.FORMAT_VERSION, "name": name,
            "config": {"model": name, "model_path": f"/models/{name}", "splits": ["in_domain", "ood", "bfcl"],
                       "limit": 4, "seed": 0, "max_turns": 3, "max_completion_length": 128,
                       "versions": {"mentor": "0.1.0"}},
            "skipped": {"ood_distractor": "needs mentor-scitools"}, "seconds": 12.5,
            "metrics": summarize(rows), "rows": rows}


def test_save_and_load_eval(tmp_path):
    result = fake_result()
    result["metrics"]["overall"]["accuracy"] = math.nan
    path = runner.save_eval(result, tmp_path / "out" / "eval.json")
    text = path.read_text()
    assert "NaN" not in text and '"rows"' not in text
    loaded = runner.load_eval(path)
    assert loaded["name"] == "default" and loaded["metrics"]["overall"]["accuracy"] is None
    assert loaded["path"] == str(path)


@pytest.mark.parametrize("content, message", [(None, "no such file"), ("{", "not JSON"),
                                              ('{"metrics": {}}', "not a `mentor eval` result")])
def test_load_eval_errors(tmp_path, content, message):
    path = tmp_path / "eval.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=message):
        runner.load_eval(path)


def test_save_rollouts_writes_records(tmp_path):
    result = fake_result()
    path = runner.save_rollouts(result["rows"], tmp_path / "rollouts.jsonl")
    lines = path.read_text().splitlines()
    assert len(lines) == len(result["rows"]) and json.loads(lines[0])["split"] == "in_domain"


# -- reports ---------------------------------------------------------------------------------------

def _charts(html):
    import re

    return re.findall(r'<figure class="chart" id="chart-([\w-]+)">', html)


def test_html_report_compares_runs(tmp_path):
    pytest.importorskip("matplotlib")
    runs = [fake_result("mentor_f1", 0.75, ood=0.5, reward=0.9), fake_result("sft", 0.5, ood=0.25)]
    path = report.write_report(runs, tmp_path / "report.html")
    html = path.read_text()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "mentor_f1" in html and "sft" in html
    # No training run folder here: no training curves.
    assert _charts(html) == ["accuracy", "similarity", "ood", "terms"]
    assert html.count("<svg") == 4
    assert "Accuracy per split" in html and "ood_chain" in html and "teacher similarity" in html
    assert 'class="best"' in html
    # Accuracy with its 95% Wilson interval and n: 3 of 4 right.
    assert "0.750 [0.30, 0.95] (n=4)" in html
    # Every run and split group is a point of the scatter, listed in the table below it.
    assert "<td>mentor_f1</td><td>ood</td>" in html.replace(' class="text"', "")


def test_report_shows_term_means_per_split_and_examples():
    pytest.importorskip("matplotlib")
    run = fake_result("f1", reward=0.9)
    for row in run["rows"]:
        row.update(reward_terms={"finished": 1.0, "tool_match": 0.5 if row["correct"] else 0.0},
                   prompt="What is <b>2</b> + 2?", completion="\\boxed{4} & done", id=f"{row['source']}-{id(row)}")
    run["metrics"] = summarize(run["rows"])
    html = report.render_html([run])
    assert "Reward terms per split" in html
    # in_domain: accuracy 0.5, so tool_match's mean is 0.25.
    assert "<td>f1</td><td>in_domain</td><td>1.000</td><td>0.250</td>" in html.replace(' class="text"', "")
    assert "Example trajectories" in html and html.count("<details>") == 3 * 3  # 3 per split, 3 splits
    assert "What is &lt;b&gt;2&lt;/b&gt; + 2?" in html and "\\boxed{4} &amp; done" in html
    assert "<b>2</b>" not in html


def test_examples_come_from_eval_json_after_a_save(tmp_path):
    pytest.importorskip("matplotlib")
    result = fake_result("f1", reward=0.9)
    for row in result["rows"]:
        row.update(prompt="the prompt", completion="the completion")
    result["examples"] = runner.pick_examples(result["rows"])
    loaded = runner.load_eval(runner.save_eval(result, tmp_path / "eval.json"))
    assert "rows" not in loaded and len(loaded["examples"]["ood"]) == 3
    assert report.render_html([loaded]).count("<details>") == 9


def _training_folder(path, steps=5, lines=()):
    path.mkdir(parents=True)
    (path / "mentor-run.json").write_text("{}")
    (path / "model").mkdir()
    rows = [json.dumps({"step": k, "reward": 0.1 * k, "reward/finished": 1.0, "reward/tool_match": 0.05 * k,
                        "loss": 0.01}) for k in range(1, steps + 1)]
    (path / "metrics.jsonl").write_text("\n".join(rows + list(lines)) + "\n")
    return path


def test_training_curves_for_runs_from_a_training_run_folder(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    f1 = _training_folder(tmp_path / "runs" / "f1", lines=['{"step": 6, "rew', "[1, 2]"])  # killed mid-write
    sparse = _training_folder(tmp_path / "runs" / "sparse", steps=3)
    a = fake_result("f1")
    a["config"]["run_dir"] = str(f1)
    # An eval.json written before run_dir existed: its model path leads to the run folder.
    b = fake_result("sparse")
    monkeypatch.chdir(tmp_path)
    b["config"]["model_path"] = "runs/sparse/model"
    c = fake_result("untrained")  # /models/untrained: no run folder
    keys, curves = report.training_curves([a, b, c])
    assert keys == ["reward", "reward/finished", "reward/tool_match"]
    assert [(c.label, [len(rows) for rows in c.members]) for c in curves] == [("f1", [5]), ("sparse", [3])]
    assert report.training_run(b) == sparse.resolve()
    html = report.render_html([a, b, c])
    assert _charts(html)[-1] == "training" and "f1 (5 steps), sparse (3 steps)" in html


def test_runs_record_their_training_run_folder(tmp_path):
    from mentor_dsl.models import run_folder

    folder = _training_folder(tmp_path / "runs" / "f1")
    assert run_folder(folder / "model") == folder.resolve() == run_folder(folder)
    assert run_folder(tmp_path) is None


def test_report_labels_are_unique_and_escaped(tmp_path):
    pytest.importorskip("matplotlib")
    runs = [fake_result("a<b>"), fake_result("a<b>")]
    assert report.labels(runs) == ["a<b>", "a<b> #2"]
    html = report.render_html(runs)
    assert "a<b>" not in html and "a&lt;b&gt; #2" in html


def test_report_of_runs_without_ood():
    pytest.importorskip("matplotlib")
    run = fake_result()
    del run["metrics"]["splits"]["ood"]
    html = report.render_html([run])
    assert _charts(html) == ["accuracy", "similarity"] and "Out-of-domain" not in html


def test_report_path_checks(tmp_path, monkeypatch):
    assert report.check_report_path("r.HTML") == "html" or not report.have_matplotlib()
    with pytest.raises(DataError, match=r"\.html or \.png"):
        report.check_report_path("r.pdf")
    monkeypatch.setattr(report, "have_matplotlib", lambda: False)
    for name in ("r.png", "r.html"):  # both draw with matplotlib
        with pytest.raises(DataError, match=r'matplotlib.*pip install "mentor\[plot\]"'):
            report.write_report([fake_result()], tmp_path / name)
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(DataError, match="at least one run"):
        report.write_report([], tmp_path / "r.html")


def test_png_report(tmp_path):
    pytest.importorskip("matplotlib")
    path = report.write_report([fake_result("a", reward=0.5), fake_result("b", 0.25)], tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_svg_is_well_formed_xml_with_ids_unique_in_the_page():
    pytest.importorskip("matplotlib")
    import re
    import xml.etree.ElementTree as ET

    html = report.render_html([fake_result("a & b", reward=1.0), fake_result("c", 0.0, similarity=0.0, ood=1.0)])
    charts = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(charts) == 4
    ids = []
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.tag.endswith("svg") and root.get("role") == "img"
        ids += [e.get("id") for e in root.iter() if e.get("id")]
    assert ids and len(ids) == len(set(ids))
    # Every reference points at an element of the page.
    for ref in re.findall(r"url\(#([^)]+)\)|href=\"#([^\"]+)\"", html):
        assert (ref[0] or ref[1]) in ids
