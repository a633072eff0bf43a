"""`mentor_dsl.outputs`: atomic, locked writes that never touch an input."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentor_dsl import outputs
from mentor_dsl.errors import DataError, OutputBusy, OutputError, OutputIsInput

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders a writer left (lock files are meant to stay)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old", ".partial")))


def test_write_replaces_the_file_in_one_step(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    target.chmod(0o640)
    with outputs.open_output(target) as out:
        out.write("new\n")
        assert target.read_text() == "old\n"  # nothing visible until the block ends
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)  # a replaced file keeps its permissions
    assert leftovers(tmp_path) == []


def test_an_error_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with outputs.open_output(target) as out:
                out.write("half of the new content")
                raise error
        assert target.read_text() == "old\n"
        assert leftovers(tmp_path) == []


def test_missing_folders_are_created(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    outputs.write_text(target, "x")
    assert target.read_text() == "x"


def test_a_link_is_followed_and_keeps_pointing_at_the_new_file(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    outputs.write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink", "parent_link", "dot_path"])
def test_an_output_that_is_an_input_is_refused(tmp_path, how):
    data = tmp_path / "data" / "t.jsonl"
    data.parent.mkdir()
    data.write_text('{"id": 1}\n')
    if how == "same":
        output = data
    elif how == "symlink":
        output = tmp_path / "link.jsonl"
        output.symlink_to(data)
    elif how == "hardlink":
        output = tmp_path / "hard.jsonl"
        os.link(data, output)
    elif how == "parent_link":  # a path through a linked folder
        (tmp_path / "alias").symlink_to(data.parent)
        output = tmp_path / "alias" / "t.jsonl"
    else:
        output = tmp_path / "data" / ".." / "data" / "t.jsonl"
    with pytest.raises(OutputIsInput, match="is also an input"):
        outputs.write_text(output, "scores", inputs=[data])
    assert data.read_text() == '{"id": 1}\n'


def test_two_outputs_that_are_the_same_new_file_are_refused(tmp_path):
    (tmp_path / "alias").symlink_to(tmp_path)
    with pytest.raises(OutputError, match="given twice"):
        outputs.check_paths([tmp_path / "new.json", tmp_path / "alias" / "new.json"])


def test_inputs_that_are_not_paths_are_ignored(tmp_path):
    outputs.check_paths([tmp_path / "o.jsonl"], ["-", "builtin:test", "acme/tasks", None, tmp_path / "missing"])


def test_a_second_writer_in_another_process_fails_at_once(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("first\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from mentor_dsl import outputs
            with outputs.claim([{str(target)!r}]):
                print("locked", flush=True)
                sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputBusy, match="another mentor process is writing it"):
            outputs.write_text(target, "second\n")
        assert target.read_text() == "first\n"
    finally:
        holder.communicate("")
    outputs.write_text(target, "second\n")  # the lock went with the process
    assert target.read_text() == "second\n"


def test_a_claimed_output_can_be_written_by_its_claimant(tmp_path):
    target = tmp_path / "eval.json"
    with outputs.claim([target]):
        with pytest.raises(filelock.Timeout):  # held for the whole block, against anyone else
            filelock.FileLock(str(tmp_path / ".eval.json.lock"), timeout=0).acquire()
        outputs.write_text(target, "{}")
    assert target.read_text() == "{}"


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_at_fsync_is_a_data_error_naming_the_path(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")
    monkeypatch.setattr(outputs.os, "fsync", _full_disk)
    with pytest.raises(OutputError) as info:
        outputs.write_text(target, "new")
    assert isinstance(info.value, DataError) and info.value.exit_code == 4
    assert str(info.value) == f"{target}: cannot write: No space left on device"
    assert target.read_text() == "old" and leftovers(tmp_path) == []


def test_a_full_disk_while_writing_is_a_data_error(tmp_path, monkeypatch):
    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            _full_disk()

        def __getattr__(self, name):
            return getattr(self.handle, name)

    opened = outputs._text_or_binary
    monkeypatch.setattr(outputs, "_text_or_binary", lambda *a, **k: Full(opened(*a, **k)))
    target = tmp_path / "out.txt"
    with pytest.raises(OutputError, match="No space left on device"):
        outputs.write_text(target, "new")
    assert not target.exists() and leftovers(tmp_path) == []


def test_unwritable_places_are_data_errors(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        outputs.write_text(blocker / "out.txt", "x")
    with pytest.raises(OutputError, match="is a folder"):
        outputs.write_text(tmp_path, "x")
    readonly = tmp_path / "ro.txt"
    readonly.write_text("keep")
    readonly.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        outputs.write_text(readonly, "x")
    assert readonly.read_text() == "keep"


@pytest.mark.skipif(sys.platform != "linux" or not Path("/sys").is_dir(),
                    reason="needs Linux's /sys, which refuses new files even to root")
def test_a_folder_the_system_refuses_is_a_data_error():
    with pytest.raises(OutputError, match="/sys/mentor-test.jsonl: cannot"):
        outputs.write_text("/sys/mentor-test.jsonl", "x")


# -- resumable outputs -----------------------------------------------------------------------------

def test_a_partial_output_keeps_its_work_on_failure_and_resumes(tmp_path):
    target = tmp_path / "teacher.jsonl"
    target.write_text("old\n")
    partial = outputs.partial_of(target)
    with pytest.raises(KeyboardInterrupt):
        with outputs.open_output(target, partial=True) as out:
            out.write("a\n")
            raise KeyboardInterrupt
    assert target.read_text() == "old\n" and partial.read_text() == "a\n"
    with pytest.raises(OutputError, match="interrupted run"):  # not resumed: nothing is thrown away unasked
        with outputs.open_output(target, partial=True):
            pass
    with outputs.open_output(target, partial=True, resume=True) as out:
        out.write("b\n")
    assert target.read_text() == "a\nb\n" and not partial.exists()
    with outputs.open_output(target, partial=True, resume=True) as out:  # resuming a finished output
        out.write("c\n")
    assert target.read_text() == "a\nb\nc\n"


def test_a_partial_output_that_kept_nothing_is_removed(tmp_path):
    target = tmp_path / "t.jsonl"
    with pytest.raises(RuntimeError):
        with outputs.open_output(target, partial=True):
            raise RuntimeError
    assert not outputs.partial_of(target).exists() and not target.exists()


# -- folders ---------------------------------------------------------------------------------------

def _fill(folder: Path, text: str) -> None:
    (folder / "dataset_info.json").write_text("{}")
    (folder / "state.json").write_text(text)


def test_a_folder_output_replaces_a_dataset_whole(tmp_path):
    target = tmp_path / "ds"
    target.mkdir()
    _fill(target, "old")
    (target / "stale.arrow").write_text("from the old dataset")
    with outputs.output_dir(target) as temp:
        assert temp.parent == tmp_path and temp != target
        _fill(temp, "new")
        assert (target / "state.json").read_text() == "old"
    assert sorted(p.name for p in target.iterdir()) == ["dataset_info.json", "state.json"]
    assert (target / "state.json").read_text() == "new"
    assert leftovers(tmp_path) == []


def test_a_failed_folder_output_leaves_the_old_one(tmp_path):
    target = tmp_path / "ds"
    target.mkdir()
    _fill(target, "old")
    with pytest.raises(KeyboardInterrupt):
        with outputs.output_dir(target) as temp:
            _fill(temp, "new")
            raise KeyboardInterrupt
    assert (target / "state.json").read_text() == "old" and leftovers(tmp_path) == []


def test_a_folder_output_never_replaces_a_folder_of_other_files(tmp_path):
    home = tmp_path / "documents"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not a saved dataset"):
        with outputs.output_dir(home):
            pass
    assert (home / "thesis.tex").read_text() == "precious"


def test_a_folder_output_swaps_by_two_renames_where_exchange_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    target = tmp_path / "ds"
    target.mkdir()
    _fill(target, "old")
    with outputs.output_dir(target) as temp:
        _fill(temp, "new")
    assert (target / "state.json").read_text() == "new" and leftovers(tmp_path) == []


# -- JSON lines ------------------------------------------------------------------------------------

# Any text JSON can hold, lone surrogates included (they are legal JSON escapes).
_TEXT = st.text(st.characters(exclude_categories=()) | st.sampled_from(["\udc80", "\ud800", "é", "\U0001f600"]))


@given(st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
                    max_leaves=10))
def test_json_lines_are_valid_utf8_and_read_back_exactly(value):
    line = outputs.json_line(value)
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line.encode("utf-8").decode("utf-8")) == value


def test_a_lone_surrogate_is_escaped_and_other_text_is_not():
    assert outputs.json_line({"id": "\udc80"}) == '{"id": "\\udc80"}\n'
    assert outputs.json_line({"id": "café"}) == '{"id": "café"}\n'
