"""Sanity tests for the clean-room paper reference (tests/paper_reference.py).

The expected values live in ``tests/trajectory_corpus.py`` next to each case;
they were derived by hand from the official semantics, so these tests check
the reference against an independent reading of the official code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paper_reference as ref  # noqa: E402
import trajectory_corpus as corpus  # noqa: E402

CASES_BY_ID = {case["id"]: case for case in corpus.CASES}


def _run(name: str, case: dict) -> float:
    return ref.REWARDS[name](case["completion"], case["answer"], corpus.teacher_tools(case))


# --------------------------------------------------------------------------
# The corpus itself
# --------------------------------------------------------------------------
def test_corpus_is_large_and_ids_unique():
    assert len(corpus.CASES) >= 40
    assert len(CASES_BY_ID) == len(corpus.CASES)


def test_every_case_has_a_full_expectation_and_known_labels():
    for case in corpus.CASES:
        assert set(case) >= {"id", "completion", "answer", "teacher", "hits", "expect"}, case["id"]
        assert set(case["expect"]) == set(corpus.REWARD_NAMES), case["id"]
        assert set(case["hits"]) <= set(corpus.BRANCHES), case["id"]
        assert set(case.get("official_crash", ())) <= set(corpus.REWARD_NAMES), case["id"]


def test_every_branch_is_hit_by_some_case():
    hit = {label for case in corpus.CASES for label in case["hits"]}
    assert hit == set(corpus.BRANCHES)


def test_reward_names_match_reference():
    assert tuple(ref.REWARDS) == corpus.REWARD_NAMES


# --------------------------------------------------------------------------
# Reference == hand-computed value, exactly (same float, same order of sums)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", corpus.REWARD_NAMES)
@pytest.mark.parametrize("case_id", list(CASES_BY_ID))
def test_reference_matches_hand_value(case_id, name):
    case = CASES_BY_ID[case_id]
    got = _run(name, case)
    assert type(got) is float
    assert got == case["expect"][name], (case_id, name, got, case["expect"][name])


def test_float_order_is_official():
    # The sums are not associative in binary floating point; the official
    # order must be kept.
    assert 0.7 + (0.0 + 0.1) == 0.7999999999999999
    assert 0.7 + (0.3 + 0.1) == 1.1
    assert 0.0 + (0.3 * 0.2 + 0.1) == 0.16
    case = CASES_BY_ID["student_no_tools_correct"]
    assert _run("mentor", case) == 0.7999999999999999
    assert _run("mentor_overlap", case) == 0.7


# --------------------------------------------------------------------------
# Helpers, checked directly on small inputs
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("\\boxed{42}", "42"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("a \\boxed{1} b \\boxed{2} c", "2"),
        ("\\boxed{42}}", "42"),
        ("\\boxed 42<|im_end|>", "42<|im_end|>"),
        ("$\\boxed 42$ ok", "42"),
        ("\\boxed 7$ then \\boxed{42}", "7"),
        ("\\boxed 1$ \\boxed 2$", "2"),
        ("\\boxed{\u200b}", "\u200b"),
        ("\\boxed{}", None),
        ("\\boxed{  }", None),
        ("\\boxed $x$", None),
        ("\\fbox{42}", None),
        ("\\boxed{42", None),
        ("\\boxed42", None),
        ("\\boxedx{42}", None),
        ("\\boxed}{42}", None),
        ("\\boxed{1} \\boxed", None),
        ("no box", None),
    ],
)
def test_extract_answer(text, expected):
    assert ref.extract_answer(text) == expected


@pytest.mark.parametrize(
    "text, used, invalid",
    [
        ('<tool_call>{"name": "add"}</tool_call>', ["add"], []),
        ('<tool_call>{"name": "foo"}</tool_call>', [], ["foo"]),
        ('<tool_call>{"name": "add"</tool_call>', [], []),
        ('<tool_call>{"name":\\"add", x}</tool_call>', ["add"], []),
        ('<tool_call>{"name":\\"add\\"}</tool_call>', [], ["add\\"]),
        ('<tool_call>"{\\"name\\": \\"add\\"}"</tool_call>', [], []),
        ('<tool_call>[{"name": "add"}]</tool_call>', [], []),
        ("<tool_call>5</tool_call><tool_call>null</tool_call>", [], []),
        ('<tool_call>{"name": 7}</tool_call>', [], [7]),
        ('<tool_call>{"name": ""}</tool_call>', [], []),
        ('<tool_call>{"name": ["add"]}</tool_call>', [], [["add"]]),
        ('<tool_call>{"name": "add"}<tool_call>{"name": "sqrt"}</tool_call></tool_call>', [], []),
        ('<tool_call>{"name": "add"}</tool_call><tool_call>{"name": "add"}</tool_call>', ["add", "add"], []),
    ],
)
def test_extract_tools(text, used, invalid):
    assert ref.extract_tools(text) == (used, invalid)


def test_reference_never_prints(capsys):
    for case in corpus.CASES[:5]:
        for name in corpus.REWARD_NAMES:
            _run(name, case)
    captured = capsys.readouterr()
    assert captured.out == ""


def test_custom_eos():
    text = "x \\boxed{42}</s>"
    assert ref.sparse(text, "42", None, eos="</s>") == 1.0
    assert ref.sparse(text, "42", None) == 0.0


# --------------------------------------------------------------------------
# Properties over generated trajectories
# --------------------------------------------------------------------------
MENTOR_VALUES = {0.0, 0.1, 0.06, 0.16, 0.7, 0.7 + 0.1, 0.7 + 0.3, 0.7 + (0.3 + 0.1), 0.7 + (0.0 + 0.0)}
OVERLAP_VALUES = {0.0, 0.1, 0.0 + 0.3 * 0.2, 0.7, 0.7 + 0.3}
NOMATCH_VALUES = {0.0, 0.1, 0.7, 0.7 + 0.1}
SPARSE_VALUES = {0.0, 0.1, 1.0}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus.trajectories())
def test_generated_values_stay_in_the_official_ranges(record):
    text, gold, teacher = record["completion"], record["answer"], corpus.teacher_tools(record)
    values = {name: fn(text, gold, teacher) for name, fn in ref.REWARDS.items()}
    assert values["mentor"] in MENTOR_VALUES
    assert values["mentor_overlap"] in OVERLAP_VALUES
    assert values["mentor_nomatch"] in NOMATCH_VALUES
    assert values["sparse"] in SPARSE_VALUES
    assert 0.0 <= values["mentor_f1"] <= 1.1

    if not text.endswith(corpus.EOS):
        assert set(values.values()) == {0.0}
    if ref.extract_answer(text) is None and text.endswith(corpus.EOS):
        assert set(values.values()) == {0.1}
    if values["sparse"] == 1.0 and teacher:
        assert values["mentor"] >= 0.7
        assert values["mentor_f1"] >= 0.7
        assert values["mentor_overlap"] >= 0.7
    if values["sparse"] == 1.0 and not teacher:
        assert values["mentor"] == values["mentor_overlap"] == values["mentor_f1"] == 0.1
