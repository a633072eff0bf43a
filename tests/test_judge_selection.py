"""Which judge grades a task: pinned by the spec or the command, else the record's
`judge`, else math; and the math judge's scope (no calendar dates)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl import judges
from mentor_dsl.cli import cli
from mentor_dsl.data import load_jsonl, load_split, save_jsonl
from mentor_dsl.plugins import hookimpl, registry
from mentor_dsl.teachers.verify import Verifier

EOS = "<|im_end|>"


def _boxed(answer: str) -> str:
    return f"The answer is \\boxed{{{answer}}}{EOS}"


# -- the math judge's scope ------------------------------------------------------------------

@pytest.mark.parametrize("prediction, gold, expected", [
    ("2025-03-15", "2025-02-23", 0.0),   # the paper's judge read both as 2025
    ("2025", "2025-02-23", 0.0),         # a year is not a date
    ("2025-02-23", "2025-02-23", 1.0),
    ("2025-2-23", "2025-02-23", 1.0),    # the same date, written without leading zeros
    ("2025-03-15", "2007", 0.0),         # 2025 - 3 - 15 is not an answer either
    ("7", ["2025-01-01", "7"], 1.0),     # a number still answers a number gold
])
def test_math_judge_compares_dates_only_as_dates(prediction, gold, expected):
    assert judges.math_judge(prediction, gold) == expected
    assert judges.math_strict_judge(prediction, gold) == expected


def test_math_judge_keeps_its_verdicts_on_numbers():
    assert judges.math_judge("\\frac{1}{2}", "0.5") == 1.0
    assert judges.math_judge("2025", "2025") == 1.0
    assert judges.math_judge("2024", "2025") == 0.0


# -- per task, per spec ----------------------------------------------------------------------

def test_answer_correct_uses_the_records_judge_unless_the_spec_pins_one():
    records = [
        {"completion": _boxed("\\frac{1}{2}"), "answer": "0.5"},                     # math: right
        {"completion": _boxed("\\frac{1}{2}"), "answer": "0.5", "judge": "exact"},   # exact: wrong
        {"completion": _boxed("The Answer"), "answer": "the answer.", "judge": "exact"},
    ]
    assert mentor_dsl.loads("reward r:\n    answer_correct\n").score(records).rewards.tolist() == [1.0, 0.0, 1.0]
    pinned = mentor_dsl.loads('reward r:\n    answer_correct(judge="math")\n')
    assert pinned.score(records[:2]).rewards.tolist() == [1.0, 1.0]


def test_a_record_naming_an_unknown_judge_is_that_records_error():
    reward = mentor_dsl.loads("reward r:\n    answer_correct\n")
    records = [{"completion": _boxed("2"), "answer": "2"},
               {"completion": _boxed("2"), "answer": "2", "judge": "exatc"},
               {"completion": _boxed("2"), "answer": "2", "judge": 3}]
    result = reward.score(records, on_error="skip")
    assert result.rewards[0].item() == 1.0 and sorted(result.errors) == [1, 2]
    assert "unknown judge 'exatc'; did you mean 'exact'?" in str(result.errors[1])
    assert "'judge' must be the name of a judge" in str(result.errors[2])


def test_judge_name_precedence():
    assert judges.judge_name("exact", {"judge": "f1"}) == "exact"
    assert judges.judge_name(None, {"judge": "f1"}) == "f1"
    assert judges.judge_name(None, {}) == judges.DEFAULT_JUDGE == "math"


# -- per command: mentor teach ---------------------------------------------------------------

class NeverJudge:
    """A plugin judge that accepts nothing: which judge ran shows in what is kept."""

    @hookimpl
    def register_judges(self, register):
        register("never", lambda prediction, gold: 0.0)


def _oracle_date_record():
    """A verified oracle record whose answer is then made a date the math judge misread."""
    from mentor_dsl.teachers import OracleTeacher

    (record,) = OracleTeacher().generate(load_split("test", 1))
    record = json.loads(json.dumps(record))
    record["completion"] = record["completion"].replace(f"\\boxed{{{record['answer']}}}", "\\boxed{2025-03-15}")
    record["answer"] = "2025-02-23"
    return record


def test_teach_verification_refuses_a_wrong_date():
    with Verifier() as check:
        verdict = check(_oracle_date_record())
    assert verdict.kind == "wrong_answer" and "judge 'math'" in verdict.reason


def test_teach_judge_option_and_task_field(plugin, tmp_path):
    plugin(NeverJudge())
    tasks = load_split("test", 2)
    tasks[1]["judge"] = "never"
    source = tmp_path / "tasks.jsonl"
    save_jsonl(tasks, source)

    def teach(*extra):
        out = tmp_path / "out.jsonl"
        result = CliRunner().invoke(cli, ["teach", "--teacher", "oracle", "--tasks", str(source), "-o", str(out),
                                          *extra])
        return result, ([r["id"] for r in load_jsonl(out)] if out.exists() else [])

    result, kept = teach()                      # the task's own judge for task 1
    assert result.exit_code == 1 and kept == [tasks[0]["id"]]
    result, kept = teach("--judge", "math")     # the command pins math for both
    assert result.exit_code == 0 and kept == [t["id"] for t in tasks]
    result, kept = teach("--judge", "never")
    assert result.exit_code == 1 and "wrong_answer" in result.stderr
    result, _ = teach("--judge", "exatc")
    assert result.exit_code == 2 and "did you mean 'exact'" in result.output
    assert "never" in registry().names("judges")
