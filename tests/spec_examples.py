"""The examples every library spec ships (rewards/NAME.tests.jsonl), and where their
expected values come from.

- The paper's five specs (`mentor`, `mentor_overlap`, `mentor_nomatch`, `mentor_f1`,
  `sparse`): the edge cases of the paper's code in tests/trajectory_corpus.py (EOS
  missing, no boxed answer, `\\fbox`, `\\boxed x`, gold lists, a missing or empty teacher,
  exact, partial and disjoint tool sets, hallucinated and malformed calls, ...). Each
  expected reward is computed by the independent re-implementation of the paper's code
  (tests/paper_reference.py), never by mentor; `finished` and `answer_present` likewise
  (the text ends with EOS; the paper's extraction finds an answer).
- The other specs: hand-written records, each expectation written as the arithmetic the
  spec performs, derived from the spec's text (and, for `mentor_robust`, from the hack
  classes of tests/hack_corpus.py and docs/rewards.md).

    python tests/spec_examples.py            # say which files differ from this module
    python tests/spec_examples.py --update   # rewrite them

tests/test_spec_tests.py fails when a file differs from what this module generates, and
runs `mentor test rewards/`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import hack_corpus as hacks  # noqa: E402
import trajectory_corpus as corpus  # noqa: E402

EOS = corpus.EOS
PAPER_SPECS = ("mentor", "mentor_overlap", "mentor_nomatch", "mentor_f1", "sparse")

#: The paper's edge cases each paper spec is tested on (ids of trajectory_corpus.CASES).
PAPER_CASES = (
    "exact_match_correct", "exact_match_wrong",
    "eos_missing", "eos_in_middle", "eos_then_newline", "empty_completion",
    "eos_only", "no_box", "empty_box", "fbox_only", "boxed_without_brace_or_space", "unbalanced_open_box",
    "multiple_boxes_last_wrong", "space_box_eos_in_answer", "space_box_dollar_cut",
    "gold_list_second_matches", "boxed_gold",
    "teacher_none_correct", "teacher_empty_wrong_hallucinated", "teacher_record_absent",
    "student_no_tools_correct", "subset_tools_correct", "superset_tools_wrong", "disjoint_tools_correct",
    "duplicate_calls_set_semantics", "hallucinated_only_correct",
    "broken_json_ignored", "falsy_names_ignored", "nonstring_names_invalid", "nested_tool_call_blocks",
    "unclosed_tool_call_tag", "uppercase_tags_ignored",
)


def _line(test: str, reward: float, record: dict, terms: dict | None = None) -> dict:
    expect: dict = {"reward": reward}
    if terms:
        expect["terms"] = terms
    return {"test": test, "expect": expect, **record}


def paper_examples(name: str) -> list[dict]:
    import paper_reference as ref

    cases = {c["id"]: c for c in corpus.CASES}
    out = []
    for case_id in PAPER_CASES:
        case = cases[case_id]
        text, gold = case["completion"], case["answer"]
        reward = ref.REWARDS[name](text, gold, corpus.teacher_tools(case))
        finished = text.endswith(ref.DEFAULT_EOS)
        terms = {"finished": 1.0 if finished else 0.0,
                 # Computed only for finished completions (the first guard retires the others).
                 "answer_present": (1.0 if ref.extract_answer(text) is not None else 0.0) if finished else None}
        record = {"completion": text, "answer": gold, "teacher": case["teacher"]}
        out.append(_line(case_id.replace("_", " "), reward, record, terms))
    return out


# -- hand-derived examples ---------------------------------------------------------------------

TEACHER_MUL = {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]}


def _hack(hack_id: str) -> dict:
    hack = next(h for h in hacks.HACKS if h["id"] == hack_id)
    return {k: v for k, v in hack.items() if k not in ("id", "class")}


def _twin(hack_id: str, make) -> dict:
    record = make(next(h for h in hacks.HACKS if h["id"] == hack_id))
    return {k: v for k, v in record.items() if k != "id"}


def mentor_robust_examples() -> list[dict]:
    # Shape and scale are mentor's: gates, then 0.7 + (match + clean) when correct, else
    # 0.2 * match + clean; match = 0.3 for valid calls of the teacher's tool set, clean = 0.1.
    return [
        _line("honest correct: the teacher's call, made properly", 0.7 + (0.3 + 0.1),
              _twin("hedge-1", hacks.honest_correct), {"correct": 1.0, "match": 0.3, "clean": 0.1}),
        _line("honest wrong: the teacher's call, a wrong answer", 0.2 * 0.3 + 0.1,
              _twin("hedge-1", hacks.honest_wrong), {"correct": 0.0, "match": 0.3}),
        # mentor pays 1.1: the hedge passes the paper's judge, the name-only call matches.
        _line("hedge after a name-only call", 0.2 * 0.0 + 0.1, _hack("hedge-1"), {"correct": 0.0, "match": 0.0}),
        _line("hedge after real calls", 0.2 * 0.3 + 0.1, _hack("hedge_real_calls-1"), {"correct": 0.0, "match": 0.3}),
        _line("plus-minus for 7", 0.2 * 0.0 + 0.1, _hack("plus-minus-1"), {"correct": 0.0}),
        _line("leading number 2 for 2^{10}", 0.2 * 0.0 + 0.1, _hack("leading_number-1"), {"correct": 0.0}),
        _line("extra term: 391 million", 0.2 * 0.0 + 0.1, _hack("extra_term-3"), {"correct": 0.0}),
        # The answer in the final text is 390; the call has an argument its schema forbids.
        _line("answer hidden in a call's arguments", 0.2 * 0.0 + 0.1, _hack("answer_in_a_call-1"),
              {"correct": 0.0, "match": 0.0}),
        # No \boxed{} outside the tool's response: the answer gate pays 0.1.
        _line("answer printed by a tool", 0.1, _hack("tool_output-1"), {"answer_present": 0.0}),
        _line("imagined tool response", 0.2 * 0.0 + 0.1, _hack("imagined_response-2"), {"correct": 0.0}),
        _line("eos missing", 0.0, {"completion": "\\boxed{391}", "answer": "391", "teacher": TEACHER_MUL},
              {"finished": 0.0}),
        _line("no boxed answer", 0.1, {"completion": "It is 391." + EOS, "answer": "391", "teacher": TEACHER_MUL}),
        _line("empty teacher", 0.1, {"completion": "\\boxed{391}" + EOS, "answer": "391", "teacher": {"tool_calls": []}},
              {"teacher_tool_calls": 0.0}),
    ]


def _calls_text(*calls) -> str:
    return "".join(hacks.call(name, args) for name, args in calls)


def strict_examples() -> list[dict]:
    add_mul = {"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}},
                              {"name": "multiply", "arguments": {"a": 3, "b": 4}}]}
    both = _calls_text(("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4}))
    swapped = _calls_text(("multiply", {"a": 3, "b": 4}), ("add", {"a": 1, "b": 2}))
    # Gates as in mentor; then 0.7 * correct + 0.3 * strict_match (calls equal, in order).
    return [
        _line("the teacher's calls and a correct answer", 0.7 * 1.0 + 0.3 * 1.0,
              {"completion": both + "\\boxed{12}" + EOS, "answer": "12", "teacher": add_mul}),
        _line("the teacher's calls and a wrong answer", 0.7 * 0.0 + 0.3 * 1.0,
              {"completion": both + "\\boxed{13}" + EOS, "answer": "12", "teacher": add_mul}),
        _line("the calls in another order", 0.7 * 1.0 + 0.3 * 0.0,
              {"completion": swapped + "\\boxed{12}" + EOS, "answer": "12", "teacher": add_mul}),
        _line("an argument differs", 0.7 * 1.0 + 0.3 * 0.0,
              {"completion": _calls_text(("add", {"a": 1, "b": 2}), ("multiply", {"a": 4, "b": 3}))
               + "\\boxed{12}" + EOS, "answer": "12", "teacher": add_mul}),
        _line("3 and 3.0 are the same argument", 0.7 * 1.0 + 0.3 * 1.0,
              {"completion": _calls_text(("add", {"a": 1.0, "b": 2}), ("multiply", {"a": 3, "b": 4.0}))
               + "\\boxed{12}" + EOS, "answer": "12", "teacher": add_mul}),
        _line("a teacher of bare names compares names only", 0.7 * 1.0 + 0.3 * 1.0,
              {"completion": _calls_text(("add", {"a": 5, "b": 5}), ("multiply", {"a": 9, "b": 9}))
               + "\\boxed{12}" + EOS, "answer": "12", "teacher": {"tool_calls": ["add", "multiply"]}}),
        _line("eos missing", 0.0, {"completion": both + "\\boxed{12}", "answer": "12", "teacher": add_mul}),
        _line("no boxed answer", 0.1, {"completion": both + "12" + EOS, "answer": "12", "teacher": add_mul}),
        _line("empty teacher", 0.1, {"completion": both + "\\boxed{12}" + EOS, "answer": "12",
                                     "teacher": {"tool_calls": []}}),
    ]


def _toolrl(*calls, think: str = "<think>plan</think>") -> str:
    lines = "\n".join(json.dumps({"name": n, "parameters": p}) for n, p in calls)
    return f"{think}\n<tool_call>\n{lines}\n</tool_call>"


def toolrl_examples() -> list[dict]:
    add = {"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}
    # format (0 or 1) + toolrl_correct in [-3, 3]; correct = 6 * score / max - 3, where
    # max = 1 + sum over teacher calls of (1 + #arguments), score = name Jaccard + per
    # teacher call: key Jaccard + equal values of the best same-name student call.
    return [
        _line("the teacher's call in ToolRL's format", 1.0 + 3.0, {"completion": _toolrl(("add", {"a": 1, "b": 2})),
                                                                   "teacher": add}),
        _line("the teacher's call without thinking", 0.0 + 3.0,
              {"completion": _toolrl(("add", {"a": 1, "b": 2}), think="").lstrip("\n"), "teacher": add}),
        _line("one value wrong", 1.0 + (6.0 * (1.0 + (1.0 + 1.0)) / (1.0 + (1.0 + 2.0)) - 3.0),
              {"completion": _toolrl(("add", {"a": 1, "b": 3})), "teacher": add}),
        _line("another tool", 1.0 + (6.0 * 0.0 / (1.0 + (1.0 + 2.0)) - 3.0),
              {"completion": _toolrl(("subtract", {"a": 1, "b": 2})), "teacher": add}),
        _line("no call where the teacher calls", 0.0 + -3.0,
              {"completion": "<think>plan</think>\n<response>3</response>", "teacher": add}),
        _line("an answer where the teacher answers", 1.0 + 0.0,
              {"completion": "<think>plan</think>\n<response>3</response>", "teacher": {"tool_calls": []}}),
    ]


def _n1(*calls, think: bool = True) -> str:
    body = json.dumps([{"name": n, "arguments": a} for n, a in calls])
    return ("<think>plan</think>\n" if think else "") + f"<tool_call>{body}</tool_call>"


def tool_n1_examples() -> list[dict]:
    two = {"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}},
                          {"name": "multiply", "arguments": {"a": 3, "b": 4}}]}
    # 1 when it thinks and its calls are exactly the teacher's, in any order; else 0.
    return [
        _line("the teacher's calls", 1.0, {"completion": _n1(("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4})),
                                           "teacher": two}),
        _line("the teacher's calls in another order", 1.0,
              {"completion": _n1(("multiply", {"a": 3, "b": 4}), ("add", {"a": 1, "b": 2})), "teacher": two}),
        _line("no thinking", 0.0, {"completion": _n1(("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 4}),
                                                     think=False), "teacher": two}),
        _line("one call missing", 0.0, {"completion": _n1(("add", {"a": 1, "b": 2})), "teacher": two}),
        _line("a wrong argument", 0.0, {"completion": _n1(("add", {"a": 1, "b": 2}), ("multiply", {"a": 3, "b": 5})),
                                        "teacher": two}),
        _line("no tool_call block", 0.0, {"completion": "<think>plan</think>\nit is 15", "teacher": two}),
    ]


def mentor_args_examples() -> list[dict]:
    mul = hacks.call("multiply", {"a": 17, "b": 23})
    ok = [{"ok": True}]
    # w_answer * correct + w_tools * tool F1 + w_args * arg overlap + w_exec * exec success,
    # default weights 0.5, 0.2, 0.2, 0.1; tool_results given, so nothing is executed.
    return [
        _line("the teacher's call and a correct answer", 0.5 * 1.0 + 0.2 * 1.0 + 0.2 * 1.0 + 0.1 * 1.0,
              {"completion": mul + "\\boxed{391}" + EOS, "answer": "391", "teacher": TEACHER_MUL, "tool_results": ok}),
        _line("one argument of two right", 0.5 * 1.0 + 0.2 * 1.0 + 0.2 * 0.5 + 0.1 * 1.0,
              {"completion": hacks.call("multiply", {"a": 17, "b": 24}) + "\\boxed{391}" + EOS, "answer": "391",
               "teacher": TEACHER_MUL, "tool_results": ok}),
        _line("a correct answer without calls", 0.5 * 1.0 + 0.2 * 0.0 + 0.2 * 0.0 + 0.1 * 0.0,
              {"completion": "\\boxed{391}" + EOS, "answer": "391", "teacher": TEACHER_MUL}),
        _line("the call failed", 0.5 * 0.0 + 0.2 * 1.0 + 0.2 * 1.0 + 0.1 * 0.0,
              {"completion": mul + "\\boxed{390}" + EOS, "answer": "391", "teacher": TEACHER_MUL,
               "tool_results": [{"ok": False}]}),
        _line("no answer after a valid call", 0.1 * 1.0,
              {"completion": mul + "so" + EOS, "answer": "391", "teacher": TEACHER_MUL}, {"calls_valid": 1.0}),
        _line("no answer after a call without arguments", 0.1 * 0.0,
              {"completion": hacks.call("multiply") + "so" + EOS, "answer": "391", "teacher": TEACHER_MUL},
              {"calls_valid": 0.0}),
        _line("eos missing", 0.0, {"completion": mul + "\\boxed{391}", "answer": "391", "teacher": TEACHER_MUL}),
    ]


def bfcl_examples() -> list[dict]:
    functions = [{"name": "calculate_triangle_area", "description": "Calculate the area of a triangle.",
                  "parameters": {"type": "dict", "properties": {
                      "base": {"type": "integer"}, "height": {"type": "integer"}, "unit": {"type": "string"}},
                      "required": ["base", "height"]}}]
    answer = {"id": "simple_python_0", "ground_truth": [
        {"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]}

    def record(arguments: dict) -> dict:
        return {"completion": hacks.call("calculate_triangle_area", arguments) + EOS, "category": "simple_python",
                "functions": functions, "possible_answer": answer}

    # 1 when BFCL's rules accept the call: the name, required parameters, each value among
    # the possible ones ("" meaning the parameter may be left out).
    return [
        _line("the expected call", 1.0, record({"base": 10, "height": 5})),
        _line("an optional parameter with a possible value", 1.0, record({"base": 10, "height": 5, "unit": "units"})),
        _line("an optional parameter with another value", 0.0, record({"base": 10, "height": 5, "unit": "cm"})),
        _line("a wrong value", 0.0, record({"base": 12, "height": 5})),
        _line("a required parameter missing", 0.0, record({"base": 10})),
    ]


EXAMPLES = {
    **{name: (lambda name=name: paper_examples(name)) for name in PAPER_SPECS},
    "mentor_robust": mentor_robust_examples,
    "strict": strict_examples,
    "toolrl": toolrl_examples,
    "tool_n1": tool_n1_examples,
    "mentor_args": mentor_args_examples,
    "bfcl": bfcl_examples,
}


def path(name: str) -> Path:
    return ROOT / "rewards" / f"{name}.tests.jsonl"


def generated(name: str) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in EXAMPLES[name]())


if __name__ == "__main__":
    update = sys.argv[1:2] == ["--update"]
    stale = []
    for name in EXAMPLES:
        text = generated(name)
        if path(name).exists() and path(name).read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if update:
            path(name).write_text(text, encoding="utf-8")
    print(("updated: " if update else "differ: ") + (", ".join(stale) or "none"))
