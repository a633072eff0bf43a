"""Trackers see every metric: one GRPO step of the embedded student through `mentor train
--config run.yaml --report-to tensorboard`, with a KL penalty (a reference model) set in
the config's `trl` section. The event files are read back with TensorBoard's own reader.

Slow (2 minutes of CPU time, 5.5 minutes on a busy 2-core machine): the step generates,
scores and trains with a reference model.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow

# No guards: every term and binding is computed for every completion, so each one is logged
# at every step.
SPEC = """\
reward dense:
    calls = tool_match(teacher, mode="exact_set")
    clean = no_hallucination(tools="mentor_math")
    0.4 * finished + 0.3 * calls + 0.2 * clean + 0.1 * answer_present
"""
TERMS = {"finished", "tool_match", "no_hallucination", "answer_present", "calls", "clean"}

TASKS = [("Use the multiply tool: what is 17 * 23?", "multiply", {"a": 17, "b": 23}, "391"),
         ("Use the add tool: what is 48 + 75?", "add", {"a": 48, "b": 75}, "123")]

#: mentor's own metrics, which only reached metrics.jsonl before.
MENTOR_METRICS = ["tools/calls_per_completion", "tools/failure_rate", "finished_rate", "time/step",
                  "time/generation", "time/tools", "time/reward", "time/other", "time/forward_backward",
                  "time/optimizer", "share/reward", "share/tools", "tokens/forward", "tokens/shared_prefix"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("trackers")
    (root / "dense.mdsl").write_text(SPEC)
    (root / "tasks.jsonl").write_text("".join(
        json.dumps({"id": f"t{i}", "prompt": [{"role": "user", "content": q}], "answer": answer,
                    "tools": ["add", "multiply"], "teacher": {"tool_calls": [{"name": tool, "arguments": args}]}})
        + "\n" for i, (q, tool, args, answer) in enumerate(TASKS)))
    (root / "run.yaml").write_text(f"""\
reward: {root / 'dense.mdsl'}
data: {root / 'tasks.jsonl'}
output_dir: {root / 'run'}
max_steps: 1
num_generations: 2
max_completion_length: 32
max_turns: 2
keep_checkpoints: 0
trl:
  beta: 0.04
""")
    from mentor_dsl.cli import cli

    # A progress line at every step, not every 10 seconds: the console test reads it.
    result = CliRunner().invoke(cli, ["train", "--config", str(root / "run.yaml"), "--report-to", "tensorboard",
                                      "--run-name", "dense-kl"], env={"MENTOR_PROGRESS_INTERVAL": "0"})
    assert result.exit_code == 0, result.output
    out = root / "run"
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return out, rows, result


def scalars(out: Path) -> dict[str, dict[int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (folder,) = (out / "runs").iterdir()  # transformers' default: OUTPUT_DIR/runs/DATE_HOST
    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: {e.step: e.value for e in events.Scalars(tag)} for tag in events.Tags()["scalars"]}


def test_tensorboard_holds_every_term_and_the_tool_metrics(run):
    out, rows, _ = run
    tags = scalars(out)
    (row,) = rows
    step = row["step"]
    # transformers' TensorBoard callback files training logs under train/.
    for term in TERMS:
        assert f"train/dense/{term}" in tags, sorted(tags)
        # The same number the local record holds (TensorBoard stores float32).
        assert tags[f"train/dense/{term}"][step] == pytest.approx(row[f"reward/{term}"], rel=1e-6, abs=1e-7)
    for key in MENTOR_METRICS:
        assert tags[f"train/{key}"][step] == pytest.approx(row[key], rel=1e-6, abs=1e-7), key
    for key in ("reward", "reward_std", "loss", "kl", "entropy", "grad_norm"):
        assert tags[f"train/{key}"][step] == pytest.approx(row[key], rel=1e-6, abs=1e-7), key
    assert tags["train/completions/mean_length"][step] == pytest.approx(row["completion_length"], rel=1e-6)


def test_a_reference_model_with_the_shared_prefix_forward(run):
    """beta > 0 makes TRL load a reference model and score it through the same (shared-
    prefix) forward. On the first step the policy is the reference: the KL is zero but for
    rounding, which it would not be if the two forwards disagreed."""
    out, (row,), _ = run
    assert row["kl"] is not None and abs(row["kl"]) < 1e-4
    assert row["tokens/shared_prefix"] > 0
    config = json.loads((out / "mentor-run.json").read_text())
    assert config["trl"] == {"beta": 0.04} and config["report_to"] == "tensorboard"
    assert config["run_name"] == "dense-kl"


def test_the_console_shows_loss_kl_entropy_and_grad_norm_with_the_terms(run):
    _, _, result = run
    line = next(line for line in result.stderr.splitlines() if line.startswith("training: 1/1 "))
    for word in ("reward", "loss", "kl", "entropy", "grad_norm", "finished", "tool_match"):
        assert f" {word} " in line, line
