"""Learning signal: groups with varied rewards, within-group spread, correlation with correctness."""

import json

import pytest

from mentor_dsl.evaluation.signal import group_stats, pearson, score_groups

EOS = "<|im_end|>"
CALL = '<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call>\n'
TEACHER = {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]}


def row(text, finished=True):
    return {"prompt": "What is 17 * 23?", "completion": text + (EOS if finished else ""), "answer": "391",
            "teacher": TEACHER, "tools": ["add", "multiply"]}


def test_pearson_and_group_stats():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 1, 1], [0, 1, 2]) is None and pearson([1], [1]) is None
    stats = group_stats([1, 1, 0, 1], [0, 0, 1, 1], [1, 1, 0, 1])
    assert stats["varied"] == 0.5 and stats["group_std"] == pytest.approx(0.25)
    assert stats["corr_correct"] == pytest.approx(1.0) and stats["mean"] == 0.75


def test_a_dense_reward_separates_what_the_sparse_one_cannot():
    """Two groups of wrong answers: sparse pays every one 0.1, so no group has a signal;
    mentor tells the completion that called the teacher's tool from the one that did not."""
    rows = [row(CALL + "\\boxed{390}"), row("\\boxed{390}"),       # group 0: wrong, with and without the tool
            row(CALL + "\\boxed{391}"), row(CALL + "\\boxed{391}")]  # group 1: both right, same tool use
    table = score_groups(rows, [0, 0, 1, 1], specs=["sparse", "mentor"])
    assert table["sparse"]["varied"] == 0.0 and table["sparse"]["scored"] == 4
    assert table["mentor"]["varied"] == 0.5 and table["mentor"]["group_std"] > 0
    assert table["sparse"]["corr_correct"] == pytest.approx(1.0)
    json.dumps(table)  # the CLI writes it as JSON


def test_signal_command_prints_the_table_and_writes_json(tmp_path, monkeypatch):
    """Regression: the command printed its table through a helper it no longer imported
    (NameError after every rollout had been sampled)."""
    from click.testing import CliRunner

    from mentor_dsl.cli import cli
    from mentor_dsl.evaluation import signal

    asked = {}

    def measure(model, **kwargs):
        asked.update(kwargs, model=model)
        stats = {"varied": 0.25, "group_std": 0.125, "corr_correct": None, "mean": 0.5, "scored": 8}
        return {"model": model, "tasks": kwargs["tasks"], "limit": kwargs["limit"], "generations": 2,
                "temperature": 0.7, "seed": 0, "rollouts": 8, "specs": {"sparse": stats, "mentor": stats}}

    monkeypatch.setattr(signal, "measure", measure)
    out = tmp_path / "signal.json"
    result = CliRunner().invoke(cli, ["eval", "signal", "--limit", "4", "--generations", "2", "--spec", "sparse",
                                      "--spec", "mentor", "-q", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("8 rollouts: 4 tasks x 2")
    assert any(line.split() == ["sparse", "0.250", "0.125", "-", "0.500"] for line in lines), result.output
    assert asked["specs"] == ("sparse", "mentor") and asked["progress"] is False
    assert json.loads(out.read_text())["specs"]["mentor"]["group_std"] == 0.125
