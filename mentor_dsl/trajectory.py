"""Trajectory records (DESIGN §5) parsed once into `Trajectory` objects.

A record is a dict: `completion` (raw text, or a list of OpenAI-style chat messages),
and optionally `id`, `prompt`, `answer`, `teacher`, `tools`, `tool_results`, `finished`,
`format` and `model_segments` (what a rollout says the model wrote, views.py). Structural problems raise `RecordError` naming the record and the field.
Everything a term needs from the completion (calls, answers, execution results) is
computed at most once and cached on the `Trajectory`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Collection, Mapping

from .calls import Call, decode_arguments
from .errors import RecordError
from .formats.openai import calls_from_messages
from .student import EOS_TOKEN
from .formats.responses import RESPONSE_TAGS
from .views import Tags, cut_blocks, join_segments

#: The end marker of records written as text (`--eos`): the embedded student's end of turn.
#: Training never uses it: there the student's own tokenizer says where a turn ends.
DEFAULT_EOS = EOS_TOKEN

#: Record fields a term may read but a record may leave out.
OPTIONAL_FIELDS = frozenset({"completion", "finished", "tools", "tool_results", "prompt", "format"})


@dataclass(frozen=True)
class TeacherRef:
    """The reference trajectory: its calls (names only when the data gave bare names)."""

    calls: tuple[Call, ...]
    names_only: bool
    answer: Any = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.calls]  # "" included: the paper's code keeps it in the set


def _teacher(value: Any, record_id: str) -> TeacherRef | None:
    if isinstance(value, str):  # datasets store nested, irregular objects as JSON text
        try:
            value = json.loads(value)
        except ValueError:
            raise RecordError("'teacher' is a string but not JSON", record_id=record_id, field="teacher") from None
    if value is None:
        return TeacherRef((), True)
    if isinstance(value, list):
        value = {"tool_calls": value}
    if not isinstance(value, dict):
        raise RecordError("'teacher' must be an object with 'tool_calls'", record_id=record_id, field="teacher")
    raw_calls = value.get("tool_calls") or []
    if not isinstance(raw_calls, list):
        raise RecordError("'teacher.tool_calls' must be a list", record_id=record_id, field="teacher.tool_calls")
    calls, names_only = [], True
    for item in raw_calls:
        if isinstance(item, str):
            calls.append(Call(item, None, item))
            continue
        if isinstance(item, dict):
            fn = item.get("function", item)
            name = fn.get("name") if isinstance(fn, dict) else None
            if isinstance(name, str) and name:
                args, error = decode_arguments(fn.get("arguments", {}))
                calls.append(Call(name, args if error is None else {}, json.dumps(item, default=str), error))
                names_only = False
                continue
        raise RecordError(
            f"teacher tool call {item!r:.80} is neither a name nor an object with a name",
            record_id=record_id, field="teacher.tool_calls",
        )
    return TeacherRef(tuple(calls), names_only and bool(calls), value.get("answer"))


def _gold(value: Any, record_id: str) -> str | tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError("'answer' must be a string, a number or a list of them", record_id=record_id, field="answer")
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    # An empty list accepts nothing: every answer is wrong, as in the paper's code.
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    raise RecordError("'answer' must be a string, a number or a list of them", record_id=record_id, field="answer")


def _tool_names(value: Any, record_id: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordError("'tools' must be a list of tool names or tool schemas", record_id=record_id, field="tools")
    names = []
    for item in value:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            fn = item.get("function", item)
            name = fn.get("name") if isinstance(fn, dict) else None
            if not isinstance(name, str):
                raise RecordError("a tool schema in 'tools' has no name", record_id=record_id, field="tools")
            names.append(name)
        else:
            raise RecordError("'tools' must be a list of tool names or tool schemas", record_id=record_id, field="tools")
    return tuple(names)


def _tool_results(value: Any, record_id: str) -> tuple[bool, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordError("'tool_results' must be a list", record_id=record_id, field="tool_results")
    out = []
    for item in value:
        if isinstance(item, bool):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("ok"), bool):
            out.append(item["ok"])
        else:
            raise RecordError("each tool result must be a boolean or an object with a boolean 'ok'",
                              record_id=record_id, field="tool_results")
    return tuple(out)


def _finished(value: Any, record_id: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise RecordError("'finished' must be true or false", record_id=record_id, field="finished")
    return value


def _format(value: Any, record_id: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RecordError("'format' must be a format name", record_id=record_id, field="format")
    return value


def _segments(value: Any, record_id: str) -> tuple[str, ...] | None:
    """What a rollout says the model wrote (views.py): a list of texts."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RecordError("'model_segments' must be a list of strings", record_id=record_id, field="model_segments")
    return tuple(value)


def _message_text(messages: list, record_id: str) -> str:
    parts = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise RecordError("each message in 'completion' needs a 'role'", record_id=record_id, field="completion")
        if m["role"] == "assistant":
            content = m.get("content")
            if isinstance(content, list):  # content parts
                texts = [p.get("text", "") for p in content if isinstance(p, dict)]
                if not all(isinstance(t, str) for t in texts):
                    raise RecordError("a message's content parts must hold text", record_id=record_id,
                                      field="completion")
                content = "".join(texts)
            if content is not None and not isinstance(content, str):
                raise RecordError("message 'content' must be a string", record_id=record_id, field="completion")
            if content:
                parts.append(content)
    return "\n".join(parts)


def failure(exc: BaseException) -> str:
    """What went wrong inside one record, in words (RecursionError says nothing useful)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return str(exc) or type(exc).__name__


def record_id(record: Any, default: str) -> str:
    """A record's id as text: its `id` (non-strings as JSON), or `default` when it has
    none or one that cannot be shown (nested too deeply, an int too long to print)."""
    if not isinstance(record, Mapping) or "id" not in record:
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

    __slots__ = ("id", "index", "record", "text", "messages", "finished", "gold", "teacher", "tools",
                 "tool_results", "format", "segments", "_calls", "_answers", "_views", "exec_results")

    def __init__(self, *, id: str, index: int, record: Mapping[str, Any], text: str,
                 messages: list | None, finished: bool, gold, teacher: TeacherRef | None,
                 tools: tuple[str, ...] | None, tool_results: tuple[bool, ...] | None, format: str | None,
                 segments: tuple[str, ...] | None = None):
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
    def from_record(cls, record: Any, *, index: int = 0, eos: str = DEFAULT_EOS,
                    finished: bool | None = None, reads: Collection[str] | None = None,
                    default_id: str | None = None) -> "Trajectory":
        """`reads`: the fields the caller's reward reads. A malformed field outside it is
        treated as absent instead of failing the record (None: every field must be sound).
        `default_id`: the id of a record without one (a file's line number); else `index`."""
        if not isinstance(record, Mapping):
            raise RecordError(f"a record must be a JSON object, not {type(record).__name__}")
        rid = record_id(record, default_id if default_id is not None else str(index))
        if "completion" not in record:
            raise RecordError("missing required field 'completion'", record_id=rid, field="completion")
        completion = record["completion"]
        messages = None
        if isinstance(completion, str):
            text = completion
        elif isinstance(completion, list):
            messages = completion
            text = _message_text(completion, rid)
        else:
            raise RecordError("'completion' must be a string or a list of messages", record_id=rid, field="completion")

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

        given = field("finished", _finished)
        if finished is None:
            finished = given
        if finished is None:
            # A message list is a completed chat turn; raw text must end with the EOS string.
            finished = True if messages is not None else (bool(eos) and text.endswith(eos))
        return cls(
            id=rid, index=index, record=record, text=text, messages=messages, finished=bool(finished),
            gold=field("answer", _gold), teacher=field("teacher", _teacher), tools=field("tools", _tool_names),
            tool_results=field("tool_results", _tool_results), format=field("format", _format),
            segments=field("model_segments", _segments),
        )

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

    def answer(self, extractor: str, extract: Callable[[str], str | None], response_tags: Tags | None = RESPONSE_TAGS,
               call_tags: Tags | None = None) -> str | None:
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
