"""`mentor diff`: ranks, Spearman, GRPO groups, disagreements, the command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import hack_corpus
from mentor_dsl.cli import cli
from mentor_dsl.reward_diff import advantages, disagreements, group_key, group_stats, ranks, spearman

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ROOT / "examples" / "hack_groups.jsonl"


def test_ranks_average_ties():
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert ranks([]) == []


def test_spearman_known_values():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # x ranks 1..4, y ranks 1, 2.5, 2.5, 4: r = 4.5 / sqrt(5 * 4.5)
    assert spearman([1, 2, 3, 4], [0, 5, 5, 9]) == pytest.approx(4.5 / math.sqrt(5 * 4.5))
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [2]) is None


def _reference_spearman(x, y):
    """An independent route: ranks from counts, then numpy's correlation."""
    import numpy as np

    def rank(v):
        return [sum(w < a for w in v) + (sum(w == a for w in v) + 1) / 2 for a in v]

    rx, ry = rank(x), rank(y)
    if len(set(rx)) < 2 or len(set(ry)) < 2:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


values = st.lists(st.sampled_from([0.0, 0.1, 0.16, 0.5, 1.0, 1.1, -3.0]), min_size=2, max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_spearman_matches_an_independent_computation(data):
    x = data.draw(values)
    y = data.draw(st.lists(st.sampled_from([0.0, 0.3, 0.7, 1.0, 2.0]), min_size=len(x), max_size=len(x)))
    expected = _reference_spearman(x, y)
    got = spearman(x, y)
    assert (got is None) == (expected is None)
    if got is not None:
        assert got == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(values)
def test_spearman_ignores_monotone_rescaling(x):
    y = [3 * v + 1 for v in x]
    assert spearman(x, y) in (None, pytest.approx(1.0))


@pytest.mark.parametrize("record, rid, key", [
    ({"group": 7, "prompt": "p"}, "q1-2", "group 7"),
    ({"prompt": [{"role": "user", "content": "hi"}]}, "q1-2", 'prompt [{"content": "hi", "role": "user"}]'),
    ({}, "q17-3", "id q17"), ({}, "q17_3", "id q17"), ({}, "a/b/12", "id a/b"), ({}, "task#0", "id task"),
    ({}, "q17", None), ({}, "17", None), ({}, "v1.2-x", None),
])
def test_group_keys(record, rid, key):
    assert group_key(record, rid) == key


def test_group_stats_by_hand():
    keys = ["g", "g", "g", "h", "h", None]
    a = [1.0, 0.5, 0.5, 0.2, 0.2, 9.0]
    b = [0.5, 1.0, 0.5, 0.1, 0.3, 0.0]
    stats = group_stats(a, b, keys)
    # g: (0,1) opposite; (0,2) a orders, b ties; (1,2) a ties, b orders. h: a ties, b orders.
    assert stats.to_json() == {"groups": 2, "reordered": 2, "pairs": 4, "opposite": 1, "tied_in_one": 3,
                               "flat_a": 1, "flat_b": 0}


def test_advantages_and_disagreements_by_hand():
    keys = ["g", "g", "h", "h"]
    a, b = [1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.2, 0.2]
    assert advantages(a, keys) == [1.0, -1.0, 0.0, 0.0]
    top = disagreements(a, b, keys, 5)
    assert [(d.index, d.where_a, d.where_b, d.measure) for d in top] == [(0, 1.0, -1.0, "advantage"),
                                                                          (1, -1.0, 1.0, "advantage")]
    ungrouped = disagreements([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [None] * 3, 1)
    assert [(d.index, d.where_a, d.where_b, d.measure) for d in ungrouped] == [(0, 0.0, 1.0, "percentile")]


def test_the_example_groups_are_the_hack_corpus():
    assert GROUPS.read_text(encoding="utf-8") == hack_corpus.groups_text()


def run(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, [str(a) for a in args])


def test_diff_mentor_and_mentor_robust_on_the_hack_groups():
    import mentor_dsl

    result = run("diff", "mentor", "mentor_robust", "--data", GROUPS, "--json", "--top", 2)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    records = [json.loads(line) for line in GROUPS.read_text().splitlines()]
    a = mentor_dsl.load("mentor").score(records).rewards.tolist()
    b = mentor_dsl.load("mentor_robust").score(records).rewards.tolist()
    assert body["records"] == len(records) and body["skipped"] == 0
    assert body["spearman"] == pytest.approx(_reference_spearman(a, b))
    assert body["groups"]["groups"] == len(hack_corpus.PROMPTS)
    first = body["disagreements"][0]
    assert set(first["traces"]) == {"mentor", "mentor_robust"}
    assert first["traces"]["mentor"]["record"]["id"] == first["id"]


def test_diff_text_output():
    result = run("diff", "mentor", "mentor_robust", "--data", GROUPS, "--top", 1)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"mentor vs mentor_robust on {GROUPS}: 30 records, 8 groups of 2 or more"
    assert lines[1].startswith("  rank correlation (Spearman): ")
    assert "records they disagree on most (by advantage: the reward standardised within its group):" in lines
    assert any(line.startswith("reward mentor = ") and "reward mentor_robust = " in line for line in lines)


def test_diff_one_spec_against_itself_with_other_parameters():
    result = run("diff", "mentor_args", "mentor_args", "--set-b", "w_args=0.5", "--data", GROUPS, "--json",
                 "--top", 0)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["a"], body["b"]) == ("mentor_args", "mentor_args (w_args=0.5)")


def test_diff_identical_rewards_agree_everywhere():
    result = run("diff", "mentor", "mentor", "--data", GROUPS, "--top", 3)
    assert result.exit_code == 0, result.output
    assert "mentor [A] vs mentor [B]" in result.output
    assert "  rank correlation (Spearman): 1.000" in result.output
    assert "  groups ordered differently: 0 of 8 (0%)" in result.output
    assert "the rewards rank every record alike" in result.output


def test_diff_reports_records_a_reward_cannot_score(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "a-1", "completion": "\\boxed{1}<|im_end|>", "answer": "1"}) + "\n"
                    + json.dumps({"id": "a-2", "completion": "x", "answer": "1"}) + "\n" + "not json\n")
    result = CliRunner().invoke(cli, ["diff", "sparse", "mentor", "--data", str(data), "--top", 0])
    assert result.exit_code == 1
    assert f"{data}:1: record 'a-1': missing field 'teacher' (reward 'mentor' needs it) (mentor)" in result.stderr
    assert f"{data}:3: " in result.stderr
    assert "0 records (3 skipped)" in result.stdout
