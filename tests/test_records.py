"""The record's one definition (mentor_dsl/records.py): the parsers scoring uses, the
pydantic model and JSON Schema built from them, and docs/records.md generated from them."""

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st

from mentor_dsl.cli import cli
from mentor_dsl.errors import RecordError
from mentor_dsl.records import FIELD, FIELDS, check_record, markdown, record_schema
from mentor_dsl.trajectory import Trajectory

ROOT = Path(__file__).resolve().parents[1]


def test_docs_records_md_is_generated_from_the_fields():
    path = ROOT / "docs" / "records.md"
    if os.environ.get("MENTOR_UPDATE_GOLDEN"):
        path.write_text(markdown(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == markdown(), \
        "docs/records.md is stale: MENTOR_UPDATE_GOLDEN=1 pytest tests/test_records.py"
    for f in FIELDS:
        assert f"| `{f.name}` |" in path.read_text()


def test_mentor_schema_prints_the_record_the_task_and_the_config():
    result = CliRunner().invoke(cli, ["schema", "record"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert list(schema["properties"]) == [f.name for f in FIELDS]
    assert schema["required"] == ["completion"]
    for f in FIELDS:
        assert schema["properties"][f.name]["description"] == f.description
    task = json.loads(CliRunner().invoke(cli, ["schema", "task"]).stdout)
    assert task["required"] == ["prompt"]
    config = json.loads(CliRunner().invoke(cli, ["schema", "config"]).stdout)
    assert {"max_steps", "trl", "report_to", "run_name", "overwrite"} <= set(config["properties"])
    assert config["properties"]["max_steps"]["minimum"] == 1
    result = CliRunner().invoke(cli, ["schema", "recrod"])
    assert result.exit_code == 2


# One bad value per field, and the error must name the field, whichever way the record is read.
BAD = {
    "id": 1.5,
    "prompt": [{"content": "no role"}],
    "completion": 7,
    "answer": True,
    "teacher": {"tool_calls": [["not", "a", "call"]]},
    "tools": [3],
    "tool_results": ["yes"],
    "finished": "no",
    "format": 5,
    "model_segments": [1, 2],
    "examples": {"user": "not a list"},
    "judge": 3,
}


def test_every_field_has_a_bad_value_here():
    assert set(BAD) == {f.name for f in FIELDS}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_field_is_named_by_every_reader(name):
    record = {"id": "r1", "prompt": "What is 2+2?", "completion": "4", name: BAD[name]}
    with pytest.raises(RecordError) as raised:
        check_record(record, record_id="r1")
    assert raised.value.field.split(".")[0] == name
    assert f"'{name}" in raised.value.message  # the message itself names it too
    # Scoring reads none of these: a bad id is shown as given, and the judge a record names is
    # checked when `answer_correct` picks it (tests/test_judge_selection.py).
    if name not in ("id", "prompt", "examples", "judge"):
        with pytest.raises(RecordError) as parsed:
            Trajectory.from_record(record)
        assert parsed.value.field.split(".")[0] == name and f"'{name}" in parsed.value.message
        assert parsed.value.message == raised.value.message  # one check, one message


def test_a_task_needs_a_prompt_and_a_record_a_completion():
    with pytest.raises(RecordError, match="missing required field 'prompt'"):
        check_record({"id": "t", "answer": "4"}, task=True)
    with pytest.raises(RecordError, match="missing required field 'completion'"):
        check_record({"id": "t", "prompt": "x"})
    check_record({"id": "t", "prompt": "x", "bfcl_extra": {"kept": True}}, task=True)  # other fields are kept


# -- the schema describes what the parsers accept -------------------------------------------------

KEYS = ["name", "arguments", "function", "tool_calls", "answer", "ok", "role", "content", "type", "text", "output",
        "id", "description", "parameters", "error"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.sampled_from(["", "x", "add", "assistant", "user", "{}", '{"tool_calls": ["add"]}', "[1]"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELDS), JSON)
@example(FIELD["teacher"], {"tool_calls": ""})  # `or []` once read this as no calls
@example(FIELD["completion"], [{"role": "user", "content": 5}])  # content was checked for assistants only
@example(FIELD["answer"], [1, "2", 3.5])
@example(FIELD["tools"], [{"type": "function", "function": {"name": "add"}}, "multiply", {"name": "sqrt"}])
@example(FIELD["tool_results"], [True, {"ok": False, "error": "boom"}])
# Keys mentor does not read may hold anything: the schema once typed them.
@example(FIELD["completion"], [{"role": "assistant", "content": None, "tool_calls": "not a list"}])
@example(FIELD["teacher"], {"tool_calls": [{"type": 5, "function": {"name": "add"}}]})
@example(FIELD["tools"], [{"function": {"name": "add", "description": 5}}])
@example(FIELD["tool_results"], [{"ok": True, "error": 5}])
def test_whatever_a_parser_accepts_the_schema_accepts(field, value):
    """The schema is no stricter than the parser: a value mentor reads is a value the
    documented schema allows (so checking data against it never refuses a readable record)."""
    schema = record_schema()
    try:
        field.parse(value, "r")
    except RecordError:
        return
    record = {"completion": "", field.name: value}
    jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)


def test_a_null_id_is_no_id():
    """`"id": null` is a record without an id, as an empty table cell is. Task import refused
    such a record, and scoring called it 'null': every such record the same id."""
    from mentor_dsl.data.validate import check_task

    check_task({"id": None, "prompt": "What is 2+2?"})
    check_record({"id": None, "completion": "4"})
    assert Trajectory.from_record({"id": None, "completion": "4"}, default_id="7").id == "7"
    assert Trajectory.from_record({"id": None, "completion": "4"}, index=3).id == "3"


def test_every_table_row_of_records_md_has_its_tables_columns():
    """A `|` in a cell, even inside a code span such as `<|im_end|>`, splits the cell: the
    `finished` row had two columns too many."""
    import re

    tables: list[list[str]] = [[]]
    for line in markdown().splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for table in filter(None, tables):
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
