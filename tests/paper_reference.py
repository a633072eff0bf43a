"""Clean-room reference implementation of the MENTOR paper's reward functions.

This module re-implements, from a reading of the behaviour of the official
reward code (repository ``choics2623/MENTOR-RL``, directory
``src/verl/utils/reward_score/``), the five reward functions used in the
paper:

===================  ======================  =====================================
function here        official module         one-line summary
===================  ======================  =====================================
``mentor``           ``mentor.py``           0.7 correct + 0.3 exact tool-set match
                                             + 0.1 no hallucinated tool (max 1.1)
``mentor_overlap``   ``mentor_ablation2.py`` 0.7 correct + 0.3 if ANY tool overlaps;
                                             no hallucination term (max 1.0)
``mentor_nomatch``   ``mentor_ablation3.py`` 0.7 correct + 0.1 no hallucinated
                                             tool; no teacher check (max 0.8)
``mentor_f1``        ``mentor_ablation4.py`` 0.7 correct + 0.3 * F1(tool sets)
                                             + 0.1 no hallucinated tool (max 1.1)
``sparse``           ``mentor_sparse.py``    1.0 correct, 0.1 otherwise
===================  ======================  =====================================

It is written in our own words and is used as the *oracle* in the test-suite
and as the *baseline* in the benchmark, so it deliberately keeps the paper's
per-record structure (every record is judged from scratch, all three answer
judges always run, nothing is cached by this module) and it never prints.

Semantics mirrored exactly
--------------------------
The order of the checks (each one returns immediately):

1. EOS: the raw completion must end with the EOS string, else ``0.0``.
2. Boxed answer extraction, else ``0.1`` ("valid format"):

   * If the substring ``"\\boxed "`` (backslash, ``boxed``, one space) occurs
     *anywhere* in the completion, the answer is the text after the LAST such
     occurrence, cut at the first ``"$"`` -- so a trailing EOS string is part
     of the answer when there is no ``"$"``.
   * Otherwise the LAST ``"\\boxed"`` is located (``"\\fbox"`` only when there
     is no ``"\\boxed"`` at all) and characters are scanned from there,
     counting ``{`` up and ``}`` down; the candidate ends at the first ``}``
     that brings the count to exactly zero.  No such ``}`` -> ``0.1``.
   * The candidate must start with ``"\\boxed{"`` (so ``\\fbox{..}``,
     ``\\boxedx{..}`` ... fail) and end with ``"}"``; the answer is the inside.
   * An answer that is empty after ``str.strip()`` -> ``0.1``.

3. The answer judge (``unified_judge``): the answer is correct when ANY of

   * math-verify ``math_metric`` (gold targets ``LatexExtractionConfig``, pred
     targets ``ExprExtractionConfig`` then ``LatexExtractionConfig``) scores
     > 0 for some gold ``g``, the gold being passed as ``"\\boxed{" + g + "}"``;
   * math-verify ``verify(parse(g), parse(answer))`` holds for some gold;
   * mathruler ``grade_answer(answer, gt)`` holds for some gold ``gt``.

   The two math-verify judges receive the *cleaned* golds: a gold containing
   ``"\\boxed{"`` is reduced with the same extraction routine as above.
   mathruler receives the *raw, unreduced* gold(s).  Each judge swallows
   ``Exception``; in the parse/verify and mathruler judges one ``try`` wraps
   the whole loop over golds.
4. Tool usage is read from every non-overlapping ``<tool_call>...</tool_call>``
   block (non-greedy, DOTALL).  Each block is ``strip()``-ed and JSON-decoded;
   when the decoded value "contains" ``"name"`` (Python ``in``: a dict key, a
   substring of a str, an element of a list) the name is ``value["name"]``.
   Any error in this step (bad JSON, ``in`` on a number/``None``/bool,
   indexing a str/list with ``"name"``) falls back to the regex
   ``"name":\\s*"([^"]+)"`` written as a *raw* string, i.e. it needs a
   LITERAL BACKSLASH after the colon followed by zero or more letters ``s``
   -- so the fallback almost never fires (it can never match valid JSON).
   A falsy name is ignored; a truthy name is "used" when it is one of the 12
   tools ``add subtract multiply divide sum_numbers floor ceil round_number
   power sqrt abs_value modulo``, otherwise "invalid" (hallucinated).
5. Teacher check (not in ablation3 / sparse): ``teacher_tools`` that is
   ``None`` or empty -> ``0.1`` -- even for a correct answer.
6. Match term, hallucination bonus (0.1 when no invalid name), and for a
   wrong answer the match term is multiplied by 0.2.  The final sums are
   evaluated in the official order so results are bit-identical floats, e.g.
   ``0.7 + (0.0 + 0.1) == 0.7999999999999999`` and
   ``0.0 + (0.3 * 0.2 + 0.1) == 0.16``.

Deviations from the official code (crash cases only)
----------------------------------------------------
The official functions raise instead of returning a reward in these cases;
this reference returns a value instead:

* **Unhashable tool name** -- a tool-call block whose JSON is a dict whose
  ``"name"`` is a non-empty list or dict.  Officially the membership test
  against the set of valid tools raises ``TypeError`` outside any ``try``
  (in ``mentor``, ``mentor_overlap``, ``mentor_nomatch`` and ``mentor_f1``;
  ``sparse`` never looks at tools).  Here such a name counts as an
  *invalid (hallucinated)* tool.
* **Gold containing ``"\\boxed{"`` that cannot be reduced** -- e.g. an
  unbalanced ``"\\boxed{42"`` (the extraction returns ``None`` and the
  official ``remove_boxed(None)`` raises ``TypeError``) or a last
  ``\\boxed`` that is not followed by ``{`` (``AssertionError``).  Officially
  this crashes every reward (the gold is cleaned before any judge runs).
  Here the gold is used as-is for the math-verify judges (mathruler gets
  the raw gold anyway).

Not modelled (environment-dependent, not part of the reward semantics):

* The official ``unified_judge`` prints a debug line containing the answer
  and golds; with a strict stdout encoding a completion holding e.g. a lone
  surrogate would raise ``UnicodeEncodeError`` there.  We never print.
* math-verify installs ``signal.alarm`` timeouts, which raise ``ValueError``
  outside the main thread; both judges' ``except Exception`` then turn the
  math-verify verdicts into "wrong", leaving only mathruler.  Call this
  module from the main thread to get the official main-thread behaviour.
"""

from __future__ import annotations

import json
import re
from typing import Optional, Sequence, Union

from math_verify import parse as _mv_parse
from math_verify import verify as _mv_verify
from math_verify.metric import math_metric
from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig
from mathruler.grader import grade_answer

__all__ = [
    "DEFAULT_EOS",
    "REWARDS",
    "VALID_TOOLS",
    "extract_answer",
    "extract_tools",
    "judge",
    "mentor",
    "mentor_f1",
    "mentor_nomatch",
    "mentor_overlap",
    "sparse",
]

Gold = Union[str, Sequence[str]]

DEFAULT_EOS = "<|im_end|>"

#: The closed tool vocabulary of the paper's arithmetic tool set.
VALID_TOOLS = frozenset(
    {
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
    }
)

_BOX = "\\boxed"
_BOX_SPACE = "\\boxed "
_BOX_BRACE = "\\boxed{"
_FBOX = "\\fbox"

_TOOL_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
# Fallback used only when decoding a block failed.  Spelled as in the official
# raw string: after the colon it wants ONE LITERAL BACKSLASH, then the letter
# "s" zero or more times, then a quoted name.
_FALLBACK_NAME = re.compile('"name":' + re.escape("\\") + 's*"([^"]+)"')

# One math_metric closure, built once like the official module does.
_METRIC = math_metric(
    gold_extraction_target=(LatexExtractionConfig(),),
    pred_extraction_target=(ExprExtractionConfig(), LatexExtractionConfig()),
)


# --------------------------------------------------------------------------
# Boxed-answer extraction
# --------------------------------------------------------------------------
class _ExtractionError(Exception):
    """The located candidate does not have the shape ``\\boxed{...}``."""


def _locate_box(text: str) -> Optional[str]:
    """Return the boxed candidate string, or None when there is none."""
    if _BOX_SPACE in text:
        # Space form wins over everything: text after the last "\boxed ",
        # up to (not including) the first "$" after it.
        tail = text.rsplit(_BOX_SPACE, 1)[1]
        return _BOX_SPACE + tail.partition("$")[0]
    start = text.rfind(_BOX)
    if start < 0:
        start = text.rfind(_FBOX)
        if start < 0:
            return None
    depth = 0
    for pos in range(start, len(text)):
        ch = text[pos]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : pos + 1]
    return None


def _unwrap_box(candidate: str) -> str:
    """Strip the ``\\boxed `` prefix or the ``\\boxed{`` ... ``}`` wrapper."""
    if _BOX_SPACE in candidate:
        if not candidate.startswith(_BOX_SPACE):
            raise _ExtractionError(candidate)
        return candidate[len(_BOX_SPACE) :]
    if not candidate.startswith(_BOX_BRACE) or not candidate.endswith("}"):
        raise _ExtractionError(candidate)
    return candidate[len(_BOX_BRACE) : -1]


def extract_answer(text: str) -> Optional[str]:
    """The boxed answer, or None where the official code returns 0.1.

    None covers: no box found, an unbalanced box, a candidate failing the
    shape check (``\\fbox``, ``\\boxedX{``...), and an answer that is empty
    after ``strip()``.
    """
    candidate = _locate_box(text)
    if not candidate:
        return None
    try:
        answer = _unwrap_box(candidate)
    except _ExtractionError:
        return None
    if not answer.strip():
        return None
    return answer


# --------------------------------------------------------------------------
# Answer judge
# --------------------------------------------------------------------------
def _as_list(gold: Gold) -> list:
    return [gold] if isinstance(gold, str) else list(gold)


def _clean_one_gold(g: str) -> str:
    if _BOX_BRACE not in g:
        return g
    candidate = _locate_box(g)
    if candidate is None:
        return g  # DEVIATION: officially TypeError (remove_boxed(None))
    try:
        return _unwrap_box(candidate)
    except _ExtractionError:
        return g  # DEVIATION: officially AssertionError


def _metric_judge(answer: str, golds: list) -> bool:
    best = 0.0
    for g in golds:
        try:
            score, _ = _METRIC(["\\boxed{" + g + "}"], [answer])
            best = max(best, float(score))
        except Exception:
            pass
    return best > 0


def _parse_verify_judge(answer: str, golds: list) -> bool:
    try:
        parsed_answer = _mv_parse(answer)
        for g in golds:
            if _mv_verify(_mv_parse(g), parsed_answer):
                return True
    except Exception:
        pass
    return False


def _mathruler_judge(answer: str, raw_golds: list) -> bool:
    try:
        for gt in raw_golds:
            if grade_answer(answer, gt):
                return True
    except Exception:
        pass
    return False


def judge(answer: str, gold: Gold) -> bool:
    """The paper's unified judge: any of the three judges accepting wins.

    All three judges always run (as in the official code), so the cost of
    this function is the sum of the three.
    """
    raw_golds = _as_list(gold)
    cleaned = [_clean_one_gold(g) for g in raw_golds]
    by_metric = _metric_judge(answer, cleaned)
    by_parse = _parse_verify_judge(answer, cleaned)
    by_mathruler = _mathruler_judge(answer, raw_golds)
    return by_metric or by_parse or by_mathruler


# --------------------------------------------------------------------------
# Tool usage
# --------------------------------------------------------------------------
def _name_of_block(block: str):
    try:
        value = json.loads(block.strip())
        if "name" in value:
            return value["name"]
        return None
    except Exception:
        hit = _FALLBACK_NAME.search(block)
        return hit.group(1) if hit else None


def extract_tools(text: str) -> tuple[list, list]:
    """``(used, invalid)`` tool names, in order of appearance, duplicates kept."""
    used: list = []
    invalid: list = []
    for block in _TOOL_BLOCK.findall(text):
        name = _name_of_block(block)
        if not name:
            continue
        try:
            known = name in VALID_TOOLS
        except TypeError:
            known = False  # DEVIATION: officially TypeError (unhashable name)
        (used if known else invalid).append(name)
    return used, invalid


def _teacher_missing(teacher_tools) -> bool:
    return teacher_tools is None or len(teacher_tools) == 0


def _tool_f1(teacher_tools, student_tools) -> float:
    teacher_set = set(teacher_tools)
    student_set = set(student_tools)
    if not teacher_set and not student_set:
        return 1.0
    if not teacher_set or not student_set:
        return 0.0
    common = teacher_set & student_set
    if not common:
        return 0.0
    precision = len(common) / len(student_set)
    recall = len(common) / len(teacher_set)
    return 2 * precision * recall / (precision + recall)


# --------------------------------------------------------------------------
# Rewards
# --------------------------------------------------------------------------
def mentor(text: str, gold: Gold, teacher_tools, eos: str = DEFAULT_EOS) -> float:
    """``mentor.py``: correctness 0.7, exact tool-set match 0.3, clean 0.1."""
    if not text.endswith(eos):
        return 0.0
    answer = extract_answer(text)
    if answer is None:
        return 0.1
    correct = judge(answer, gold)
    used, invalid = extract_tools(text)
    if _teacher_missing(teacher_tools):
        return 0.1
    matching = 0.0
    if used and set(teacher_tools) == set(used):
        matching = 0.3
    clean = 0.1 if not invalid else 0.0
    if correct:
        return 0.7 + (matching + clean)
    return 0.0 + (matching * 0.2 + clean)


def mentor_overlap(text: str, gold: Gold, teacher_tools, eos: str = DEFAULT_EOS) -> float:
    """``mentor_ablation2.py``: 0.3 for any overlap, no hallucination term."""
    if not text.endswith(eos):
        return 0.0
    answer = extract_answer(text)
    if answer is None:
        return 0.1
    correct = judge(answer, gold)
    used, _invalid = extract_tools(text)
    if _teacher_missing(teacher_tools):
        return 0.1
    matching = 0.0
    if used and set(teacher_tools) & set(used):
        matching = 0.3
    if correct:
        return 0.7 + matching
    return 0.0 + matching * 0.2


def mentor_nomatch(text: str, gold: Gold, teacher_tools=None, eos: str = DEFAULT_EOS) -> float:
    """``mentor_ablation3.py``: no match term and no teacher check."""
    if not text.endswith(eos):
        return 0.0
    answer = extract_answer(text)
    if answer is None:
        return 0.1
    correct = judge(answer, gold)
    _used, invalid = extract_tools(text)
    clean = 0.1 if not invalid else 0.0
    return (0.7 if correct else 0.0) + clean


def mentor_f1(text: str, gold: Gold, teacher_tools, eos: str = DEFAULT_EOS) -> float:
    """``mentor_ablation4.py``: 0.3 * F1 of the tool sets, clean 0.1."""
    if not text.endswith(eos):
        return 0.0
    answer = extract_answer(text)
    if answer is None:
        return 0.1
    correct = judge(answer, gold)
    used, invalid = extract_tools(text)
    if _teacher_missing(teacher_tools):
        return 0.1
    matching = 0.0
    if used:
        matching = 0.3 * _tool_f1(teacher_tools, used)
    clean = 0.1 if not invalid else 0.0
    if correct:
        return 0.7 + (matching + clean)
    return 0.0 + (matching * 0.2 + clean)


def sparse(text: str, gold: Gold, teacher_tools=None, eos: str = DEFAULT_EOS) -> float:
    """``mentor_sparse.py``: 1.0 for a correct boxed answer, else 0.1/0.0."""
    if not text.endswith(eos):
        return 0.0
    answer = extract_answer(text)
    if answer is None:
        return 0.1
    return 1.0 if judge(answer, gold) else 0.1


#: Name -> function, in the order used by the tests and the benchmark.
REWARDS = {
    "mentor": mentor,
    "mentor_overlap": mentor_overlap,
    "mentor_nomatch": mentor_nomatch,
    "mentor_f1": mentor_f1,
    "sparse": sparse,
}
