"""Edge-case trajectory corpus for the MENTOR paper rewards.

Two things live here:

``CASES``
    Hand-written, named trajectories in the project's record form::

        {"id": str,
         "completion": raw completion text (what the policy emitted, EOS included),
         "answer": gold answer, a str or a list of str,
         "teacher": {"tool_calls": [tool names] or None},
         # test-only extras:
         "hits": [branch labels, see BRANCHES],
         "expect": {reward name: hand-computed float},
         "official_crash": [reward names that raise in the official code]}

    Every ``expect`` value was derived by hand from the official semantics
    (see ``tests/paper_reference.py`` for the written-out rules) and is
    spelled as the arithmetic the official code performs, in its order, so
    that exact float equality can be asserted.  Where a judge verdict is not
    obvious the comment states which of the three judges accepts.

``trajectories()``
    A hypothesis strategy composing short completions from the same building
    blocks (tool-call blocks of every kind, boxed variants, EOS placement,
    filler text) together with golds and teacher lists, for property tests.

Reward names: ``mentor`` (mentor.py), ``mentor_overlap`` (ablation2),
``mentor_nomatch`` (ablation3), ``mentor_f1`` (ablation4), ``sparse``.
"""

from __future__ import annotations

import json

EOS = "<|im_end|>"

REWARD_NAMES = ("mentor", "mentor_overlap", "mentor_nomatch", "mentor_f1", "sparse")

#: The paper's arithmetic tool vocabulary (any other name is hallucinated).
TOOL_NAMES = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "sum_numbers",
    "floor",
    "ceil",
    "round_number",
    "power",
    "sqrt",
    "abs_value",
    "modulo",
)

#: Branch labels used in ``hits``; every label is hit by at least one case.
BRANCHES = {
    # step 1: EOS
    "eos_missing": "completion does not end with the EOS string -> 0.0",
    "eos_ok": "completion ends with EOS",
    # step 2: boxed extraction
    "box_missing": "no \\boxed / \\fbox at all -> 0.1",
    "box_unbalanced": "last \\boxed has no closing brace at depth 0 -> 0.1",
    "box_shape_error": "candidate is not \\boxed{...} (\\fbox, \\boxedx{) -> 0.1",
    "box_empty": "answer empty after strip() -> 0.1",
    "box_brace": "answer taken from the last \\boxed{...}",
    "box_space": "'\\boxed ' somewhere -> text after the last one, up to '$'",
    # step 3: judge
    "judge_correct": "unified judge accepts",
    "judge_wrong": "unified judge rejects",
    "judge_metric_only": "only math-verify math_metric accepts",
    "judge_parse_verify_only": "only math-verify parse/verify accepts",
    "judge_mathruler_only": "only mathruler grade_answer accepts",
    "gold_list": "gold is a list of alternatives",
    "gold_boxed": "gold contains \\boxed{ and is reduced for math-verify",
    "gold_unreducible": "gold \\boxed{ cannot be reduced (official crash)",
    # step 5: teacher
    "teacher_missing": "teacher tools None/empty -> 0.1 (not nomatch/sparse)",
    # step 6: tool terms
    "tools_none": "student used no valid tool",
    "tools_exact": "student tool set == teacher tool set",
    "tools_partial": "sets overlap but differ",
    "tools_disjoint": "student used valid tools, none of the teacher's",
    "hallucination": "at least one invalid tool name",
    "clean": "no invalid tool name",
    # tool-call parsing
    "json_dict": "block decodes to a dict with a name",
    "json_error_fallback_miss": "bad JSON, regex fallback does not match",
    "json_error_fallback_hit": "bad JSON, regex fallback (needs a backslash) matches",
    "json_typeerror_fallback": "valid JSON but 'name' lookup raises -> fallback",
    "json_non_dict": "valid JSON without a name (list, str, number, ...)",
    "name_falsy": "name is '', null, 0, false, [], {} -> ignored",
    "name_nonstring": "name is a truthy hashable non-str -> invalid",
    "name_unhashable": "name is a non-empty list/dict (official crash)",
    "nested_blocks": "<tool_call> inside <tool_call>",
    "unclosed_block": "<tool_call> without </tool_call>",
    "big_text": "about 1 MB of text",
    "odd_unicode": "RTL / zero-width / emoji / NUL / NBSP / BOM characters",
}


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------
def call(name, arguments=None) -> str:
    """A well-formed Qwen-style tool call block."""
    body = json.dumps({"name": name, "arguments": arguments if arguments is not None else {}})
    return "<tool_call>\n" + body + "\n</tool_call>"


def raw_call(body: str) -> str:
    """A tool call block with an arbitrary (possibly broken) body."""
    return "<tool_call>\n" + body + "\n</tool_call>"


def response(text: str) -> str:
    return "<tool_response>\n" + text + "\n</tool_response>\n"


THINK = "<think>\nLet me compute this with the tools.\n</think>\n"
ADD = call("add", {"a": 40, "b": 2})
MUL = call("multiply", {"a": 42, "b": 1})
SQRT = call("sqrt", {"x": 1764})
TWO_TOOLS = THINK + ADD + "\n" + response("42") + MUL + "\n" + response("42")

T_ADD_MUL = {"tool_calls": ["add", "multiply"]}
T_ADD = {"tool_calls": ["add"]}


def _expect(mentor, mentor_overlap, mentor_nomatch, mentor_f1, sparse):
    return {
        "mentor": mentor,
        "mentor_overlap": mentor_overlap,
        "mentor_nomatch": mentor_nomatch,
        "mentor_f1": mentor_f1,
        "sparse": sparse,
    }


# Outcomes that recur; each is written as the official arithmetic.
ALL_ZERO = _expect(0.0, 0.0, 0.0, 0.0, 0.0)  # EOS missing
FORMAT_ONLY = _expect(0.1, 0.1, 0.1, 0.1, 0.1)  # boxed extraction failed
# correct answer, student tool set == teacher set, nothing hallucinated
CORRECT_EXACT_CLEAN = _expect(
    0.7 + (0.3 + 0.1),  # 1.1
    0.7 + 0.3,  # 1.0
    0.7 + 0.1,  # 0.7999999999999999
    0.7 + (0.3 * 1.0 + 0.1),  # F1 = 2*1.0*1.0/(1.0+1.0) = 1.0
    1.0,
)
# wrong answer, student tool set == teacher set, nothing hallucinated
WRONG_EXACT_CLEAN = _expect(
    0.0 + (0.3 * 0.2 + 0.1),  # 0.16
    0.0 + 0.3 * 0.2,  # 0.06
    0.0 + 0.1,  # 0.1
    0.0 + (0.3 * 1.0 * 0.2 + 0.1),  # 0.16
    0.1,
)
# correct answer, student used no valid tool, nothing hallucinated
CORRECT_NOTOOLS_CLEAN = _expect(
    0.7 + (0.0 + 0.1),  # 0.7999999999999999
    0.7 + 0.0,  # 0.7
    0.7 + 0.1,
    0.7 + (0.0 + 0.1),  # student_used_tools False -> tool_matching stays 0.0
    1.0,
)
# correct answer, student used no valid tool, something hallucinated
CORRECT_NOTOOLS_HALLUCINATED = _expect(
    0.7 + (0.0 + 0.0),
    0.7 + 0.0,
    0.7 + 0.0,
    0.7 + (0.0 + 0.0),
    1.0,
)
# correct answer, exact tool set, but also a hallucinated name
CORRECT_EXACT_HALLUCINATED = _expect(
    0.7 + (0.3 + 0.0),  # 1.0
    0.7 + 0.3,
    0.7 + 0.0,
    0.7 + (0.3 * 1.0 + 0.0),
    1.0,
)

_PAD = "The answer is "


# --------------------------------------------------------------------------
# Hand-written cases
# --------------------------------------------------------------------------
CASES: list[dict] = [
    # ---------------- step 1: EOS ----------------
    {
        # Reference trajectory: exact tools, correct, EOS -> every bonus.
        "id": "exact_match_correct",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Same tools, wrong number: match term scaled by 0.2, clean bonus kept.
        "id": "exact_match_wrong",
        "completion": TWO_TOOLS + _PAD + "\\boxed{41}." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # EOS absent (truncated generation) -> 0.0 before anything else.
        "id": "eos_missing",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}.",
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_missing"],
        "expect": ALL_ZERO,
    },
    {
        # EOS in the middle, text after it -> does not END with EOS -> 0.0.
        "id": "eos_in_middle",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}." + EOS + " extra words",
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_missing"],
        "expect": ALL_ZERO,
    },
    {
        # A trailing newline after EOS is enough to fail endswith -> 0.0.
        "id": "eos_then_newline",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}." + EOS + "\n",
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_missing"],
        "expect": ALL_ZERO,
    },
    {
        # RTL mark after EOS (invisible) -> 0.0.
        "id": "rtl_mark_after_eos",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}." + EOS + "\u200f",
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_missing", "odd_unicode"],
        "expect": ALL_ZERO,
    },
    {
        # Empty completion: "".endswith(EOS) is False -> 0.0.
        "id": "empty_completion",
        "completion": "",
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_missing"],
        "expect": ALL_ZERO,
    },
    {
        # EOS alone: ends with EOS, no box -> 0.1 everywhere.
        "id": "eos_only",
        "completion": EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_missing"],
        "expect": FORMAT_ONLY,
    },
    # ---------------- step 2: boxed extraction ----------------
    {
        # No box at all -> 0.1 (even though tools are perfect).
        "id": "no_box",
        "completion": TWO_TOOLS + "The answer is 42." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_missing"],
        "expect": FORMAT_ONLY,
    },
    {
        # \boxed{} -> empty answer -> 0.1.
        "id": "empty_box",
        "completion": TWO_TOOLS + _PAD + "\\boxed{}." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "box_empty"],
        "expect": FORMAT_ONLY,
    },
    {
        # Only whitespace inside -> strip() empties it -> 0.1.
        "id": "whitespace_box",
        "completion": TWO_TOOLS + _PAD + "\\boxed{ \n\t }." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "box_empty"],
        "expect": FORMAT_ONLY,
    },
    {
        # \fbox{42} is located (no \boxed anywhere) but fails the
        # "starts with \boxed{" assertion -> extraction error -> 0.1.
        "id": "fbox_only",
        "completion": TWO_TOOLS + _PAD + "\\fbox{42}." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_shape_error"],
        "expect": FORMAT_ONLY,
    },
    {
        # \fbox is only a fallback: with any \boxed present, \boxed wins.
        "id": "fbox_after_boxed",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}, not \\fbox{41}." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "\boxed42": no brace and no space; no '{' after it -> None -> 0.1.
        "id": "boxed_without_brace_or_space",
        "completion": TWO_TOOLS + _PAD + "\\boxed42" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_unbalanced"],
        "expect": FORMAT_ONLY,
    },
    {
        # A bare trailing "\boxed" after a good box: rfind picks the bare one,
        # no brace follows -> None -> 0.1 (the good box is never looked at).
        "id": "trailing_bare_boxed",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}; I used \\boxed" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_unbalanced"],
        "expect": FORMAT_ONLY,
    },
    {
        # "\boxedx{42}": the brace scan succeeds but the candidate does not
        # start with "\boxed{" -> assertion -> 0.1.
        "id": "boxed_suffix_junk",
        "completion": TWO_TOOLS + _PAD + "\\boxedx{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_shape_error"],
        "expect": FORMAT_ONLY,
    },
    {
        # "\boxed}{42}": depth goes -1, 0, -1 and never hits 0 on a '}'
        # -> None -> 0.1.
        "id": "close_before_open",
        "completion": TWO_TOOLS + _PAD + "\\boxed}{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_unbalanced"],
        "expect": FORMAT_ONLY,
    },
    {
        # Unclosed box -> None -> 0.1.
        "id": "unbalanced_open_box",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_unbalanced"],
        "expect": FORMAT_ONLY,
    },
    {
        # Inner braces not closed: "{{42}" never returns to depth 0 -> 0.1.
        "id": "unbalanced_inner_brace",
        "completion": TWO_TOOLS + _PAD + "\\boxed{{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_unbalanced"],
        "expect": FORMAT_ONLY,
    },
    {
        # An extra '}' is harmless: the box closes at the first depth-0 '}'.
        "id": "extra_close_brace",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Nested braces kept: answer "\frac{1}{2}" vs gold 0.5 (all judges accept).
        "id": "nested_frac_in_box",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\\frac{1}{2}}" + EOS,
        "answer": "0.5",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Several boxes: the LAST one is the answer (correct here).
        "id": "multiple_boxes_last_correct",
        "completion": TWO_TOOLS + "First \\boxed{41}, then corrected: \\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Several boxes: the LAST one is wrong -> wrong.
        "id": "multiple_boxes_last_wrong",
        "completion": TWO_TOOLS + "First \\boxed{42}, then changed to \\boxed{41}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    # ---------------- "\boxed " (space) path ----------------
    {
        # Space path without '$': the answer is "42<|im_end|>" (EOS included).
        # math_metric and parse/verify still read 42 (mathruler does not).
        "id": "space_box_eos_in_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed 42" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Space path cut at the first '$': answer "42".
        "id": "space_box_dollar_cut",
        "completion": TWO_TOOLS + "So $\\boxed 42$ is it." + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "\boxed $42$": text before the first '$' is empty -> 0.1.
        "id": "space_box_empty_before_dollar",
        "completion": TWO_TOOLS + _PAD + "\\boxed $42$" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "box_empty"],
        "expect": FORMAT_ONLY,
    },
    {
        # One early "\boxed 7$" switches the WHOLE text to the space path;
        # the later \boxed{42} is ignored -> answer "7" -> wrong.
        "id": "space_box_overrides_brace_box",
        "completion": TWO_TOOLS + "Guess: \\boxed 7$. Checking... final \\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "judge_wrong", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # Text answer on the space path: "Paris<|im_end|>" vs "Paris" is
        # rejected by all three judges (mathruler would accept plain Paris).
        "id": "space_box_text_answer_eos",
        "completion": TWO_TOOLS + "The capital is \\boxed Paris" + EOS,
        "answer": "Paris",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "judge_wrong", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # "\boxed {42}" (space before brace) -> space path -> "{42}<|im_end|>"
        # which no judge accepts -> wrong.
        "id": "space_before_brace",
        "completion": TWO_TOOLS + _PAD + "\\boxed {42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_space", "judge_wrong", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    # ---------------- step 3: judges ----------------
    {
        # "0.5" vs "\frac{1}{2}": all three judges accept.
        "id": "decimal_vs_frac",
        "completion": TWO_TOOLS + _PAD + "\\boxed{0.5}" + EOS,
        "answer": "\\frac{1}{2}",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "1,000" vs "1000": all three accept.
        "id": "thousands_separator",
        "completion": TWO_TOOLS + _PAD + "\\boxed{1,000}" + EOS,
        "answer": "1000",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "x=5" vs "5": all three accept.
        "id": "assignment_form",
        "completion": TWO_TOOLS + _PAD + "\\boxed{x=5}" + EOS,
        "answer": "5",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "5.0" vs "5": all three accept.
        "id": "trailing_zero_decimal",
        "completion": TWO_TOOLS + _PAD + "\\boxed{5.0}" + EOS,
        "answer": "5",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "\text{5}" vs "5": ONLY mathruler accepts (strips \text{}).
        "id": "text_wrapped_number_mathruler_only",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\\text{5}}" + EOS,
        "answer": "5",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "judge_mathruler_only", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "0.5" vs "50\%": ONLY math_metric accepts (percent handling).
        "id": "decimal_vs_percent_metric_only",
        "completion": TWO_TOOLS + _PAD + "\\boxed{0.5}" + EOS,
        "answer": "50\\%",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "judge_metric_only", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Gold "The answer is 5": ONLY parse/verify accepts (it extracts 5 from
        # unboxed gold text; math_metric sees \boxed{The answer is 5}).
        "id": "sentence_gold_parse_verify_only",
        "completion": TWO_TOOLS + _PAD + "\\boxed{5}" + EOS,
        "answer": "The answer is 5",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "judge_parse_verify_only", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # "50\%" vs "50": all three accept.
        "id": "percent_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed{50\\%}" + EOS,
        "answer": "50",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Text answer: only mathruler accepts "Paris" vs "Paris".
        "id": "text_answer_mathruler_only",
        "completion": TWO_TOOLS + "The capital is \\boxed{Paris}" + EOS,
        "answer": "Paris",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "judge_mathruler_only", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # mathruler gets the RAW gold "The capital is \boxed{Paris}" and rejects;
        # math-verify gets the reduced "Paris" but cannot match text -> wrong.
        # (Passing the reduced gold to mathruler would wrongly accept.)
        "id": "unreduced_gold_goes_to_mathruler",
        "completion": TWO_TOOLS + "The capital is \\boxed{Paris}" + EOS,
        "answer": "The capital is \\boxed{Paris}",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "gold_boxed", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # Boxed gold reduced to "42" for math-verify; mathruler copes too.
        "id": "boxed_gold",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": "\\boxed{42}",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "gold_boxed", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # List of golds: any alternative may match.
        "id": "gold_list_second_matches",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": ["41", "42"],
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "gold_list", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # List of boxed golds, each reduced separately.
        "id": "gold_list_boxed",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": ["\\boxed{7}", "\\boxed{42}"],
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "gold_list", "gold_boxed", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # List of golds, none matching -> wrong.
        "id": "gold_list_none_matches",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": ["40", "41"],
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "gold_list", "tools_exact", "clean", "json_dict"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # DEVIATION: gold "\boxed{42" cannot be reduced; the official code
        # raises TypeError (in every reward, sparse included).  We keep the
        # gold as-is: math_metric on \boxed{\boxed{42} vs "42" accepts, and
        # mathruler accepts too.
        "id": "unreducible_gold_deviation",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": "\\boxed{42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "gold_unreducible", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
        "official_crash": list(REWARD_NAMES),
    },
    {
        # "\frac{2}{4}" vs "\frac{1}{2}": math-verify accepts (mathruler
        # refuses unreduced fractions) -> correct.
        "id": "unreduced_fraction",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\\frac{2}{4}}" + EOS,
        "answer": "\\frac{1}{2}",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # NUL after the number: math-verify still reads 42 -> correct.
        "id": "nul_in_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42\x00}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Zero-width space after the number: math-verify reads 42 -> correct.
        "id": "zero_width_after_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42\u200b}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # RTL mark before the number: no judge accepts -> wrong.
        "id": "rtl_mark_in_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\u200f42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # A zero-width space is NOT whitespace for str.strip(): the box is
        # not "empty", so it reaches the judge (wrong) instead of 0.1.
        "id": "zero_width_only_box",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\u200b}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": WRONG_EXACT_CLEAN,
    },
    {
        # Emoji answer -> wrong.
        "id": "emoji_answer",
        "completion": TWO_TOOLS + _PAD + "\\boxed{\U0001F642}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": WRONG_EXACT_CLEAN,
    },
    # ---------------- step 5: teacher check ----------------
    {
        # Teacher tools None: mentor/overlap/f1 return 0.1 even though the
        # answer is correct; ablation3 and sparse ignore the teacher.
        "id": "teacher_none_correct",
        "completion": TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": {"tool_calls": None},
        "hits": ["eos_ok", "box_brace", "judge_correct", "teacher_missing", "clean", "json_dict"],
        "expect": _expect(0.1, 0.1, 0.7 + 0.1, 0.1, 1.0),
    },
    {
        # Teacher tools []: same 0.1; ablation3 loses its bonus to the
        # hallucinated "calculator" -> 0.0 + 0.0.
        "id": "teacher_empty_wrong_hallucinated",
        "completion": THINK + call("calculator", {"expr": "40+2"}) + "\n" + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": {"tool_calls": []},
        "hits": ["eos_ok", "box_brace", "judge_wrong", "teacher_missing", "hallucination", "json_dict"],
        "expect": _expect(0.1, 0.1, 0.0 + 0.0, 0.1, 0.1),
    },
    {
        # Record without teacher info at all (teacher: None) behaves as None.
        "id": "teacher_record_absent",
        "completion": TWO_TOOLS + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": None,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "teacher_missing", "clean", "json_dict"],
        "expect": _expect(0.1, 0.1, 0.0 + 0.1, 0.1, 0.1),
    },
    # ---------------- step 6: match and hallucination ----------------
    {
        # No tool call at all, correct.
        "id": "student_no_tools_correct",
        "completion": "<think>\n40 + 2 = 42\n</think>\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # No tool call, wrong: only the clean bonus survives (0.1).
        "id": "student_no_tools_wrong",
        "completion": "<think>\n40 + 2 = 43\n</think>\n" + _PAD + "\\boxed{43}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_none", "clean"],
        "expect": _expect(0.0 + (0.0 * 0.2 + 0.1), 0.0 + 0.0 * 0.2, 0.0 + 0.1, 0.0 + (0.0 * 0.2 + 0.1), 0.1),
    },
    {
        # Student {add} vs teacher {add, multiply}, correct.
        # F1: precision 1/1, recall 1/2.
        "id": "subset_tools_correct",
        "completion": THINK + ADD + "\n" + response("42") + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_partial", "clean", "json_dict"],
        "expect": _expect(
            0.7 + (0.0 + 0.1),
            0.7 + 0.3,
            0.7 + 0.1,
            0.7 + (0.3 * (2 * 1.0 * 0.5 / (1.0 + 0.5)) + 0.1),
            1.0,
        ),
    },
    {
        # Student {add, multiply, sqrt} vs teacher {add}, wrong.
        # F1: precision 1/3, recall 1/1.
        "id": "superset_tools_wrong",
        "completion": TWO_TOOLS + SQRT + "\n" + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_partial", "clean", "json_dict"],
        "expect": _expect(
            0.0 + (0.0 * 0.2 + 0.1),
            0.0 + 0.3 * 0.2,
            0.0 + 0.1,
            0.0 + (0.3 * (2 * (1 / 3) * 1.0 / ((1 / 3) + 1.0)) * 0.2 + 0.1),
            0.1,
        ),
    },
    {
        # Student {sqrt} vs teacher {add}: no overlap, F1 0.
        "id": "disjoint_tools_correct",
        "completion": THINK + SQRT + "\n" + response("42") + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_disjoint", "clean", "json_dict"],
        "expect": _expect(
            0.7 + (0.0 + 0.1),
            0.7 + 0.0,
            0.7 + 0.1,
            0.7 + (0.3 * 0.0 + 0.1),
            1.0,
        ),
    },
    {
        # Duplicates on both sides are compared as sets -> exact match.
        "id": "duplicate_calls_set_semantics",
        "completion": TWO_TOOLS + ADD + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": {"tool_calls": ["multiply", "add", "add"]},
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Teacher lists a tool outside the vocabulary ("python"); student {add},
        # wrong. Sets differ; overlap {add}; F1 precision 1/1, recall 1/2.
        "id": "teacher_unknown_tool_wrong",
        "completion": THINK + ADD + "\n" + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": {"tool_calls": ["add", "python"]},
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_partial", "clean", "json_dict"],
        "expect": _expect(
            0.0 + (0.0 * 0.2 + 0.1),
            0.0 + 0.3 * 0.2,
            0.0 + 0.1,
            0.0 + (0.3 * (2 * 1.0 * 0.5 / (1.0 + 0.5)) * 0.2 + 0.1),
            0.1,
        ),
    },
    {
        # Only a hallucinated tool: no valid tool used, clean bonus lost.
        "id": "hallucinated_only_correct",
        "completion": THINK + call("calculator", {"expr": "40+2"}) + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "hallucination", "json_dict"],
        "expect": CORRECT_NOTOOLS_HALLUCINATED,
    },
    {
        # Names are case-sensitive: "Add" is hallucinated, "add" matches.
        "id": "hallucinated_case_variant_wrong",
        "completion": THINK + ADD + "\n" + call("Add", {"a": 1, "b": 1}) + "\n" + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_exact", "hallucination", "json_dict"],
        "expect": _expect(
            0.0 + (0.3 * 0.2 + 0.0),
            0.0 + 0.3 * 0.2,
            0.0 + 0.0,
            0.0 + (0.3 * 1.0 * 0.2 + 0.0),
            0.1,
        ),
    },
    # ---------------- tool-call parsing ----------------
    {
        # Unclosed JSON object: decode fails, the fallback regex wants a
        # backslash after "name": -> no name -> call silently ignored.
        "id": "broken_json_ignored",
        "completion": THINK + raw_call('{"name": "add", "arguments": {"a": 40, "b": 2}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_error_fallback_miss"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Broken JSON with a backslash right after the colon: the fallback
        # regex matches and yields "add" -> counted as used.
        "id": "regex_fallback_hit",
        "completion": THINK + raw_call('{"name":\\"add", "arguments": {}}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_error_fallback_hit"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Fallback with "\sss" (backslash then letters s): still matches,
        # name "multiply".
        "id": "regex_fallback_literal_s",
        "completion": THINK + raw_call('{"name":\\sss"multiply", oops}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": {"tool_calls": ["multiply"]},
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_error_fallback_hit"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # Fallback grabs up to the next quote: name is 'add\' (with the
        # backslash) -> hallucinated.
        "id": "regex_fallback_hallucinated",
        "completion": THINK + raw_call('{"name":\\"add\\"}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "hallucination", "json_error_fallback_hit"],
        "expect": CORRECT_NOTOOLS_HALLUCINATED,
    },
    {
        # Double-encoded JSON decodes to a str; 'name' in str is True, then
        # str['name'] raises TypeError -> fallback on the raw text, which has
        # \"name\" (escaped) and does not match -> ignored.
        "id": "double_encoded_json",
        "completion": THINK + raw_call(json.dumps(json.dumps({"name": "add", "arguments": {}}))) + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_typeerror_fallback"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # A JSON list of calls: 'name' in list is False (elements are dicts)
        # -> no name, no error -> ignored.
        "id": "json_list_of_calls",
        "completion": THINK + raw_call('[{"name": "add", "arguments": {}}]') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_non_dict"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # ["name", "add"]: 'name' in list is True, list['name'] raises
        # TypeError -> fallback -> no match -> ignored.
        "id": "json_list_containing_name",
        "completion": THINK + raw_call('["name", "add"]') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_typeerror_fallback"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Scalars: 5 / null / true make `in` raise TypeError (fallback, no
        # match); "add" is a str without the substring "name"; "surname" has it
        # and then fails on indexing. All ignored.
        "id": "json_scalars",
        "completion": THINK
        + raw_call("5")
        + raw_call("null")
        + raw_call("true")
        + raw_call('"add"')
        + raw_call('"surname"')
        + "\n"
        + _PAD
        + "\\boxed{42}"
        + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_non_dict", "json_typeerror_fallback"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Falsy names are skipped: "", null, 0, false, [], {}.
        "id": "falsy_names_ignored",
        "completion": THINK
        + raw_call('{"name": ""}')
        + raw_call('{"name": null}')
        + raw_call('{"name": 0}')
        + raw_call('{"name": false}')
        + raw_call('{"name": []}')
        + raw_call('{"name": {}}')
        + raw_call('{"arguments": {"a": 1}}')
        + "\n"
        + _PAD
        + "\\boxed{42}"
        + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "name_falsy", "json_dict"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Truthy hashable non-str names (7, true, 1.5) are invalid tools.
        "id": "nonstring_names_invalid",
        "completion": TWO_TOOLS
        + raw_call('{"name": 7}')
        + raw_call('{"name": true}')
        + raw_call('{"name": 1.5}')
        + "\n"
        + _PAD
        + "\\boxed{42}"
        + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "hallucination", "name_nonstring", "json_dict"],
        "expect": CORRECT_EXACT_HALLUCINATED,
    },
    {
        # DEVIATION: name ["add"] is unhashable; officially `in set` raises
        # TypeError (mentor, ablation2/3/4 crash; sparse never parses tools).
        # Here: an invalid tool.
        "id": "unhashable_list_name_deviation",
        "completion": THINK + ADD + "\n" + raw_call('{"name": ["add"], "arguments": {}}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "hallucination", "name_unhashable", "json_dict"],
        "expect": CORRECT_EXACT_HALLUCINATED,
        "official_crash": ["mentor", "mentor_overlap", "mentor_nomatch", "mentor_f1"],
    },
    {
        # DEVIATION: dict name, wrong answer, no valid tool -> everything 0.0
        # except sparse 0.1.
        "id": "unhashable_dict_name_deviation",
        "completion": THINK + raw_call('{"name": {"tool": "add"}}') + "\n" + _PAD + "\\boxed{41}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_wrong", "tools_none", "hallucination", "name_unhashable", "json_dict"],
        "expect": _expect(0.0 + (0.0 * 0.2 + 0.0), 0.0 + 0.0 * 0.2, 0.0 + 0.0, 0.0 + (0.0 * 0.2 + 0.0), 0.1),
        "official_crash": ["mentor", "mentor_overlap", "mentor_nomatch", "mentor_f1"],
    },
    {
        # Nested blocks: the non-greedy match runs from the first <tool_call>
        # to the first </tool_call> -> one block '{sqrt}<tool_call>{add}' that
        # is not JSON (fallback misses); the trailing '{multiply}</tool_call>'
        # has no opener. No tool counted at all.
        "id": "nested_tool_call_blocks",
        "completion": THINK
        + '<tool_call>{"name": "sqrt"}<tool_call>{"name": "add", "arguments": {}}</tool_call>{"name": "multiply"}</tool_call>\n'
        + _PAD
        + "\\boxed{42}"
        + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "nested_blocks", "json_error_fallback_miss"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Opening tag never closed -> no block at all.
        "id": "unclosed_tool_call_tag",
        "completion": THINK + '<tool_call>\n{"name": "add", "arguments": {"a": 40, "b": 2}}\n' + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "unclosed_block"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # Non-breaking spaces around the JSON: str.strip() removes them
        # (Unicode whitespace) -> valid JSON -> "add" used.
        "id": "nbsp_wrapped_json",
        "completion": THINK + raw_call('\u00a0{"name": "add", "arguments": {}}\u00a0') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict", "odd_unicode"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # A BOM is not whitespace: json.loads rejects it, fallback misses
        # -> ignored.
        "id": "bom_prefixed_json",
        "completion": THINK + raw_call('\ufeff{"name": "add", "arguments": {}}') + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean", "json_error_fallback_miss", "odd_unicode"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    {
        # "add\u200b" (zero-width space inside the name) is hallucinated;
        # multiply is valid. Teacher {add, multiply}: sets differ, overlap
        # {multiply}; F1 precision 1/1, recall 1/2.
        "id": "zero_width_in_tool_name",
        "completion": THINK + call("add\u200b", {"a": 40, "b": 2}) + "\n" + MUL + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_partial", "hallucination", "json_dict", "odd_unicode"],
        "expect": _expect(
            0.7 + (0.0 + 0.0),
            0.7 + 0.3,
            0.7 + 0.0,
            0.7 + (0.3 * (2 * 1.0 * 0.5 / (1.0 + 0.5)) + 0.0),
            1.0,
        ),
    },
    {
        # Upper-case tags are not tool calls (regex is case-sensitive).
        "id": "uppercase_tags_ignored",
        "completion": THINK + '<TOOL_CALL>{"name": "add", "arguments": {}}</TOOL_CALL>\n' + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_none", "clean"],
        "expect": CORRECT_NOTOOLS_CLEAN,
    },
    # ---------------- size ----------------
    {
        # ~1 MB of filler (with braces and dollars, which only matter on the
        # space path) before a perfect trajectory.
        "id": "one_megabyte_filler",
        "completion": ("Thinking {about} $it$ again. " * 36000) + TWO_TOOLS + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD_MUL,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict", "big_text"],
        "expect": CORRECT_EXACT_CLEAN,
    },
    {
        # A ~1 MB argument inside a valid tool call.
        "id": "one_megabyte_tool_argument",
        "completion": THINK + call("add", {"a": "9" * 1_000_000, "b": 2}) + "\n" + _PAD + "\\boxed{42}" + EOS,
        "answer": "42",
        "teacher": T_ADD,
        "hits": ["eos_ok", "box_brace", "judge_correct", "tools_exact", "clean", "json_dict", "big_text"],
        "expect": CORRECT_EXACT_CLEAN,
    },
]


def teacher_tools(case: dict):
    """The teacher tool list of a record (None when absent)."""
    teacher = case.get("teacher")
    if not teacher:
        return None
    return teacher.get("tool_calls")


# --------------------------------------------------------------------------
# Hypothesis strategy
# --------------------------------------------------------------------------
_GOLD_POOL = (
    "42",
    "5",
    "0.5",
    "\\frac{1}{2}",
    "1000",
    "50\\%",
    "Paris",
    "\\boxed{42}",
    "The answer is 5",
    ("41", "42"),
    ("\\boxed{7}", "0.5"),
)
_ANSWER_POOL = (
    "42",
    "41",
    "5",
    "5.0",
    "x=5",
    "0.5",
    "\\frac{1}{2}",
    "\\frac{2}{4}",
    "1,000",
    "\\text{5}",
    "50\\%",
    "Paris",
    "{42}",
    "",
    " ",
    "\u200b",
    "\U0001F642",
    "42\x00",
)
_FILLER_ALPHABET = "ab xyz019.,+=-\n{}$\\\u200b\u200f\x00\u00a0\U0001F642"
_EXTRA_NAMES = ("calculator", "python", "Add", "add ")


def trajectories(max_segments: int = 6):
    """Hypothesis strategy of records ``{"id", "completion", "answer", "teacher"}``.

    Texts stay short (a few hundred characters) so the judges stay fast.
    """
    from hypothesis import strategies as st

    names = st.sampled_from(TOOL_NAMES + _EXTRA_NAMES)
    answers = st.sampled_from(_ANSWER_POOL)

    tool_blocks = st.one_of(
        names.map(lambda n: call(n, {"a": 1})),  # well-formed call
        names.map(lambda n: raw_call('{"name": "%s", "arguments": {' % n)),  # unclosed JSON
        names.map(lambda n: raw_call('{"name":\\"%s", "x": 1}' % n)),  # fallback hit
        names.map(lambda n: raw_call('{"name":\\"%s\\"}' % n)),  # fallback, name with backslash
        names.map(lambda n: raw_call(json.dumps(json.dumps({"name": n})))),  # double encoded
        names.map(lambda n: raw_call(json.dumps([{"name": n}]))),  # list of calls
        st.sampled_from(
            [
                raw_call("5"),
                raw_call("null"),
                raw_call('"name"'),
                raw_call('["name", "add"]'),
                raw_call('{"name": ""}'),
                raw_call('{"name": 0}'),
                raw_call('{"name": 7}'),
                raw_call('{"name": true}'),
                raw_call('{"name": ["add"]}'),
                raw_call('{"name": {"a": 1}}'),
                raw_call('\ufeff{"name": "add"}'),
                raw_call('\u00a0{"name": "add"}\u00a0'),
                '<tool_call>{"name": "add"}<tool_call>{"name": "sqrt"}</tool_call>',
                '<tool_call>{"name": "add", "arguments": {}}',
            ]
        ),
    )
    boxes = st.one_of(
        answers.map(lambda a: "\\boxed{" + a + "}"),
        answers.map(lambda a: "\\boxed " + a + "$"),
        answers.map(lambda a: "\\boxed " + a),
        answers.map(lambda a: "\\fbox{" + a + "}"),
        answers.map(lambda a: "\\boxed{" + a),
        answers.map(lambda a: "\\boxedx{" + a + "}"),
        st.just("\\boxed"),
    )
    filler = st.text(alphabet=_FILLER_ALPHABET, max_size=12)
    segments = st.lists(st.one_of(tool_blocks, boxes, filler), max_size=max_segments)
    golds = st.sampled_from(_GOLD_POOL).map(lambda g: list(g) if isinstance(g, tuple) else g)
    teachers = st.one_of(
        st.none(),
        st.lists(st.sampled_from(TOOL_NAMES[:5] + ("python", "")), max_size=3),
    )
    eos_mode = st.sampled_from(("end", "end", "end", "none", "middle"))

    @st.composite
    def _build(draw):
        parts = draw(segments)
        mode = draw(eos_mode)
        if mode == "middle" and parts:
            cut = draw(st.integers(min_value=0, max_value=len(parts)))
            parts = parts[:cut] + [EOS] + parts[cut:] + ["tail"]
        text = "".join(parts)
        if mode == "end":
            text += EOS
        return {
            "id": "generated",
            "completion": text,
            "answer": draw(golds),
            "teacher": {"tool_calls": draw(teachers)},
        }

    return _build()
