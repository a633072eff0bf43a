"""Reports over what a comparison leaves behind: run folders (eval.json, metrics.jsonl),
runs pooled into methods over their seeds, one PNG per chart, and `mentor eval report`'s
options for them."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from mentor_dsl.cli import cli
from mentor_dsl.errors import DataError
from mentor_dsl.evaluation import charts, methods, report, runner
from mentor_dsl.evaluation.metrics import wilson_interval
from test_evaluation import fake_result

PNG = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def training_folder(path, steps, reward=lambda k: 0.1 * k, terms=("finished", "tool_match")):
    path.mkdir(parents=True, exist_ok=True)
    rows = [{"step": k, "reward": reward(k), "loss": 0.01, **{f"reward/{t}": 0.05 * k for t in terms}}
            for k in range(1, steps + 1)]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run_folder(path, name, accuracy, ood=0.25, steps=None, **kwargs):
    """What examples/compare/ keeps of a run: eval.json, and metrics.jsonl when trained."""
    runner.save_eval(fake_result(name, accuracy, ood=ood, **kwargs), path / "eval.json")
    if steps:
        training_folder(path, steps)
    return path


@pytest.fixture
def comparison(tmp_path):
    """untrained, mentor over two seeds, sft over one: run folders as compare.py leaves them."""
    root = tmp_path / "runs"
    return [run_folder(root / "untrained", "untrained", 0.25),
            run_folder(root / "mentor-s0", "mentor-s0", 0.75, ood=0.5, steps=5),
            run_folder(root / "mentor-s1", "mentor-s1", 0.25, ood=0.25, steps=3),
            run_folder(root / "sft-s0", "sft-s0", 0.5)]


# -- reading run folders ---------------------------------------------------------------------------

def test_a_run_folder_gives_its_eval_and_its_training_curves(comparison, tmp_path):
    untrained, mentor0, *_ = methods.load_runs(comparison)
    assert untrained["name"] == "untrained" and "train_dir" not in untrained
    assert mentor0["name"] == "mentor-s0" and mentor0["train_dir"] == str(comparison[1])
    assert report.training_run(mentor0) == comparison[1]
    # A training run that was never evaluated: curves only.
    alone = methods.load_run(training_folder(tmp_path / "strict-s0", 2))
    assert alone["metrics"] is None and alone["name"] == "strict-s0"
    # The eval.json itself, as before.
    assert methods.load_run(comparison[0] / "eval.json")["name"] == "untrained"


def test_a_folder_with_neither_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: a folder with neither an eval.json nor a metrics.jsonl"):
        methods.load_run(tmp_path / "empty")


# -- pooling ---------------------------------------------------------------------------------------

def test_runs_of_one_method_are_pooled_over_their_seeds(comparison):
    pooled = methods.pool(methods.load_runs(comparison), r"-s[0-9]+$")
    assert [m["name"] for m in pooled] == ["untrained", "mentor", "sft-s0"]  # a method of one run keeps its name
    mentor = pooled[1]
    assert [r["name"] for r in mentor["members"]] == ["mentor-s0", "mentor-s1"]
    entry = mentor["metrics"]["splits"]["in_domain"]
    # 3 of 4 and 1 of 4 right: 4 of 8, with the Wilson interval of 4 in 8.
    assert entry["n"] == 8 and entry["accuracy"] == 0.5
    assert entry["accuracy_ci"] == pytest.approx(list(wilson_interval(0.5, 8)))
    assert entry["sources"]["test"]["n"] == 8
    assert mentor["metrics"]["splits"]["ood"]["accuracy"] == pytest.approx(0.375)
    assert entry["teacher_similarity"] == pytest.approx(
        runner.load_eval(comparison[1] / "eval.json")["metrics"]["splits"]["in_domain"]["teacher_similarity"])
    # Without a pattern every run is its own method.
    assert [m["name"] for m in methods.pool(methods.load_runs(comparison))] == [
        "untrained", "mentor-s0", "mentor-s1", "sft-s0"]


def test_pooled_reward_terms_are_weighted_by_their_tasks():
    a = {"n": 4, "accuracy": 1.0, "reward": 1.0, "reward_n": 3, "reward_terms": {"f": 1.0}}
    b = {"n": 4, "accuracy": 0.0, "reward": 0.0, "reward_n": 1, "reward_terms": {"f": 0.0, "g": 0.5}}
    pooled = methods.pool_entries([a, b])
    assert pooled["reward"] == 0.75 and pooled["reward_n"] == 4
    assert pooled["reward_terms"] == {"f": 0.75, "g": 0.5}


def test_a_pattern_that_would_leave_no_name_keeps_the_name():
    assert methods.method_name("s1", re.compile(r"s[0-9]+")) == "s1"
    with pytest.raises(DataError, match="not a regular expression"):
        methods.compile_seed_pattern("(")


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 30)).map(lambda t: (min(t), t[1])), min_size=1,
                max_size=5))
def test_pooled_accuracy_is_every_task_counted_once(counts):
    entries = [{"n": n, "accuracy": k / n} for k, n in counts]
    pooled = methods.pool_entries(entries)
    k_all, n_all = sum(k for k, _ in counts), sum(n for _, n in counts)
    assert pooled["n"] == n_all and pooled["accuracy"] == pytest.approx(k_all / n_all)
    accuracies = [e["accuracy"] for e in entries]
    assert min(accuracies) - 1e-12 <= pooled["accuracy"] <= max(accuracies) + 1e-12
    low, high = pooled["accuracy_ci"]
    assert low <= pooled["accuracy"] <= high
    if len(entries) == 1:
        assert pooled["accuracy_ci"] == pytest.approx(list(wilson_interval(entries[0]["accuracy"], n_all)))


# -- charts ----------------------------------------------------------------------------------------

def test_a_method_curve_is_the_mean_and_range_of_its_runs(comparison):
    pooled = report.prepare(methods.load_runs(comparison), r"-s[0-9]+$")
    keys, curves = report.training_curves(pooled)
    assert keys == ["reward", "reward/finished", "reward/tool_match"]
    (curve,) = curves
    assert curve.label == "mentor" and [len(rows) for rows in curve.members] == [5, 3]
    steps, mean, low, high = curve.series("reward")
    assert steps == [1, 2, 3, 4, 5]
    assert mean[0] == pytest.approx(0.1) and low[0] == high[0]  # both runs logged 0.1 at step 1
    assert mean[4] == pytest.approx(0.5)  # only the longer run reached step 5


def test_the_charts_name_their_axes_and_methods(comparison):
    pytest.importorskip("matplotlib")
    drawn = {c.name: c for c in report.build_charts(methods.load_runs(comparison), seed_pattern=r"-s[0-9]+$")}
    assert list(drawn) == ["accuracy", "similarity", "ood", "training"]
    def text(chart):  # what is drawn: the SVG without its aria-label (the chart's title)
        return re.sub(r'aria-label="[^"]*"', "", charts.svg(chart))

    training = text(drawn["training"])
    for words in ("training step", "mean per step", "mean over each step", "term: tool_match",
                  "mentor (mean of 2 runs)", "shaded: the range over a method"):
        assert words in training, words
    ood = text(drawn["ood"])
    for words in ("Out-of-domain accuracy per method", "95% Wilson", "accuracy", "ood_chain", "mentor", "sft-s0"):
        assert words in ood, words
    similarity = text(drawn["similarity"])
    for words in ("Accuracy vs. teacher similarity, per method and split", "1 - JSD", "in_domain", "untrained"):
        assert words in similarity, words
    assert "Out-of-domain" not in similarity
    assert "Accuracy per split and method" in text(drawn["accuracy"])


def test_only_the_charts_asked_for(comparison):
    runs = methods.load_runs(comparison)
    assert [c.name for c in report.build_charts(runs, only=["ood", "training"])] == ["ood", "training"]
    with pytest.raises(DataError, match=r"chart 'terms' cannot be drawn: no run has reward terms"):
        report.build_charts(runs, only=["terms"])
    with pytest.raises(DataError, match=r"no chart named 'bars'"):
        report.build_charts(runs, only=["bars"])


def test_html_report_of_pooled_methods(comparison):
    pytest.importorskip("matplotlib")
    html = report.render_html(methods.load_runs(comparison), seed_pattern=r"-s[0-9]+$")
    assert "pooled into methods" in html and "mentor: mentor-s0, mentor-s1" in html
    assert "0.500 [0.22, 0.78] (n=8)" in html  # mentor in_domain: 4 of 8
    assert "mentor (2 runs: 5, 3 steps)" in html
    # The runs table still lists every run, with its method and training folder.
    assert html.count("<td class=\"text\">mentor</td><td class=\"text\">mentor-s") == 2
    assert str(comparison[1]) in html


def test_html_report_of_training_runs_alone(tmp_path):
    pytest.importorskip("matplotlib")
    runs = methods.load_runs([training_folder(tmp_path / "a", 4), training_folder(tmp_path / "b", 2)])
    html = report.render_html(runs)
    assert re.findall(r'<figure class="chart" id="chart-([\w-]+)">', html) == ["training"]
    assert "No run has been evaluated" in html


# -- the command -----------------------------------------------------------------------------------

def test_report_command_draws_each_chart_from_run_folders(comparison, tmp_path):
    pytest.importorskip("matplotlib")
    plots, html = tmp_path / "plots", tmp_path / "report.html"
    result = invoke("eval", "report", *comparison, "--seed-pattern", "-s[0-9]+$", "-o", html,
                    "--charts-dir", plots, "--title", "mentor vs sft")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in plots.glob("*.png")) == ["accuracy.png", "ood.png", "similarity.png", "training.png"]
    for path in plots.glob("*.png"):
        assert path.read_bytes()[:8] == PNG
        assert f"chart: {path}" in result.output
    assert f"report: {html}" in result.output and "mentor (mean of 2 runs)" in html.read_text()


def test_report_command_one_chart(comparison, tmp_path):
    pytest.importorskip("matplotlib")
    result = invoke("eval", "report", *comparison, "--chart", "ood", "--charts-dir", tmp_path / "plots")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "plots").glob("*.png")] == ["ood.png"]


def test_report_command_errors(comparison, tmp_path):
    result = invoke("eval", "report", *comparison)
    assert result.exit_code == 2 and "--charts-dir" in result.output
    result = invoke("eval", "report", *comparison, "--seed-pattern", "(", "-o", tmp_path / "r.html")
    assert result.exit_code == 2 and "not a regular expression" in result.output
    result = invoke("eval", "report", *comparison, "--chart", "nope", "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    # A chart asked for that cannot be drawn fails before anything is written.
    result = invoke("eval", "report", *comparison, "--chart", "terms", "-o", tmp_path / "r.html",
                    "--charts-dir", tmp_path / "plots")
    assert result.exit_code == 4 and "chart 'terms' cannot be drawn" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "plots").exists()
    (tmp_path / "empty").mkdir()
    result = invoke("eval", "report", tmp_path / "empty", "-o", tmp_path / "r.html")
    assert result.exit_code == 4 and "neither an eval.json nor a metrics.jsonl" in result.output
