"""Trajectory records parsed once into `Trajectory` objects.

A record is a dict: `completion` (raw text, or a list of OpenAI-style chat messages),
and optionally `id`, `prompt`, `answer`, `teacher`, `tools`, `tool_results`, `finished`,
`format` and `model_segments` (what a rollout says the model wrote, views.py): the fields
of `records.FIELDS`, whose parsers are used here. Structural problems raise `RecordError`
naming the record and the field. Everything a term needs from the completion (calls,
answers, execution results) is computed at most once and cached on the `Trajectory`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .calls import Call
from .errors import RecordError
from .formats.openai import calls_from_messages
from .formats.responses import RESPONSE_TAGS
from .records import PARSED, TeacherRef, parse_completion, parse_finished
from .student import EOS_TOKEN
from .views import Tags, cut_blocks, join_segments

#: The end marker of records written as text (`--eos`): the embedded student's end of turn.
#: Training never uses it: there the student's own tokenizer says where a turn ends.
DEFAULT_EOS = EOS_TOKEN

#: Record fields a term may read but a record may leave out.
OPTIONAL_FIELDS = frozenset({"completion", "finished", "tools", "tool_results", "prompt", "format"})


def failure(exc: BaseException) -> str:
    """What went wrong inside one record, in words (RecursionError says nothing useful)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return str(exc) or type(exc).__name__


def record_id(record: Any, default: str) -> str:
    """A record's id as text: its `id` (non-strings as JSON), or `default` when it has
    none (or null) or one that cannot be shown (nested too deeply, an int too long to print)."""
    if not isinstance(record, Mapping) or record.get("id") is None:
        return default
    rid = record["id"]
    if isinstance(rid, str):
        return rid
    try:
        return json.dumps(rid, default=str)
    except (ValueError, RecursionError, TypeError):
        return default


class Trajectory:
    """One record, parsed. Terms read it; they never re-parse the completion."""

    __slots__ = (
        "id",
        "index",
        "record",
        "text",
        "messages",
        "finished",
        "gold",
        "teacher",
        "tools",
        "tool_results",
        "format",
        "segments",
        "_calls",
        "_answers",
        "_views",
        "exec_results",
    )

    def __init__(
        self,
        *,
        id: str,
        index: int,
        record: Mapping[str, Any],
        text: str,
        messages: list | None,
        finished: bool,
        gold=None,
        teacher: TeacherRef | None = None,
        tools: tuple[str, ...] | None = None,
        tool_results: tuple[bool, ...] | None = None,
        format: str | None = None,
        segments: tuple[str, ...] | None = None,
    ):
        self.id = id
        self.index = index
        self.record = record
        self.text = text
        self.messages = messages
        self.finished = finished
        self.gold = gold
        self.teacher = teacher
        self.tools = tools
        self.tool_results = tool_results
        self.format = format
        self.segments = segments  # the model's own text pieces, when a rollout gave them
        self._calls: list[Call] | None = None
        self._answers: dict[str, str | None] = {}
        self._views: dict[tuple, str] = {}
        self.exec_results: list | None = None  # (Call, ToolResult) per named call, once exec_success ran

    @classmethod
    def from_record(
        cls,
        record: Any,
        *,
        index: int = 0,
        eos: str = DEFAULT_EOS,
        finished: bool | None = None,
        reads: Collection[str] | None = None,
        default_id: str | None = None,
    ) -> Trajectory:
        """`reads`: the fields the caller's reward reads. A malformed field outside it is
        treated as absent instead of failing the record (None: every field must be sound).
        `default_id`: the id of a record without one (a file's line number); else `index`."""
        if not isinstance(record, Mapping):
            raise RecordError(f"a record must be a JSON object, not {type(record).__name__}")
        rid = record_id(record, default_id if default_id is not None else str(index))
        if "completion" not in record:
            raise RecordError("missing required field 'completion'", record_id=rid, field="completion")
        text, messages = parse_completion(record["completion"], rid)

        def field(name: str, parse: Callable[[Any, str], Any]) -> Any:
            if name not in record:
                return None
            try:
                try:
                    return parse(record[name], rid)
                except RecordError:
                    raise
                except Exception as exc:  # nesting too deep, an int too long to print: this field's fault
                    raise RecordError(f"{name!r}: {failure(exc)}", record_id=rid, field=name) from exc
            except RecordError:
                if reads is None or name in reads:
                    raise
                return None

        given = field("finished", parse_finished)
        if finished is None:
            finished = given
        if finished is None:
            # A message list is a completed chat turn; raw text must end with the EOS string.
            finished = True if messages is not None else (bool(eos) and text.endswith(eos))
        parsed = {}
        for name, attribute, parse in PARSED:  # a loop, not a comprehension: no frame per record
            if name in record:
                parsed[attribute] = field(name, parse)
        return cls(id=rid, index=index, record=record, text=text, messages=messages, finished=bool(finished), **parsed)

    # -- cached views ------------------------------------------------------------------------
    # Calls and answers are read from what the model wrote, never from tool output
    # (views.py): the rollout's model segments when there are some, else the text; either
    # way without the format's response blocks.

    def model_text(self, response_tags: Tags | None = RESPONSE_TAGS) -> str:
        key = ("model", response_tags)
        if key not in self._views:
            base = join_segments(self.segments) if self.segments is not None else self.text
            self._views[key] = cut_blocks(base, response_tags)
        return self._views[key]

    def final_text(self, response_tags: Tags | None = RESPONSE_TAGS, call_tags: Tags | None = None) -> str:
        """The model's text outside its call blocks and their responses."""
        key = ("final", response_tags, call_tags)
        if key not in self._views:
            self._views[key] = cut_blocks(self.model_text(response_tags), call_tags)
        return self._views[key]

    def calls(self, parse_text: Callable[[str], list[Call]], response_tags: Tags | None = RESPONSE_TAGS) -> list[Call]:
        """Every call block the model wrote, parsed once with the trajectory's format."""
        if self._calls is None:
            calls: list[Call] = []
            if self.messages is not None:
                calls.extend(calls_from_messages(self.messages))
            text = self.model_text(response_tags)
            try:
                calls.extend(parse_text(text))
            except Exception as exc:  # a plugin format must not turn a completion into a crash
                calls.append(Call(None, None, text[:200], f"format failed: {exc}"))
            self._calls = calls
        return self._calls

    def answer(
        self,
        extractor: str,
        extract: Callable[[str], str | None],
        response_tags: Tags | None = RESPONSE_TAGS,
        call_tags: Tags | None = None,
    ) -> str | None:
        """The answer `extract` finds in the model's text, or in its final text when the
        extractor reads only that (`extract.reads == "final"`)."""
        if extractor not in self._answers:
            if getattr(extract, "reads", "model") == "final":
                text = self.final_text(response_tags, call_tags)
            else:
                text = self.model_text(response_tags)
            try:
                value = extract(text)
            except Exception:
                value = None
            self._answers[extractor] = value if isinstance(value, str) else None
        return self._answers[extractor]

    def has_field(self, field: str) -> bool:
        if field == "completion":
            return True
        if field == "answer":
            return self.gold is not None
        if field == "teacher":
            return self.teacher is not None
        head = field.split(".", 1)[0]
        return self.record.get(head) is not None
