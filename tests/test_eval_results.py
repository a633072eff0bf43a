"""Evaluation results are typed records (evaluation/results.py) whose JSON form is the
eval.json that reports and examples read: the golden files were written by the code
before the records existed, from the same rows, and must not change by a byte."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mentor_dsl.evaluation import EvalResult, GroupMetrics, Summary, runner
from mentor_dsl.evaluation.metrics import aggregate, summarize
from test_evaluation import _row, fake_result

GOLDEN = Path(__file__).parent / "golden"


def complete_result() -> dict:
    """`fake_result` with every field `evaluate` writes, in its order."""
    result = fake_result("f1", reward=0.9)
    config = {"model": "runs/f1", "model_path": "/runs/f1/model", "run_dir": "/runs/f1",
              "splits": ["in_domain", "ood", "bfcl"], "data": [], "sources": ["test", "ood_sci", "ood_chain"],
              "limit": 4, "seed": 0, "batch_size": 8, "max_turns": 3, "max_completion_length": 128,
              "call_format": "hermes", "chat_layout": "inline", "device": "cpu", "decoding": "greedy",
              "reward": {"spec": "mentor", "name": "mentor", "params": {}}, "versions": {"mentor": "0.1.0"},
              "created": "2026-01-01T00:00:00+00:00"}
    return {"format": result["format"], "format_version": result["format_version"], "name": result["name"],
            "config": config, "skipped": result["skipped"], "seconds": 12.5, "generation_seconds": 10.25,
            "metrics": result["metrics"], "examples": runner.pick_examples(result["rows"]), "rows": result["rows"]}


def test_eval_json_is_byte_for_byte_what_it_was():
    result = EvalResult.from_json(complete_result())
    assert isinstance(result.metrics, Summary) and result.metrics.splits["ood"].sources["ood_sci"].n == 4
    assert runner.eval_json(result) == (GOLDEN / "eval_result.json").read_text(encoding="utf-8")
    # The dict form still writes the same file.
    assert runner.eval_json(complete_result()) == runner.eval_json(result)


def test_metrics_are_byte_for_byte_what_they_were():
    rows = fake_result("f1", reward=0.9)["rows"] + [_row("data", "mine.jsonl", "math", family="word", correct=None)]
    text = json.dumps(summarize(rows), indent=2) + "\n"
    assert text == (GOLDEN / "eval_metrics.json").read_text(encoding="utf-8")
    typed = Summary.of(rows)
    assert typed.splits["data"].families["word"].n == 1 and typed.splits["ood"].families is None
    assert typed.overall.reward is not None and typed.overall.reward.n == 16


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["in_domain", "ood", "bfcl", "data"]), st.sampled_from([0.0, 1.0, None]),
                          st.integers(0, 3), st.integers(0, 3), st.booleans(), st.one_of(st.none(), st.floats(0, 1))),
                max_size=12))
def test_json_form_round_trips(cases):
    rows = []
    for split, correct, blocks, valid, taught, reward in cases:
        row = _row(split, f"{split}-src", "math", correct=correct, blocks=blocks, calls=blocks, valid=min(valid, blocks),
                   names=("add",) * blocks)
        if not taught:
            row["teacher_names"] = None
        if reward is not None:
            row.update(reward=reward, reward_terms={"t": reward})
        rows.append(row)
    summary = Summary.of(rows)
    assert Summary.from_json(summary.to_json()) == summary
    assert summary.to_json() == summarize(rows)
    assert GroupMetrics.from_json(aggregate(rows)).to_json() == aggregate(rows)
