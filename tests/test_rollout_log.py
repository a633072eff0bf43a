"""`mentor train --save-rollouts N`: the rollout log, fed by the rollouts and the reward."""

from __future__ import annotations

import json
import sys
import types

import pytest

import mentor_dsl
from mentor_dsl.plugins import registry
from mentor_dsl.rollouts.layout import ChatLayout
from mentor_dsl.rollouts.loop import Rollout
from mentor_dsl.tools.base import FailureKind, ToolResult
from mentor_dsl.calls import Call
from mentor_dsl.train.rollout_log import RolloutLog, log_table, table_columns


@pytest.fixture(scope="module")
def layout():
    from mentor_dsl.models import load_tokenizer, resolve_model

    return ChatLayout.for_tokenizer(load_tokenizer(resolve_model("default")), registry())


def _rollout(layout, turns: list[str], steps, finished=True) -> Rollout:
    """A rollout as the loop builds it: model turns, each turn's calls and results, the
    end-of-turn token closing the last turn of a finished one."""
    rollout = Rollout(layout.encode("prompt"))
    for k, text in enumerate(turns):
        ids = layout.encode(text)
        if finished and k == len(turns) - 1:
            ids.append(layout.tokenizer.eos_token_id)
        rollout.add(ids, from_model=True)
        if k < len(steps):
            calls, results = steps[k]
            rollout.steps.append((calls, results))
            rollout.add(layout.response_ids(calls, results), from_model=False)
    rollout.finished = finished
    return rollout


CALL = '<tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call>'
BAD = '<tool_call>\n{"name": "add", "arguments": {"a": "x"}}\n</tool_call>'
SPEC = "reward r:\n    require finished else 0\n    0.5 * answer_correct + 0.5 * tool_calls / 2\n"


def test_saved_steps_are_the_first_and_every_nth(tmp_path, layout):
    log = RolloutLog(tmp_path, 3, layout)
    assert [s for s in range(1, 11) if log.saves(s)] == [1, 4, 7, 10]
    with pytest.raises(ValueError):
        RolloutLog(tmp_path, 0, layout)


def test_a_step_is_written_with_calls_results_reward_and_terms(tmp_path, layout):
    log = RolloutLog(tmp_path, 2, layout, eos="<|im_end|>")
    good = _rollout(layout, [CALL, "The answer is \\boxed{3}."], [([Call("add", {"a": 1, "b": 2})], [ToolResult(True, 3)])])
    bad = _rollout(layout, [BAD, "\\boxed{4}"],
                   [([Call("add", {"a": "x"})], [ToolResult.failure("a: 'x' is not of type 'number'", FailureKind.SCHEMA)])])
    log.rollouts(1, ["P1", "P2"], [good, bad])
    reward = mentor_dsl.loads(SPEC)
    reward.on_score = log.on_score
    completions = [layout.tokenizer.decode(r.completion_ids, skip_special_tokens=True) for r in (good, bad)]
    rewards = reward(completions=completions, id=["t1", "t2"], answer=["3", "3"], finished=[True, True])
    rows = log.end_step(1)
    assert [json.loads(line) for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()] == rows
    first, second = rows
    assert (first["step"], first["id"], first["prompt"], first["finished"]) == (1, "t1", "P1", True)
    assert first["reward"] == pytest.approx(rewards[0]) and first["terms"]["answer_correct"] == 1.0
    assert first["completion"].endswith("\\boxed{3}.<|im_end|>") and "<tool_response>\n3\n" in first["completion"]
    assert first["turns"][0]["calls"] == [{"name": "add", "arguments": {"a": 1, "b": 2}, "ok": True, "output": 3}]
    assert first["turns"][1] == {"text": "The answer is \\boxed{3}.", "calls": []}
    assert second["turns"][0]["calls"][0]["kind"] == "schema" and second["terms"]["answer_correct"] == 0.0
    # Step 2 is not saved; step 3 is, and appends.
    log.rollouts(2, ["P1"], [good])
    assert log.pending == []
    log.rollouts(3, ["P1"], [good])
    reward(completions=completions[:1], id=["t1"], answer=["3"], finished=[True])
    log.end_step(3)
    assert [json.loads(line)["step"] for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()] == [1, 1, 3]
    log.trim(1)  # a resumed run cut back to its checkpoint
    assert [json.loads(line)["step"] for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()] == [1, 1]
    log.trim(0)
    assert not (tmp_path / "rollouts.jsonl").exists()


def test_rows_go_to_trackers_as_a_table(tmp_path, layout, monkeypatch):
    logged = []
    fake = types.SimpleNamespace(Table=lambda dataframe: dataframe, log=lambda data: logged.append(data))
    monkeypatch.setitem(sys.modules, "trackio", fake)
    rows = [{"step": 1, "id": "t1", "prompt": "P", "completion": "C", "finished": True, "reward": 0.5,
             "terms": {"a": 1.0}, "turns": [{"text": "C", "calls": [{"name": "add", "ok": True}]}]}]
    log_table(rows, ["trackio"])
    (entry,) = logged
    frame = entry["rollouts"]
    assert list(frame.columns) == list(table_columns(rows)) == ["step", "id", "prompt", "completion", "calls",
                                                                "reward", "a"]
    assert json.loads(frame["calls"][0]) == [{"name": "add", "ok": True}]
    log_table(rows, [])  # trackers not asked for: nothing logged
    assert len(logged) == 1
