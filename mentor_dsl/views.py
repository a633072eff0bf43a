"""What the model wrote: the text that calls and answers are read from.

A completion interleaves the model's own text with text the environment wrote: each
tool's result, in a response block (`<tool_response>...</tool_response>`). Terms read
calls and answers from the model's text only; otherwise a tool that prints a call block
or a `\\boxed{}` answer would act, or answer, for the student.

- **Offline** (`mentor score`, datasets, evaluation rows), the completion's text is
  read with its response blocks cut out, each replaced by a newline. A block runs from
  its opening tag to the first closing tag after it, or to the end of the text when it
  is never closed. A call
  format names its response block with `response_tags` (default `RESPONSE_TAGS`,
  which is what mentor's rollouts, teachers and oracle render); `None` cuts nothing.
  Tool output is escaped when rendered (formats/responses.py), so it cannot close its
  own block.
- **In training**, the rollout knows which tokens the environment wrote (`env_mask`),
  so it hands the reward the text of each run of the model's own tokens
  (`model_segments`, one list per completion). The reward joins them with a newline
  where each environment span was, and cuts response blocks as above (a response the
  model imagined is no more read than a real one).
- **The final text** (`final_text`) also cuts the format's call blocks (`call_tags`):
  what the model said outside its calls and their responses. The `final_boxed`
  extractor reads its answer there.

Reading the two views of the same rollout gives the same calls and answers; the texts
differ only in the whitespace around the spans taken out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .hookspecs import CallFormat

Tags = tuple[str, str]

#: What stands where text was taken out: a cut block, or the environment's span between two
#: model segments.
GAP = "\n"


def kept_spans(text: str, tags: Tags | None) -> list[tuple[int, int]]:
    """The (start, end) offsets of the parts of `text` that `cut_blocks` keeps, in order."""
    if not tags or tags[0] not in text:
        return [(0, len(text))]
    open_tag, close_tag = tags
    kept: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find(open_tag, pos)
        if start < 0:
            kept.append((pos, len(text)))
            break
        kept.append((pos, start))
        end = text.find(close_tag, start + len(open_tag))
        if end < 0:
            break
        pos = end + len(close_tag)
    return kept


def cut_blocks(text: str, tags: Tags | None) -> str:
    """`text` with each `open ... close` block (an unclosed one runs to the end) replaced
    by a newline, so that the text on either side cannot join into a new tag or token."""
    if not tags or tags[0] not in text:
        return text
    return GAP.join(text[start:end] for start, end in kept_spans(text, tags))


def response_tags(fmt: CallFormat) -> Tags | None:
    """The response block of a call format (the rendered default when it says nothing)."""
    return getattr(fmt, "response_tags", CallFormat.response_tags)


def call_tags(fmt: CallFormat) -> Tags | None:
    """The call block of a call format, or None when its calls are not in tagged blocks."""
    return getattr(fmt, "call_tags", CallFormat.call_tags)


def join_segments(segments: Iterable[str]) -> str:
    return GAP.join(segments)


def model_segments(tokenizer: Any, completion_ids: Sequence[int], env_mask: Sequence[int]) -> list[str]:
    """The text of each run of model tokens (`env_mask` 1) of one rollout, decoded as TRL
    decodes a completion (special tokens skipped; the reward puts EOS back)."""
    segments: list[str] = []
    run: list[int] = []
    for token, from_model in zip(completion_ids, env_mask):
        if from_model:
            run.append(int(token))
        elif run:
            segments.append(tokenizer.decode(run, skip_special_tokens=True))
            run = []
    if run:
        segments.append(tokenizer.decode(run, skip_special_tokens=True))
    return segments


class TextMap:
    """A view of a completion (`text`) that knows where each of its characters came from.

    `mentor explain` uses it to show calls and answers, which are read from a view (the
    model's text, its final text), at their place in the completion. `pieces` are
    (view offset, completion offset, length) runs; a view character outside every piece
    (a gap put where a block was cut) comes from nowhere."""

    def __init__(self, text: str, pieces: Sequence[tuple[int, int, int]]):
        self.text = text
        self.pieces = tuple(pieces)

    @classmethod
    def identity(cls, text: str) -> TextMap:
        return cls(text, [(0, 0, len(text))])

    @classmethod
    def of_segments(cls, segments: Sequence[str], completion: str) -> TextMap:
        """The joined model segments (`join_segments`), each found in order in the
        completion; a segment not found there verbatim maps nowhere."""
        pieces, view, cursor = [], 0, 0
        for segment in segments:
            found = completion.find(segment, cursor) if segment else -1
            if found >= 0:
                pieces.append((view, found, len(segment)))
                cursor = found + len(segment)
            view += len(segment) + len(GAP)
        return cls(join_segments(segments), pieces)

    def cut(self, tags: Tags | None) -> TextMap:
        """This view with `cut_blocks(tags)` applied: the same text `cut_blocks` gives."""
        kept = kept_spans(self.text, tags) if tags and tags[0] in self.text else [(0, len(self.text))]
        pieces, view = [], 0
        for start, end in kept:
            for v, c, n in self.pieces:  # the parts of [start, end) this view can trace back
                lo, hi = max(start, v), min(end, v + n)
                if lo < hi:
                    pieces.append((view + lo - start, c + lo - v, hi - lo))
            view += end - start + len(GAP)
        return TextMap(GAP.join(self.text[a:b] for a, b in kept), pieces)

    def source(self, start: int, end: int) -> tuple[int, int] | None:
        """Where the view's text[start:end] lies in the completion: from its first to its
        last character that came from it. None when none did."""
        span: tuple[int, int] | None = None
        for v, c, n in self.pieces:
            lo, hi = max(start, v), min(end, v + n)
            if lo < hi:
                span = (c + lo - v if span is None else span[0], c + hi - v)
        return span
