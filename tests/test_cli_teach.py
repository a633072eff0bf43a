"""`mentor teach` end to end: teachers from the registry, verification, summary, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl.cli import cli
from mentor_dsl.cli.teach import EXIT_INCOMPLETE
from mentor_dsl.data import load_jsonl, load_split, save_jsonl
from mentor_dsl.plugins import hookimpl
from mentor_dsl.teachers import TeacherError
from openai_stub import StubServer


def teach(*args: str):
    return CliRunner().invoke(cli, ["teach", *args])


def test_oracle_end_to_end_writes_verified_trajectories(tmp_path):
    out = tmp_path / "runs" / "teacher.jsonl"
    result = teach("--teacher", "oracle", "--tasks", "builtin:test", "-n", "12", "-o", str(out))
    assert result.exit_code == 0, result.output
    records = load_jsonl(out)
    tasks = load_split("test", 12)
    assert [r["id"] for r in records] == [t["id"] for t in tasks]
    assert all(r["teacher"]["model"] == "oracle" and r["tool_results"] for r in records)
    assert "teacher 'oracle': 12 tasks, 12 generated, 12 verified, 0 failed" in result.stderr
    assert f"wrote 12 trajectories to {out}" in result.stderr
    # The file feeds training and scoring as is.
    assert mentor_dsl.load("mentor").score(records).rewards.tolist() == [pytest.approx(1.1)] * 12


def test_teach_shows_progress_in_a_log_as_it_goes(tmp_path):
    """Without a terminal, a plain line after each batch (MENTOR_PROGRESS_INTERVAL=0), before
    the summary; not only the summary at the end."""
    out = tmp_path / "teacher.jsonl"
    result = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "0"}).invoke(
        cli, ["teach", "--teacher", "oracle", "--tasks", "builtin:test", "-n", "10", "--batch-size", "4",
              "-o", str(out)])
    assert result.exit_code == 0, result.output
    err = result.stderr.splitlines()
    shown = [line for line in err if line.startswith("teaching: ")]
    assert [line.split()[1] for line in shown] == ["4/10", "8/10", "10/10", "10/10"]
    assert shown[0].endswith("4 verified, 0 failed") and "ETA" in shown[0] and "done in" in shown[-1]
    assert err.index(shown[-1]) < next(i for i, line in enumerate(err) if line.startswith("teacher 'oracle'"))


def test_tasks_without_a_plan_are_counted_and_exit_1(tmp_path):
    tasks = load_split("test", 3)
    del tasks[1]["teacher"]
    source = tmp_path / "tasks.jsonl"
    save_jsonl(tasks, source)
    out = tmp_path / "out.jsonl"
    result = teach("--teacher", "oracle", "--tasks", str(source), "-o", str(out))
    assert result.exit_code == EXIT_INCOMPLETE == 1
    assert [r["id"] for r in load_jsonl(out)] == [tasks[0]["id"], tasks[2]["id"]]
    assert "3 tasks, 2 generated, 2 verified, 1 failed" in result.stderr
    assert "no_plan" in result.stderr and tasks[1]["id"] in result.stderr


def test_unknown_teacher_and_option_are_clean_errors(tmp_path):
    result = teach("--teacher", "oracel", "--tasks", "builtin:test", "-o", str(tmp_path / "o.jsonl"))
    assert result.exit_code == TeacherError.exit_code
    assert "unknown teacher 'oracel'; did you mean 'oracle'?" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "o.jsonl").exists()
    result = teach("--teacher", "oracle", "--option", "timeot=2", "--tasks", "builtin:test", "-o", str(tmp_path / "o"))
    assert result.exit_code == TeacherError.exit_code and "did you mean 'timeout'?" in result.stderr
    result = teach("--teacher", "oracle", "--option", "timeout", "--tasks", "builtin:test", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2 and "expected KEY=VALUE" in result.output
    result = teach("--teacher", "oracle", "--tasks", "builtin:nope", "-o", str(tmp_path / "o"))
    assert result.exit_code == 4 and "unknown split 'nope'" in result.stderr


def test_openai_teacher_through_the_cli(tmp_path):
    tasks = load_split("test", 3)
    out, rejected = tmp_path / "openai.jsonl", tmp_path / "rejected.jsonl"
    with StubServer(tasks) as server:
        server.script = [(500, {"error": "busy"})]  # retried
        args = ["--teacher", "openai", "--tasks", "builtin:test", "-n", "3", "-o", str(out),
                "--option", f"base_url={server.url}", "--option", "model=stub",
                "--rejected", str(rejected)]
        result = teach(*args)
        assert result.exit_code == 0, result.output
        records = load_jsonl(out)
        assert [r["completion"] for r in records] == [t["completion"] for t in tasks]
        assert {r["teacher"]["model"] for r in records} == {"openai:stub"}
        # A teacher that answers wrongly: generated, not verified, written to --rejected.
        server.mode = "wrong"
        result = teach(*args)
    assert result.exit_code == 1
    assert "3 generated, 0 verified, 3 failed" in result.stderr and "wrong_answer" in result.stderr
    assert load_jsonl(out) == []
    assert [r["rejected"].split(":")[0] for r in load_jsonl(rejected)] == ["wrong_answer"] * 3


def test_resume_skips_tasks_already_written(tmp_path):
    out = tmp_path / "t.jsonl"
    assert teach("--teacher", "oracle", "--tasks", "builtin:test", "-n", "2", "-o", str(out)).exit_code == 0
    result = teach("--teacher", "oracle", "--tasks", "builtin:test", "-n", "5", "-o", str(out), "--resume")
    assert result.exit_code == 0 and "(2 already in" in result.stderr
    assert [r["id"] for r in load_jsonl(out)] == [t["id"] for t in load_split("test", 5)]


class Flaky:
    """A plugin teacher: solves one task, silently skips one, crashes on a third batch."""

    name = "flaky"

    def __init__(self, **options):
        self.options = options

    def generate(self, tasks):
        if any(t["id"].endswith("2") for t in tasks):
            raise RuntimeError("plugin bug")
        return [{**t, "teacher": {**t["teacher"], "model": "flaky"}} for t in tasks if t["id"].endswith("0")]


class FlakyPlugin:
    @hookimpl
    def register_teachers(self, register):
        register("flaky", Flaky)


def test_a_plugin_teacher_that_skips_or_crashes_is_reported(plugin, tmp_path):
    plugin(FlakyPlugin())
    out = tmp_path / "f.jsonl"
    result = teach("--teacher", "flaky", "--tasks", "builtin:test", "-n", "3", "--batch-size", "1",
                   "-o", str(out), "--option", "anything=goes")
    assert result.exit_code == 1, result.output
    assert [r["id"] for r in load_jsonl(out)] == ["test-00000"]
    assert "no_trajectory" in result.stderr and "RuntimeError: plugin bug" in result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["teacher"]["model"] == "flaky"


def test_eos_sets_the_records_end_marker_and_the_verifier_reads_it(tmp_path):
    """A teacher whose records end with another marker verifies with --eos (a Llama or
    Mistral teacher's records were all rejected as unfinished before)."""
    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    out = tmp_path / "t.jsonl"
    result = CliRunner().invoke(cli, ["teach", "--teacher", "oracle", "--tasks", "builtin:test", "-n", "3",
                                      "-o", str(out), "--eos", "<|eot_id|>"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 3 and all(r["completion"].endswith("<|eot_id|>") for r in records)
