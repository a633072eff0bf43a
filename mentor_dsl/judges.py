"""Answer judges: (prediction, gold) -> score in [0, 1]. `gold` is a string or a list of
accepted strings.

`math` is the MENTOR paper's unified judge. A prediction is correct when any of these
accepts it against any gold:

1. math-verify's `math_metric` (gold: LaTeX extraction of `\\boxed{gold}`; prediction:
   expression and LaTeX extraction) scores above 0;
2. math-verify `verify(parse(gold), parse(prediction))`;
3. mathruler's `grade_answer(prediction, gold)`, given the gold *before* `\\boxed{}`
   reduction, as the paper's code does.

The three are pure functions, so we evaluate the cheapest first and stop at the first
acceptance; the result is the same as evaluating all of them. Results are cached by
(prediction, gold): in GRPO all completions of a prompt share the gold, and small
students repeat the same wrong answers.
"""

from __future__ import annotations

import logging
import re
import string
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Sequence

from .answers import reduce_gold
from .plugins import hookimpl

Gold = "str | Sequence[str]"


def _golds(gold) -> tuple[str, ...]:
    if isinstance(gold, str):
        return (gold,)
    return tuple(str(g) for g in gold)


# -- the paper's unified math judge ---------------------------------------------------------

@lru_cache(maxsize=1)
def _math_verify():
    from math_verify import parse, verify
    from math_verify.metric import math_metric
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig

    # math-verify logs every parse failure and timeout at WARNING; a policy's garbage would
    # flood the training log.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    metric = math_metric(
        gold_extraction_target=(LatexExtractionConfig(),),
        pred_extraction_target=(ExprExtractionConfig(), LatexExtractionConfig()),
    )
    return parse, verify, metric


@lru_cache(maxsize=1)
def _mathruler():
    try:
        from mathruler.grader import grade_answer
        from mathruler.math_normalize import normalize_answer
    except ImportError:  # the paper's code scores mathruler as "not accepted" then
        return None, None
    return grade_answer, normalize_answer


def _mathruler_quick(pred: str, raw_golds: tuple[str, ...]) -> bool:
    """grade_answer's own first test, on the first gold only: equal mathd normalisations.

    When it holds, `grade_answer(pred, raw_golds[0])` returns True without reaching sympy,
    so the paper's judge accepts. Later golds are not tried here because the paper stops
    its loop at the first exception, which this shortcut cannot see.
    """
    grade, normalize = _mathruler()
    if normalize is None or not raw_golds:
        return False
    try:
        return normalize(raw_golds[0]) == normalize(pred)
    except Exception:
        return False


def _mathruler_full(pred: str, raw_golds: tuple[str, ...]) -> bool:
    grade, _ = _mathruler()
    if grade is None:
        return False
    try:
        return any(grade(pred, g) for g in raw_golds)
    except Exception:  # the paper's loop gives up at the first exception
        return False


def _verify(pred: str, clean: tuple[str, ...]) -> bool:
    parse, verify, _ = _math_verify()
    try:
        parsed = parse(pred)
        return any(verify(parse(g), parsed) for g in clean)
    except Exception:
        return False


def _metric(pred: str, clean: tuple[str, ...]) -> bool:
    _, _, metric = _math_verify()
    for g in clean:
        try:
            score, _ = metric([f"\\boxed{{{g}}}"], [pred])
            if float(score) > 0:
                return True
        except Exception:
            continue
    return False


@lru_cache(maxsize=1 << 16)
def _math_judge(pred: str, raw_golds: tuple[str, ...]) -> bool:
    clean = tuple(reduce_gold(g) for g in raw_golds)
    return (
        _mathruler_quick(pred, raw_golds)
        or _verify(pred, clean)
        or _metric(pred, clean)
        or _mathruler_full(pred, raw_golds)
    )


def math_judge(prediction: str, gold) -> float:
    return 1.0 if _math_judge(prediction, _golds(gold)) else 0.0


def math_judge_cache_clear() -> None:
    _math_judge.cache_clear()


# -- simple judges ------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed, surrounding `$`, spaces and a final period
    removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _WS.sub(" ", text).strip().strip("$").strip()
    return text[:-1].rstrip() if text.endswith(".") else text


def exact_judge(prediction: str, gold) -> float:
    pred = normalize_text(prediction)
    return 1.0 if any(pred == normalize_text(reduce_gold(g)) for g in _golds(gold)) else 0.0


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def _f1_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().translate(_PUNCT)
    return _ARTICLES.sub(" ", text).split()


def f1_judge(prediction: str, gold) -> float:
    """Token F1 after SQuAD-style normalisation, best over the accepted golds."""
    pred = _f1_tokens(prediction)
    best = 0.0
    for g in _golds(gold):
        ref = _f1_tokens(reduce_gold(g))
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best = max(best, 2 * precision * recall / (precision + recall))
        elif not pred and not ref:
            best = 1.0
    return best


@hookimpl
def register_judges(register):
    register("math", math_judge)
    register("exact", exact_judge)
    register("f1", f1_judge)
