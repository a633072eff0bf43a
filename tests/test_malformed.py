"""A malformed completion is a defined reward, never an exception (docs/design.md, "Rules the code keeps")."""

import json
import math

import pytest

import mentor_dsl
import trajectory_corpus as corpus
from mentor_dsl.library import library_names

EOS = "<|im_end|>"
MEGABYTE = "x" * 1_000_000

MALFORMED = [
    '<tool_call>{"name": "add", "arguments": {"a": 1,</tool_call>' + EOS,                 # broken JSON
    "<tool_call>" + json.dumps(json.dumps({"name": "add", "arguments": {"a": 1}})) + "</tool_call>" + EOS,
    '<tool_call>{"name": "add", "arguments": "{\\"a\\": \\"{}\\"}"}</tool_call>' + EOS,      # arguments as a string
    '<tool_call>{"name": "add", "arguments": {"a": 1}}' + EOS,                              # unclosed tag
    "</tool_call><tool_call>" + EOS,
    '<tool_call><tool_call>{"name": "add"}</tool_call></tool_call>' + EOS,                  # nested
    "<tool_call>" + "[" * 100_000 + "</tool_call>" + EOS,                                   # deep JSON
    MEGABYTE + "\\boxed{" + MEGABYTE[:1000] + EOS,                                          # 1 MB, unbalanced box
    "\\boxed" + MEGABYTE + EOS,
    "\u202e\u200b\ufeff\x00\\boxed{\U0001F642}\udcff" + EOS,                                # odd unicode, lone surrogate
    '<tool_call>{"name": ["add"], "arguments": []}</tool_call>' + EOS,
    '<tool_call>{"name": {"x": 1}}</tool_call><tool_call>NaN</tool_call><tool_call>null</tool_call>' + EOS,
    '<tool_call>{"name": "add", "arguments": {"a": NaN, "b": Infinity}}</tool_call>\\boxed{1}' + EOS,
    "<think>" * 1000 + "\\boxed{{}}}}{{" + EOS,
    "",
    EOS,
]

EVERY_TERM = """reward everything:
    (finished + answer_present + answer_correct(judge="exact") + answer_correct(judge="f1")
      + answer_correct(extractor="last_line", judge="exact") + tool_calls + teacher_tool_calls
      + no_hallucination + tool_match(teacher, mode="jaccard") + tool_match(teacher, mode="multiset_f1")
      + arg_overlap(teacher) + calls_valid + calls_well_formed + strict_match(teacher)
      + format(regex="<think>") + toolrl_correct(teacher) + step)
"""


def records():
    bfcl = {"category": "simple_python", "functions": [{"name": "add", "parameters": {"type": "dict", "properties": {
        "a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}],
        "possible_answer": {"id": "x", "ground_truth": [{"add": {"a": [1], "b": [2]}}]}}
    out = [{"id": f"m{i}", "completion": text, "answer": "1",
            "teacher": {"tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]}, "tool_results": [], **bfcl}
           for i, text in enumerate(MALFORMED)]
    out += [{**case, "tool_results": [], **bfcl} for case in corpus.CASES]
    return out


@pytest.mark.parametrize("name", library_names())
def test_library_specs_give_defined_rewards(name):
    reward = mentor_dsl.load(name)
    result = reward.score(records())
    assert all(math.isfinite(x) for x in result.rewards.tolist())
    lo, hi = reward.range
    assert all(lo <= x <= hi for x in result.rewards.tolist())


def test_every_term_gives_defined_values():
    result = mentor_dsl.loads(EVERY_TERM).score(records())
    assert all(math.isfinite(x) for x in result.rewards.tolist())
    for values in result.terms.values():
        assert not any(math.isinf(x) for x in values.tolist())


@pytest.mark.parametrize("fmt", ["hermes", "openai", "pythonic", "json_lines", "json_list"])
def test_every_format_survives_the_corpus(fmt):
    reward = mentor_dsl.loads(f'option call_format = "{fmt}"\nreward r:\n    tool_calls + calls_valid\n')
    result = reward.score(records())
    assert all(math.isfinite(x) for x in result.rewards.tolist())
