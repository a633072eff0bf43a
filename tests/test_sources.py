"""Data from anywhere: every form `--data` takes, through the one resolver and `mentor score`,
`mentor data import`, `mentor teach` and `mentor eval`. The Hub is tested offline, from a
datasets cache built here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli
from mentor_dsl.data import load_jsonl, load_split, resolve_data, save_jsonl, to_dataset
from mentor_dsl.data.sources import open_source
from mentor_dsl.errors import DataError, RecordError

ROOT = Path(__file__).resolve().parent.parent
EOS = "<|im_end|>"
TEACHER = {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]}
CALL = '<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call>'


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def trajectory(i: int) -> dict:
    return {"id": f"r{i}", "completion": f"{CALL}\n\\boxed{{391}}{EOS}", "answer": "391", "teacher": TEACHER}


def write_parquet(records: list[dict], path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(records), path)
    return path


# -- files -----------------------------------------------------------------------------------------

def test_json_files_in_every_layout(tmp_path):
    tasks = load_split("test", 3)
    layouts = {"array.json": json.dumps(tasks, indent=1), "wrapped.json": json.dumps({"data": tasks, "version": 2}),
               "lines.json": "".join(json.dumps(t) + "\n" for t in tasks),
               "bom.json": "\ufeff" + json.dumps(tasks)}
    for name, text in layouts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert resolve_data(tmp_path / name) == tasks, name
    (tmp_path / "one.json").write_text(json.dumps(tasks[0], indent=2))
    assert resolve_data(tmp_path / "one.json") == tasks[:1]


def test_a_json_array_with_a_bad_element_names_its_row(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([trajectory(1), [1, 2], trajectory(3)]))
    found = list(open_source(path))
    assert [str(where) for where, _ in found] == [f"{path}:row 1", f"{path}:row 2", f"{path}:row 3"]
    assert isinstance(found[1][1], RecordError) and "not list" in str(found[1][1])
    lines = tmp_path / "lines.json"  # JSON Lines under a .json name: still one line at a time
    lines.write_bytes(json.dumps(trajectory(1)).encode() + b'\n{"id": "caf\xe9"}\n' + json.dumps(trajectory(3)).encode())
    values = [v for _, v in open_source(lines)]
    assert values[0] == trajectory(1) and values[2] == trajectory(3) and "not UTF-8" in str(values[1])
    (tmp_path / "broken.json").write_text('[{"id": 1},\n {"id": ')
    with pytest.raises(DataError, match=r"broken.json: invalid JSON: .*line 2"):
        resolve_data(tmp_path / "broken.json")


def test_parquet_is_read_row_by_row(tmp_path):
    # JSON text: the usual way to store irregular objects in a table.
    records = [{**trajectory(i), "teacher": json.dumps(TEACHER)} for i in range(1, 6)]
    records[3] = {**records[3], "answer": None}  # an empty cell: the record has no answer
    path = write_parquet(records, tmp_path / "t.parquet")
    out = tmp_path / "scores.jsonl"
    result = run("score", "--reward", "mentor", "--data", path, "-o", out)
    assert result.exit_code == 1, result.output  # the old code: "not UTF-8 text after line 0"
    assert [r["id"] for r in load_jsonl(out)] == ["r1", "r2", "r3", "r5"]
    assert [r["reward"] for r in load_jsonl(out)] == [pytest.approx(1.1)] * 4
    assert f"{path}:row 4: record 'r4': " in result.stderr
    assert resolve_data(path)[1]["teacher"] == TEACHER  # JSON text of a structured field is decoded


def test_parquet_rows_without_ids_are_known_by_their_row(tmp_path):
    records = [{k: v for k, v in trajectory(i).items() if k != "id"} for i in range(3)]
    path = write_parquet(records, tmp_path / "t.parquet")
    result = run("score", "--reward", "mentor", "--data", path)
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "2", "3"]


def test_csv_cells_holding_json_become_structure(tmp_path):
    path = tmp_path / "tasks.csv"
    prompt = json.dumps([{"role": "user", "content": "What is 17*23?"}])
    path.write_text("\ufeffid,prompt,answer,tools,teacher,note\n"
                    f'007,"{prompt.replace(chr(34), chr(34) * 2)}",1.50,"[""multiply""]",'
                    f'"{json.dumps(TEACHER).replace(chr(34), chr(34) * 2)}",\n'
                    '008,"[1, 2] is a list; what is its sum?","[1, 2]",,,a note\n'
                    "009,too,many,cells,,,,,\n", encoding="utf-8")
    found = list(open_source(path))
    first, second, third = (value for _, value in found)
    assert first == {"id": "007", "prompt": json.loads(prompt), "answer": "1.50", "tools": ["multiply"],
                     "teacher": TEACHER}  # text stays text: "007" and "1.50" are not numbers here
    assert second == {"id": "008", "prompt": "[1, 2] is a list; what is its sum?", "answer": "[1, 2]",
                      "note": "a note"}
    assert isinstance(third, RecordError) and "more cell" in str(third)
    assert str(found[2][0]) == f"{path}:row 3"


def test_a_csv_row_that_is_not_utf8_is_that_rows_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"id,prompt\na,fine\nb,caf\xe9\nc,fine too\n")
    values = [v for _, v in open_source(path)]
    assert values[0] == {"id": "a", "prompt": "fine"} and values[2] == {"id": "c", "prompt": "fine too"}
    assert isinstance(values[1], RecordError) and "not UTF-8" in str(values[1])


def test_unknown_suffixes_and_missing_paths_list_what_is_accepted(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    for spec in (tmp_path / "t.xlsx", tmp_path / "nope.jsonl"):
        with pytest.raises(DataError) as info:
            resolve_data(spec)
        for form in ("builtin:SPLIT", ".jsonl, .json, .parquet or .csv", "save_to_disk", "ORG/NAME"):
            assert form in str(info.value)


def test_a_file_without_a_suffix_is_json_lines(tmp_path):
    path = tmp_path / "records"
    save_jsonl([trajectory(1)], tmp_path / "r.jsonl")
    shutil.copy(tmp_path / "r.jsonl", path)
    assert resolve_data(path) == [trajectory(1)]


def test_saved_datasets_and_their_splits(tmp_path):
    from datasets import DatasetDict

    tasks = load_split("test", 4)
    DatasetDict({"train": to_dataset(tasks[:3]), "test": to_dataset(tasks[3:])}).save_to_disk(str(tmp_path / "dd"))
    assert resolve_data(f"{tmp_path / 'dd'}:test") == tasks[3:]
    with pytest.raises(DataError, match=r"splits train, test; choose one as .*dd:SPLIT"):
        resolve_data(tmp_path / "dd")


# -- the Hub, offline ------------------------------------------------------------------------------

def build_hub_cache(cache: Path, repo: str, splits: dict[str, list[dict]]) -> None:
    """What `datasets.load_dataset(repo)` leaves in HF_DATASETS_CACHE after a download, built
    here from local files: the offline path then finds the dataset by its Hub id."""
    from datasets.data_files import DataFilesDict
    from datasets.packaged_modules.json.json import Json

    source = cache / "source"
    source.mkdir(parents=True)
    files = {}
    for split, records in splits.items():
        save_jsonl(records, source / f"{split}.jsonl")
        files[split] = [str(source / f"{split}.jsonl")]
    namespace, name = repo.split("/")
    builder = Json(cache_dir=str(cache / "build"), dataset_name=name, hash="0" * 16,
                   data_files=DataFilesDict.from_patterns(files))
    builder.download_and_prepare()
    built = next((cache / "build" / name).iterdir())  # default-<config hash>
    target = cache / f"{namespace}___{name}" / "default"
    shutil.move(str(built), str(target))
    for lock in target.rglob("*.lock"):
        lock.unlink()
    shutil.rmtree(cache / "build")
    shutil.rmtree(source)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    import datasets

    cache = tmp_path / "hf_datasets"
    splits = {"train": load_split("test", 3), "test": load_split("ood_chain", 2)}
    build_hub_cache(cache, "acme/tasks", splits)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    return cache, splits


def test_a_hub_dataset_by_its_id_offline(hub):
    _, splits = hub
    assert resolve_data("acme/tasks:test") == splits["test"]
    assert resolve_data("acme/tasks:train", n=2) == splits["train"][:2]
    with pytest.raises(DataError, match=r"acme/tasks: the dataset has splits .*choose one as acme/tasks:SPLIT"):
        resolve_data("acme/tasks")


def test_a_hub_dataset_without_the_split_names_its_splits(hub):
    """Decided from the dataset's split names, not from the words of datasets' ValueError."""
    with pytest.raises(DataError, match=r"^acme/tasks:tset: no split 'tset'; did you mean 'test'\? \(splits: train, test\)$"):
        resolve_data("acme/tasks:tset")


def test_a_hub_dataset_not_in_the_cache_offline_says_how_to_fetch_it(hub):
    with pytest.raises(DataError) as info:
        resolve_data("acme/elsewhere:train")
    message = str(info.value)
    assert message.startswith("acme/elsewhere:train: ") and "HF_HUB_OFFLINE" in message
    assert "load_dataset('acme/elsewhere')" in message


def test_score_and_import_read_a_hub_dataset(hub, tmp_path):
    out = tmp_path / "imported.jsonl"
    result = run("data", "import", "acme/tasks:train", "-o", out)
    assert result.exit_code == 0, result.output
    assert load_jsonl(out) == hub[1]["train"]
    result = run("score", "--reward", "mentor", "--data", "acme/tasks:train")
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reward"] for x in result.stdout.splitlines()] == [pytest.approx(1.1)] * 3


def test_the_cli_honours_the_hugging_face_environment(tmp_path):
    """The same, in a fresh process configured only by HF_DATASETS_CACHE and HF_HUB_OFFLINE."""
    cache = tmp_path / "hf_datasets"
    build_hub_cache(cache, "acme/tasks", {"train": load_split("test", 2)})
    env = {**os.environ, "HF_DATASETS_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "t.jsonl"
    done = subprocess.run([sys.executable, "-m", "mentor_dsl", "data", "import", "acme/tasks", "-o", str(out)],
                          env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in load_jsonl(out)] == [t["id"] for t in load_split("test", 2)]
    done = subprocess.run([sys.executable, "-m", "mentor_dsl", "data", "import", "acme/missing", "-o", str(out)],
                          env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 4 and "HF_HUB_OFFLINE" in done.stderr and "Traceback" not in done.stderr


# -- the commands ----------------------------------------------------------------------------------

def test_teach_reads_tasks_from_parquet(tmp_path):
    tasks = load_split("test", 3)
    path = write_parquet([{**t, "teacher": json.dumps(t["teacher"])} for t in tasks], tmp_path / "tasks.parquet")
    out = tmp_path / "teacher.jsonl"
    result = run("teach", "--teacher", "oracle", "--tasks", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in load_jsonl(out)] == [t["id"] for t in tasks]


def test_import_reads_csv_and_numbers_rows(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("prompt,answer\nWhat is 2+2?,4\n,5\nWhat is 3+3?,6\n")
    out = tmp_path / "out.jsonl"
    result = run("data", "import", path, "-o", out)
    assert result.exit_code == 1
    assert f"{path}:row 2: " in result.stderr and "missing required field 'prompt'" in result.stderr
    assert [r["id"] for r in load_jsonl(out)] == ["mine-1", "mine-3"]


def test_eval_takes_the_users_own_tasks(tmp_path):
    from mentor_dsl.evaluation import tasks as eval_tasks
    from mentor_dsl.plugins import registry

    records = load_split("test", 3)
    records[1] = {k: v for k, v in records[1].items() if k != "id"}
    records[2]["tools"] = [registry().tools[name].schema() for name in records[2]["tools"]]  # OpenAI tool objects
    path = write_parquet([{**r, "teacher": json.dumps(r["teacher"]), "tools": json.dumps(r["tools"])}
                          for r in records], tmp_path / "mine.parquet")
    loaded, skipped = eval_tasks.load_tasks([], limit=None, data=[str(path)])
    assert skipped == {} and [t.split for t in loaded] == ["data"] * 3 and {t.source for t in loaded} == {str(path)}
    assert [t.id for t in loaded] == [records[0]["id"], "2", records[2]["id"]]  # no id: its row
    reg = registry()
    assert eval_tasks.available_tools(loaded[2], reg) == load_split("test", 3)[2]["tools"]
    assert [t.name for t in eval_tasks.task_tools(loaded[2], reg)] == load_split("test", 3)[2]["tools"]
    limited, _ = eval_tasks.load_tasks(["in_domain"], limit=1, data=[str(path)])
    assert [t.split for t in limited] == ["data", "in_domain"]


def test_eval_refuses_bad_tasks_before_loading_the_model(tmp_path, monkeypatch):
    from mentor_dsl.evaluation import runner

    path = tmp_path / "tasks.jsonl"
    save_jsonl([load_split("test", 1)[0], {"id": "x", "answer": "1"}], path)
    from mentor_dsl import models

    monkeypatch.setattr(models, "resolve_model", lambda model: pytest.fail("the model was loaded"))
    with pytest.raises(DataError, match=r"1 record of .*tasks.jsonl cannot be evaluated:\nrecord 'x': missing"):
        runner.evaluate("default", splits=[], data=[str(path)])


def test_eval_cli_passes_data_and_runs_only_it(tmp_path, monkeypatch):
    from mentor_dsl import evaluation
    from test_evaluation import fake_result

    calls = []
    monkeypatch.setattr(evaluation, "evaluate",
                        lambda model, **kw: calls.append(kw) or evaluation.EvalResult.from_json(fake_result()))
    path = tmp_path / "tasks.jsonl"
    save_jsonl(load_split("test", 2), path)
    assert run("eval", "-q", "--data", path, "-o", tmp_path / "e.json").exit_code == 0
    assert calls[0]["data"] == [str(path)] and calls[0]["splits"] == []
    assert run("eval", "-q", "--data", path, "--split", "ood", "-o", tmp_path / "e.json").exit_code == 0
    assert calls[1]["splits"] == ["ood"]


def test_tool_objects_are_accepted_by_score_import_and_teach(tmp_path):
    from mentor_dsl.plugins import registry

    tools = registry().tools
    tasks = load_split("test", 2)
    for task in tasks:
        task["tools"] = [tools[name].schema() for name in task["tools"]]  # OpenAI tool objects
    source = tmp_path / "tasks.jsonl"
    save_jsonl(tasks, source)
    assert run("data", "import", source, "-o", tmp_path / "imported.jsonl").exit_code == 0
    out = tmp_path / "teacher.jsonl"
    result = run("teach", "--teacher", "oracle", "--tasks", source, "-o", out)
    assert result.exit_code == 0, result.output
    result = run("score", "--reward", "mentor", "--data", out)
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reward"] for x in result.stdout.splitlines()] == [pytest.approx(1.1)] * 2


@pytest.mark.slow
def test_eval_runs_a_task_file_on_the_embedded_student(tmp_path):
    from mentor_dsl.student import gguf_path

    try:
        gguf_path()
    except Exception as exc:  # noqa: BLE001 - the wheel is an optional install
        pytest.skip(str(exc))
    tasks = [{k: v for k, v in t.items() if k != "completion"} for t in load_split("test", 3)]
    path = write_parquet([{**t, "teacher": json.dumps(t["teacher"])} for t in tasks], tmp_path / "tasks.parquet")
    out, rollouts = tmp_path / "eval.json", tmp_path / "rollouts.jsonl"
    result = run("eval", "--data", path, "--limit", "2", "--max-turns", "2", "--max-completion-length", "32",
                 "-q", "-o", out, "--save-rollouts", rollouts)
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["config"]["data"] == [str(path)] and list(saved["metrics"]["splits"]) == ["data"]
    assert saved["metrics"]["splits"]["data"]["sources"][str(path)]["n"] == 2
    assert [r["id"] for r in load_jsonl(rollouts)] == [t["id"] for t in tasks[:2]]
