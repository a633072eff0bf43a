"""Contracts a third party relies on: a term's declared range, NaN and inf (exit 6),
recorded tool results that cannot be true, tools no plugin provides, and why a call failed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl.cli import cli
from mentor_dsl.data import load_split, save_jsonl
from mentor_dsl.errors import RewardValueError
from mentor_dsl.plugins import hookimpl
from mentor_dsl.terms.base import Term

EOS = "<|im_end|>"


def hermes(name, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>\n'


class Loud:
    """A term that declares [0, 1] and returns 5 (or NaN) for some completions."""

    @hookimpl
    def register_terms(self, register):
        def loud(trajs, ctx):
            return [5.0 if "loud" in t.text else float("nan") if "nan" in t.text else 1.0 for t in trajs]

        register(Term("loud", loud, range=(0.0, 1.0)))


def test_a_value_outside_the_declared_range_is_an_error_naming_the_term(plugin):
    plugin(Loud(), name="acme")
    reward = mentor_dsl.loads("reward r:\n    0.5 * loud + 0.5\n")
    with pytest.raises(RewardValueError, match=r"term 'loud' \(plugin 'acme'\) returned 5 for record '0', "
                                                r"outside the range it declares, \[0, 1\]"):
        reward.score([{"completion": "loud"}])
    result = reward.score([{"completion": "loud"}, {"completion": "quiet"}], on_error="skip")
    assert result.rewards[1].item() == 1.0 and list(result.errors) == [0]


def test_builtin_terms_stay_inside_their_ranges_on_the_corpus():
    from mentor_dsl.library import library_names
    from trajectory_corpus import CASES

    for name in library_names():
        if name == "bfcl":
            continue  # its records are BFCL's, not this corpus's
        result = mentor_dsl.load(name).score(CASES, on_error="skip")
        assert not [e for e in result.errors.values() if "outside the range" in str(e)], name


@pytest.mark.parametrize("completion", ["loud", "nan"])
def test_score_exits_6_when_a_reward_cannot_be_computed(plugin, tmp_path, completion):
    plugin(Loud(), name="acme")
    spec = tmp_path / "r.mdsl"
    spec.write_text("reward r:\n    loud\n")
    data = tmp_path / "d.jsonl"
    save_jsonl([{"id": "ok", "completion": "fine"}, {"id": "bad", "completion": completion}], data)
    result = CliRunner().invoke(cli, ["score", "--reward", str(spec), "--data", str(data)])
    assert result.exit_code == 6, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["ok"]  # the others are still scored
    assert "record 'bad'" in result.stderr and "term 'loud'" in result.stderr


def test_recorded_results_of_invalid_calls_are_not_trusted():
    reward = mentor_dsl.loads("reward r:\n    exec_success\n")
    base = {"tools": ["add"], "tool_results": [{"ok": True, "output": 3}]}
    records = [
        {**base, "completion": hermes("add", a=1, b=2)},                 # valid: the record's word stands
        {**base, "completion": hermes("add", a="one", b=2)},             # schema-invalid: not trusted
        {**base, "completion": hermes("multiply", a=1, b=2)},            # not offered: not trusted
        {**base, "completion": hermes("add", a=1, b=2) + hermes("add", a=2, b=2)},  # no result for call 2
    ]
    result = reward.score(records)
    assert result.rewards.tolist() == [1.0, 0.0, 0.0, 0.5]
    assert result.failed_calls[1] == [{"call": 1, "name": "add", "kind": "schema",
                                       "error": "a: 'one' is not of type 'number'"}]
    assert result.failed_calls[2][0]["kind"] == "unknown_tool"


def test_score_says_why_calls_failed(tmp_path):
    data = tmp_path / "d.jsonl"
    save_jsonl([{"id": "r1", "completion": hermes("divide", a=1, b=0) + hermes("add", a=1, b="x") + "\\boxed{1}" + EOS,
                 "tools": ["add", "divide"]},
                {"id": "r2", "completion": hermes("add", a=1, b=2) + "\\boxed{3}" + EOS, "tools": ["add"]}], data)
    spec = tmp_path / "r.mdsl"
    spec.write_text("reward r:\n    exec_success\n")
    result = CliRunner().invoke(cli, ["score", "--reward", str(spec), "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["failed_calls"] == [
        {"call": 1, "name": "divide", "kind": "raised", "error": "ValueError: division by zero: b must not be 0"},
        {"call": 2, "name": "add", "kind": "schema", "error": "b: 'x' is not of type 'number'"}]
    assert "failed_calls" not in rows[1]
    assert "failed calls: 2" in result.stderr and "schema" in result.stderr and "raised" in result.stderr


def test_data_import_warns_about_tools_no_plugin_provides(tmp_path):
    tasks = load_split("test", 2)
    tasks[1]["tools"] = ["add", "calendar_lookup"]
    source = tmp_path / "tasks.jsonl"
    save_jsonl(tasks, source)
    result = CliRunner().invoke(cli, ["data", "import", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    assert "warning: tool 'calendar_lookup', listed by 1 record (first: 'test-00001')" in result.stderr
    assert "no installed plugin" in result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2  # kept: scoring needs only the name
