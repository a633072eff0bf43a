"""A user's student by its Hub id, offline: train on a Parquet file, evaluate a task file,
and evaluate the run folder. The embedded student stands in, placed in the Hugging Face
cache layout; HF_HUB_OFFLINE=1, so nothing can be downloaded."""

import json
import os
import subprocess
import sys

import pytest

from hub_cache import REPO, place_student

pytestmark = pytest.mark.slow

TASKS = [{"id": f"t{i}", "prompt": [{"role": "user", "content": f"Use the multiply tool: what is {a} * {b}?"}],
          "answer": str(a * b), "tools": ["add", "multiply"],
          "teacher": {"tool_calls": [{"name": "multiply", "arguments": {"a": a, "b": b}}]}}
         for i, (a, b) in enumerate([(17, 23), (12, 14)])]


def mentor(*args, env, cwd):
    result = subprocess.run([sys.executable, "-m", "mentor_dsl", *map(str, args)], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_train_and_eval_a_hub_id_offline(tmp_path):
    from datasets import Dataset

    place_student(tmp_path / "hf")
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_CACHE", None)
    # Parquet stores the teacher as JSON text, as datasets on the Hub usually do.
    Dataset.from_list([{**t, "prompt": json.dumps(t["prompt"]), "teacher": json.dumps(t["teacher"])}
                       for t in TASKS]).to_parquet(str(tmp_path / "tasks.parquet"))
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS))

    mentor("train", "--model", REPO, "--data", tmp_path / "tasks.parquet", "--max-steps", 2, "--num-generations", 2,
           "--max-completion-length", 48, "--keep-checkpoints", 0, "--output-dir", tmp_path / "run",
           env=env, cwd=tmp_path)
    assert json.loads((tmp_path / "run" / "mentor-run.json").read_text())["model"] == REPO
    assert not (tmp_path / "run" / "config.json").exists()  # a run folder is never mistaken for a model
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]

    mentor("eval", "--model", REPO, "--data", tmp_path / "tasks.jsonl", "--limit", 2, "-q",
           "-o", tmp_path / "hub_eval.json", env=env, cwd=tmp_path)
    result = json.loads((tmp_path / "hub_eval.json").read_text())
    assert result["config"]["model"] == REPO and result["config"]["sources"] == [str(tmp_path / "tasks.jsonl")]
    assert sum(s["n"] for s in result["metrics"]["splits"].values()) == 2

    mentor("eval", "--model", tmp_path / "run", "--data", tmp_path / "tasks.jsonl", "--limit", 2, "-q",
           "-o", tmp_path / "run_eval.json", env=env, cwd=tmp_path)
    run_eval = json.loads((tmp_path / "run_eval.json").read_text())
    assert run_eval["config"]["model_path"] == str(tmp_path / "run" / "model") and run_eval["name"] == "run"
