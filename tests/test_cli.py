"""The `mentor` command line, through click's CliRunner."""

import json

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl.cli import cli


@pytest.fixture(autouse=True)
def _cwd(root, monkeypatch):
    monkeypatch.chdir(root)


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("compile", "score", "plugins"):
        assert command in result.output


def test_compile_prints_terms_weights_range_and_fields():
    result = run("compile", "mentor")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "rewards/mentor.mdsl: ok (1 reward, 6 terms)"
    assert "reward mentor: range [0, 1.1]" in lines
    row = next(line for line in lines if line.strip().startswith("tool_match"))
    assert 'mode="exact_set"' in row and "0.3, 0.06" in row and "[0, 1]" in row
    assert "record fields: completion, teacher, answer" in lines


def test_compile_json_is_the_plan_with_the_fields_each_reward_reads(tmp_path):
    out = tmp_path / "plan.json"
    result = run("compile", "mentor", "--json", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format"] == "mentor-plan/1" and [r["name"] for r in data["rewards"]] == ["mentor"]
    assert data["rewards"][0]["record_fields"] == ["completion", "teacher", "answer"]
    assert {t["key"] for t in data["terms"]} >= {"tool_match", "answer_correct"}
    assert f"wrote {out}" in result.stderr  # stdout is only the JSON
    saved = json.loads(out.read_text())
    assert saved["rewards"][0]["program"] == data["rewards"][0]["program"]


def test_compile_writes_the_artefact(tmp_path):
    out = tmp_path / "plan.json"
    result = run("compile", "mentor_args", "-o", str(out), "--set", "w_args=0.4")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["params"]["w_args"] == 0.4
    assert data["rewards"][0]["name"] == "mentor_args"
    assert f"wrote {out}" in result.output


def test_compile_selected_reward(tmp_path):
    spec = tmp_path / "two.mdsl"
    spec.write_text("reward a:\n    finished\nreward b:\n    answer_present\n")
    result = run("compile", f"{spec}::b")
    assert result.exit_code == 0
    assert "reward b:" in result.output and "reward a:" not in result.output


def test_score_agrees_with_the_python_api(tmp_path):
    out = tmp_path / "scores.jsonl"
    result = run("score", "--reward", "mentor", "--data", "examples/trajectories.jsonl", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    records = [json.loads(line) for line in open("examples/trajectories.jsonl")]
    api = mentor_dsl.load("mentor").score(records)
    assert [r["id"] for r in rows] == api.ids
    assert [r["reward"] for r in rows] == api.rewards.tolist()
    assert rows[0]["terms"]["tool_match"] == 1.0
    assert "scored 10 records with 'mentor'" in result.output
    assert "tool_match" in result.output


def test_score_shows_progress_in_a_log(tmp_path):
    """Without a terminal, progress is plain lines (MENTOR_PROGRESS_INTERVAL=0: one per batch)."""
    result = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "0"}).invoke(
        cli, ["score", "--reward", "mentor", "--data", "examples/trajectories.jsonl", "--batch-size", "4",
              "-o", str(tmp_path / "scores.jsonl")])
    assert result.exit_code == 0, result.output
    shown = [line for line in result.stderr.splitlines() if line.startswith("scoring: ")]
    assert [line.split()[1] for line in shown] == ["4/10", "8/10", "10/10", "10/10"]
    assert "records/s" in shown[0] and "ETA" in shown[0] and "done in" in shown[-1]
    # Work that ends within the first interval prints no progress at all.
    quiet = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "3600"}).invoke(
        cli, ["score", "--reward", "mentor", "--data", "examples/trajectories.jsonl", "-o", str(tmp_path / "b.jsonl")])
    assert "scoring: " not in quiet.stderr and "scored 10 records" in quiet.stderr


def test_score_to_stdout_from_stdin():
    line = json.dumps({"id": "x", "completion": "\\boxed{2}<|im_end|>", "answer": "2"})
    result = CliRunner().invoke(cli, ["score", "--reward", "sparse", "--data", "-"], input=line + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout.splitlines()[0]) == {"id": "x", "reward": 1.0, "terms": {
        "finished": 1.0, "answer_present": 1.0, "answer_correct": 1.0}}


def test_bad_records_are_reported_and_skipped(tmp_path):
    data = tmp_path / "mixed.jsonl"
    good = {"id": "good", "completion": "\\boxed{2}<|im_end|>", "answer": "2"}
    data.write_text("\n".join([
        json.dumps(good),
        "{not json",
        json.dumps({"id": "no-answer", "completion": "\\boxed{2}<|im_end|>"}),
        "",
        json.dumps([1, 2]),
        json.dumps({**good, "id": "good2"}),
    ]) + "\n")
    out = tmp_path / "out.jsonl"
    result = run("score", "--reward", "sparse", "--data", str(data), "-o", str(out))
    assert result.exit_code == 1
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["good", "good2"]
    assert f"{data}:2: invalid JSON" in result.output
    assert f"{data}:3: record 'no-answer': missing field 'answer'" in result.output
    assert f"{data}:5: a record must be a JSON object, not list" in result.output
    assert "skipped 3" in result.output


def test_score_eos_and_set(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"completion": "\\boxed{2}</s>", "answer": "2"}) + "\n")
    assert json.loads(run("score", "--reward", "sparse", "--data", str(data)).stdout)["reward"] == 0.0
    assert json.loads(run("score", "--reward", "sparse", "--data", str(data), "--eos", "</s>").stdout)["reward"] == 1.0


@pytest.mark.parametrize("args, code, message", [
    (("score", "--reward", "mentor", "--data", "nope.jsonl"), 4, "nope.jsonl: no such file"),
    (("score", "--reward", "nope", "--data", "examples/trajectories.jsonl"), 3, "unknown reward 'nope'"),
    (("score", "--reward", "mentor", "--data", "examples/trajectories.jsonl", "--set", "oops"), 2,
     "expected NAME=VALUE"),
    (("compile", "mentor", "--set", "w=1"), 3, "cannot set unknown parameter 'w'"),
])
def test_errors_are_clean_with_distinct_exit_codes(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_unexpected_errors_are_reported_without_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("mentor_dsl.cli.compile.describe", broken)
    result = run("compile", "mentor")
    assert result.exit_code == 70
    assert "internal error: RuntimeError: boom" in result.output and "Traceback" not in result.output


def test_interrupt_exits_130(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("mentor_dsl.cli.compile.describe", interrupted)
    assert run("compile", "mentor").exit_code == 130
