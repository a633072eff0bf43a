"""mentor-dates: the tools, the judge, the few-shot example, the splits and the reward,
registered through mentor's hooks."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

try:
    import mentor_dates  # noqa: F401
except ImportError:  # not installed: test the source tree next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mentor_dsl
from mentor_dsl import plugins
from mentor_dsl.data import clear_cache, load_split
from mentor_dsl.data.oracle import signature
from mentor_dates import REWARD, plugin
from mentor_dates.judge import date_judge
from mentor_dates.tasks import answer_text, build_splits
from mentor_dates.tools import MAX_DAYS, WEEKDAYS, build_tools

TOOLS = {t.name: t for t in build_tools()}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@pytest.fixture(scope="module")
def dates():
    """The plugin, registered: by its entry point when installed, else here."""
    loaded = any(info.name == "dates" and not info.error for info in plugins.registry().plugins)
    name = None if loaded else plugins.register(plugin, name="dates")
    clear_cache()
    yield plugins.registry()
    clear_cache()
    if name is not None:
        plugins.unregister(name=name)


def call(name: str, **arguments):
    """Validate against the schema, as the executor does, then call."""
    problem = TOOLS[name].validate_arguments(arguments)
    assert problem is None, f"{name}({arguments}): {problem}"
    return TOOLS[name].fn(**arguments)


# --- tools ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, arguments, expected", [
    ("add_days", {"date": "2024-02-25", "days": 10}, "2024-03-06"),   # a leap-year February
    ("add_days", {"date": "2023-02-25", "days": 10}, "2023-03-07"),
    ("add_days", {"date": "2025-01-01", "days": -1}, "2024-12-31"),
    ("add_days", {"date": "2000-02-28", "days": 1}, "2000-02-29"),   # 2000 is a leap year
    ("add_days", {"date": "1900-02-28", "days": 1}, "1900-03-01"),   # 1900 is not
    ("add_days", {"date": "2025-06-15", "days": 0}, "2025-06-15"),
    ("days_between", {"start": "2024-01-01", "end": "2025-01-01"}, 366),
    ("days_between", {"start": "2025-01-01", "end": "2024-01-01"}, -366),
    ("days_between", {"start": "2021-03-01", "end": "2025-03-01"}, 1461),
    ("weekday", {"date": "2025-02-23"}, "Sunday"),
    ("weekday", {"date": "1969-07-20"}, "Sunday"),
    ("weekday", {"date": "2000-01-01"}, "Saturday"),
])
def test_exact_values(name, arguments, expected):
    assert call(name, **arguments) == expected


@pytest.mark.parametrize("name, arguments, message", [
    ("add_days", {"date": "2025-02-30", "days": 1}, "2025-02-30 is not a date in the calendar"),
    ("add_days", {"date": "9999-12-31", "days": 1}, "outside the years 1 to 9999"),
    ("add_days", {"date": "2025-01-01", "days": True}, "days must be a whole number"),
    ("weekday", {"date": "23/02/2025"}, "must be a date written YYYY-MM-DD"),
    ("days_between", {"start": "2025-01-01", "end": "2025-13-01"}, "end: 2025-13-01 is not a date"),
])
def test_errors_are_value_errors_for_the_model(name, arguments, message):
    with pytest.raises(ValueError, match=message):
        TOOLS[name].fn(**arguments)


@pytest.mark.parametrize("name, arguments", [
    ("add_days", {"date": "2025-01-01"}),                             # days missing
    ("add_days", {"date": "2025-1-1", "days": 1}),                    # not the pattern
    ("add_days", {"date": "2025-01-01", "days": MAX_DAYS + 1}),
    ("weekday", {"date": "2025-01-01", "locale": "fr"}),              # no other properties
    ("days_between", {"start": 20250101, "end": "2025-01-02"}),
])
def test_schemas_refuse_malformed_arguments(name, arguments):
    assert TOOLS[name].validate_arguments(arguments) is not None


@settings(max_examples=200, deadline=None)
@given(st.dates(datetime.date(1, 1, 1), datetime.date(9000, 12, 31)), st.integers(-300_000, 300_000))
def test_tools_agree_with_each_other(day, days):
    """add_days and days_between are inverse; weekday moves with the days."""
    assume(datetime.date.min.toordinal() <= day.toordinal() + days <= datetime.date.max.toordinal())
    moved = call("add_days", date=day.isoformat(), days=days)
    assert call("days_between", start=day.isoformat(), end=moved) == days
    assert WEEKDAYS.index(call("weekday", date=moved)) == (day.weekday() + days) % 7


# --- the date judge ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer, gold, right", [
    ("2025-02-23", "2025-02-23", True),
    ("2025/02/23", "2025-02-23", True),
    ("February 23, 2025", "2025-02-23", True),
    ("23 Feb 2025", "2025-02-23", True),
    ("the 23rd of February, 2025", "2025-02-23", False),  # not a form the judge reads
    ("Sunday, February 23, 2025", "2025-02-23", True),
    ("Monday, February 23, 2025", "2025-02-23", False),   # the weekday is wrong
    ("2025-03-15", "2025-02-23", False),                  # finding 1: the math judge took this
    ("2025", "2025-02-23", False),
    ("2025-02-23 or 2025-02-24", "2025-02-23", False),
    ("\\text{Sunday}", "Sunday", True),
    ("sun.", "Sunday", True),
    ("Sunday or Monday", "Sunday", False),
    ("1,461 days", "1461", True),
    ("14", "14", True),
    ("14.5", "14", False),
    ("two weeks", "14", False),
])
def test_date_judge(answer, gold, right):
    assert date_judge(answer, gold) == (1.0 if right else 0.0)


@settings(max_examples=200, deadline=None)
@given(st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)),
       st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)))
def test_date_judge_accepts_every_written_form_of_the_gold_and_no_other_date(gold, other):
    iso = gold.isoformat()
    forms = [iso, iso.replace("-", "/"), f"{MONTHS[gold.month - 1]} {gold.day}, {gold.year}",
             f"{gold.day} {MONTHS[gold.month - 1]} {gold.year}",
             f"{WEEKDAYS[gold.weekday()]}, {MONTHS[gold.month - 1]} {gold.day}, {gold.year}"]
    assert all(date_judge(form, iso) == 1.0 for form in forms)
    assert date_judge(other.isoformat(), iso) == (1.0 if other == gold else 0.0)


# --- registration -----------------------------------------------------------------------------


def test_the_plugin_registers_its_tools_judge_example_and_splits(dates):
    reg = dates
    assert reg.toolset("dates") == {"add_days", "days_between", "weekday"}
    assert reg.get("judges", "date") is not None
    assert reg.get("examples", "dates.add_days").tools == {"add_days"}
    assert {"dates_train", "dates_test", "dates_ood"} <= set(reg.names("splits"))
    assert [e for e in reg.errors if e.plugin == "dates"] == []


def test_entry_point_is_listed_when_installed():
    try:
        dist = importlib.metadata.distribution("mentor-dates")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mentor-dates is not installed (pip install -e plugins/mentor-dates)")
    ours = [ep for ep in importlib.metadata.entry_points(group="mentor") if ep.name == "dates"]
    assert len(ours) == 1 and ours[0].value == "mentor_dates.plugin"
    assert dist.version == "0.1.0"


def test_a_date_prompt_shows_three_tools_and_the_date_example(dates):
    from mentor_dsl.models import load_tokenizer, resolve_model
    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.toolsets import resolve_tools

    reward = mentor_dsl.load(REWARD)
    task = load_split("dates_test", 1)[0]
    del task["tools"]  # the spec's `option tools` chooses them
    tools = resolve_tools(task.get("tools"), dates, default=reward.plan.option("tools"))
    assert sorted(t.name for t in tools) == ["add_days", "days_between", "weekday"]
    layout = ChatLayout.for_tokenizer(load_tokenizer(resolve_model("default")), dates)
    text = layout.prompt_text(task["prompt"], tools)
    assert "What date is 10 days after 2024-02-25?" in text and '"add_days"' in text
    assert '"format":"date"' in text and "What is 12 + 30?" not in text
    assert text.index("2024-03-06") < text.index(task["prompt"][0]["content"])


# --- splits -----------------------------------------------------------------------------------


def test_splits_are_disjoint_and_ood_composes_what_train_never_shows(dates):
    train, test, ood = (load_split(n) for n in ("dates_train", "dates_test", "dates_ood"))
    assert (len(train), len(test), len(ood)) == (1000, 200, 200)
    questions = {r["prompt"][0]["content"] for r in train}
    signatures = {signature(r["teacher"]["tool_calls"]) for r in train}
    sequences = {tuple(c["name"] for c in r["teacher"]["tool_calls"]) for r in train}
    for record in test + ood:
        assert record["prompt"][0]["content"] not in questions
        assert signature(record["teacher"]["tool_calls"]) not in signatures
    assert all(len(r["teacher"]["tool_calls"]) == 1 for r in train + test)
    assert all(len(r["teacher"]["tool_calls"]) == 2 for r in ood)
    assert not {tuple(c["name"] for c in r["teacher"]["tool_calls"]) for r in ood} & sequences
    assert {r["judge"] for r in train + test + ood} == {"date"}
    assert {tuple(r["tools"]) for r in train} == {("add_days", "days_between", "weekday")}
    # Generated the same way every time.
    clear_cache()
    assert load_split("dates_test", 5) == test[:5]


def test_the_oracle_trajectories_score_full_marks_and_a_wrong_date_does_not(dates):
    reward = mentor_dsl.load(REWARD)
    records = load_split("dates_test", 50) + load_split("dates_ood", 50)
    assert reward.score(records).rewards.tolist() == [1.0] * 100
    # The teacher's reference answer, replaced with another date, fails the judge (and the
    # split's judge is used even by a spec that names none).
    shifted = [r for r in records if r["answer"].count("-") == 2][:5]
    assert shifted
    for record in shifted:
        wrong = (datetime.date.fromisoformat(record["answer"]) + datetime.timedelta(days=20)).isoformat()
        record["completion"] = record["completion"].replace(f"\\boxed{{{record['answer']}}}", f"\\boxed{{{wrong}}}")
    plain = mentor_dsl.loads("reward r:\n    answer_correct\n")
    assert plain.score(shifted).rewards.tolist() == [0.0] * len(shifted)


def test_answer_text_and_split_specs():
    assert answer_text(14) == "14" and answer_text("2025-02-23") == "2025-02-23"
    with pytest.raises(TypeError):
        answer_text(1.5)
    specs = {s.name: s for s in build_splits()}
    assert specs["dates_test"].exclude_from == specs["dates_ood"].exclude_from == "dates_train"
    assert all(s.reward == REWARD and Path(REWARD).is_file() for s in specs.values())


def test_train_defaults_to_the_splits_reward(dates):
    from mentor_dsl.data.splits import default_reward

    assert default_reward("builtin:dates_train") == REWARD
    assert default_reward("builtin:train") is None and default_reward("tasks.jsonl") is None


@pytest.mark.slow
def test_two_training_steps_call_the_date_tools_and_give_tool_term_signal(dates, tmp_path):
    """`mentor train --data builtin:dates_train --max-steps 2`: the student calls the date
    tools from the first steps, and the tool terms give signal in metrics.jsonl."""
    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["train", "--data", "builtin:dates_train", "--max-steps", "2", "--max-completion-length", "64",
                                      "--output-dir", str(out), "--keep-checkpoints", "0", "--save-rollouts", "1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "tools/calls_per_completion" in r]
    assert len(steps) == 2
    assert sum(r["tools/calls_per_completion"] for r in steps) > 0
    assert any((r.get("reward/match") or 0) > 0 for r in steps)
    saved = [json.loads(line) for line in (out / "rollouts.jsonl").read_text().splitlines()]
    assert {r["step"] for r in saved} == {1, 2}
    assert any(c["name"] in {"add_days", "days_between", "weekday"} for r in saved for t in r["turns"]
               for c in t["calls"])
