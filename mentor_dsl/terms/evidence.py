"""Evidence: why a term gave one trajectory its value.

A term may have an `explain(trajectory, ctx, **args) -> Evidence` function beside its
batched `fn` (see `Term`). `mentor explain`, `mentor test` and `mentor diff` call it on
one record at a time, after the reward was computed; training and `mentor score` never
do, so evidence costs nothing where speed matters.

Evidence is data, shown as a tree on a terminal and as JSON with `--json`:

- `calls`: the calls the term read, each with its span in the completion, whether it
  counts (`valid`, and `reason` when not) and whether it matched the teacher's;
- `teacher`, `matched`, `missing`, `extra`: the teacher's tool names and the set
  comparison with the student's;
- `answer`: the extracted answer, with its span;
- `verdict`: the judge that decided, its verdict and, where the judge can say, which of
  its rules decided it;
- `facts`: anything else, as (label, value) pairs;
- `value`: the value the evidence implies. `mentor explain` compares it with the value
  the term computed and flags a difference: an explanation that disagrees with its term
  is a bug.

Spans are character offsets into the record's completion text. Calls and answers are
read from a view of the completion (views.py: without tool responses, from the model's
segments); `locate_calls` and `locate_answer` map them back, and give no span for what
does not appear there verbatim (a call given as a message's `tool_calls`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..views import TextMap, call_tags, response_tags

if TYPE_CHECKING:
    from ..calls import Call
    from ..context import EvalContext
    from ..trajectory import Trajectory


@dataclass(frozen=True)
class TextSpan:
    """Characters [start, end) of the record's completion text."""

    start: int
    end: int

    def to_json(self) -> list[int]:
        return [self.start, self.end]


@dataclass(frozen=True)
class CallEvidence:
    """One call as a term read it. `valid`, `matched`: None where the term does not say."""

    index: int
    name: str | None
    arguments: Any = None
    span: TextSpan | None = None
    valid: bool | None = None
    reason: str | None = None
    matched: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "arguments": _plain(self.arguments),
            "span": self.span.to_json() if self.span else None,
            "valid": self.valid,
            "reason": self.reason,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class AnswerEvidence:
    """The answer an extractor found (`text` None: none), and where."""

    extractor: str
    text: str | None
    span: TextSpan | None = None

    def to_json(self) -> dict[str, Any]:
        return {"extractor": self.extractor, "text": self.text, "span": self.span.to_json() if self.span else None}


@dataclass(frozen=True)
class Verdict:
    """A judge's verdict on a prediction. `decided_by`: the judge's own account of which
    rule decided (a judge function's optional `explain(prediction, gold)`)."""

    judge: str
    prediction: str
    gold: Any
    value: float
    decided_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "prediction": self.prediction,
            "gold": _plain(self.gold),
            "value": self.value,
            "decided_by": self.decided_by,
        }


@dataclass(frozen=True)
class Evidence:
    """What a term's `explain` returns. Every field is optional; see the module docstring."""

    summary: str = ""
    calls: tuple[CallEvidence, ...] = ()
    teacher: tuple[str, ...] | None = None
    matched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    answer: AnswerEvidence | None = None
    verdict: Verdict | None = None
    facts: tuple[tuple[str, Any], ...] = field(default=())
    value: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"summary": self.summary}
        if self.calls:
            out["calls"] = [c.to_json() for c in self.calls]
        if self.teacher is not None:
            out["teacher"] = list(self.teacher)
        if self.matched or self.missing or self.extra:
            out.update(matched=list(self.matched), missing=list(self.missing), extra=list(self.extra))
        if self.answer is not None:
            out["answer"] = self.answer.to_json()
        if self.verdict is not None:
            out["verdict"] = self.verdict.to_json()
        if self.facts:
            out["facts"] = {label: _plain(value) for label, value in self.facts}
        if self.value is not None:
            out["value"] = self.value
        return out


def _plain(value: Any) -> Any:
    """JSON-safe: tuples as lists, non-finite floats as text, anything odd as its repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return repr(value)


# -- where things are in the completion -------------------------------------------------------


def model_view(traj: Trajectory, ctx: EvalContext, *, final: bool = False) -> TextMap:
    """The text calls (or, with `final`, final-text answers) are read from, mapped to the
    completion: `traj.model_text` / `traj.final_text` with offsets."""
    fmt = ctx.format_for(traj)
    base = TextMap.of_segments(traj.segments, traj.text) if traj.segments is not None else TextMap.identity(traj.text)
    view = base.cut(response_tags(fmt))
    return view.cut(call_tags(fmt)) if final else view


def _span(view: TextMap, start: int, end: int) -> TextSpan | None:
    found = view.source(start, end)
    return TextSpan(*found) if found else None


def locate_calls(traj: Trajectory, ctx: EvalContext) -> list[tuple[Call, TextSpan | None]]:
    """Every call the trajectory's format parses (`ctx.calls`), with its span: a call from
    a message's `tool_calls` has none; one parsed from the text is found by its raw text,
    in order, where it appears verbatim."""
    from ..formats.openai import calls_from_messages

    calls = ctx.calls(traj)
    from_messages = len(calls_from_messages(traj.messages)) if traj.messages is not None else 0
    view = model_view(traj, ctx)
    out: list[tuple[Call, TextSpan | None]] = []
    cursor = 0
    for i, call in enumerate(calls):
        span = None
        if i >= from_messages and call.raw:
            at = view.text.find(call.raw, cursor)
            if at >= 0:
                span = _span(view, at, at + len(call.raw))
                cursor = at + len(call.raw)
        out.append((call, span))
    return out


#: Stands in for a candidate occurrence of the answer while `locate_answer` tests it.
_MASKS = ("\x01", "\x02")


def locate_answer(traj: Trajectory, ctx: EvalContext, extractor: str) -> AnswerEvidence:
    """The answer `extractor` finds (`ctx.answer`) and its span.

    Extractors return text, not positions, so the occurrence is found by asking the
    extractor: from the right, the first occurrence of the answer that, masked, changes
    what the extractor returns is the one it read. This works for any extractor, a
    plugin's too, and runs only when explaining."""
    extract = ctx.extractor(extractor)
    text = ctx.answer(traj, extractor, extract)
    if not text:
        return AnswerEvidence(extractor, text)
    view = model_view(traj, ctx, final=getattr(extract, "reads", "model") == "final")
    mask = next((m for m in _MASKS if m not in text), _MASKS[0])
    at = view.text.rfind(text)
    while at >= 0:
        masked = view.text[:at] + mask * len(text) + view.text[at + len(text) :]
        try:
            changed = extract(masked) != text
        except Exception:
            changed = True
        if changed:
            return AnswerEvidence(extractor, text, _span(view, at, at + len(text)))
        at = view.text.rfind(text, 0, at + len(text) - 1) if at else -1
    return AnswerEvidence(extractor, text)
