"""End to end: real GRPO steps of the embedded student on CPU, with tools run mid-rollout.

Slow (about two minutes on 2 cores): it converts the embedded student once (cached),
trains 2 steps, resumes for a third, and checks metrics, checkpoints, the tool masking
and the CLI.
"""

import json
import shutil

import pytest

from mentor_dsl.train.config import TrainConfig

pytestmark = pytest.mark.slow

QUESTIONS = [("Use the multiply tool: what is 17 * 23?", "multiply", {"a": 17, "b": 23}, "391"),
             ("Use the add tool: what is 48 + 75?", "add", {"a": 48, "b": 75}, "123"),
             ("Use the multiply tool: what is 12 * 14?", "multiply", {"a": 12, "b": 14}, "168"),
             ("Use the add tool: what is 250 + 19?", "add", {"a": 250, "b": 19}, "269")]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tasks.jsonl"
    with path.open("w") as f:
        for i, (question, tool, args, answer) in enumerate(QUESTIONS):
            f.write(json.dumps({"id": f"t{i}", "prompt": [{"role": "user", "content": question}],
                                "answer": answer, "tools": ["add", "multiply"],
                                "teacher": {"tool_calls": [{"name": tool, "arguments": args}]}}) + "\n")
    return path


def config(data_file, out, **overrides):
    values = dict(reward="mentor", data=str(data_file), output_dir=str(out), max_steps=2, save_steps=1,
                  keep_checkpoints=1, num_generations=4, max_completion_length=80, max_turns=2, seed=0)
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture(scope="module")
def run(data_file, tmp_path_factory):
    """Two GRPO steps through a trainer that records what the loss receives."""
    from trl import GRPOTrainer

    from mentor_dsl.train.grpo import build

    class Recording(GRPOTrainer):
        seen = []

        def _compute_loss(self, model, inputs):
            Recording.seen.append({k: inputs[k].detach().clone() for k in ("completion_ids", "completion_mask",
                                                                           "tool_mask")})
            return super()._compute_loss(model, inputs)

    out = tmp_path_factory.mktemp("run")
    session, trainer = build(config(data_file, out), trainer_class=Recording)
    session.run(trainer)
    yield out, session, trainer, Recording.seen
    shutil.rmtree(out, ignore_errors=True)  # gigabytes of checkpoints


def read_metrics(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_metrics_have_every_term_and_binding(run):
    out, session, _, _ = run
    rows = read_metrics(out)
    assert [r["step"] for r in rows] == [1, 2]
    expected = {f"reward/{k}" for k in session.reward.term_names}
    assert expected == {"reward/finished", "reward/answer_present", "reward/teacher_tool_calls",
                        "reward/answer_correct", "reward/tool_match", "reward/no_hallucination",
                        "reward/correct", "reward/match", "reward/clean"}
    for row in rows:
        assert expected <= set(row)
        for key in ("reward", "tools/calls_per_completion", "tools/failure_rate", "completion_length",
                    "time/step", "share/reward", "share/tools", "time/generation", "time/tools", "time/reward",
                    "time/forward_backward", "time/optimizer", "time/other"):
            assert row[key] is not None, key
        # The phases are parts of the step; the prompt prefix was computed once per batch.
        parts = sum(row[k] for k in ("time/generation", "time/tools", "time/reward", "time/forward_backward",
                                     "time/optimizer", "time/other"))
        assert 0 < parts <= row["time/step"] * 1.01
        assert row["tokens/shared_prefix"] > 0 and row["tokens/forward"] > row["tokens/shared_prefix"]
        assert 0.0 <= row["reward"] <= 1.1


def test_checkpoints_rotate_and_the_final_model_is_saved(run):
    out, *_ = run
    assert (out / "checkpoint-2" / "trainer_state.json").exists()
    assert (out / "checkpoint-2" / "optimizer.pt").exists()  # what --resume needs
    assert not (out / "checkpoint-1").exists()  # keep_checkpoints=1: the older one is gone
    assert (out / "model" / "config.json").exists()


def test_tools_ran_mid_rollout_and_their_tokens_are_masked(run):
    _, session, trainer, seen = run
    tokenizer = session.tokenizer
    responses = continued = 0
    for batch in seen:
        ids, mask, tool = batch["completion_ids"], batch["completion_mask"], batch["tool_mask"]
        for row in range(ids.shape[0]):
            valid = mask[row].bool()
            masked = valid & (tool[row] == 0)
            if not masked.any():
                continue
            # Everything the model did not write is a tool response, and it is out of the loss.
            text = tokenizer.decode(ids[row][masked])
            assert text.strip().startswith("<tool_response>") and text.strip().endswith("</tool_response>")
            responses += 1
            last_masked = int(masked.nonzero().max())
            continued += bool((valid & (tool[row] == 1))[last_masked + 1:].any())
    assert responses > 0, "no rollout called a tool"
    assert continued > 0, "no rollout went on generating after a tool response"


def test_resume_continues_steps_and_metrics(run, data_file):
    from mentor_dsl.train.grpo import train_grpo

    out, *_ = run
    train_grpo(config(data_file, out, max_steps=3, resume=True))
    rows = read_metrics(out)
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert (out / "checkpoint-3" / "trainer_state.json").exists()
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3


def test_cli_refuses_to_overwrite_and_resume_needs_a_checkpoint(run, data_file, tmp_path):
    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    out, *_ = run
    result = CliRunner().invoke(cli, ["train", "--reward", "mentor", "--data", str(data_file),
                                      "--output-dir", str(out)])
    assert result.exit_code == 7 and "already holds a run" in result.output
    result = CliRunner().invoke(cli, ["train", "--data", str(data_file), "--output-dir", str(tmp_path / "new"),
                                      "--resume"])
    assert result.exit_code == 7 and "no checkpoint" in result.output


def test_sft_baseline_trains_on_teacher_text_with_tool_responses_masked(data_file, tmp_path):
    from mentor_dsl.data import load_jsonl, save_jsonl
    from mentor_dsl.train.plugin import sft
    from mentor_dsl.train.sft import tokenize_example

    records = load_jsonl(data_file)
    for record in records:
        record["completion"] = ('<tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call>\n'
                                "<tool_response>\n3\n</tool_response>\nThe answer is \\boxed{3}<|im_end|>")
    teacher_file = tmp_path / "teacher.jsonl"
    save_jsonl(records, teacher_file)
    out = sft(config(teacher_file, tmp_path / "sft", trainer="sft", max_steps=2, save_steps=2))
    rows = read_metrics(out)
    assert [r["step"] for r in rows] == [1, 2] and all(r["loss"] > 0 for r in rows)
    # The batches share the system prompt and tool list: the loss forward computed it once.
    assert all(r["tokens/shared_prefix"] > 0 for r in rows)
    assert (out / "checkpoint-2").exists() and (out / "model" / "config.json").exists()

    from mentor_dsl.models import load_tokenizer, resolve_model
    from mentor_dsl.plugins import registry
    from mentor_dsl.rollouts.layout import ChatLayout

    tokenizer = load_tokenizer(resolve_model("default"))
    layout = ChatLayout.for_tokenizer(tokenizer, registry())
    example = tokenize_example(layout, layout.render([{"role": "user", "content": "q"}], ()), records[0]["completion"])
    trained = tokenizer.decode([i for i, label in zip(example["input_ids"], example["labels"]) if label != -100])
    assert "<tool_call>" in trained and "\\boxed{3}" in trained
    assert "<tool_response>" not in trained and "q" not in trained.split("<tool_call>")[0]


def test_ctrl_c_stops_after_the_step_with_a_checkpoint(run, monkeypatch):
    """The SIGINT handler asks the trainer to save and stop; the run then exits with 130."""
    import os
    import signal

    from mentor_dsl.train.session import _Finish, _Interrupted

    out, session, _, _ = run

    class Control:
        should_save = should_training_stop = False

    class Interrupted:
        model = None

        def train(self, resume_from_checkpoint=None):
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C during a step
            self.control = _Finish(session).on_step_end(None, type("S", (), {"global_step": 1, "max_steps": 5}),
                                                        Control())

    fake = Interrupted()
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(_Interrupted) as info:
        session.run(fake)
    assert fake.control.should_save and fake.control.should_training_stop
    assert info.value.exit_code == 130 and "--resume" in str(info.value)
    assert signal.getsignal(signal.SIGINT) is before  # the run restores the caller's handler


def test_lora_trains_adapters_and_saves_a_merged_model(data_file, tmp_path):
    from mentor_dsl.train.grpo import build

    session, trainer = build(config(data_file, tmp_path / "lora", max_steps=1, lora=True, lora_rank=4))
    assert hasattr(trainer.model, "peft_config")
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in trainer.model.parameters())
    assert 0 < trainable < total / 20
    out = session.run(trainer)
    assert read_metrics(out)[0]["step"] == 1
    saved = json.loads((out / "model" / "config.json").read_text())
    assert saved["model_type"] == "llama" and not (out / "model" / "adapter_config.json").exists()
