"""examples/compare/: end to end at its smoke budget (slow: every method trains, every
student is evaluated, and the report and summary are written), and the results page rebuilt
from the small result files alone, its plots drawn by `mentor eval report`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mentor_dsl.evaluation import runner
from mentor_dsl.evaluation.metrics import wilson_interval
from test_evaluation import fake_result


@pytest.fixture(scope="module")
def tiny_comparison(tmp_path_factory):
    """One smoke-budget comparison for the slow tests here: one method of each trainer
    (GRPO, SFT; the other methods differ only in the --reward they pass), with --results.
    Returns (the command, its --out folder, its --results folder)."""
    root = Path(__file__).resolve().parents[1]
    base = tmp_path_factory.mktemp("compare")
    out, results = base / "compare", base / "docs" / "results"
    command = [sys.executable, str(root / "examples" / "compare" / "compare.py"), "--tiny", "--out", str(out),
               "--methods", "sft,mentor", "--results", str(results)]
    subprocess.run(command, check=True, cwd=root)
    return command, out, results


@pytest.mark.slow
def test_compare_runs_end_to_end(tiny_comparison):
    _, out, _ = tiny_comparison
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"untrained", "sft", "mentor"}
    for method, splits in summary.items():
        (split,) = splits.values()
        assert len(split["per_seed"]) == 1 and 0.0 <= split["accuracy"] <= 1.0, method
        assert split["n"] == 2 and split["ci95"][0] <= split["accuracy"] <= split["ci95"][1]
    for method in ("sft", "mentor"):
        assert (out / f"{method}-s0" / "model" / "config.json").exists()
        assert not list((out / f"{method}-s0").glob("checkpoint-*")), "--tiny keeps no checkpoints"
        assert json.loads((out / f"{method}-s0" / "eval.json").read_text())["metrics"]["splits"]["in_domain"]["n"] == 2
    report = (out / "report.html").read_text()
    assert "<svg" in report and "mentor-s0" in report and "sft-s0" in report and "untrained" in report
    assert (out / "summary.md").read_text().startswith("# Accuracy after 1 steps")


@pytest.mark.slow
def test_a_finished_run_is_not_trained_again_and_the_results_page_is_built(root, tiny_comparison):
    """Resuming: the second invocation finds every run finished and evaluated, and only
    writes the results page from the copied small files."""
    command, out, results = tiny_comparison
    stamp = (out / "mentor-s0" / "model" / "config.json").stat().st_mtime_ns
    second = subprocess.run(command, check=True, cwd=root, capture_output=True, text=True)
    assert "$ mentor train" not in second.stdout and "$ mentor eval --model" not in second.stdout
    assert (out / "mentor-s0" / "model" / "config.json").stat().st_mtime_ns == stamp
    assert (results / "runs" / "mentor-s0" / "metrics.jsonl").exists()
    page = (results.parent / "results.md").read_text()
    assert "| mentor | 1 |" in page and "[" in page.split("| mentor | 1 |")[1].splitlines()[0]
    # The plots: drawn by `mentor eval report` from the copied run folders (--tiny evaluates
    # no OOD split, so that plot says why it is missing).
    assert (results / "plots" / "training.png").exists() and "![Reward and each term" in page
    assert "(not drawn: no run has out-of-domain results" in page


def results_dir(root):
    """docs/results as compare.py leaves it: untrained, mentor over two seeds, sft over one;
    metrics.jsonl for the trained runs, signal.json for one."""
    results = root / "docs" / "results"
    for name, accuracy, ood, steps in (("untrained", 0.25, 0.25, 0), ("mentor-s0", 0.75, 0.5, 4),
                                       ("mentor-s1", 0.25, 0.25, 4), ("sft-s0", 0.5, 0.0, 3)):
        run = results / "runs" / name
        runner.save_eval(fake_result(name, accuracy, ood=ood), run / "eval.json")
        rows = [{"step": k, "reward": 0.1 * k, "reward/tool_match": 0.05 * k} if not name.startswith("sft")
                else {"step": k, "loss": 1.0 / k} for k in range(1, steps + 1)]
        if rows:
            (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    signal = {"specs": {"sparse": {"varied": 0.0, "group_std": 0.0, "corr_correct": None, "mean": 0.1}}}
    (results / "runs" / "untrained" / "signal.json").write_text(json.dumps(signal))
    (results / "meta.json").write_text(json.dumps({"steps": 4, "seeds": [0, 1]}))
    return results


def report_only(root, results):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, str(root / "examples" / "compare" / "compare.py"), "--report-only",
                           "--results", str(results), "--methods", "mentor,sft"],
                          check=True, cwd=root, capture_output=True, text=True, env=env)


def test_report_only_rebuilds_the_page_and_its_plots_from_the_small_files(root, tmp_path):
    pytest.importorskip("matplotlib")
    results = results_dir(tmp_path)
    done = report_only(root, results)
    # The plots come from `mentor eval report`, over the run folders, seeds pooled.
    assert "$ mentor eval report" in done.stdout and "--seed-pattern" in done.stdout
    for name in ("training", "ood", "similarity", "accuracy"):
        assert (results / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    page = (tmp_path / "docs" / "results.md").read_text()
    for image in ("![Reward and each term per training step](results/plots/training.png)",
                  "![Out-of-domain accuracy per method](results/plots/ood.png)",
                  "![Accuracy against teacher similarity](results/plots/similarity.png)"):
        assert image in page
    assert "mentor eval report" in page.split("## Plots")[1] and "(results/report.html)" in page
    # The page's rebuild command keeps the methods' order (not the default one here).
    assert "--report-only --results docs/results --methods mentor,sft`" in page
    html = (results / "report.html").read_text()
    assert "mentor (mean of 2 runs)" in html and "at 4 steps" in html
    # The accuracy table and the plots pool a method's seeds the same way.
    summary = json.loads((results / "summary.json").read_text())
    mentor = summary["mentor"]["in_domain"]
    assert mentor["n"] == 8 and mentor["accuracy"] == 0.5 and mentor["per_seed"] == [0.75, 0.25]
    assert mentor["ci95"] == pytest.approx(list(wilson_interval(0.5, 8)))
    assert "0.500 [0.22, 0.78] (n=8)" in page and "0.500 [0.22, 0.78] (n=8)" in html


def test_a_plot_without_data_is_not_left_stale(root, tmp_path):
    """A plot drawn before, whose data is gone, is removed rather than shown."""
    pytest.importorskip("matplotlib")
    results = results_dir(tmp_path)
    report_only(root, results)
    for run in (results / "runs").iterdir():
        (run / "metrics.jsonl").unlink(missing_ok=True)
    report_only(root, results)
    assert not (results / "plots" / "training.png").exists()
    page = (tmp_path / "docs" / "results.md").read_text()
    assert "### Reward and each term per training step\n\n(not drawn: no run has per-step training metrics" in page


def test_a_run_trained_further_is_evaluated_again(root, tmp_path, monkeypatch):
    """Extending a finished comparison (a larger --steps) resumes each run from its
    checkpoint and evaluates the new student: the old eval.json and signal.json measured
    the one before, and must not be kept."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("compare", root / "examples" / "compare" / "compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    calls = []

    def fake_mentor(*args):
        calls.append(args)
        option = dict(zip(args, args[1:]))
        if args[0] == "train":
            run, steps = Path(option["--output-dir"]), int(option["--max-steps"])
            (run / "model").mkdir(parents=True, exist_ok=True)
            (run / "model" / "config.json").write_text("{}")
            (run / f"checkpoint-{steps}").mkdir(exist_ok=True)
            (run / f"checkpoint-{steps}" / "trainer_state.json").write_text("{}")
            (run / "metrics.jsonl").write_text("".join(json.dumps({"step": k}) + "\n" for k in range(1, steps + 1)))
        elif args[:2] == ("eval", "signal"):
            Path(option["-o"]).write_text(json.dumps({"specs": {}}))
        elif args[:2] == ("eval", "--model"):
            runner.save_eval(fake_result(option["--name"]), Path(option["-o"]))

    monkeypatch.setattr(compare, "mentor", fake_mentor)
    monkeypatch.chdir(tmp_path)
    out = "out/compare"
    for steps in ("2", "2", "4"):
        monkeypatch.setattr(sys, "argv", ["compare.py", "--out", out, "--methods", "mentor", "--steps", steps,
                                          "--signal-tasks", "1"])
        assert compare.main() == 0
    trains = [c for c in calls if c[0] == "train"]
    assert len(trains) == 2 and "--overwrite" in trains[0] and "--resume" in trains[1]
    evaluated = [c for c in calls if c[0] == "eval" and "out/compare/mentor-s0" in c]
    # Once after 2 steps (the second invocation keeps it), once more after 4; signal likewise.
    assert sum(c[1] == "--model" for c in evaluated) == 2 and sum(c[1] == "signal" for c in evaluated) == 2
