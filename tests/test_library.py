"""The shipped rewards/ library: every spec compiles, and the five paper specs give the
same number as an independent re-implementation of the paper's code on every case.

tests/paper_reference.py is the oracle; tests/trajectory_corpus.py holds hand-computed
cases for every branch (malformed completions included) and a generator of messy ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl import library

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paper_reference as ref  # noqa: E402
import trajectory_corpus as corpus  # noqa: E402

PAPER_SPECS = corpus.REWARD_NAMES  # mentor, mentor_overlap, mentor_nomatch, mentor_f1, sparse
ALL_SPECS = ["mentor", "mentor_overlap", "mentor_nomatch", "mentor_f1", "sparse", "mentor_robust", "strict", "toolrl",
             "tool_n1", "mentor_args"]


@pytest.fixture(scope="module")
def rewards():
    return {name: mentor_dsl.load(name) for name in ALL_SPECS}


def test_library_lists_every_spec():
    assert set(ALL_SPECS) <= set(library.library_names())


@pytest.mark.parametrize("name", ALL_SPECS)
def test_every_spec_is_documented_at_the_top(name):
    text, _, _ = library.open_spec(name)
    first = text.splitlines()[0]
    assert first.startswith(f"# {name}:"), first


@pytest.mark.parametrize("name", PAPER_SPECS)
def test_paper_specs_match_hand_computed_cases(rewards, name):
    result = rewards[name].score(corpus.CASES)
    for i, case in enumerate(corpus.CASES):
        assert result.rewards[i].item() == case["expect"][name], (case["id"], name)


@pytest.mark.parametrize("name", PAPER_SPECS)
def test_paper_specs_match_reference_on_cases(rewards, name):
    result = rewards[name].score(corpus.CASES)
    for i, case in enumerate(corpus.CASES):
        expected = ref.REWARDS[name](case["completion"], case["answer"], corpus.teacher_tools(case))
        assert result.rewards[i].item() == expected, (case["id"], name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(corpus.trajectories(), min_size=1, max_size=8))
def test_paper_specs_match_reference_on_generated_batches(rewards, batch):
    for name in PAPER_SPECS:
        got = rewards[name].score(batch).rewards.tolist()
        want = [ref.REWARDS[name](r["completion"], r["answer"], corpus.teacher_tools(r)) for r in batch]
        assert got == want, name


@pytest.mark.parametrize("name, expected", [("mentor", 0.7 + 0.1), ("mentor_f1", 0.7 + 0.3 * (2 / 3) + 0.1)])
def test_an_empty_teacher_name_stays_in_the_teacher_set(rewards, name, expected):
    """The paper's T is set(teacher names): a bare "" is a name the student cannot match."""
    record = {"completion": '<tool_call>{"name": "multiply", "arguments": {"a": 17, "b": 23}}</tool_call>'
                            "\\boxed{391}" + corpus.EOS, "answer": "391", "teacher": {"tool_calls": ["multiply", ""]}}
    got = rewards[name].score([record]).rewards[0].item()
    assert got == ref.REWARDS[name](record["completion"], record["answer"], ["multiply", ""])
    assert got == pytest.approx(expected)


# -- the other library specs, on hand-computed cases -------------------------------------------

EOS = "<|im_end|>"


def call(name, **arguments):
    import json

    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>\n'


def record(completion, answer="42", teacher=(("add", {"a": 40, "b": 2}),), **extra):
    return {"completion": completion, "answer": answer,
            "teacher": {"tool_calls": [{"name": n, "arguments": a} for n, a in teacher]}, **extra}


@pytest.mark.parametrize("completion, teacher, expected", [
    ("truncated \\boxed{42}", (("add", {"a": 40, "b": 2}),), 0.0),                      # no EOS
    ("no answer" + EOS, (("add", {"a": 40, "b": 2}),), 0.1),                            # no box
    ("\\boxed{42}" + EOS, (), 0.1),                                                      # empty teacher
    (call("add", a=40, b=2) + "\\boxed{42}" + EOS, (("add", {"a": 40, "b": 2}),), 0.7 + 0.3),
    (call("add", a=40.0, b=2) + "\\boxed{42}" + EOS, (("add", {"a": 40, "b": 2}),), 0.7 + 0.3),
    (call("add", b=2, a=40) + "\\boxed{41}" + EOS, (("add", {"a": 40, "b": 2}),), 0.0 + 0.3),
    (call("add", a=2, b=40) + "\\boxed{42}" + EOS, (("add", {"a": 40, "b": 2}),), 0.7 + 0.0),
    (call("add", a=40, b=2) + call("add", a=40, b=2) + "\\boxed{42}" + EOS,
     (("add", {"a": 40, "b": 2}),), 0.7),                                                # extra call
    (call("multiply", a=6, b=7) + call("add", a=40, b=2) + "\\boxed{42}" + EOS,
     (("add", {"a": 40, "b": 2}), ("multiply", {"a": 6, "b": 7})), 0.7),               # wrong order
])
def test_strict(rewards, completion, teacher, expected):
    assert rewards["strict"].score([record(completion, teacher=teacher)]).rewards[0].item() == expected


def test_mentor_args_branches(rewards):
    r = rewards["mentor_args"]
    perfect = record(call("add", a=40, b=2) + "\\boxed{42}" + EOS)
    half_args = record(call("add", a=40, b=3) + "\\boxed{43}" + EOS)
    broken_call = record("<tool_call>{oops</tool_call> no answer" + EOS)
    good_call_no_answer = record(call("add", a=40, b=2) + "no answer" + EOS)
    unfinished = record(call("add", a=40, b=2) + "\\boxed{42}")
    got = r.score([perfect, half_args, broken_call, good_call_no_answer, unfinished])
    values = got.rewards.tolist()
    assert values[0] == pytest.approx(1.0)
    # wrong answer; tool F1 1; one of two argument values agrees; the call executes
    assert values[1] == pytest.approx(0.2 * 1 + 0.2 * 0.5 + 0.1 * 1)
    assert values[2] == 0.0                      # answer gate: 0.1 * calls_valid, the call is broken
    assert values[3] == pytest.approx(0.1)       # answer gate with valid calls
    assert values[4] == 0.0
    assert got.terms["exec_success"][1].item() == 1.0


def test_mentor_args_weights_are_parameters():
    r = mentor_dsl.load("mentor_args", w_answer=1.0, w_tools=0.0, w_args=0.0, w_exec=0.0)
    assert r.range == (0.0, 1.0)
    assert r.score([record(call("add", a=1, b=1) + "\\boxed{42}" + EOS)]).rewards[0].item() == 1.0


def _toolrl_text(*calls, think="<think>plan</think>"):
    import json

    lines = "\n".join(json.dumps({"name": n, "parameters": p}) for n, p in calls)
    return f"{think}\n<tool_call>\n{lines}\n</tool_call>"


@pytest.mark.parametrize("completion, expected", [
    (_toolrl_text(("add", {"a": 40, "b": 2})), 1 + 3.0),                     # exact
    (_toolrl_text(("add", {"a": 40, "b": 3})), 1 + (6 * 3 / 4 - 3)),         # S = 1 + (1 + 1), M = 1 + 3
    (_toolrl_text(("add", {"a": 40, "b": 2}), ("add", {"a": 1, "b": 1})),
     1 + (6 * (0.5 + 3) / 4 - 3)),                                           # name Jaccard 1/2
    (_toolrl_text(("sub", {"a": 40, "b": 2})), 1 + (6 * 0 / 4 - 3)),        # nothing matches
    ("<think>x</think>\n<tool_call>\nnot json\n</tool_call>", 1 - 3.0),      # malformed
    ("no think\n<tool_call>\n{\"name\": \"add\", \"parameters\": {\"a\": 40, \"b\": 2}}\n</tool_call>", 0 + 3.0),
    ("<think>x</think>\n<response>42</response>", 0 - 3.0),                  # no calls though expected
])
def test_toolrl(rewards, completion, expected):
    got = rewards["toolrl"].score([record(completion)]).rewards[0].item()
    assert got == pytest.approx(expected)


def test_toolrl_without_teacher_calls_pays_format_only(rewards):
    got = rewards["toolrl"].score([record("<think>x</think>\n<response>42</response>", teacher=())])
    assert got.rewards[0].item() == 1.0


@pytest.mark.parametrize("completion, expected", [
    ('<think>a</think><tool_call>[{"name": "add", "arguments": {"a": 40, "b": 2}}]</tool_call>', 1),
    ('<think>a</think><tool_call>{"name": "add", "arguments": {"b": 2, "a": 40}}</tool_call>', 1),
    ('<tool_call>[{"name": "add", "arguments": {"a": 40, "b": 2}}]</tool_call>', 0),            # no think
    ('<think>a</think><tool_call>[{"name": "add", "arguments": {"a": 40, "b": 3}}]</tool_call>', 0),
    ('<think>a</think><tool_call>[{"name": "add"}]</tool_call>', 0),                             # no arguments
    ('<think>a</think> no block', 0),
    ('<think>a</think><tool_call>[]</tool_call>'
     '<tool_call>[{"name": "add", "arguments": {"a": 40, "b": 2}}]</tool_call>', 1),           # last block
])
def test_tool_n1(rewards, completion, expected):
    assert rewards["tool_n1"].score([record(completion)]).rewards[0].item() == expected


def test_tool_n1_is_order_free_and_counts_duplicates(rewards):
    teacher = (("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4}))
    swapped = ('<think>t</think><tool_call>[{"name": "multiply", "arguments": {"a": 3, "b": 4}}, '
               '{"name": "add", "arguments": {"a": 1, "b": 2}}]</tool_call>')
    doubled = ('<think>t</think><tool_call>[{"name": "add", "arguments": {"a": 1, "b": 2}}, '
               '{"name": "add", "arguments": {"a": 1, "b": 2}}]</tool_call>')
    got = rewards["tool_n1"].score([record(swapped, teacher=teacher), record(doubled, teacher=teacher)])
    assert got.rewards.tolist() == [1.0, 0.0]
