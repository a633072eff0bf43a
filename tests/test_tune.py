"""`mentor tune`: the Optuna loop with a stand-in trainer and evaluation registered through
the trainer hook (seconds, no model), the search space, validation data, the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_dsl import compile
from mentor_dsl.cli import cli
from mentor_dsl.plugins import hookimpl
from mentor_dsl.tune.space import SearchSpace, _step, with_values

pytest.importorskip("optuna")

SPEC = """# A spec to tune.
param w_args = 0.2 in [0, 0.5]     # argument agreement
param w_tools = 0.2 in [0, 0.5]
param other = 1

reward r:
    require finished else 0
    w_args * arg_overlap(teacher) + w_tools * tool_match(teacher) + other * answer_correct
"""


class StandIn:
    """A trainer that trains nothing: it records its configs, writes the files a run
    writes, and its evaluation scores the parameters it was given (best at w_args = 0.3,
    w_tools = 0.1), growing with the steps trained."""

    def __init__(self, interrupt_at: int | None = None):
        self.configs = []
        self.interrupt_at = interrupt_at

    def train(self, config):
        out = Path(config.output_dir)
        if config.resume:
            assert json.loads((out / "state.json").read_text())["steps"] < config.max_steps
        self.configs.append(config)
        if self.interrupt_at is not None and out.name == f"{self.interrupt_at:04d}":
            raise KeyboardInterrupt
        (out / f"checkpoint-{config.max_steps}").mkdir(parents=True, exist_ok=True)
        (out / "model").mkdir(exist_ok=True)
        (out / "model" / "run.json").write_text(json.dumps({"params": config.params, "steps": config.max_steps}))
        (out / "state.json").write_text(json.dumps({"steps": config.max_steps}))
        return out

    @staticmethod
    def evaluate(model, *, data, limit, **options):
        run = json.loads((Path(model) / "model" / "run.json").read_text())
        w = run["params"]
        quality = 1.0 - (float(w["w_args"]) - 0.3) ** 2 * 4 - (float(w["w_tools"]) - 0.1) ** 2 * 4
        return {"metrics": {"splits": {"data": {"accuracy": quality * run["steps"] / 4, "n": limit}}},
                "config": {"data": data}}

    @hookimpl
    def register_trainers(self, register):
        fn = self.train
        wrapper = lambda config: fn(config)  # noqa: E731 - a function object the evaluation can hang on
        wrapper.evaluate = self.evaluate
        register("standin", wrapper)


@pytest.fixture
def standin(plugin):
    return plugin(StandIn())


@pytest.fixture
def work(tmp_path):
    from mentor_dsl.data import resolve_data

    (tmp_path / "spec.mdsl").write_text(SPEC)
    data = tmp_path / "tasks.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in resolve_data("builtin:train", 30)))
    return tmp_path


def tune(work, *args, trials=6):
    return CliRunner().invoke(cli, ["tune", "--reward", str(work / "spec.mdsl"), "--trainer", "standin",
                                    "--metric", "accuracy", "--trials", str(trials), "--steps", "4", "--evals", "2",
                                    "--startup-trials", "2", "--sampler-seed", "0", "--data", str(work / "tasks.jsonl"),
                                    "--output-dir", str(work / "out"), *map(str, args)])


def test_the_loop_trains_in_segments_evaluates_and_writes_the_best_spec(work, standin):
    result = tune(work)
    assert result.exit_code == 0, result.output
    out = work / "out"
    best = json.loads((out / "best.json").read_text())
    # Every trial: two segments of the normal training config, the second resuming the first.
    firsts = [c for c in standin.configs if not c.resume]
    assert len(firsts) == 6 and all(c.max_steps == 2 and c.overwrite for c in firsts)
    for config in standin.configs:
        assert config.trainer == "standin" and config.data == str(out / "data" / "train.jsonl")
        assert config.trl["lr_scheduler_type"] == "constant" and config.keep_checkpoints == 1
        assert set(config.params) == {"w_args", "w_tools"}
        assert 0 <= config.params["w_args"] <= 0.5 and 0 <= config.params["w_tools"] <= 0.5
    assert {c.max_steps for c in standin.configs if c.resume} <= {4}
    # Checkpoints and models are freed after each trial.
    assert not list(out.glob("trials/*/checkpoint-*")) and not list(out.glob("trials/*/model"))
    assert sorted(p.name for p in (out / "trials" / "0000").glob("eval-step-*.json")) == ["eval-step-2.json",
                                                                                          "eval-step-4.json"]
    # The best spec: the source with the best values, comments, ranges and other parameters kept.
    text = (out / "best.mdsl").read_text()
    assert text.startswith("# Tuned by `mentor tune`: study 'mentor-tune', trial ")
    assert "param other = 1\n" in text and "# argument agreement" in text and "in [0, 0.5]" in text
    plan = compile(text)
    assert {k: v for k, v in plan.params if k != "other"} == best["params"]
    lines = result.output.splitlines()
    assert any(line.split()[:5] == ["trial", "state", "w_args", "w_tools", "accuracy"] for line in lines)
    assert lines[-3].startswith(f"best: trial {best['trial']}, accuracy ")
    assert lines[-1] == f"report: {out / 'report.html'}"


def test_trials_are_pruned_and_the_report_says_so(work, standin):
    import optuna

    result = tune(work, trials=10)
    assert result.exit_code == 0, result.output
    study = optuna.load_study(study_name="mentor-tune", storage=f"sqlite:///{work / 'out' / 'study.db'}")
    states = [t.state.name for t in study.trials]
    assert states.count("PRUNED") >= 1 and states.count("COMPLETE") + states.count("PRUNED") == 10
    pruned = next(t for t in study.trials if t.state.name == "PRUNED")
    assert list(pruned.intermediate_values) == [2]  # stopped after its first evaluation
    report = (work / "out" / "report.md").read_text()
    assert f"finished trials of 10 ({states.count('PRUNED')} pruned)" in report
    assert "| parameter | importance |" in report and "| w_args |" in report
    for chart in ("history.png", "importance.png", "intermediate.png"):
        assert (work / "out" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"![{chart[:-4]}]({chart})" in report
    assert "<img src=\"history.png\"" in (work / "out" / "report.html").read_text()


def test_a_study_resumes_where_it_stopped(work, standin):
    assert tune(work, trials=3).exit_code == 0
    assert len({c.output_dir for c in standin.configs}) == 3
    result = tune(work, trials=5)
    assert result.exit_code == 0, result.output
    assert "study 'mentor-tune' (" in result.output and "3 of 5 trials done" in result.output
    assert len({c.output_dir for c in standin.configs}) == 5
    again = tune(work, trials=5)  # nothing left to run: only the report
    assert again.exit_code == 0 and len({c.output_dir for c in standin.configs}) == 5


def test_a_study_refuses_other_settings(work, standin):
    assert tune(work, trials=2).exit_code == 0
    result = tune(work, "--steps", 6, trials=3)
    assert result.exit_code == 7
    assert "was started with other settings (steps: 4 then, 6 now)" in result.output
    assert tune(work, "--steps", 6, "--overwrite", trials=3).exit_code == 0


def test_an_interrupted_trial_is_tried_again_first(work, plugin):
    import optuna

    stand_in = plugin(StandIn(interrupt_at=1))
    result = tune(work, trials=3)
    assert result.exit_code == 130
    assert "tune interrupted in trial 1; run the same command to continue the study" in result.output
    stand_in.interrupt_at = None
    assert tune(work, trials=3).exit_code == 0
    study = optuna.load_study(study_name="mentor-tune", storage=f"sqlite:///{work / 'out' / 'study.db'}")
    failed = study.trials[1]
    assert failed.state.name == "FAIL" and study.trials[2].params == failed.params
    assert study.trials[2].user_attrs["retry_of"] == 1


def test_stray_trial_folders_are_not_overwritten(work, standin):
    (work / "out" / "trials" / "0000").mkdir(parents=True)
    result = tune(work, trials=1)
    assert result.exit_code == 7 and "holds trials the study 'mentor-tune' does not know (0000)" in result.output


def test_a_spec_without_ranges_has_nothing_to_tune(work, standin):
    (work / "spec.mdsl").write_text("param w = 0.2\nreward r:\n    w * finished\n")
    result = tune(work)
    assert result.exit_code == 7
    assert ("no parameter to search: declare a range, e.g. `param w = 0.2 in [0, 0.5]` "
            "(parameters without one: w)") in result.output


def test_set_fixes_a_parameter_out_of_the_search(work, standin):
    result = tune(work, "--set", "w_tools=0.1", trials=2)
    assert result.exit_code == 0, result.output
    assert all(c.params["w_tools"] == "0.1" for c in standin.configs)
    assert "w_tools" not in json.loads((work / "out" / "best.json").read_text())["params"]


def test_unknown_metric_and_bad_storage_are_clean_errors(work, standin):
    result = tune(work, "--metric", "ood_acuracy")
    assert result.exit_code == 7 and "unknown metric 'ood_acuracy'; did you mean 'ood_accuracy'?" in result.output
    result = tune(work, "--storage", "nosuchdb://x/y")
    assert result.exit_code == 7 and "storage nosuchdb" in result.output and "Traceback" not in result.output


def test_without_optuna_tune_names_the_extra(work, standin, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    result = tune(work)
    assert result.exit_code == 7
    assert "mentor tune needs Optuna, which is not installed: pip install 'mentor[tune]'" in result.output


# -- validation data ----------------------------------------------------------------------------------

def test_in_domain_validation_is_held_out_of_training(tmp_path):
    from mentor_dsl.data import resolve_data
    from mentor_dsl.tune.validation import prepare

    train, (validation,), _ = prepare(tmp_path, "builtin:train", ood=False)
    trained = [json.loads(line)["id"] for line in train.read_text().splitlines()]
    held = [json.loads(line)["id"] for line in validation.read_text().splitlines()]
    assert len(held) == 200 and len(trained) == 1800 and not set(held) & set(trained)
    test_questions = {r["prompt"][-1]["content"] for r in resolve_data("builtin:test")}
    assert not test_questions & {json.loads(line)["prompt"][-1]["content"] for line in validation.read_text().splitlines()}


def test_ood_validation_is_disjoint_from_what_eval_reads(tmp_path):
    from mentor_dsl.data import resolve_data
    from mentor_dsl.tune.validation import OOD_SOURCES, OOD_TAIL, prepare

    _, files, skipped = prepare(tmp_path, "builtin:train", ood=True)
    assert not skipped and [f.name for f in files] == [f"validation_{s}.jsonl" for s in OOD_SOURCES]
    for source, path in zip(OOD_SOURCES, files):
        split = resolve_data(f"builtin:{source}")
        read_by_eval = {r["id"] for r in split[: len(split) - OOD_TAIL]}  # `mentor eval --limit` up to 100
        validated = {json.loads(line)["id"] for line in path.read_text().splitlines()}
        assert len(validated) == OOD_TAIL and not validated & read_by_eval


# -- the search space and the tuned spec ---------------------------------------------------------------

def test_grid_steps():
    assert (_step(0, 0.5), _step(0, 1), _step(0, 0.3), _step(50, 400)) == (0.0005, 0.001, 0.0005, 0.5)
    assert _step(0, 1 / 3) is None


def test_space_leaves_out_fixed_and_unranged_parameters():
    plan = compile(SPEC)
    space = SearchSpace.of(plan.param_ranges, {"w_tools": "0.1"})
    assert space.names == ("w_args",) and space.describe() == {"w_args": [0.0, 0.5]}


def test_with_values_changes_only_the_defaults():
    text = "param a = (0.25) in [0, 1]  # keep me\nparam b = 2 * 0.1 in [0, 1]\nreward r:\n    a + b\n"
    new = with_values(text, "t.mdsl", {"a": 0.5, "b": 0.125}, header="two\nlines")
    assert new == ("# two\n# lines\n#\nparam a = (0.5) in [0, 1]  # keep me\nparam b = 0.125 in [0, 1]\n"
                   "reward r:\n    a + b\n")


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 0.5), st.floats(0, 0.5))
def test_a_tuned_spec_compiles_to_the_values_written(a, b):
    text = with_values(SPEC, "spec.mdsl", {"w_args": a, "w_tools": b})
    assert dict(compile(text).params) == {"w_args": a, "w_tools": b, "other": 1.0}


class NoValue(StandIn):
    """Trial 1's evaluation has no value for the metric (as `call_validity` of a student
    that made no call)."""

    @staticmethod
    def evaluate(model, *, data, limit, **options):
        result = StandIn.evaluate(model, data=data, limit=limit, **options)
        if Path(model).name == "0001":
            result["metrics"]["splits"]["data"]["accuracy"] = None
        return result


def test_a_trial_without_a_value_fails_and_the_study_goes_on(work, plugin):
    import optuna

    plugin(NoValue())
    result = tune(work, trials=3)
    assert result.exit_code == 0, result.output
    assert "trial 1: " in result.output and "-> failed: the evaluation has no 'accuracy' for this student" \
        in result.output
    study = optuna.load_study(study_name="mentor-tune", storage=f"sqlite:///{work / 'out' / 'study.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert (work / "out" / "trials" / "0001" / "eval-step-2.json").is_file()  # kept, to see why
    assert "finished trials of 3" in (work / "out" / "report.md").read_text()
    assert "| 1 | fail |" in (work / "out" / "report.md").read_text()


class Flat(StandIn):
    """Every student is as good as every other."""

    @staticmethod
    def evaluate(model, *, data, limit, **options):
        return {"metrics": {"splits": {"data": {"accuracy": 0.25, "n": limit}}}, "config": {"data": data}}


def test_importance_is_not_claimed_where_the_trials_cannot_tell_the_parameters_apart(work, plugin):
    plugin(Flat())
    result = tune(work, trials=3)
    assert result.exit_code == 0, result.output
    report = (work / "out" / "report.md").read_text()
    assert "Not shown: the complete trials are all equally good." in report
    assert "| parameter | importance |" not in report and not (work / "out" / "importance.png").exists()
