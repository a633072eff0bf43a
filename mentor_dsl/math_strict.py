"""`math_strict`: the paper's math judge without its ways to pay for a non-answer.

The paper's unified judge (math_judge.py) accepts when any of its three judges does, and
two of them fall back to a *part* of the text when the whole does not parse as they
expect: math-verify's plain-text reading takes the last number of a prediction and the
first number of a gold written in LaTeX without `$`, and mathruler drops everything
after a `\\text{ `. So `390 \\text{ or } 391`, `x = 390 \\text{ or } x = 391`,
`390 = 391`, `\\pm 7` and `391+\\sqrt{2}` pass for 391, and `2` passes for `2^{10}`.

`math_strict(prediction, gold)` accepts only when all of these hold:

1. the paper's judge accepts (so `math_strict` never pays what `math` would not);
2. the prediction has no *shape* that the gold lacks (`SHAPES`): a `±`, an `or`, several
   values, a relation (an equation, an inequality, `\\approx`, `\\in`, ...), words, or
   unbalanced braces;
3. the whole prediction equals the whole gold: the same text, or math-verify's LaTeX
   reading of each whole (never a part) verifies, or mathruler's grader accepts the
   two wholes (after step 2 there is no text left for it to drop).

Before the comparison both sides are put in a plain form that changes no value:
`$`, `\\left`/`\\right`, `\\displaystyle` and a leading `\\$` go; thousands
separators (`1,000`, `1\\,000`, `1{,}000`) are joined; one trailing unit is dropped
(a `\\text{...}`-like group without digits, or plain words of two letters or more that
are not a scale such as `million`); a final period goes; a leading `x =` (a lone
variable) goes, so `x = 391` is judged as `391`; `\\text{...}`-like groups are unwrapped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import math_judge as paper
from .answers import reduce_gold

_CACHE = 1 << 16

_TEXT_COMMAND = r"\\(?:text|textrm|textbf|textit|textsf|textnormal|mathrm|mathbf|mathit|mathsf|mbox|operatorname)"
_TEXT_GROUP = re.compile(_TEXT_COMMAND + r"\s*\{([^{}]*)\}")
_SPACING = r"(?:\\[,;:! ]|~|\s)*"
_TRAILING_TEXT = re.compile(_SPACING + _TEXT_COMMAND + r"\s*\{([^{}0-9]*)\}\s*$")
_TRAILING_WORDS = re.compile(r"(?<=[\s}])((?:[A-Za-z]{2,}\.?\s*)+)$")
# Words that change the value or add one: never dropped as a unit.
_NOT_UNITS = frozenset(
    {
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "trillion",
        "trillions",
        "dozen",
        "dozens",
        "or",
        "and",
    }
)
_WORD = re.compile(r"[A-Za-z]+")
_LEADING_NAME = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?[A-Za-z0-9]+\}?)?\s*=(?!=)\s*(?=\S)")
_THOUSANDS = re.compile(r"(?<=\d)(?:,|\\,|\{,\})(?=\d{3}(?!\d))")
_PRESENTATION = re.compile(r"\\(?:left|right|displaystyle)(?![A-Za-z])")
_LIST_SEPARATORS = re.compile(r"\\q?quad(?![A-Za-z])|\\\\|&")
_SPACES = re.compile(r"\\[,;:! ]|~")
_SCIENTIFIC = re.compile(r"^([+-]?\d+(?:\.\d+)?)[eE]([+-]?\d+)$")
_SPECIAL_TOKENS = re.compile(r"(?:<\|[^|<>]{1,40}\|>|</s>)\s*$")  # an EOS read into the answer
_LABEL = re.compile(r"^(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|:)\s*", re.IGNORECASE)
_MIXED_NUMBER = re.compile(r"^[+-]?\d+\s+\d+/\d+$")  # 2 1/2: one value, though two numbers

#: The shapes a prediction may only have when the gold has them too: one pattern each.
SHAPES: dict[str, re.Pattern] = {
    "plus-minus": re.compile(r"\\(?:pm|mp)(?![A-Za-z])|[±∓]"),
    "or": re.compile(r"(?<![A-Za-z\\])[Oo][Rr](?![A-Za-z])|\\(?:lor|vee)(?![A-Za-z])"),
    "several values": re.compile(
        r"[,;]|(?<![A-Za-z\\])[Aa][Nn][Dd](?![A-Za-z])|\d\s+\.?\d"
        r"|\\(?:cup|ldots|cdots|dots)(?![A-Za-z])|…"
    ),
    "relation": re.compile(
        r"=|<|>|[≤≥≠≈∈→⇒]|\\(?:ne|neq|le|leq|ge|geq|leqslant|geqslant|lt|gt|approx|sim|simeq|"
        r"equiv|cong|propto|in|notin|to|rightarrow|Rightarrow|mapsto|implies|iff)(?![A-Za-z])"
    ),
    "words": re.compile(r"(?<![A-Za-z\\])[A-Za-z]{2,}"),
}


# A gold with several values (`\\pm 7`, `1 or 2`, `1, 2`) may be matched in any of these forms.
_MANY_VALUES = frozenset({"plus-minus", "or", "several values"})


@dataclass(frozen=True)
class Shape:
    """An answer in plain form (`core`) and the shapes it has."""

    core: str
    shapes: frozenset[str]

    def allows(self, other: Shape) -> bool:
        """Whether a prediction of shape `other` may match this gold."""
        allowed = self.shapes | (_MANY_VALUES if self.shapes & _MANY_VALUES else frozenset())
        return other.shapes <= allowed


def _drop_unit(text: str) -> str:
    for pattern in (_TRAILING_TEXT, _TRAILING_WORDS):
        match = pattern.search(text)
        if match and match.start() > 0:
            words = {w.lower() for w in _WORD.findall(match.group(1))}
            return text if words & _NOT_UNITS else text[: match.start()].rstrip()
    return text


def _repeat(step, s: str) -> str:
    previous = None
    while previous != s:
        previous, s = s, step(s)
    return s


def _unwrap_text(s: str) -> str:
    return _repeat(lambda t: _TEXT_GROUP.sub(r"\1", t), s)  # nested: \text{\textbf{3}}


def _drop_period(s: str) -> str:
    return s[:-1].rstrip() if s.endswith(".") and not s.endswith("..") else s


# The steps to the plain form, in order; none changes the value an answer states.
_PLAIN_FORM = (
    # invisible characters (controls, zero-width and direction marks)
    lambda s: "".join(ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\n\t").strip(),
    lambda s: _repeat(lambda t: _SPECIAL_TOKENS.sub("", t).strip(), s),
    lambda s: _PRESENTATION.sub("", s.strip("$")).strip(),
    lambda s: re.sub(r"^\\\$\s*", "", s),
    lambda s: _THOUSANDS.sub("", s),
    _drop_unit,
    _drop_period,
    _unwrap_text,
    lambda s: _LABEL.sub("", s.strip(), count=1),
    lambda s: _LEADING_NAME.sub("", s, count=1),
    lambda s: _SPACES.sub(" ", _LIST_SEPARATORS.sub(",", s)).strip(),
)


@lru_cache(maxsize=_CACHE)
def shape(text: str) -> Shape:
    """The plain form and shapes of an answer (see the module docstring)."""
    s = text
    for step in _PLAIN_FORM:
        s = step(s)
    found = {name for name, pattern in SHAPES.items() if pattern.search(s)}
    if _MIXED_NUMBER.match(s):
        found.discard("several values")
    if not _balanced(s):  # `391}{390`: a box cut short, read as one group by the LaTeX parser
        found.add("unbalanced braces")
    return Shape(s, frozenset(found))


def _balanced(text: str) -> bool:
    depth = 0
    for ch in re.sub(r"\[{}]", "", text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _whole_parse(core: str) -> tuple:
    """math-verify's LaTeX reading of the whole text (`3.91e2` read as 3.91 × 10²)."""
    match = _SCIENTIFIC.match(core)
    if match:
        core = f"{match.group(1)}\\times10^{{{match.group(2)}}}"
    try:
        return paper.parse_whole(core)
    except Exception:
        return ()


def _whole_equal(pred: str, gold: str) -> bool:
    if pred == gold:
        return True
    p, g = _whole_parse(pred), _whole_parse(gold)
    if p and g and any(not isinstance(x, str) for x in p) and any(not isinstance(x, str) for x in g):
        try:
            if paper.verify_parsed(g, p):
                return True
        except Exception:
            pass
    return paper.mathruler_grade(pred, gold)


@lru_cache(maxsize=_CACHE)
def judge(pred: str, raw_golds: tuple[str, ...]) -> bool:
    """`math_strict`'s verdict for a prediction against its accepted golds."""
    if not paper.judge(pred, raw_golds):
        return False
    answer = shape(pred)
    if not answer.core:
        return False
    for raw in raw_golds:
        gold = shape(reduce_gold(raw))
        if gold.core and gold.allows(answer) and _whole_equal(answer.core, gold.core):
            return True
    return False


def cache_clear() -> None:
    judge.cache_clear()
    shape.cache_clear()


def account(pred: str, raw_golds: tuple[str, ...]) -> str:
    """Why `judge` decided as it did, in words (mentor explain)."""
    if not paper.judge(pred, raw_golds):
        return "the paper's judge rejects it: " + paper.account(pred, raw_golds)
    answer = shape(pred)
    if not answer.core:
        return "nothing is left of the prediction in plain form"
    reasons = []
    for raw in raw_golds:
        gold = shape(reduce_gold(raw))
        if not gold.core:
            continue
        if not gold.allows(answer):
            extra = sorted(answer.shapes - gold.shapes)
            reasons.append(f"the prediction has a shape the gold {raw!r} lacks: {', '.join(extra)}")
        elif _whole_equal(answer.core, gold.core):
            return f"accepted: the paper's judge accepts, and the whole prediction equals the whole gold {raw!r}"
        else:
            reasons.append(
                f"the whole prediction {answer.core!r} does not equal the whole gold {gold.core!r} "
                "(the paper's judge accepted a part of it)"
            )
    return "; ".join(reasons) or "no gold is left in plain form"
