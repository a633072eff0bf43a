"""examples/compare/ end to end at its smoke budget: every method trains, every student is
evaluated, and the report and summary are written."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_compare_runs_end_to_end(root, tmp_path):
    out = tmp_path / "compare"
    subprocess.run([sys.executable, str(root / "examples" / "compare" / "compare.py"), "--tiny", "--out", str(out)],
                   check=True, cwd=root)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"untrained", "sft", "sparse", "strict", "mentor", "mentor_f1", "mentor_robust"}
    for method, splits in summary.items():
        (split,) = splits.values()
        assert len(split["per_seed"]) == 1 and 0.0 <= split["accuracy"] <= 1.0, method
        assert split["n"] == 2 and split["ci95"][0] <= split["accuracy"] <= split["ci95"][1]
    for method in ("sft", "mentor"):
        assert (out / f"{method}-s0" / "model" / "config.json").exists()
        assert not list((out / f"{method}-s0").glob("checkpoint-*")), "--tiny keeps no checkpoints"
        assert json.loads((out / f"{method}-s0" / "eval.json").read_text())["metrics"]["splits"]["in_domain"]["n"] == 2
    report = (out / "report.html").read_text()
    assert "<svg" in report and "mentor_f1-s0" in report and "untrained" in report
    assert (out / "summary.md").read_text().startswith("# Accuracy after 1 steps")


def test_a_finished_run_is_not_trained_again_and_the_results_page_is_built(root, tmp_path):
    """Resuming: the second invocation finds every run finished and evaluated, and only
    writes the results page from the copied small files."""
    out, results = tmp_path / "compare", tmp_path / "docs" / "results"
    command = [sys.executable, str(root / "examples" / "compare" / "compare.py"), "--tiny", "--out", str(out),
               "--methods", "mentor", "--results", str(results)]
    subprocess.run(command, check=True, cwd=root)
    stamp = (out / "mentor-s0" / "model" / "config.json").stat().st_mtime_ns
    second = subprocess.run(command, check=True, cwd=root, capture_output=True, text=True)
    assert "$ mentor train" not in second.stdout and "$ mentor eval --model" not in second.stdout
    assert (out / "mentor-s0" / "model" / "config.json").stat().st_mtime_ns == stamp
    assert (results / "runs" / "mentor-s0" / "metrics.jsonl").exists()
    page = (tmp_path / "docs" / "results.md").read_text()
    assert "| mentor | 1 |" in page and "[" in page.split("| mentor | 1 |")[1].splitlines()[0]
