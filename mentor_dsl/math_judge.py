"""The MENTOR paper's unified math judge, computed exactly but without repeated work.

A prediction is correct when any of these accepts it against any gold:

1. math-verify's `math_metric` scores above 0 (gold: LaTeX extraction of `\\boxed{gold}`;
   prediction: expression then LaTeX extraction; floats compared to 6 places);
2. math-verify `verify(parse(gold), parse(prediction))`;
3. mathruler's `grade_answer(prediction, gold)`, given the gold *before* `\\boxed{}`
   reduction, as the paper's code does.

Every step is a pure function of its text, so the judge may reorder and reuse work, and
it does, in ways that cannot change a verdict:

- verdicts are cached by (prediction, golds): GRPO groups share a gold and small
  students repeat answers;
- math-verify parses are cached by text: a group's gold is parsed once, not once per
  completion, and `math_metric` is run as its parts (parse, parse, verify) so it can
  share them;
- when both math-verify judges parse to the same expressions, one `verify` serves both;
- the cheapest acceptances come first: two of `grade_answer`'s own string tests;
- two plain numerals that differ are rejected at once (see `_distinct_numbers`).

tests/test_judges.py checks all of this against a plain per-record implementation.
"""

from __future__ import annotations

import logging
import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .answers import reduce_gold

_CACHE = 1 << 16


@lru_cache(maxsize=1)
def _math_verify():
    from math_verify import parse, verify
    from math_verify.errors import TimeoutException
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig
    from math_verify.utils import timeout

    # math-verify logs every parse failure and timeout at WARNING; a policy's garbage would
    # flood the training log.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    metric_pred = (ExprExtractionConfig(), LatexExtractionConfig())
    metric_gold = (LatexExtractionConfig(),)
    return parse, verify, metric_pred, metric_gold, timeout, TimeoutException


@lru_cache(maxsize=1)
def _mathruler():
    try:
        from mathruler import grader
        from mathruler.math_normalize import normalize_answer
    except ImportError:  # the paper's code scores mathruler as "not accepted" then
        return None, None, None
    return grader.grade_answer, normalize_answer, grader._normalize


# -- math-verify, in cached parts -------------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def _parsed(text: str, kind: str) -> tuple:
    """math-verify's parse of `text` for one of the three extraction settings the judge uses."""
    parse, _, metric_pred, metric_gold, _, _ = _math_verify()
    if kind == "default":
        return tuple(parse(text))
    if kind == "metric_pred":
        return tuple(parse(text, metric_pred))
    return tuple(parse(f"\\boxed{{{text}}}", metric_gold))


@lru_cache(maxsize=_CACHE)
def _printable(text: str, kind: str) -> bool:
    """Whether `math_metric`'s str() of the parsed values would not raise: it converts
    them (under a 2-second limit whose expiry it ignores), and an exception there makes
    the paper's code score that gold 0."""
    *_, timeout, timeout_error = _math_verify()

    @timeout(2)
    def convert(values):
        return [str(v) for v in values]

    try:
        convert(_parsed(text, kind))
    except timeout_error:
        return True
    except Exception:
        return False
    return True


def _verify(gold: tuple, pred: tuple) -> bool:
    _, verify, *_ = _math_verify()
    return bool(verify(list(gold), list(pred)))


def _same(a: tuple, b: tuple) -> bool:
    """Identical parses (same types, equal values). Anything holding a Float never counts
    as the same: sympy calls Float(2.0) equal to Integer(2), and verify may not."""
    from sympy import Float

    def plain(x) -> bool:
        has = getattr(x, "has", None)
        return not (callable(has) and has(Float))

    return len(a) == len(b) and all(type(x) is type(y) and plain(x) and x == y for x, y in zip(a, b))


def _math_verify_verdicts(pred: str, clean: tuple[str, ...]) -> bool:
    """Judges 1 and 2 together, reusing parses and comparisons between them."""
    try:
        pred_metric = _parsed(pred, "metric_pred")
        pred_default = _parsed(pred, "default")
    except Exception:
        return False
    pred_printable = None
    for g in clean:
        verdict_metric = None
        try:
            gold_metric = _parsed(g, "metric_gold")
            if gold_metric:  # an empty gold extraction raises inside math_metric: score 0
                if pred_printable is None:
                    pred_printable = _printable(pred, "metric_pred")
                if _printable(g, "metric_gold") and pred_printable:
                    verdict_metric = _verify(gold_metric, pred_metric)
                    if verdict_metric:
                        return True
        except Exception:
            verdict_metric = None
        try:
            gold_default = _parsed(g, "default")
            if verdict_metric is not None and _same(gold_default, gold_metric) and _same(pred_default, pred_metric):
                verdict = verdict_metric
            else:
                verdict = _verify(gold_default, pred_default)
        except Exception:
            # The paper's parse/verify judge gives up on every later gold at an exception;
            # the metric judge tries each gold on its own.
            return any(_metric_only(pred, g) for g in clean[clean.index(g) + 1 :])
        if verdict:
            return True
    return False


def _metric_only(pred: str, g: str) -> bool:
    try:
        gold_metric = _parsed(g, "metric_gold")
        return (
            bool(gold_metric)
            and _printable(g, "metric_gold")
            and _printable(pred, "metric_pred")
            and _verify(gold_metric, _parsed(pred, "metric_pred"))
        )
    except Exception:
        return False


# -- mathruler ---------------------------------------------------------------------------------


def _mathruler_quick(pred: str, raw_golds: tuple[str, ...]) -> bool:
    """`grade_answer`'s string tests, on the first gold only: equal mathd normalisations,
    then equal `_normalize` forms. When either holds, `grade_answer(pred, raw_golds[0])`
    returns True before reaching sympy. Later golds are left to the full judge, because
    the paper's loop stops at the first exception, which this shortcut cannot see."""
    grade, normalize, normalize_expr = _mathruler()
    if grade is None or not raw_golds:
        return False
    gold = raw_golds[0]
    try:
        if normalize(gold) == normalize(pred):
            return True
        if "\\" in gold or "\\" in pred:
            # `_normalize` would parse LaTeX here, and the full judge would parse it again.
            return False
        gold_form = normalize_expr(gold)
        return gold_form is not None and gold_form == normalize_expr(pred)
    except Exception:
        return False


def _mathruler_full(pred: str, raw_golds: tuple[str, ...]) -> bool:
    grade, _, _ = _mathruler()
    if grade is None:
        return False
    try:
        return any(grade(pred, g) for g in raw_golds)
    except Exception:  # the paper's loop gives up at the first exception
        return False


# -- parts other judges reuse (math_strict.py) ------------------------------------------------------


def parse_whole(text: str) -> tuple:
    """math-verify's LaTeX reading of the whole of `text` (as the metric reads a gold)."""
    return _parsed(text, "metric_gold")


def verify_parsed(gold: tuple, pred: tuple) -> bool:
    return _verify(gold, pred)


def mathruler_grade(pred: str, gold: str) -> bool:
    """mathruler's `grade_answer`; False when it is missing or fails."""
    grade, _, _ = _mathruler()
    if grade is None:
        return False
    try:
        return bool(grade(pred, gold))
    except Exception:
        return False


# -- the judge -----------------------------------------------------------------------------------

# Plain numerals, short enough that floats hold them well (mathruler compares integers
# through floats, which stop telling them apart past 2**53).
_INTEGER = re.compile(r"^-?[0-9]{1,12}$")
_DECIMAL = re.compile(r"^-?[0-9]{1,9}\.[0-9]{1,6}$")
_FRACTION = re.compile(r"^(-?)(?:\\[dt]?frac\{([0-9]{1,6})\}\{([0-9]{1,6})\}|([0-9]{1,6})/([0-9]{1,6}))$")
_APART = Fraction(1, 100_000)


def _number(text: str) -> Fraction | None:
    """The exact value of an integer, a decimal, `a/b` or `\\frac{a}{b}`; None otherwise."""
    if _INTEGER.match(text) or _DECIMAL.match(text):
        return Fraction(text)
    match = _FRACTION.match(text)
    if match is None:
        return None
    sign, num, den = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    if int(den) == 0:
        return None
    value = Fraction(int(num), int(den))
    return -value if sign else value


def _distinct_numbers(pred: str, raw_golds: tuple[str, ...]) -> bool:
    """True when the prediction and every gold are plain numbers (integers, decimals,
    simple fractions) whose values differ by at least 1e-5. All three judges then reject:
    math-verify compares such numbers exactly, or, when a float is involved, after
    rounding both to 6 decimal places, which cannot make values 1e-5 apart equal;
    mathruler's normalised strings differ, and sympy finds a non-zero difference."""
    value = _number(pred)
    if value is None:
        return False
    for g in raw_golds:
        gold = _number(g)
        if gold is None or abs(gold - value) < _APART:
            return False
    return True


# Calendar dates are not mathematical answers: math-verify reads `2025-03-15` as 2025 (its
# leading number) or as 2025 - 3 - 15, so the paper's judge calls two dates of one year
# equal, and `2025` right for `2025-02-23`. A date is therefore only ever equal to the same
# date. No answer of the paper's data is a date, so no verdict on it changes.
_ISO_DATE = re.compile(r"^\s*([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\s*$")


def calendar_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of an ISO date `YYYY-MM-DD` that exists; None otherwise."""
    import datetime

    match = _ISO_DATE.match(text)
    if match is None:
        return None
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return day.year, day.month, day.day


def _outside_mathematics(pred: str, raw_golds: tuple[str, ...]) -> tuple[bool | None, tuple[str, ...]]:
    """(verdict, golds left): a verdict when dates decide it, else the golds that are not
    dates, for the mathematical judges (all of them when no date is involved)."""
    golds = [calendar_date(reduce_gold(g)) for g in raw_golds]
    answer = calendar_date(pred)
    if answer is not None:
        return answer in golds, ()
    if not any(golds):
        return None, raw_golds
    left = tuple(g for g, d in zip(raw_golds, golds) if d is None)
    return (None, left) if left else (False, ())


@lru_cache(maxsize=_CACHE)
def judge(pred: str, raw_golds: tuple[str, ...]) -> bool:
    """The paper's verdict for a prediction against its accepted golds; a calendar date
    equals only the same date (see `calendar_date`)."""
    verdict, raw_golds = _outside_mathematics(pred, raw_golds)
    if verdict is not None:
        return verdict
    if _distinct_numbers(pred, raw_golds):
        return False
    if _mathruler_quick(pred, raw_golds):
        return True
    clean = tuple(reduce_gold(g) for g in raw_golds)
    return _math_verify_verdicts(pred, clean) or _mathruler_full(pred, raw_golds)


def cache_clear() -> None:
    judge.cache_clear()
    _parsed.cache_clear()
    _printable.cache_clear()


def warm_up() -> Any:
    """Import the judging libraries and run each once (they build parsers lazily)."""
    judge("\\frac{1}{2}", ("0.5",))
    judge("x", ("2",))
    cache_clear()


# -- the judge's account of a verdict (mentor explain) --------------------------------------------

JUDGES = ("math-verify's math_metric", "math-verify's parse/verify", "mathruler's grade_answer")


def _parse_verify(pred: str, clean: tuple[str, ...]) -> bool:
    """The paper's parse/verify judge on its own: one `try` around the loop over golds."""
    try:
        parsed = _parsed(pred, "default")
        return any(_verify(_parsed(g, "default"), parsed) for g in clean)
    except Exception:
        return False


def accepted_by(pred: str, raw_golds: tuple[str, ...]) -> list[str]:
    """Which of the three judges accept `pred`, each run on its own as the paper's code
    runs it, with none of `judge`'s shortcuts. Slow; for explaining one verdict."""
    clean = tuple(reduce_gold(g) for g in raw_golds)
    verdicts = (any(_metric_only(pred, g) for g in clean), _parse_verify(pred, clean), _mathruler_full(pred, raw_golds))
    return [name for name, accepted in zip(JUDGES, verdicts) if accepted]


def account(pred: str, raw_golds: tuple[str, ...]) -> str:
    """Which judges decided the verdict, in words."""
    accepted = accepted_by(pred, raw_golds)
    if accepted:
        return "accepted by " + " and ".join(accepted)
    return "rejected by all three judges (" + ", ".join(JUDGES) + ")"
