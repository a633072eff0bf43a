"""Few-shot exchanges (`mentor_dsl.fewshot`): registered through `register_examples`,
carried by a task record, written by both chat layouts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli
from mentor_dsl.data import check_task, load_split, save_jsonl
from mentor_dsl.errors import DataError, RecordError, ToolError
from mentor_dsl.fewshot import Example, ExampleCall, examples_for, record_examples
from mentor_dsl.plugins import registry
from mentor_dsl.rollouts.layout import ChatLayout
from mentor_dsl.toolsets import resolve_tools
from mentor_dsl.train.prompts import build_prompt

TWO_TURNS = {"user": "Double 3, then add 1.",
             "turns": [[{"name": "multiply", "arguments": {"a": 3, "b": 2}, "output": 6}],
                       [{"name": "add", "arguments": {"a": 6, "b": 1}, "output": 7}]],
             "answer": "The answer is \\boxed{7}."}


def _hermes():
    return registry().get("formats", "hermes")


def test_the_math_example_is_registered_and_writes_the_prompt_it_always_wrote():
    example = registry().get("examples", "math.add")
    assert example.tools == {"add"}
    user, assistant = example.inline_messages(_hermes())
    assert user == {"role": "user", "content": "What is 12 + 30?"}
    assert assistant["content"] == ('<tool_call>\n{"name": "add", "arguments": {"a": 12, "b": 30}}\n</tool_call>\n'
                                    "<tool_response>\n42\n</tool_response>\nThe answer is \\boxed{42}.")


def test_examples_are_chosen_by_the_tools_a_task_offers():
    reg = registry()
    assert [e.name for e in examples_for(resolve_tools(["add", "multiply"], reg))] == ["math.add"]
    assert examples_for(resolve_tools(["multiply"], reg)) == []
    own = Example.from_json(TWO_TURNS)
    assert examples_for(resolve_tools(["multiply"], reg), [own]) == [own]


def test_a_two_turn_example_in_both_layouts():
    example = Example.from_json(TWO_TURNS)
    _, assistant = example.inline_messages(_hermes())
    assert assistant["content"].count("<tool_call>") == 2 and assistant["content"].count("<tool_response>") == 2
    assert assistant["content"].index("\n6\n") < assistant["content"].index('"b": 1')
    native = example.native_messages()
    assert [m["role"] for m in native] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert [native[2]["tool_call_id"], native[4]["tool_call_id"]] == ["call00000", "call00001"]
    assert native[-1]["content"] == TWO_TURNS["answer"]
    assert Example.from_json(example.to_json()) == Example.from_json(TWO_TURNS)


def test_a_records_examples_replace_the_registered_ones():
    reg = registry()
    tools = resolve_tools(["add", "multiply"], reg)
    record = {"prompt": "What is 2 * 5 + 1?", "examples": [TWO_TURNS]}
    messages = build_prompt(record["prompt"], tools, _hermes(), examples=record_examples(record))
    assert messages[1]["content"] == TWO_TURNS["user"] and "12 + 30" not in json.dumps(messages)
    none = build_prompt(record["prompt"], tools, _hermes(), examples=record_examples({"examples": []}))
    assert [m["role"] for m in none] == ["system", "user"]
    # Datasets keep the field as JSON text.
    assert record_examples({"examples": json.dumps([TWO_TURNS])})[0].user == TWO_TURNS["user"]
    assert record_examples({}) is None


@pytest.mark.parametrize("bad, message", [
    ({"examples": {"user": "x"}}, "must be a list"),
    ({"examples": [{"user": "x", "turns": [], "answer": "y"}]}, "at least one turn"),
    ({"examples": [{"user": "x", "turns": [[{"name": "add"}]], "answer": "y"}]}, "'name', 'arguments' and 'output'"),
    ({"examples": "[oops"}, "not JSON"),
])
def test_malformed_record_examples_are_named(bad, message):
    with pytest.raises(DataError, match=message):
        record_examples(bad)
    with pytest.raises(RecordError, match=message) as info:
        check_task({"id": "t1", "prompt": "hi", **bad})
    assert info.value.field == "examples" and info.value.record_id == "t1"


def test_an_example_is_checked_when_built():
    with pytest.raises(ToolError, match="every turn a call"):
        Example("x", "q", ((),), "a")
    with pytest.raises(ToolError, match="not JSON"):
        Example("x", "q", ((ExampleCall("f", {"a": object()}, 1),),), "a")


def test_native_layout_renders_the_example_through_the_template():
    from chat_templates import family_tokenizer

    tokenizer = family_tokenizer("qwen")
    layout = ChatLayout.for_tokenizer(tokenizer, registry())
    assert layout.native
    text = layout.prompt_text("What is 2 + 2?", resolve_tools(["add"], registry()))
    shot = text.index("What is 12 + 30?")
    call = text.index('<tool_call>\n{"name": "add", "arguments": {"a": 12, "b": 30}}', shot)
    assert call < text.index("42", call) < text.index("\\boxed{42}", call) < text.index("What is 2 + 2?")


def test_data_import_refuses_malformed_examples(tmp_path):
    task = load_split("test", 1)[0]
    bad = {**task, "id": "bad", "examples": [{"user": "x"}]}
    source = tmp_path / "tasks.jsonl"
    save_jsonl([task, bad], source)
    result = CliRunner().invoke(cli, ["data", "import", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1 and "record 'bad': 'examples'" in result.stderr


def test_what_the_student_sees_of_a_schema():
    """The shape, names, allowed values and string formats; not parameter descriptions,
    defaults or validation limits (docs/plugins.md, "What the student sees")."""
    from mentor_dsl.train.prompts import compact_schema

    schema = {"type": "object", "additionalProperties": False, "required": ["day", "n"],
              "properties": {"day": {"type": "string", "format": "date", "pattern": "^[0-9-]+$",
                                     "description": "A date."},
                             "n": {"type": "integer", "minimum": 0, "default": 1, "enum": [1, 2]},
                             "xs": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "time"}}}}
    assert compact_schema(schema) == {
        "type": "object", "required": ["day", "n"],
        "properties": {"day": {"type": "string", "format": "date"}, "n": {"type": "integer", "enum": [1, 2]},
                       "xs": {"type": "array", "items": {"type": "string", "format": "time"}}}}
