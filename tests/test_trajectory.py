"""Trajectory records (docs/records.md): parsing, defaults and errors."""

import pytest

from mentor_dsl import RecordError
from mentor_dsl.formats.hermes import HERMES
from mentor_dsl.trajectory import Trajectory


def parse(record, **kw):
    return Trajectory.from_record(record, **kw)


def test_the_design_example():
    t = parse({
        "id": "q17", "prompt": [{"role": "user", "content": "What is 17*23?"}],
        "completion": '<think>...</think>\n<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n'
                      '</tool_call>\n...The answer is \\boxed{391}<|im_end|>',
        "answer": "391",
        "teacher": {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}], "answer": "391"},
        "tools": ["add", "multiply"], "tool_results": [{"ok": True, "output": "391"}],
    })
    assert t.id == "q17" and t.finished and t.gold == "391"
    assert t.teacher.names == ["multiply"] and not t.teacher.names_only
    assert t.tools == ("add", "multiply") and t.tool_results == (True,)
    assert [c.name for c in t.calls(HERMES.parse)] == ["multiply"]


def test_defaults():
    t = parse({"completion": "x"}, index=7)
    assert t.id == "7" and not t.finished and t.gold is None and t.teacher is None and t.tools is None
    assert parse({"completion": "x</s>"}, eos="</s>").finished
    assert parse({"completion": "x", "finished": True}).finished
    assert not parse({"completion": "x<|im_end|>"}, finished=False).finished


def test_teacher_forms():
    assert parse({"completion": "", "teacher": ["add", "sqrt"]}).teacher.names == ["add", "sqrt"]
    assert parse({"completion": "", "teacher": {"tool_calls": ["add"]}}).teacher.names_only
    assert parse({"completion": "", "teacher": None}).teacher.names == []
    entry = {"type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    t = parse({"completion": "", "teacher": {"tool_calls": [entry]}}).teacher
    assert t.calls[0].arguments == {"a": 1}


def test_answers():
    assert parse({"completion": "", "answer": 391}).gold == "391"
    assert parse({"completion": "", "answer": ["1", 2]}).gold == ("1", "2")


def test_message_list_completions():
    messages = [
        {"role": "assistant", "content": "let me", "tool_calls": [
            {"type": "function", "function": {"name": "add", "arguments": '"{\\"a\\": 1, \\"b\\": 2}"'}}]},
        {"role": "tool", "content": "3"},
        {"role": "assistant", "content": 'and <tool_call>{"name": "sqrt", "arguments": {"x": 9}}</tool_call> '
                                         "so \\boxed{3}"},
    ]
    t = parse({"completion": messages})
    calls = t.calls(HERMES.parse)
    assert [(c.name, c.arguments) for c in calls] == [("add", {"a": 1, "b": 2}), ("sqrt", {"x": 9})]
    assert t.finished and "\\boxed{3}" in t.text and "3\n" not in t.text


@pytest.mark.parametrize("record, field", [
    ({}, "completion"),
    ({"completion": 5}, "completion"),
    ({"completion": [{"content": "x"}]}, "completion"),
    ({"completion": "", "finished": "yes"}, "finished"),
    ({"completion": "", "teacher": {"tool_calls": "add"}}, "teacher.tool_calls"),
    ({"completion": "", "teacher": {"tool_calls": [5]}}, "teacher.tool_calls"),
    ({"completion": "", "answer": True}, "answer"),
    ({"completion": "", "answer": [{"x": 1}]}, "answer"),
    ({"completion": "", "tools": "add"}, "tools"),
    ({"completion": "", "tool_results": [{"ok": "yes"}]}, "tool_results"),
    ({"completion": "", "format": 3}, "format"),
])
def test_bad_records_name_the_field(record, field):
    with pytest.raises(RecordError) as info:
        parse({"id": "bad", **record})
    assert info.value.field == field
    assert "record 'bad'" in str(info.value) or not record


def test_non_object_record():
    with pytest.raises(RecordError, match="must be a JSON object"):
        parse(["completion"])


def test_calls_are_parsed_once():
    t = parse({"completion": '<tool_call>{"name": "add"}</tool_call>'})
    seen = []

    def counting(text):
        seen.append(text)
        return HERMES.parse(text)

    assert t.calls(counting) is t.calls(counting)
    assert len(seen) == 1
