"""What training shows: progress through the shared display, and the summary table, without
training (a stand-in session)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from mentor_dsl.train.session import _print_summary, _Progress


def _session(tmp_path: Path, metrics=()):
    return SimpleNamespace(config=SimpleNamespace(max_steps=3, trainer="grpo"), out=tmp_path,
                           reward=SimpleNamespace(name="mentor"), metrics=list(metrics))


def _row(step, reward):
    return {"step": step, "reward": reward, "loss": 0.01 * step, "reward/finished": 1.0,
            "reward/tool_match": reward / 2, "time/step": 2.0, "time/reward": 0.02, "time/tools": 0.1}


def test_training_progress_in_a_log(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MENTOR_PROGRESS_INTERVAL", "0")
    with _Progress(_session(tmp_path)) as progress:
        for step in (1, 2, 3):
            progress.update(_row(step, 0.25 * step), 3)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3", "3/3"]
    assert lines[0].startswith("training: 1/3 steps ") and "ETA" in lines[0]
    assert lines[1].endswith("reward 0.5  loss 0.02  finished 1  tool_match 0.25") and "done in" in lines[-1]


def test_other_processes_show_no_progress(tmp_path, capsys, monkeypatch):
    """Under `accelerate launch` only the main process draws (the others would repeat it)."""
    monkeypatch.setenv("MENTOR_PROGRESS_INTERVAL", "0")
    with _Progress(_session(tmp_path), shown=False) as progress:
        progress.update(_row(1, 0.5), 3)
    assert capsys.readouterr().err == ""


def test_training_summary_is_a_table(tmp_path, capsys):
    _print_summary(_session(tmp_path, [_row(1, 0.2), _row(2, 0.6)]))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"mentor: 2 logged steps, output in {tmp_path}"
    assert err[1].split() == ["metric", "first", "step", "last", "step", "mean"]
    assert next(line for line in err if line.startswith("reward ")).split() == ["reward", "0.2", "0.6", "0.4"]
    assert err[-1] == "2.0 s/step; reward 1.00% and tools 5.00% of step time"
