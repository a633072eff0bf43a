"""`mentor eval` and `mentor eval report`: argument handling with a stand-in evaluation,
and one slow end-to-end run of the embedded student."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mentor_dsl import evaluation
from mentor_dsl.cli import cli
from mentor_dsl.evaluation import EvalResult, report, runner
from test_evaluation import fake_result


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.fixture
def fake_evaluate(monkeypatch):
    """Replace the model run with a canned result; records the arguments it got."""
    calls = []

    def evaluate(model, **kwargs):
        calls.append({"model": model, **kwargs})
        result = fake_result(kwargs.get("name") or runner.run_name(model), reward=0.5 if kwargs.get("reward") else None)
        return EvalResult.from_json(result)  # `evaluate` returns the typed record

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    return calls


def test_help_lists_options_and_report():
    result = invoke("eval", "--help")
    assert result.exit_code == 0
    for text in ("--model", "--split", "--limit", "--reward", "--report", "--compare", "--save-rollouts", "report"):
        assert text in result.output
    assert "eval" in invoke("--help").output


def test_eval_writes_eval_json_and_prints_a_summary(tmp_path, fake_evaluate):
    out = tmp_path / "eval.json"
    rollouts = tmp_path / "rollouts.jsonl"
    result = invoke("eval", "--model", "default", "--split", "ood", "--split", "bfcl", "--limit", "3", "--seed", "7",
                    "--max-turns", "2", "--max-completion-length", "64", "-o", out, "--save-rollouts", rollouts,
                    "--reward", "mentor", "--set", "w_tool=0.5", "--quiet")
    assert result.exit_code == 0, result.output
    call = fake_evaluate[0]
    assert call["model"] == "default" and call["splits"] == ["ood", "bfcl"] and call["limit"] == 3
    assert call["seed"] == 7 and call["max_turns"] == 2 and call["max_completion_length"] == 64
    assert call["reward"] == "mentor" and call["params"] == {"w_tool": "0.5"} and call["progress"] is False
    saved = json.loads(out.read_text())
    assert saved["format"] == "mentor-eval" and "rows" not in saved
    assert len(rollouts.read_text().splitlines()) == 16
    # The summary: split groups, their sources, the reward column.
    assert "accuracy" in result.output and "teacher sim." in result.output and "reward" in result.output
    assert "  ood_sci" in result.output and "overall" in result.output


def test_eval_defaults(tmp_path, fake_evaluate, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("eval", "-q").exit_code == 0
    call = fake_evaluate[0]
    assert call["splits"] == ["all"] and call["limit"] == 10 and call["reward"] is None
    assert (tmp_path / "eval.json").is_file()
    assert invoke("eval", "-q", "--limit", "0").exit_code == 0
    assert fake_evaluate[1]["limit"] is None  # 0: every task


def test_eval_report_with_compare(tmp_path, fake_evaluate):
    other = runner.save_eval(fake_result("sft", 0.25), tmp_path / "sft" / "eval.json")
    html = tmp_path / "report.html"
    result = invoke("eval", "--model", tmp_path / "runs" / "f1" / "model", "-q", "-o", tmp_path / "f1.json",
                    "--report", html, "--compare", other)
    assert result.exit_code == 0, result.output
    page = html.read_text()
    assert "f1" in page and "sft" in page and "<svg" in page


def test_eval_checks_report_and_compare_before_running(tmp_path, fake_evaluate, monkeypatch):
    result = invoke("eval", "--report", tmp_path / "r.pdf")
    assert result.exit_code == 2 and ".pdf" in result.output
    result = invoke("eval", "--compare", tmp_path / "x.json")
    assert result.exit_code == 2 and "--report" in result.output
    result = invoke("eval", "--report", tmp_path / "r.html", "--compare", tmp_path / "missing.json")
    assert result.exit_code == 4 and "no such file" in result.output and "Traceback" not in result.output
    result = invoke("eval", "--set", "w=1")
    assert result.exit_code == 2 and "--reward" in result.output
    monkeypatch.setattr(report, "have_matplotlib", lambda: False)
    for name in ("r.png", "r.html"):  # both are drawn by matplotlib
        result = invoke("eval", "--report", tmp_path / name)
        assert result.exit_code == 2 and 'pip install "mentor[plot]"' in result.output
    assert fake_evaluate == []  # nothing ran


def test_bad_arguments_are_usage_errors(fake_evaluate):
    assert invoke("eval", "--split", "train").exit_code == 2
    assert invoke("eval", "--limit", "-1").exit_code == 2
    assert invoke("eval", "--batch-size", "0").exit_code == 2


def test_missing_model_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default -o eval.json is claimed (locked) before the model loads
    result = invoke("eval", "--model", tmp_path / "nope", "-q")
    assert result.exit_code == 4
    assert "no such model directory" in result.output and "Traceback" not in result.output


def test_bad_device_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    result = invoke("eval", "--model", model, "--device", "nonsense", "-q")
    assert result.exit_code == 4 and "--device 'nonsense'" in result.output


def test_report_subcommand(tmp_path):
    a = runner.save_eval(fake_result("mentor_f1", 0.75), tmp_path / "runs" / "f1" / "eval.json")
    b = runner.save_eval(fake_result("sparse", 0.25), tmp_path / "runs" / "sparse" / "eval.json")
    out = tmp_path / "report.html"
    # A run directory stands for its eval.json.
    result = invoke("eval", "report", a, tmp_path / "runs" / "sparse", "-o", out, "--title", "F1 vs sparse")
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "F1 vs sparse" in page and "mentor_f1" in page and "sparse" in page
    assert page.count('<figure class="chart"') == 3  # accuracy, similarity, OOD
    assert str(b) in result.output


def test_report_subcommand_errors(tmp_path, monkeypatch):
    good = runner.save_eval(fake_result(), tmp_path / "eval.json")
    assert invoke("eval", "report", "-o", tmp_path / "r.html").exit_code == 2  # no files
    result = invoke("eval", "report", tmp_path / "missing.json", "-o", tmp_path / "r.html")
    assert result.exit_code == 4 and "no such file" in result.output
    (tmp_path / "other.json").write_text('{"id": 1}')
    result = invoke("eval", "report", tmp_path / "other.json", "-o", tmp_path / "r.html")
    assert result.exit_code == 4 and "not a `mentor eval` result" in result.output
    result = invoke("eval", "report", good, "-o", tmp_path / "r.txt")
    assert result.exit_code == 2
    monkeypatch.setattr(report, "have_matplotlib", lambda: False)
    for name in ("r.png", "r.html"):
        result = invoke("eval", "report", good, "-o", tmp_path / name)
        assert result.exit_code == 2 and 'pip install "mentor[plot]"' in result.output
    # Options of the evaluation make no sense for a report of saved files.
    result = invoke("eval", "--limit", "3", "report", good, "-o", tmp_path / "r.html")
    assert result.exit_code == 2 and "--limit belongs to `mentor eval` itself" in result.output


# -- progress -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_student(tmp_path_factory):
    """A randomly initialised two-layer model with the embedded student's tokenizer and chat
    template: a real `mentor eval` in seconds."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from mentor_dsl.student import default_student_dir

    tokenizer = AutoTokenizer.from_pretrained(default_student_dir(), local_files_only=True)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id)
    torch.manual_seed(0)
    target = tmp_path_factory.mktemp("tiny") / "model"
    LlamaForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


def test_eval_shows_progress_in_a_log(tmp_path, tiny_student):
    """Without a terminal: what it is about to do at once (before the model loads), then
    plain progress lines with done/total, rate and ETA (MENTOR_PROGRESS_INTERVAL=0: one per
    batch), then the summary."""
    result = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "0"}).invoke(
        cli, ["eval", "--model", str(tiny_student), "--split", "in_domain", "--limit", "3", "--batch-size", "2",
              "--max-completion-length", "8", "--max-turns", "1", "--device", "cpu", "-o", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    assert err[0] == f"eval: 3 tasks from 1 source (test); loading {tiny_student} on cpu"
    shown = [line for line in err[1:] if line.startswith("eval: ")]
    assert [line.split()[1] for line in shown] == ["2/3", "3/3", "3/3"]
    assert "ETA" in shown[0] and shown[0].endswith("test") and "done in" in shown[-1]
    assert "accuracy" in result.stdout


def test_eval_json_prints_the_result(tmp_path, fake_evaluate):
    out = tmp_path / "eval.json"
    result = invoke("eval", "-q", "--json", "-o", out)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(out.read_text())
    assert printed["format"] == "mentor-eval" and "rows" not in printed and "overall" in printed["metrics"]


# -- end to end ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_eval_end_to_end_on_the_embedded_student(tmp_path):
    """Every split group, one task per source, short completions: the student really
    generates, the math tools really run, BFCL is graded, and a report is drawn."""
    from mentor_dsl.student import gguf_path

    try:
        gguf_path()
    except Exception as exc:  # noqa: BLE001 - the wheel is an optional install
        pytest.skip(str(exc))
    out, rollouts, html = tmp_path / "eval.json", tmp_path / "rollouts.jsonl", tmp_path / "report.html"
    result = invoke("eval", "--model", "default", "--split", "all", "--limit", "1", "--max-turns", "2",
                    "--max-completion-length", "32", "--reward", "mentor", "-o", out, "--save-rollouts", rollouts,
                    "--report", html)
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["format"] == "mentor-eval" and saved["name"] == "default"
    config = saved["config"]
    assert config["splits"] == ["in_domain", "ood", "bfcl"] and config["limit"] == 1 and config["decoding"] == "greedy"
    assert config["versions"]["torch"] and config["model_path"]
    splits = saved["metrics"]["splits"]
    ran = {source for entry in splits.values() for source in entry["sources"]}
    assert ran | set(saved["skipped"]) == {"test", "ood_sci", "ood_chain", "ood_distractor", "bfcl:simple_python",
                                            "bfcl:multiple", "bfcl:parallel", "bfcl:parallel_multiple",
                                            "bfcl:exec_simple", "bfcl:exec_multiple", "bfcl:exec_parallel",
                                            "bfcl:exec_parallel_multiple"}
    for entry in splits.values():
        for key in ("accuracy", "call_validity", "hallucination_rate", "calls_per_task", "teacher_similarity",
                    "finished_rate", "domains"):
            assert key in entry
        # BFCL tasks have their ground truth as the teacher reference.
        assert 0.0 <= entry["accuracy"] <= 1.0 and 0.0 <= entry["teacher_similarity"] <= 1.0
    assert splits["in_domain"]["reward_n"] == 1  # the math reward scores task rows, not BFCL rows
    rows = [json.loads(line) for line in rollouts.read_text().splitlines()]
    assert len(rows) == sum(e["n"] for e in splits.values())
    assert all(isinstance(r["completion"], str) and isinstance(r["finished"], bool) for r in rows)
    assert all(r["model_tokens"] <= 32 for r in rows)
    page = html.read_text()
    assert "default" in page and "<svg" in page
