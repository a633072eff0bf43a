"""`mentor data list|export|import`, through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli
from mentor_dsl.data import SPLITS, from_dataset, load_jsonl, load_split


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_data_is_a_command():
    assert "data" in run("--help").output


def test_list_shows_every_split():
    result = run("data", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["split", "size", "domains", "description"]
    for name, spec in SPLITS.items():
        row = next(line for line in lines if line.startswith(name + " "))
        assert row.split()[1] == str(spec.size)


def test_list_json():
    result = run("data", "list", "--json")
    assert result.exit_code == 0, result.output
    splits = json.loads(result.stdout)
    assert [s["name"] for s in splits] == list(SPLITS)
    by_name = {s["name"]: s for s in splits}
    assert by_name["train"]["size"] == SPLITS["train"].size and by_name["train"]["domains"] == ["math"]
    assert by_name["ood_sci"]["requires"] == "mentor-scitools" and isinstance(by_name["ood_sci"]["available"], bool)


def test_export_to_stdout():
    result = run("data", "export", "test", "-n", 3)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records == load_split("test", n=3)


def test_export_to_file(tmp_path):
    out = tmp_path / "sub" / "chain.jsonl"
    result = run("data", "export", "builtin:ood_chain", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "wrote 200 records" in result.stderr
    assert load_jsonl(out) == load_split("ood_chain")


def test_export_datasets(tmp_path):
    out = tmp_path / "ds"
    result = run("data", "export", "test", "--format", "datasets", "-n", 12, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert from_dataset(out) == load_split("test", n=12)


def test_export_errors():
    result = run("data", "export", "tset")
    assert result.exit_code == 4
    assert "unknown split 'tset'" in result.stderr and "did you mean 'test'" in result.stderr
    assert run("data", "export", "test", "--format", "datasets").exit_code == 2
    result = run("data", "export", "test", "-n", 999)
    assert result.exit_code == 4 and "has 200 tasks" in result.stderr


def test_import_jsonl_reports_and_skips_bad_lines(tmp_path):
    good = load_split("test", n=3)
    src = tmp_path / "tasks.jsonl"
    lines = [json.dumps(good[0]), "{broken", json.dumps({"id": "p", "answer": "3"}), json.dumps(good[1]),
             json.dumps({"id": "t", "prompt": "x", "teacher": 7}), json.dumps(good[0]),
             json.dumps({"prompt": "What is 2 + 2?", "answer": "4"}), json.dumps(good[2])]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("data", "import", src, "-o", out)
    assert result.exit_code == 1
    err = result.stderr
    assert f"{src}:2: invalid JSON" in err
    assert f"{src}:3: record 'p': missing required field 'prompt'" in err
    assert f"{src}:5: record 't': 'teacher' must be an object" in err
    assert f"{src}:6: record 'test-00000': duplicate id" in err
    assert "imported 4 records" in err and "skipped 4" in err
    kept = load_jsonl(out)
    # A record without an id gets one from the file name and its line.
    assert [r["id"] for r in kept] == ["test-00000", "test-00001", "tasks-7", "test-00002"]
    assert kept[0] == good[0] and kept[-1] == good[2]


def test_import_clean_file_and_datasets_dir(tmp_path):
    records = load_split("test", n=5)
    ds = tmp_path / "ds"
    assert run("data", "export", "test", "-n", 5, "--format", "datasets", "-o", ds).exit_code == 0
    out = tmp_path / "out.jsonl"
    result = run("data", "import", ds, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert load_jsonl(out) == records


def test_import_shows_progress_in_a_log(tmp_path):
    """Without a terminal: plain lines with done/total (MENTOR_PROGRESS_INTERVAL=0: one per record)."""
    src = tmp_path / "tasks.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in load_split("test", n=3)) + "{broken\n", encoding="utf-8")
    result = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "0"}).invoke(
        cli, ["data", "import", str(src), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith("importing: ")]
    assert [line.split()[1] for line in shown] == ["1/4", "2/4", "3/4", "4/4", "4/4"]
    assert "ETA" in shown[0] and "done in" in shown[-1] and "1 skipped" in shown[-1]


def _bfcl_available() -> bool:
    from mentor_dsl.bfcl import find_data_dir
    from mentor_dsl.errors import DataError

    try:
        find_data_dir()
    except DataError:
        return False
    return True


@pytest.mark.skipif(not _bfcl_available(), reason="BFCL data (bfcl-eval) is not installed")
def test_import_bfcl_category(tmp_path):
    out = tmp_path / "bfcl.jsonl"
    result = run("data", "import", "bfcl:simple_python", "-n", 5, "-o", out)
    assert result.exit_code == 0, result.stderr
    records = load_jsonl(out)
    assert len(records) == 5
    first = records[0]
    assert first["id"] == "simple_python_0" and first["split"] == "bfcl:simple_python"
    assert first["teacher"]["tool_calls"] == [
        {"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}]
    assert first["functions"] and first["possible_answer"]  # BFCL's grader still has what it needs
    everything = tmp_path / "all.jsonl"
    assert run("data", "import", "bfcl:simple_python", "-o", everything).exit_code == 0
    assert len(load_jsonl(everything)) == 400


def test_import_bfcl_bad_path(tmp_path):
    result = run("data", "import", "bfcl:simple_python", "--path", tmp_path / "nowhere", "-o", tmp_path / "x.jsonl")
    assert result.exit_code == 4
    assert "does not exist" in result.stderr
