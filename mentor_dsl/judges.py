"""Answer judges: (prediction, gold) -> score in [0, 1]. `gold` is a string or a list of
accepted strings. `math` is the MENTOR paper's unified judge (math_judge.py);
`math_strict` is that judge without the ways to pass it with a hedge or a part of the
answer (math_strict.py); `exact` and `f1` are plain text comparisons.

Which judge grades a task (`judge_name`), first that applies:

1. the one the caller pins: a spec's `answer_correct(judge="...")`, `mentor teach --judge`;
2. the task record's `judge` field (a date task says `"judge": "date"`);
3. `math` (`DEFAULT_JUDGE`).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Any

from . import math_judge as _math
from . import math_strict as _strict
from .answers import reduce_gold
from .plugins import hookimpl

#: The judge of a task that names none, under a spec or command that pins none.
DEFAULT_JUDGE = "math"


def judge_name(pinned: str | None, record: Mapping[str, Any] | None) -> str:
    """The judge that grades one task (see the module docstring). Raises ValueError when
    the record's `judge` is not a name."""
    if pinned:
        return pinned
    named = record.get("judge") if isinstance(record, Mapping) else None
    if named is None or named == "":
        return DEFAULT_JUDGE
    if not isinstance(named, str):
        raise ValueError(f"'judge' must be the name of a judge, not {named!r:.40}")
    return named


def _golds(gold) -> tuple[str, ...]:
    if isinstance(gold, str):
        return (gold,)
    return tuple(str(g) for g in gold)


# -- the paper's unified math judge (see math_judge.py) ----------------------------------------


def math_judge(prediction: str, gold) -> float:
    return 1.0 if _math.judge(prediction, _golds(gold)) else 0.0


def math_strict_judge(prediction: str, gold) -> float:
    """The paper's judge, less its hedges and partial readings (math_strict.py)."""
    return 1.0 if _strict.judge(prediction, _golds(gold)) else 0.0


# A judge may say which of its rules decided a verdict (`mentor explain` shows it): an
# `explain` attribute on the function, read with getattr (terms/explanations.py). Set with
# setattr because the checker models no attributes on a function.
setattr(math_judge, "explain", lambda prediction, gold: _math.account(prediction, _golds(gold)))  # noqa: B010
setattr(math_strict_judge, "explain", lambda prediction, gold: _strict.account(prediction, _golds(gold)))  # noqa: B010


def math_judge_cache_clear() -> None:
    _math.cache_clear()
    _strict.cache_clear()


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
    register("math_strict", math_strict_judge)
    register("exact", exact_judge)
    register("f1", f1_judge)
