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

from typing import Any, Iterable, Sequence

from .hookspecs import CallFormat

Tags = tuple[str, str]

#: What stands where text was taken out: a cut block, or the environment's span between two
#: model segments.
GAP = "\n"


def cut_blocks(text: str, tags: Tags | None) -> str:
    """`text` with each `open ... close` block (an unclosed one runs to the end) replaced
    by a newline, so that the text on either side cannot join into a new tag or token."""
    if not tags:
        return text
    open_tag, close_tag = tags
    if open_tag not in text:
        return text
    kept: list[str] = []
    pos = 0
    while True:
        start = text.find(open_tag, pos)
        if start < 0:
            kept.append(text[pos:])
            break
        kept.append(text[pos:start])
        end = text.find(close_tag, start + len(open_tag))
        if end < 0:
            break
        pos = end + len(close_tag)
    return GAP.join(kept)


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
