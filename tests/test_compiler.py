"""The compiler: immutable cached plans, shared sub-expressions, the JSON artefact."""

import dataclasses
import json
import math

import pytest

from mentor_dsl import SpecError, compile, parse
from mentor_dsl import nodes as n
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


# -- compiling a Spec, and Specs built in Python -------------------------------------------------

def test_a_modified_spec_compiles_to_its_own_terms():
    """compile(spec) compiles the Spec it is given, not the text it was parsed from."""
    spec = parse(SPEC)
    plan = compile(spec)
    assert [plan.terms[i].key for i in plan.reward("s").terms] == ["step"]
    s = spec.rewards[1]
    changed = dataclasses.replace(spec, rewards=(spec.rewards[0], dataclasses.replace(
        s, body=(n.Result(n.Binary("*", n.Number(2.0), n.Name("finished"))),))))
    program = compile(changed).reward("s")
    assert [compile(changed).terms[i].key for i in program.terms] == ["finished"]
    assert (program.range.lo, program.range.hi) == (0.0, 2.0)


def test_plans_are_cached_on_the_spec():
    spec = parse(SPEC)
    assert compile(spec) is compile(spec)
    assert compile(spec, params={"w": "0.5"}) is compile(spec, params={"w": "0.5"})
    assert compile(spec, params={"w": "0.5"}) is not compile(spec)
    same_text = parse(SPEC)
    assert same_text == spec and compile(same_text) is not compile(spec)  # a cache per spec object
    assert compile(dataclasses.replace(spec)) is not compile(spec)


def test_a_spec_built_in_python_compiles_without_text():
    spec = n.Spec(
        params=(n.ParamDecl("w", n.Number(0.25)),),
        rewards=(n.RewardDecl("generated", (
            n.Guard(n.Name("finished"), n.Number(0.0)),
            n.Binding("m", n.Call("tool_match", (n.Name("teacher"),), (n.Keyword("mode", n.String("f1")),))),
            n.Result(n.IfExpr(n.Call("answer_correct"), n.Binary("+", n.Number(0.75), n.Binary("*", n.Name("w"),
                                                                                              n.Name("m"))),
                              n.Unary("-", n.Name("m")))),
        )),),
    )
    assert spec.source.text == ""
    plan = compile(spec)
    program = plan.reward()
    assert program.name == "generated"
    assert (program.range.lo, program.range.hi) == (-1.0, 1.0)
    assert dict(program.weights) == {"finished": ("gate",), "answer_correct": ("condition",),
                                     "tool_match": ("-1", "0.25")}
    assert json.loads(dumps(plan))["source"] == {"name": "<string>", "text": ""}


def one_reward(value):
    return n.Spec(rewards=(n.RewardDecl("r", (n.Result(value),)),))


@pytest.mark.parametrize("make, message", [
    (lambda: n.Spec(), "no reward declared"),
    (lambda: one_reward(n.Number(math.inf)), "number inf is not a finite number"),
    (lambda: one_reward(n.Binary("%", n.Number(1), n.Name("step"))), "unknown operator '%'"),
    (lambda: one_reward(n.Name("nope")), "unknown name 'nope'"),
], ids=["no-reward", "inf", "operator", "name"])
def test_errors_in_a_spec_built_in_python_name_no_line(make, message):
    with pytest.raises(SpecError) as info:
        compile(make())
    assert message in info.value.message
    assert info.value.render().startswith(f"<string>: error: {message}")
    assert "\n" not in info.value.render()  # no source line to show


def test_a_spec_built_in_python_is_depth_checked():
    expr = n.Name("finished")
    for _ in range(5000):
        expr = n.Unary("-", expr)
    with pytest.raises(SpecError, match="nested more than 100 levels deep"):
        compile(n.Spec(rewards=(n.RewardDecl("r", (n.Result(expr),)),)))


def test_compile_refuses_what_is_not_a_spec():
    with pytest.raises(TypeError, match="not int"):
        compile(3)


# -- every analysis is linear in the spec ---------------------------------------------------------

def doubling(lines: int) -> str:
    body = "\n".join(f"    b{i} = b{i - 1} + b{i - 1}" for i in range(1, lines + 1))
    return f"reward r:\n    b0 = step\n{body}\n    b{lines}\n"


@pytest.mark.parametrize("lines", [30, 60])
def test_shared_bindings_are_analysed_once(lines):
    """`bN = bN-1 + bN-1` has 2**N paths to `step`: the weight analysis used to follow each
    one (30 lines took minutes). Each node is now visited once."""
    plan = compile(doubling(lines))
    program = plan.reward()
    assert dict(program.weights) == {"step": ("1",)}
    assert (program.range.lo, program.range.hi) == (0.0, math.inf)
    assert [i.op for i in program.instrs].count("add") == lines


class CountingLabels(dict):
    """The labels the weight analysis looks up for each term node it reaches."""

    lookups = 0

    def __getitem__(self, key):
        CountingLabels.lookups += 1
        return super().__getitem__(key)


def test_the_weight_analysis_reaches_each_term_node_a_bounded_number_of_times():
    from mentor_dsl.checker import _weights, check
    from mentor_dsl.plugins import registry

    checked = check(parse(doubling(20)), registry())
    labels = CountingLabels({t.use: t.key for t in checked.terms})
    CountingLabels.lookups = 0
    weights = _weights(checked.rewards[0].statements, labels)
    assert weights == (("step", ("1",)),)
    assert CountingLabels.lookups <= 2  # one term node: 2**20 lookups when walked as a tree


def test_many_distinct_factors_are_listed_as_linear():
    body = "\n".join(f"    b{i} = 2 * b{i - 1} + b{i - 1}" for i in range(1, 41))
    program = compile(f"reward r:\n    b0 = step\n{body}\n    b40\n").reward()
    assert dict(program.weights) == {"step": ("linear",)}
    body = "\n".join(f"    b{i} = 2 * b{i - 1} + b{i - 1}" for i in range(1, 4))
    program = compile(f"reward r:\n    b0 = step\n{body}\n    b3\n").reward()
    assert dict(program.weights) == {"step": ("8", "4", "2", "1")}


def test_a_long_chain_of_bindings_compiles():
    """5,000 bindings each using the one before: the IR is 5,000 levels deep, and the
    passes over it used to recurse ("spec is nested too deeply" at 1:1)."""
    body = "\n".join(f"    b{i} = b{i - 1} + 1" for i in range(1, 5000))
    program = compile(f"reward r:\n    b0 = finished\n{body}\n    b4999\n").reward()
    assert (program.range.lo, program.range.hi) == (4999.0, 5000.0)
    assert dict(program.weights) == {"finished": ("1",)}
