"""The compiler: immutable cached plans, shared sub-expressions, the JSON artefact."""

import dataclasses
import json

import pytest

from mentor_dsl import compile
from mentor_dsl.compiler import dumps
from mentor_dsl.library import open_spec

SPEC = """param w = 0.3
reward r:
    require finished else 0
    m = tool_match(teacher)
    a = w * m + w * m
    if m then a + tool_match(teacher, mode="exact_set") else m
reward s:
    step
"""


def test_plans_are_cached_by_text_and_parameters():
    assert compile(SPEC) is compile(SPEC)
    assert compile(SPEC, params={"w": "0.5"}) is not compile(SPEC)
    assert compile(SPEC, params={"w": "0.5"}) is compile(SPEC, params={"w": "0.5"})
    assert compile(SPEC + "\n") is not compile(SPEC)


def test_plans_are_immutable():
    plan = compile(SPEC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.rewards = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.rewards[0].instrs[0].op = "add"


def test_each_term_and_subexpression_is_one_instruction():
    program = compile(SPEC).reward("r")
    ops = [i.op for i in program.instrs]
    assert ops.count("term") == 2          # finished, tool_match (three spellings of one use)
    assert ops.count("mul") == 1           # w * m computed once, used twice
    assert ops.count("guard") == 1 and ops[-1] == "result"
    assert dict(program.bindings).keys() == {"m", "a"}


def test_rewards_are_programs_in_declaration_order():
    plan = compile(SPEC)
    assert plan.reward_names == ("r", "s")
    assert plan.reward().name == "r"
    assert [plan.terms[i].key for i in plan.reward("s").terms] == ["step"]


def test_fields_needed():
    text, shown, _ = open_spec("mentor")
    assert compile(text, name=shown).fields() == ("completion", "finished", "teacher", "answer", "tools")


def test_artefact_is_json_with_everything_needed():
    data = json.loads(dumps(compile(SPEC, name="x.mdsl")))
    assert data["format"] == "mentor-plan/1"
    assert data["source"] == {"name": "x.mdsl", "text": SPEC}
    assert [r["name"] for r in data["rewards"]] == ["r", "s"]
    assert data["rewards"][1]["range"] == [0.0, "inf"]
    assert {t["key"] for t in data["terms"]} == {"finished", "tool_match", "step"}
    assert data["params"] == {"w": 0.3}


def test_unknown_reward_name():
    from mentor_dsl import SpecError

    with pytest.raises(SpecError, match="no reward named 'q'"):
        compile(SPEC).reward("q")
