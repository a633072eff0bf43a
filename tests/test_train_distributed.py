"""`accelerate launch` with two CPU processes: one metrics file, one row per step, one
final model. Slow (about 40 s): two copies of the embedded student train one step."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TASKS = [("Use the multiply tool: what is 17 * 23?", "multiply", {"a": 17, "b": 23}, "391"),
         ("Use the add tool: what is 48 + 75?", "add", {"a": 48, "b": 75}, "123")]


def test_two_processes_write_one_run(tmp_path):
    data = tmp_path / "tasks.jsonl"
    data.write_text("".join(
        json.dumps({"id": f"t{i}", "prompt": [{"role": "user", "content": q}], "answer": answer,
                    "tools": ["add", "multiply"], "teacher": {"tool_calls": [{"name": tool, "arguments": args}]}})
        + "\n" for i, (q, tool, args, answer) in enumerate(TASKS)))
    out = tmp_path / "run"
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "accelerate"), "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", str(bin_dir / "mentor"), "train", "--reward", "mentor",
         "--data", str(data), "--max-steps", "1", "--num-generations", "2", "--max-completion-length", "32",
         "--max-turns", "2", "--keep-checkpoints", "0", "--output-dir", str(out)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1]  # not one row per process
    assert 0.0 <= rows[0]["tools/failure_rate"] <= 1.0 and rows[0]["completion_length"] > 0
    assert json.loads((out / "model" / "config.json").read_text())["model_type"] == "llama"
    assert (out / "model" / "model.safetensors").stat().st_size > 100_000_000
    assert result.stderr.count("logged steps, output in") == 1  # one summary
