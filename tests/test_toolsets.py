"""One tool set per task, whatever the command: `score`, `train`, `eval` and `teach` all
resolve it through `toolsets.offered` (the record's `tools`, else the default toolset,
else every registered tool)."""

from __future__ import annotations

import types

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl.cli import cli
from mentor_dsl.data import load_jsonl, load_split, save_jsonl
from mentor_dsl.errors import DataError
from mentor_dsl.evaluation.tasks import load_tasks, task_tools
from mentor_dsl.plugins import registry
from mentor_dsl.teachers.records import tool_names
from mentor_dsl.toolsets import offered, offered_names, resolve_tools
from mentor_dsl.train.session import Session
from mentor_dsl.trajectory import Trajectory

SPEC_WITH_OPTION = 'option tools = "mentor_math"\nreward r:\n    no_hallucination\n'
SPEC_WITHOUT = "reward r:\n    no_hallucination\n"


def _task(task_id: str, tools=None) -> dict:
    task = load_split("test", 1)[0]
    task["id"] = task_id
    if tools is None:
        del task["tools"]
    else:
        task["tools"] = tools
    return task


#: The calls of the task's plan and one more tool, in an order no rule would sort them into.
LISTED = sorted({c["name"] for c in load_split("test", 1)[0]["teacher"]["tool_calls"]} | {"add"}, reverse=True)


def _score_names(spec: str, record: dict) -> set[str]:
    reward = mentor_dsl.loads(spec)
    traj = Trajectory.from_record(record)
    return set(reward._context(0).available(traj, None))


def _train_names(spec: str, record: dict) -> list[str]:
    session = types.SimpleNamespace(reward=mentor_dsl.loads(spec), registry=registry(),
                                    config=types.SimpleNamespace(data="tasks.jsonl"))
    return [t.name for t in Session.tools_of(session, record)]


def _eval_names(spec: str, record: dict, path) -> list[str]:
    save_jsonl([record], path)
    option = mentor_dsl.loads(spec).plan.option("tools")
    (task,), _ = load_tasks([], data=[str(path)], default_tools=option)
    return [t.name for t in task_tools(task, registry())]


def _teach_names(toolset: str | None, record: dict, tmp_path) -> list[str]:
    """What `mentor teach --teacher oracle` writes as the record's tools."""
    source, out = tmp_path / "teach-in.jsonl", tmp_path / "teach-out.jsonl"
    save_jsonl([record], source)
    args = ["teach", "--teacher", "oracle", "--tasks", str(source), "-o", str(out)]
    result = CliRunner().invoke(cli, args + (["--tools", toolset] if toolset else []))
    assert result.exit_code == 0, result.output
    (written,) = load_jsonl(out)
    return written["tools"]


@pytest.mark.parametrize("case, spec, toolset, tools, expected", [
    ("record tools", SPEC_WITH_OPTION, "mentor_math", LISTED, LISTED),
    ("option tools", SPEC_WITH_OPTION, "mentor_math", None, sorted(registry().toolset("mentor_math"))),
    ("neither", SPEC_WITHOUT, None, None, sorted(registry().tools)),
])
def test_score_train_eval_and_teach_agree(case, spec, toolset, tools, expected, tmp_path):
    record = _task(case.replace(" ", "-"), tools)
    score = _score_names(spec, {**record, "completion": "x"})
    train = _train_names(spec, record)
    evaluated = _eval_names(spec, record, tmp_path / "eval.jsonl")
    taught = _teach_names(toolset, record, tmp_path)
    assert train == evaluated == taught == expected
    assert score == set(expected)


def test_training_uses_the_specs_option_when_records_have_no_tools():
    """The prompt lists the option's tools, not all 65, and the reward agrees with it."""
    record = _task("t")
    train = _train_names(SPEC_WITH_OPTION, record)
    assert len(train) == 12 and len(registry().tools) > 12


def test_score_counts_a_call_outside_the_option_as_hallucinated():
    reward = mentor_dsl.loads(SPEC_WITH_OPTION)
    call = '<tool_call>\n{"name": "word_count", "arguments": {"text": "a b"}}\n</tool_call>'
    records = [{"completion": call}, {"completion": call, "tools": ["word_count"]}]
    assert reward.score(records).rewards.tolist() == [0.0, 1.0]


def test_offered_keeps_unregistered_names_for_score_and_refuses_them_elsewhere():
    reg = registry()
    found = offered(["add", "nowhere"], reg)
    assert found.names == ("add", "nowhere") and found.missing == ("nowhere",)
    assert offered_names(["add", "nowhere"], reg) == {"add", "nowhere"}
    with pytest.raises(DataError, match="no plugin provides: nowhere"):
        resolve_tools(["add", "nowhere"], reg)


def test_offered_reads_schema_objects_and_refuses_unknown_toolsets():
    reg = registry()
    schema = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    found = offered([schema, {"name": "add"}], reg)
    assert found.names == ("lookup", "add") and found.tools[1] is reg.tools["add"] and not found.missing
    with pytest.raises(DataError, match="unknown toolset 'nope'"):
        offered(None, reg, default="nope")


def test_teach_tools_names_an_unknown_toolset(tmp_path):
    result = CliRunner().invoke(cli, ["teach", "--teacher", "oracle", "--tasks", "builtin:test", "-n", "1",
                                      "-o", str(tmp_path / "o.jsonl"), "--tools", "mentor_mat"])
    assert result.exit_code == 2 and "did you mean 'mentor_math'" in result.output


def test_teachers_tool_names_follow_the_default():
    record = _task("t")
    assert tool_names(record, registry(), default="mentor_math") == sorted(registry().toolset("mentor_math"))
    assert tool_names(record, registry()) == sorted(registry().tools)
