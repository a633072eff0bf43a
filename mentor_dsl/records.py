"""The trajectory record: its fields, the shape of each, and the check that reads each one.

`FIELDS` is the one definition of a record. From it come:
- `Trajectory.from_record` (trajectory.py), the hot path of scoring and training, which
  calls each field's `parse` and nothing else;
- `record_model()`, a pydantic model whose validators are those same `parse` functions and
  whose JSON Schema is the fields' `shape`: `mentor schema record` prints it, and
  `check_record` reports a bad record with the field named;
- docs/records.md, generated from this table (tests/test_records.py fails when it is stale).

A `parse` function takes the value and the record's id, returns what `Trajectory` keeps,
and raises `RecordError` naming the field. Fields not in the table (BFCL's `functions`,
`possible_answer`, ...) are kept as given for the terms and plugins that read them.
"""

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, Required, cast  # pydantic needs these on Python < 3.12

from typing_extensions import TypedDict

from .calls import Call, decode_arguments
from .errors import RecordError

# -- shapes (for the schema and the docs; the parsers below are what is enforced) -------------
# A shape lists the keys mentor reads, typed as the parsers check them, and no more: the
# schema may never refuse a record mentor reads (tests/test_records.py). Other keys are kept
# as given, which the docstrings say.


class FunctionCall(TypedDict):
    """A tool call: the tool's name and its arguments (an object, or its JSON text)."""

    name: str
    arguments: NotRequired[Any]


class OpenAIToolCall(TypedDict):
    """A tool call as OpenAI's chat API writes it (its `type` and `id` are not read)."""

    function: FunctionCall


class Message(TypedDict, total=False):
    """A chat message. `content` is its text, or a list of content parts (objects such as
    `{"type": "text", "text": "..."}`, whose `text` is read). In `completion`, the assistant
    messages' text and `tool_calls` (OpenAI's [tool calls](#openaitoolcall)) are what the
    student wrote: a malformed call there is an invalid call for the reward to judge, not a
    malformed record."""

    role: Required[str]
    content: str | list[Any] | None
    tool_calls: Any


class Teacher(TypedDict, total=False):
    """The teacher's reference trajectory."""

    tool_calls: list[str | FunctionCall | OpenAIToolCall] | None
    answer: Any


class FunctionSchema(TypedDict):
    """A tool: its name, which must be a registered tool's. Its `description` and
    `parameters` (a JSON Schema) are kept as given; mentor runs the registered tool."""

    name: str


class ToolSchema(TypedDict):
    """An OpenAI tool object (`{"type": "function", "function": {...}}`)."""

    function: FunctionSchema


class ToolResult(TypedDict):
    """A recorded tool call's outcome: whether it succeeded (its `output` or `error` are
    kept as given)."""

    ok: bool


Scalar = str | int | float

# -- parsers --------------------------------------------------------------------------------------


def parse_id(value: Any, record_id: str | None) -> str | int | None:
    # null is no id, as an empty table cell is: writers emit `"id": null` for a record without one.
    if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int))):
        raise RecordError("'id' must be a string or an integer", record_id=record_id, field="id")
    return value


def parse_prompt(value: Any, record_id: str | None) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise RecordError("'prompt' is empty", record_id=record_id, field="prompt")
        return value
    if not isinstance(value, list) or not value:
        raise RecordError(
            "'prompt' must be a string or a non-empty list of chat messages", record_id=record_id, field="prompt"
        )
    for i, message in enumerate(value):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise RecordError(f"'prompt' message {i} needs a string 'role'", record_id=record_id, field="prompt")
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise RecordError(
                f"'prompt' message {i}: 'content' must be a string or a list of content parts",
                record_id=record_id,
                field="prompt",
            )
    return value


def parse_completion(value: Any, record_id: str | None) -> tuple[str, list | None]:
    """(the text, the messages when it is a message list)."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, list):
        return _message_text(value, record_id), value
    raise RecordError("'completion' must be a string or a list of messages", record_id=record_id, field="completion")


def _message_text(messages: list, record_id: str | None) -> str:
    parts = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise RecordError("each message in 'completion' needs a 'role'", record_id=record_id, field="completion")
        content = m.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise RecordError(
                "'completion': a message's 'content' must be a string or a list of content parts",
                record_id=record_id,
                field="completion",
            )
        if m["role"] == "assistant":
            if isinstance(content, list):  # content parts
                texts = [p.get("text", "") for p in content if isinstance(p, dict)]
                if not all(isinstance(t, str) for t in texts):
                    raise RecordError(
                        "'completion': a message's content parts must hold text",
                        record_id=record_id,
                        field="completion",
                    )
                content = "".join(texts)
            if content:
                parts.append(content)
    return "\n".join(parts)


@dataclass(frozen=True)
class TeacherRef:
    """The reference trajectory: its calls (names only when the data gave bare names)."""

    calls: tuple[Call, ...]
    names_only: bool
    answer: Any = None

    @property
    def names(self) -> list[str]:
        # `parse_teacher` makes every call with a name (a `Call` found in text may have none).
        names = cast("list[str]", [c.name for c in self.calls])
        return names  # "" included: the paper's code keeps it in the set


def parse_teacher(value: Any, record_id: str | None) -> TeacherRef | None:
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
    raw_calls = value.get("tool_calls")
    if raw_calls is None:
        raw_calls = []
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
            f"'teacher.tool_calls': {item!r:.80} is neither a name nor an object with a name",
            record_id=record_id,
            field="teacher.tool_calls",
        )
    return TeacherRef(tuple(calls), names_only and bool(calls), value.get("answer"))


def parse_answer(value: Any, record_id: str | None) -> str | tuple[str, ...] | None:
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


def parse_tools(value: Any, record_id: str | None) -> tuple[str, ...] | None:
    """The names of the tools a record offers (names or OpenAI tool objects)."""
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
            raise RecordError(
                "'tools' must be a list of tool names or tool schemas", record_id=record_id, field="tools"
            )
    return tuple(names)


def parse_tool_results(value: Any, record_id: str | None) -> tuple[bool, ...] | None:
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
            raise RecordError(
                "'tool_results': each result must be a boolean or an object with a boolean 'ok'",
                record_id=record_id,
                field="tool_results",
            )
    return tuple(out)


def parse_finished(value: Any, record_id: str | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise RecordError("'finished' must be true or false", record_id=record_id, field="finished")
    return value


def parse_format(value: Any, record_id: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RecordError("'format' must be a format name", record_id=record_id, field="format")
    return value


def parse_segments(value: Any, record_id: str | None) -> tuple[str, ...] | None:
    """What a rollout says the model wrote (views.py): a list of texts."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise RecordError("'model_segments' must be a list of strings", record_id=record_id, field="model_segments")
    return tuple(value)


def parse_examples(value: Any, record_id: str | None) -> Any:
    """A task's own few-shot exchanges (fewshot.py): a list of example objects, or that
    list as JSON text (datasets store it so)."""
    if value is None:
        return None
    from .errors import DataError
    from .fewshot import record_examples

    try:
        return record_examples({"examples": value})
    except DataError as exc:
        raise RecordError(f"'examples': {exc}", record_id=record_id, field="examples") from None


def parse_judge(value: Any, record_id: str | None) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise RecordError("'judge' must be the name of a judge", record_id=record_id, field="judge")
    return value


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordField:
    name: str
    shape: Any  # the JSON it may hold: the schema's and the docs' type
    parse: Callable[[Any, str | None], Any]
    description: str
    attribute: str | None = None  # the `Trajectory` attribute `parse`'s value goes to, if it is that direct
    required: bool = False  # in a record to score (a task for `eval`/`teach` has no completion yet)
    task: bool = False  # in a task record


FIELDS: tuple[RecordField, ...] = (
    RecordField(
        "id",
        str | int | None,
        parse_id,
        "The record's id, unique in its file. A record without one (or with null) is known by its line "
        "(its row in a Parquet or CSV file, its index in a Python list).",
    ),
    RecordField(
        "prompt",
        str | list[Message],
        parse_prompt,
        "The task: its text, or chat messages (system, user, ...). `train`, `eval` and `teach` need it; "
        "scoring passes it to the terms that read it.",
        task=True,
    ),
    RecordField(
        "completion",
        str | list[Message],
        parse_completion,
        "What the student wrote: the raw text of its turn (call blocks, `<tool_response>` blocks, the "
        "final answer, the end marker), or OpenAI-style chat messages.",
        required=True,
    ),
    RecordField(
        "answer",
        Scalar | list[Scalar] | None,
        parse_answer,
        "The gold answer: text, a number, or a list of accepted answers (an empty list accepts none).",
        attribute="gold",
    ),
    RecordField(
        "teacher",
        Teacher | list[str | FunctionCall | OpenAIToolCall] | str | None,
        parse_teacher,
        "The teacher's reference trajectory: an object with `tool_calls` (names, or calls with "
        "arguments) and optionally `answer`; a bare list of calls; or either as JSON text (datasets "
        "store it so).",
        attribute="teacher",
    ),
    RecordField(
        "tools",
        list[str | ToolSchema | FunctionSchema] | None,
        parse_tools,
        "The tools the task offers: registered tool names or OpenAI tool objects. Without it, the spec's "
        "`option tools`, then every registered tool.",
        attribute="tools",
    ),
    RecordField(
        "tool_results",
        list[bool | ToolResult] | None,
        parse_tool_results,
        "The recorded outcome of each tool call, in order: `true`/`false`, or objects with a boolean "
        "`ok`. Without it, `exec_success` runs the calls.",
        attribute="tool_results",
    ),
    RecordField(
        "finished",
        bool | None,
        parse_finished,
        "Whether the student ended its turn. Without it: a message list is finished, and raw text is "
        "when it ends with the end marker (`--eos`, default `<|im_end|>`).",
    ),
    RecordField(
        "format",
        str | None,
        parse_format,
        "The tool-call format the completion is written in (`hermes`, `llama_json`, `mistral`, ...); "
        "without it, the spec's.",
        attribute="format",
    ),
    RecordField(
        "model_segments",
        list[str] | None,
        parse_segments,
        "The pieces of the completion the student wrote itself, which training rollouts record; calls "
        "and answers are read only from them when present.",
        attribute="segments",
    ),
    RecordField(
        "examples",
        list[dict[str, Any]] | str | None,
        parse_examples,
        "The task's own few-shot exchanges, shown before its prompt instead of the registered ones "
        "(`[]` shows none): objects with `user`, `turns` (lists of calls with `name`, `arguments` and "
        "`output`) and `answer`, or that list as JSON text.",
    ),
    RecordField(
        "judge",
        str | None,
        parse_judge,
        "The judge that decides this task's answer (`answer_correct`), for a spec that does not pin one.",
    ),
)

FIELD = {f.name: f for f in FIELDS}

#: (record field, Trajectory attribute, parse) for the fields `Trajectory.from_record` takes as parsed.
PARSED = tuple((f.name, f.attribute, f.parse) for f in FIELDS if f.attribute)


# -- the pydantic model -----------------------------------------------------------------------------


@functools.cache
def record_model(task: bool = False):
    """The record as a pydantic model: each field's `parse` is its validator (the value is
    kept as given), its `shape` its JSON Schema. `task=True`: a task record, which needs a
    `prompt` and has no `completion` yet."""
    from typing import Annotated

    from pydantic import ConfigDict, Field, PlainValidator, create_model
    from pydantic_core import PydanticCustomError

    def validator(name: str, parse: Callable[[Any, str | None], Any]):
        def check(value: Any) -> Any:
            try:
                parse(value, None)
            except RecordError as exc:
                message = exc.message
            except Exception as exc:  # nesting too deep, an int too long to print: this field's fault
                from .trajectory import failure

                message = f"{name!r}: {failure(exc)}"
            else:
                return value
            # The message as a value, not a template: it may hold braces.
            raise PydanticCustomError("record_field", "{message}", {"message": message})

        return check

    # Values typed Any: `create_model(**fields)` could also fill its `__module__` or
    # `__base__` keywords, so the checker would hold each value to all of their types.
    fields: dict[str, Any] = {}
    for f in FIELDS:
        needed = f.task if task else f.required
        annotated = Annotated[
            Any,
            PlainValidator(validator(f.name, f.parse), json_schema_input_type=f.shape),
            Field(description=f.description),
        ]
        fields[f.name] = (annotated, ... if needed else None)
    name = "TaskRecord" if task else "Record"
    doc = (
        "A task: what `mentor eval`, `mentor teach` and `mentor train` read."
        if task
        else "A trajectory record: what `mentor score` reads and `mentor teach` writes."
    )
    # Other fields are kept: terms and plugins read them (BFCL's `functions`, ...).
    # No protected namespaces: `model_segments` is a record field, not pydantic's.
    config = ConfigDict(extra="allow", title=name, protected_namespaces=())
    return create_model(name, __config__=config, __doc__=doc, **fields)


def record_schema(task: bool = False) -> dict[str, Any]:
    """The record's JSON Schema (`mentor schema record`)."""
    return record_model(task).model_json_schema()


def check_record(record: Any, *, task: bool = False, record_id: str | None = None) -> None:
    """Raise RecordError, naming the record and the field, unless `record` is well formed
    (every field of the table it has parses; a task needs `prompt`, a record `completion`)."""
    from pydantic import ValidationError

    if not isinstance(record, Mapping):
        raise RecordError(f"a record must be a JSON object, not {type(record).__name__}")
    try:
        record_model(task).model_validate(record)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else None
        message = error["msg"] if error["type"] == "record_field" else f"missing required field {field!r}"
        raise RecordError(message, record_id=record_id, field=field) from None


# -- docs/records.md --------------------------------------------------------------------------------

_NAMES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
    Any: "any",
    dict: "object",
}


def _type_text(shape: Any) -> str:
    """A shape in words: `str | list[Message]` is "string or list of [Message](#message)"."""
    import types
    import typing

    origin = typing.get_origin(shape)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(arg) for arg in typing.get_args(shape))
    if origin is list:
        (item,) = typing.get_args(shape)
        inner = _type_text(item)
        return f"list of ({inner})" if " or " in inner else f"list of {inner}"
    if origin is dict:
        return "object"
    if isinstance(shape, type) and hasattr(shape, "__required_keys__"):
        return f"[{shape.__name__}](#{shape.__name__.lower()})"
    return _NAMES.get(shape, getattr(shape, "__name__", str(shape)))


def _shapes(shape: Any, seen: list) -> list:
    """The TypedDicts a shape refers to, depth first, each once."""
    import typing

    if isinstance(shape, type) and hasattr(shape, "__required_keys__"):
        if shape not in seen:
            seen.append(shape)
            for hint in typing.get_type_hints(shape).values():
                _shapes(hint, seen)
        return seen
    for arg in typing.get_args(shape):
        _shapes(arg, seen)
    return seen


def _cell(text: str) -> str:
    """Text for a Markdown table cell: a `|`, even in a code span (`<|im_end|>`), would end
    the cell."""
    return text.replace("|", "\\|")


def markdown() -> str:
    """docs/records.md, from `FIELDS` (tests/test_records.py checks the file is current)."""
    import inspect
    import typing

    lines = [
        "# Trajectory records",
        "",
        "<!-- Generated from mentor_dsl/records.py (FIELDS); tests/test_records.py fails when it is stale.",
        "     Regenerate: MENTOR_UPDATE_GOLDEN=1 pytest tests/test_records.py -->",
        "",
        "A record is one JSON object: a line of a JSON Lines file, an element of a JSON array, a row of a",
        "Parquet or CSV file or of a dataset ([data.md](data.md) has the forms). `mentor score` reads",
        "records with a `completion`; `mentor train`, `mentor eval` and `mentor teach` read tasks, which",
        "have a `prompt` and no completion yet (`mentor teach` writes the completion). Fields not listed",
        "here are kept as given for the terms and plugins that read them (BFCL's `functions` and",
        "`possible_answer`, for example).",
        "",
        "`mentor schema record` prints the JSON Schema of a record, `mentor schema task` that of a task.",
        "A field that does not have its shape is that record's error, naming the field:",
        "",
        "```console",
        "$ mentor score --reward mentor --data t.jsonl",
        "t.jsonl:11: record 'q11': 'answer' must be a string, a number or a list of them",
        "```",
        "",
        "A malformed field that the reward does not read is ignored when scoring; `train`, `eval`,",
        "`teach` and `data import` refuse it.",
        "",
        "| field | type | needed | meaning |",
        "|---|---|---|---|",
    ]
    for f in FIELDS:
        needed = "to score" if f.required else "in a task" if f.task else ""
        lines.append(f"| `{f.name}` | {_type_text(f.shape)} | {needed} | {_cell(f.description)} |")
    seen: list = []
    for f in FIELDS:
        _shapes(f.shape, seen)
    for shape in seen:
        lines += [
            "",
            f"## {shape.__name__}",
            "",
            inspect.cleandoc(shape.__doc__ or ""),
            "",
            "| key | type | needed |",
            "|---|---|---|",
        ]
        for key, hint in typing.get_type_hints(shape).items():
            needed = "yes" if key in shape.__required_keys__ else ""
            lines.append(f"| `{key}` | {_type_text(hint)} | {needed} |")
    return "\n".join(lines) + "\n"
