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
    assert set(summary) == {"untrained", "sft", "sparse", "strict", "mentor", "mentor_f1"}
    for method, splits in summary.items():
        (values,) = splits.values()
        assert len(values) == 1 and 0.0 <= values[0] <= 1.0, method
    for method in ("sft", "mentor"):
        assert (out / f"{method}-s0" / "model" / "config.json").exists()
        assert not list((out / f"{method}-s0").glob("checkpoint-*")), "--tiny keeps no checkpoints"
        assert json.loads((out / f"{method}-s0" / "eval.json").read_text())["metrics"]["splits"]["in_domain"]["n"] == 2
    report = (out / "report.html").read_text()
    assert "<svg" in report and "mentor_f1-s0" in report and "untrained" in report
    assert (out / "summary.md").read_text().startswith("# Accuracy after 1 steps")
