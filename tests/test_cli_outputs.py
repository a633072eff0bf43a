"""Every command that writes a file: atomic, locked, never over an input, clean errors.

Each test reproduces a way the commands used to lose or splice a user's data."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentor_dsl import evaluation
from mentor_dsl.cli import cli
from mentor_dsl.data import load_jsonl, load_split, save_jsonl
from mentor_dsl.evaluation import EvalResult, runner
from test_evaluation import fake_result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "trajectories.jsonl"


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "t.jsonl"
    shutil.copy(EXAMPLES, path)
    return path


@pytest.fixture
def old_scores(tmp_path) -> Path:
    path = tmp_path / "scores.jsonl"
    path.write_text('{"id": "from an earlier run"}\n')
    return path


# -- mentor score ----------------------------------------------------------------------------------

def test_score_refuses_to_write_over_its_input(data):
    before = data.read_bytes()
    result = run("score", "--reward", "mentor", "--data", data, "-o", data)
    assert result.exit_code == 4
    assert f"{data}: is also an input" in result.stderr and "Traceback" not in result.output
    assert data.read_bytes() == before  # the old code exited 0 with the file emptied


def test_score_refuses_an_input_reached_through_a_link(data, tmp_path):
    before = data.read_bytes()
    (tmp_path / "alias").symlink_to(tmp_path)
    os.link(data, tmp_path / "hard.jsonl")
    for output in (tmp_path / "alias" / "t.jsonl", tmp_path / "hard.jsonl"):
        result = run("score", "--reward", "mentor", "--data", data, "-o", output)
        assert result.exit_code == 4 and "is also an input" in result.stderr
    assert data.read_bytes() == before


def test_score_with_a_typo_in_data_leaves_the_output_alone(old_scores, tmp_path):
    result = run("score", "--reward", "mentor", "--data", tmp_path / "typo.jsonl", "-o", old_scores)
    assert result.exit_code == 4 and "no such file" in result.stderr
    assert old_scores.read_text() == '{"id": "from an earlier run"}\n'


def test_interrupted_score_leaves_the_previous_file_intact(data, old_scores, monkeypatch):
    from mentor_dsl.reward import Reward

    real = Reward.score
    calls = []

    def interrupted(self, records, **kwargs):
        calls.append(len(records))
        if len(calls) == 2:  # Ctrl-C in the middle of the run, after rows were written
            raise KeyboardInterrupt
        return real(self, records, **kwargs)

    monkeypatch.setattr(Reward, "score", interrupted)
    result = run("score", "--reward", "mentor", "--data", data, "-o", old_scores, "--batch-size", "3")
    assert result.exit_code == 130 and len(calls) == 2
    assert old_scores.read_text() == '{"id": "from an earlier run"}\n'
    assert temporaries(old_scores.parent) == []


def test_score_replaces_the_output_whole(data, old_scores):
    result = run("score", "--reward", "mentor", "--data", data, "-o", old_scores, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert len(load_jsonl(old_scores)) == 10 and temporaries(old_scores.parent) == []


def test_a_second_writer_fails_instead_of_splicing(data, old_scores):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from mentor_dsl import outputs
            with outputs.open_output({str(old_scores)!r}) as out:
                out.write("the first writer's rows\\n")
                print("writing", flush=True)
                sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    try:
        assert holder.stdout.readline().strip() == "writing"
        result = run("score", "--reward", "mentor", "--data", data, "-o", old_scores)
        assert result.exit_code == 4
        assert f"{old_scores}: another mentor process is writing it" in result.stderr
    finally:
        holder.communicate("")
    assert holder.returncode == 0
    assert old_scores.read_text() == "the first writer's rows\n"  # whole: one writer's output, not two


def test_an_unwritable_output_is_a_data_error_naming_it(data, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = run("score", "--reward", "mentor", "--data", data, "-o", blocker / "scores.jsonl")
    assert result.exit_code == 4 and f"{blocker / 'scores.jsonl'}: cannot create its folder" in result.stderr
    if sys.platform == "linux" and Path("/sys").is_dir():  # refuses new files, even to root
        result = run("score", "--reward", "mentor", "--data", data, "-o", "/sys/scores.jsonl")
        assert result.exit_code == 4 and "/sys/scores.jsonl: cannot" in result.stderr
    assert "internal error" not in result.output


def test_a_missing_folder_is_created(data, tmp_path):
    out = tmp_path / "new" / "deeper" / "scores.jsonl"
    assert run("score", "--reward", "mentor", "--data", data, "-o", out).exit_code == 0
    assert len(load_jsonl(out)) == 10


@pytest.mark.parametrize("stage", ["write", "fsync"])
def test_a_full_disk_is_a_data_error_not_a_bug(data, old_scores, monkeypatch, stage):
    from mentor_dsl import outputs

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    class FullDisk:  # a file whose writes fail as on a full disk
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            full()

        def __getattr__(self, name):
            return getattr(self.handle, name)

    if stage == "fsync":
        monkeypatch.setattr(outputs.os, "fsync", full)
    else:
        opened = outputs._text_or_binary
        monkeypatch.setattr(outputs, "_text_or_binary", lambda *a, **k: FullDisk(opened(*a, **k)))
    result = run("score", "--reward", "mentor", "--data", data, "-o", old_scores)
    assert result.exit_code == 4, result.output
    assert f"{old_scores}: cannot write: No space left on device" in result.stderr
    assert "internal error" not in result.output
    assert old_scores.read_text() == '{"id": "from an earlier run"}\n' and temporaries(old_scores.parent) == []


# -- mentor compile --------------------------------------------------------------------------------

def test_compile_refuses_to_write_over_its_spec(tmp_path):
    spec = tmp_path / "r.mdsl"
    spec.write_text("reward r:\n    finished\n")
    result = run("compile", spec, "-o", spec)
    assert result.exit_code == 4 and "is also an input" in result.stderr
    assert spec.read_text() == "reward r:\n    finished\n"  # the old code replaced it with the plan


def test_compile_writes_atomically(tmp_path, monkeypatch):
    from mentor_dsl import outputs

    out = tmp_path / "plan.json"
    out.write_text("old plan")
    monkeypatch.setattr(outputs.os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert run("compile", "mentor", "-o", out).exit_code == 130
    assert out.read_text() == "old plan" and temporaries(tmp_path) == []


# -- mentor data -----------------------------------------------------------------------------------

def test_import_refuses_to_write_over_its_source(tmp_path):
    source = tmp_path / "tasks.jsonl"
    save_jsonl(load_split("test", 3) + [{"id": "bad"}], source)
    before = source.read_bytes()
    result = run("data", "import", source, "-o", source)
    assert result.exit_code == 4 and "is also an input" in result.stderr
    assert source.read_bytes() == before  # the old code rewrote it without the bad record


def test_export_datasets_never_replaces_a_folder_of_other_files(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    result = run("data", "export", "test", "-n", 3, "--format", "datasets", "-o", folder)
    assert result.exit_code == 4 and "not a saved dataset" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_export_datasets_replaces_an_earlier_export_whole(tmp_path):
    from mentor_dsl.data import from_dataset

    out = tmp_path / "ds"
    assert run("data", "export", "test", "-n", 5, "--format", "datasets", "-o", out).exit_code == 0
    assert run("data", "export", "ood_chain", "-n", 2, "--format", "datasets", "-o", out).exit_code == 0
    assert from_dataset(out) == load_split("ood_chain", 2) and temporaries(tmp_path) == []


def test_export_to_a_file_is_locked(tmp_path):
    import filelock

    out = tmp_path / "test.jsonl"
    with filelock.FileLock(str(tmp_path / ".test.jsonl.lock"), timeout=0):
        result = run("data", "export", "test", "-n", 2, "-o", out)
    assert result.exit_code == 4 and "another mentor process is writing it" in result.stderr
    assert not out.exists()


# -- mentor eval -----------------------------------------------------------------------------------

@pytest.fixture
def fake_evaluate(monkeypatch):
    calls = []

    def evaluate(model, **kwargs):
        calls.append(kwargs)
        return EvalResult.from_json(fake_result(kwargs.get("name") or "default"))

    monkeypatch.setattr(evaluation, "evaluate", evaluate)
    return calls


def test_eval_refuses_to_write_over_a_compared_run_before_running(tmp_path, fake_evaluate):
    earlier = runner.save_eval(fake_result("sft"), tmp_path / "sft.json")
    before = earlier.read_bytes()
    result = run("eval", "-q", "-o", earlier, "--report", tmp_path / "r.html", "--compare", earlier)
    assert result.exit_code == 4 and "is also an input" in result.stderr
    assert earlier.read_bytes() == before and fake_evaluate == []


def test_eval_refuses_one_path_for_two_outputs(tmp_path, fake_evaluate):
    result = run("eval", "-q", "-o", tmp_path / "e.json", "--save-rollouts", tmp_path / "e.json")
    assert result.exit_code == 4 and "given twice" in result.stderr and fake_evaluate == []


def test_eval_refuses_a_busy_output_before_running(tmp_path, fake_evaluate):
    import filelock

    with filelock.FileLock(str(tmp_path / ".eval.json.lock"), timeout=0):
        result = run("eval", "-q", "-o", tmp_path / "eval.json")
    assert result.exit_code == 4 and "another mentor process" in result.stderr and fake_evaluate == []


def test_eval_on_a_full_disk_keeps_the_previous_eval(tmp_path, fake_evaluate, monkeypatch):
    from mentor_dsl import outputs

    out = tmp_path / "eval.json"
    out.write_text("the previous eval")
    monkeypatch.setattr(outputs.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space")))
    result = run("eval", "-q", "-o", out)
    assert result.exit_code == 4 and f"{out}: cannot write: No space" in result.stderr
    assert out.read_text() == "the previous eval" and temporaries(tmp_path) == []


def test_a_failed_report_leaves_no_partial_file(tmp_path, fake_evaluate, monkeypatch):
    from mentor_dsl.evaluation import report

    out, html = tmp_path / "eval.json", tmp_path / "r.html"
    out.write_text("old eval")

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_html", broken)
    result = run("eval", "-q", "-o", out, "--report", html)
    assert result.exit_code == 130
    assert not html.exists() and temporaries(tmp_path) == []
    assert json.loads(out.read_text())["format"] == "mentor-eval"  # written whole before the report failed


# -- mentor teach ----------------------------------------------------------------------------------

def test_teach_refuses_to_write_over_its_tasks(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    save_jsonl(load_split("test", 2), tasks)
    before = tasks.read_bytes()
    result = run("teach", "--teacher", "oracle", "--tasks", tasks, "-o", tasks)
    assert result.exit_code == 4 and "is also an input" in result.stderr
    assert tasks.read_bytes() == before


def test_interrupted_teach_keeps_the_old_output_and_resumes(tmp_path, monkeypatch):
    from mentor_dsl.teachers.oracle import OracleTeacher

    out = tmp_path / "teacher.jsonl"
    out.write_text('{"id": "from an earlier run"}\n')
    real = OracleTeacher.generate
    batches = []

    def interrupted(self, tasks):
        batches.append(len(tasks))
        if len(batches) == 3:
            raise KeyboardInterrupt
        return real(self, tasks)

    monkeypatch.setattr(OracleTeacher, "generate", interrupted)
    args = ["teach", "--teacher", "oracle", "--tasks", "builtin:test", "-n", 6, "--batch-size", 2, "-o", out]
    result = run(*args)
    assert result.exit_code == 130
    assert out.read_text() == '{"id": "from an earlier run"}\n'  # the old code had truncated it
    partial = tmp_path / "teacher.jsonl.partial"
    assert [r["id"] for r in load_jsonl(partial)] == [t["id"] for t in load_split("test", 4)]
    assert "--resume" in result.stderr
    result = run(*args)  # without --resume the kept work is not thrown away
    assert result.exit_code == 4 and "interrupted run" in result.stderr
    monkeypatch.setattr(OracleTeacher, "generate", real)
    result = run(*args, "--resume")
    assert result.exit_code == 0, result.output
    assert "(4 already in" in result.stderr
    assert [r["id"] for r in load_jsonl(out)] == [t["id"] for t in load_split("test", 6)]
    assert not partial.exists()
