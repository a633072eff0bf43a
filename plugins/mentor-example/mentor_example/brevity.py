"""The `brevity` reward term: pay for short completions.

GRPO students tend to get longer as training goes on: a long completion is rarely punished
when the reward only looks at the answer. `brevity` gives 1 for a completion of at most
`max_tokens` tokens, then falls linearly to 0 over the next `window` tokens:

    value
      1 |--------------.
        |               \\
        |                \\
      0 +-----------------'-----------
        0          max_tokens   max_tokens + window      (tokens)

In a spec (see examples/brevity.mdsl):

    short = brevity(max_tokens=64)                    # window defaults to max_tokens
    short = brevity(max_tokens=64, window=0)          # a hard cut-off
    short = brevity(max_tokens=40, unit="words")

Pay for brevity only together with correctness (`correct * short`): a brevity bonus on
its own teaches the student that the empty answer is the best one.

A term is a plain function plus a `Term` record that tells mentor its name, its
parameters (so the checker can validate `brevity(max_tokens="x")` before any data is
read), its value range (so `mentor compile` can print the reward's range) and the record
fields it reads.
"""

from __future__ import annotations

import re
from typing import Sequence

from mentor_dsl.terms.base import Term, TermParam

#: Units `brevity` can count in. "tokens" needs no tokenizer: words and punctuation marks
#: are one token each, which tracks a BPE tokenizer's count closely enough for a reward.
UNITS = ("tokens", "words", "chars")

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Chat-template specials such as <|im_end|> and </s> are not text the model "wrote".
_SPECIAL = re.compile(r"<\|[^|<>]{1,40}\|>|</s>")


def length(text: str, unit: str = "tokens") -> int:
    """The length of `text` in `unit`s, special tokens left out."""
    text = _SPECIAL.sub(" ", text)
    if unit == "words":
        return len(text.split())
    if unit == "chars":
        return len(text.strip())
    return len(_TOKEN.findall(text))


def brevity_value(n: int, max_tokens: int, window: int | None = None) -> float:
    """1 up to `max_tokens`, then linearly down to 0 at `max_tokens + window`."""
    if window is None:
        window = max_tokens
    if n <= max_tokens:
        return 1.0
    if window <= 0:  # no window: a hard cut-off
        return 0.0
    return max(0.0, 1.0 - (n - max_tokens) / window)


# The term function. mentor calls it once per batch with the trajectories that still need
# the value (rows retired by an earlier `require` are left out), an evaluation context,
# and the term's arguments as keyword arguments, already checked and defaulted.
#
# Rules: return exactly one float per trajectory, and never raise on odd input - a
# malformed completion is the student's problem, not a crash. `t.text` is the completion's
# text (for chat records: the assistant messages joined); see mentor_dsl/trajectory.py
# for the rest (`t.gold`, `t.teacher`, `t.record`, ...).
def brevity(trajectories: Sequence, ctx, max_tokens: int, window: int | None, unit: str) -> list[float]:
    return [brevity_value(length(t.text, unit), max_tokens, window) for t in trajectories]


BREVITY = Term(
    name="brevity",
    fn=brevity,
    params=(
        # TermParam(name, type, default, choices, doc). The type drives the checker:
        # "int" refuses 1.5 and strings; `choices` makes unit="token" an error that
        # suggests "tokens". A parameter without a default is required.
        TermParam("max_tokens", "int", 256, doc="full reward up to this length"),
        TermParam("window", "int", None, doc="length over which the reward falls to 0; default: max_tokens"),
        TermParam("unit", "string", "tokens", choices=UNITS, doc="what to count: tokens, words or chars"),
    ),
    range=(0.0, 1.0),          # the checker propagates this through the spec's arithmetic
    fields=("completion",),    # record fields the term reads: `score` checks records have them
    doc="1 for a completion of at most max_tokens tokens, falling linearly to 0 over `window` more.",
)
