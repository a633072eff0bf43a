"""Built-in terms (docs/terms.md), on hand-written cases and generated ones."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl.calls import Call
from mentor_dsl.terms.matching import arg_overlap, calls_equal, name_set_score, values_agree

EOS = "<|im_end|>"


def call(name, **arguments):
    return f'<tool_call>{json.dumps({"name": name, "arguments": arguments})}</tool_call>'


def term(expression: str, record: dict, **kw) -> float:
    reward = mentor_dsl.loads(f"reward r:\n    {expression}\n")
    return reward.score([{"completion": "", **record}], **kw).rewards[0].item()


def test_finished():
    assert term("finished", {"completion": "x" + EOS}) == 1.0
    assert term("finished", {"completion": "x"}) == 0.0
    assert term("finished", {"completion": "x", "finished": True}) == 1.0
    assert term("finished", {"completion": [{"role": "assistant", "content": "x"}]}) == 1.0


@pytest.mark.parametrize("text, extractor, present", [
    ("\\boxed{4}", "boxed", 1.0), ("\\boxed{}", "boxed", 0.0), ("\\fbox{4}", "boxed", 0.0),
    ("<answer> 4 </answer>", "tag:answer", 1.0), ("<answer> </answer>", "tag:answer", 0.0),
    ("work\n\nfinal: 4\n<|im_end|>", "last_line", 1.0), ("   \n", "last_line", 0.0),
])
def test_answer_present(text, extractor, present):
    assert term(f'answer_present(extractor="{extractor}")', {"completion": text}) == present


@pytest.mark.parametrize("judge, prediction, gold, value", [
    ("math", "\\frac{1}{2}", "0.5", 1.0),
    ("math", "391", "\\boxed{391}", 1.0),
    ("math", "390", "391", 0.0),
    ("math", "42", ["41", "42"], 1.0),
    ("exact", " Paris. ", "paris", 1.0),
    ("exact", "Paris, France", "paris", 0.0),
    ("f1", "the city of Paris", "Paris city", 0.8),
])
def test_answer_correct(judge, prediction, gold, value):
    got = term(f'answer_correct(judge="{judge}")', {"completion": f"\\boxed{{{prediction}}}", "answer": gold})
    assert got == pytest.approx(value)


def test_answer_correct_is_zero_without_an_answer():
    assert term("answer_correct", {"completion": "no box", "answer": "1"}) == 0.0


def test_counts_and_hallucination():
    text = call("add", a=1, b=2) + call("frobnicate") + "<tool_call>not json</tool_call>"
    record = {"completion": text, "teacher": {"tool_calls": ["add", "multiply"]}, "tools": ["add", "multiply"]}
    assert term("tool_calls", record) == 2.0            # blocks without a name are not calls
    assert term("teacher_tool_calls", record) == 2.0
    assert term("no_hallucination", record) == 0.0
    assert term('no_hallucination(tools="mentor_math")', record) == 0.0
    assert term("no_hallucination", {"completion": call("add")}) == 1.0   # default: every registered tool
    assert term("no_hallucination", {"completion": call("add"), "tools": ["multiply"]}) == 0.0


@pytest.mark.parametrize("mode, student, teacher, value", [
    ("exact_set", ["add", "add"], ["add"], 1.0),
    ("exact_set", [], [], 0.0),
    ("exact_set", ["add"], ["add", "multiply"], 0.0),
    ("overlap", ["add", "sqrt"], ["add", "multiply"], 1.0),
    ("overlap", ["sqrt"], ["add"], 0.0),
    ("f1", [], [], 1.0),
    ("f1", ["add"], [], 0.0),
    ("f1", ["add", "sqrt"], ["add", "multiply"], 0.5),
    ("jaccard", ["add", "add"], ["add"], 0.5),
    ("jaccard", [], [], 1.0),
    ("multiset_f1", ["add", "add"], ["add"], 2 * 0.5 * 1 / 1.5),
])
def test_tool_match_modes(mode, student, teacher, value):
    text = "".join(call(n) for n in student)
    got = term(f'tool_match(teacher, mode="{mode}")', {"completion": text, "teacher": {"tool_calls": teacher}})
    assert got == pytest.approx(value)


def test_tool_match_ignores_invalid_names():
    record = {"completion": call("add") + call("nope"), "teacher": {"tool_calls": ["add"]}}
    assert term('tool_match(teacher, tools="mentor_math")', record) == 1.0


@pytest.mark.parametrize("student, value", [
    (call("multiply", a=17, b=23), 1.0),
    (call("multiply"), 0.0),                                                   # no arguments
    ('<tool_call>{"name": "multiply"}</tool_call>', 0.0),                     # no arguments at all
    ('<tool_call>{"name": "multiply", "arguments": "garbage"}</tool_call>', 0.0),
    (call("multiply", a="17", b="23"), 0.0),                                  # wrong types
    (call("multiply", a=17, b=23, c=1), 0.0),                                 # an unknown argument
    (call("multiply") + call("multiply", a=1, b=2), 1.0),                     # one valid call is enough
    (call("multiply", a=1, b=2) + call("frobnicate", x=1), 1.0),             # unknown names never count
])
def test_tool_match_valid_only_counts_calls_that_fit_the_schema(student, value):
    record = {"completion": student, "teacher": {"tool_calls": ["multiply"]}}
    assert term('tool_match(teacher, tools="mentor_math", valid_only=true)', record) == value
    # Without the option every call to an available name counts, as in the paper.
    assert term('tool_match(teacher, tools="mentor_math")', record) == 1.0


def test_math_strict_judge_and_final_boxed_extractor_in_a_spec():
    record = {"completion": "\\boxed{390 \\text{ or } 391}", "answer": "391"}
    assert term('answer_correct(judge="math")', record) == 1.0
    assert term('answer_correct(judge="math_strict")', record) == 0.0
    hidden = {"completion": '\\boxed{390}<tool_call>{"name": "add", "x": "\\\\boxed{391}"}</tool_call>',
              "answer": "391"}
    assert term("answer_correct", hidden) == 1.0
    assert term('answer_correct(extractor="final_boxed")', hidden) == 0.0


def c(name, **args):
    return Call(name, args)


@pytest.mark.parametrize("student, teacher, value", [
    ([], [], 1.0),
    ([c("add", a=1, b=2)], [c("add", a=1, b=2)], 1.0),
    ([c("add", a=1.0000001, b=2)], [c("add", a=1, b=2)], 1.0),           # within 1e-6 relative
    ([c("add", a=1, b=3)], [c("add", a=1, b=2)], 0.5),
    ([c("add", a=1)], [c("add", a=1, b=2)], 0.5),                        # key union
    ([c("add", a=1, b=2)], [], 0.0),
    ([c("sub", a=1, b=2)], [c("add", a=1, b=2)], 0.0),                   # names must agree
    ([c("add", a=1, b=2), c("add", a=9, b=9)], [c("add", a=1, b=2)], 0.5),   # max(#t, #s)
    ([c("add", a=9, b=9), c("add", a=1, b=2)], [c("add", a=1, b=2), c("add", a=9, b=8)], (1 + 0.5) / 2),
    ([c("f", s=" Hello  World ")], [c("f", s="hello world")], 1.0),       # case and whitespace folding
    ([c("f", x={"b": 1, "a": [1, 2]})], [c("f", x={"a": [1, 2.0], "b": 1})], 1.0),
    ([c("f")], [c("f")], 1.0),
])
def test_arg_overlap(student, teacher, value):
    assert arg_overlap(student, teacher, names_only=False) == pytest.approx(value)


def test_arg_overlap_with_name_only_teacher_compares_names():
    assert arg_overlap([c("add", a=5)], [Call("add")], names_only=True) == 1.0


def test_arg_overlap_pairs_best_first():
    # The second student call is the better partner for the first teacher call.
    student = [c("add", a=1, b=0), c("add", a=1, b=2)]
    teacher = [c("add", a=1, b=2), c("add", a=7, b=0)]
    assert arg_overlap(student, teacher, names_only=False) == pytest.approx((1.0 + 0.5) / 2)


def test_values_agree():
    assert values_agree(3, 3.0) and values_agree(1e9, 1e9 + 1) and not values_agree(1.0, 1.1)
    assert values_agree("A b", "a  B") and not values_agree("1", 1) and not values_agree(True, 1)
    assert values_agree(None, None) and values_agree([1, 2], [1.0, 2])


def test_strict_match():
    t = [c("add", a=1, b=2), c("mul", a=3, b=4)]
    assert calls_equal([c("add", b=2, a=1.0), c("mul", a=3, b=4)], t, names_only=False, ordered=True)
    assert not calls_equal(list(reversed(t)), t, names_only=False, ordered=True)
    assert calls_equal(list(reversed(t)), t, names_only=False, ordered=False)
    assert not calls_equal(t[:1], t, names_only=False, ordered=False)
    assert calls_equal([c("add", z=9)], [Call("add")], names_only=True, ordered=True)


def test_calls_valid_and_well_formed():
    good = call("add", a=1, b=2)
    assert term("calls_valid", {"completion": good}) == 1.0
    assert term("calls_valid", {"completion": ""}) == 1.0                        # no calls: vacuously valid
    assert term("calls_valid", {"completion": call("add", a="x", b=2)}) == 0.0  # schema violation
    assert term("calls_valid", {"completion": call("nope")}) == 0.0
    assert term("calls_valid", {"completion": good + "<tool_call>{</tool_call>"}) == 0.0
    assert term("calls_well_formed", {"completion": call("nope")}) == 1.0
    assert term("calls_well_formed", {"completion": "<tool_call>[1]</tool_call>"}) == 0.0


def test_exec_success_from_recorded_results():
    record = {"completion": call("add", a=1, b=2) + call("add"), "tool_results": [{"ok": True}, {"ok": False}]}
    assert term("exec_success", record) == 0.5
    assert term("exec_success", {"completion": "", "tool_results": []}) == 0.0


def test_format_regex():
    assert term('format(regex="^<think>.*</think>")', {"completion": "<think>a\nb</think> rest"}) == 1.0
    assert term('format(regex="\\A<think>")', {"completion": " <think>"}) == 0.0


def test_step():
    assert term("step", {}, step=7) == 7.0


# -- properties --------------------------------------------------------------------------------

NAMES = st.sampled_from(["add", "multiply", "sqrt", "nope"])


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMES, max_size=5), st.lists(NAMES, max_size=5))
def test_name_scores_are_bounded_and_consistent(student, teacher):
    scores = {m: name_set_score(student, teacher, m) for m in ("exact_set", "overlap", "f1", "jaccard", "multiset_f1")}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert scores["f1"] == pytest.approx(name_set_score(teacher, student, "f1"))
    if scores["exact_set"] == 1.0:
        assert scores["overlap"] == 1.0 and scores["f1"] == 1.0
    if scores["overlap"] == 0.0 and (student or teacher):
        assert scores["f1"] == 0.0 and scores["jaccard"] == 0.0
    if sorted(student) == sorted(teacher):
        assert scores["jaccard"] == 1.0 and scores["multiset_f1"] == 1.0


VALUES = st.one_of(st.integers(-5, 5), st.sampled_from(["x", "Y", " y "]), st.none(), st.booleans())
CALLS = st.builds(lambda n, a: Call(n, a), NAMES, st.dictionaries(st.sampled_from("abc"), VALUES, max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.lists(CALLS, max_size=4), st.lists(CALLS, max_size=4))
def test_arg_overlap_properties(student, teacher):
    value = arg_overlap(student, teacher, names_only=False)
    assert 0.0 <= value <= 1.0
    assert arg_overlap(teacher, teacher, names_only=False) == 1.0
    if calls_equal(student, teacher, names_only=False, ordered=False):
        assert value == pytest.approx(1.0)
