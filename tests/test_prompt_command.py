"""`mentor prompt`: the exact prompt text of one task (stdout) and its token count (stderr),
with the tools chosen as training chooses them."""

from __future__ import annotations

import re
import types

import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl.cli import cli
from mentor_dsl.data import load_split, save_jsonl
from mentor_dsl.models import load_tokenizer, resolve_model
from mentor_dsl.plugins import registry
from mentor_dsl.rollouts.layout import ChatLayout
from mentor_dsl.train.session import Session

OPTION_SPEC = 'option tools = "mentor_math"\nreward r:\n    no_hallucination\n'


@pytest.fixture(scope="module")
def layout():
    return ChatLayout.for_tokenizer(load_tokenizer(resolve_model("default")), registry())


def _training_prompt(layout, spec: str, record: dict) -> str:
    """The prompt text training gives the record (`Session.rows_for`'s rule)."""
    session = types.SimpleNamespace(reward=mentor_dsl.loads(spec), registry=registry(),
                                    config=types.SimpleNamespace(data="tasks.jsonl"))
    return layout.prompt_text(record["prompt"], Session.tools_of(session, record))


def prompt(*args):
    return CliRunner().invoke(cli, ["prompt", *args])


@pytest.fixture
def tasks(tmp_path):
    records = load_split("test", 3)
    del records[1]["tools"]  # the spec's option decides this one's tools
    path = tmp_path / "tasks.jsonl"
    save_jsonl(records, path)
    spec = tmp_path / "r.mdsl"
    spec.write_text(OPTION_SPEC)
    return records, path, spec


def test_prints_the_prompt_training_renders_and_its_token_count(tasks, layout):
    records, path, spec = tasks
    result = prompt("--data", str(path), "--reward", str(spec))
    assert result.exit_code == 0, result.output
    expected = _training_prompt(layout, OPTION_SPEC, records[0])
    assert result.stdout.rstrip("\n") == expected.rstrip("\n")
    count = int(re.search(r": (\d+) tokens for 'default'", result.stderr).group(1))
    assert count == len(layout.encode(expected))
    assert f"{path}:1" in result.stderr and "the record's tools" in result.stderr


def test_a_task_without_tools_gets_the_specs_option_as_in_training(tasks, layout):
    records, path, spec = tasks
    result = prompt("--data", str(path), "--reward", str(spec), "--line", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == _training_prompt(layout, OPTION_SPEC, records[1]).rstrip("\n")
    assert "12 tools from option tools = 'mentor_math'" in result.stderr
    # Without the spec, every registered tool is offered (and the prompt is far longer).
    everything = prompt("--data", str(path), "--line", "2")
    assert everything.exit_code == 0 and "from every registered tool" in everything.stderr
    assert len(everything.stdout) > len(result.stdout)


def test_by_id_and_errors(tasks):
    records, path, _ = tasks
    result = prompt("--data", str(path), "--id", records[2]["id"])
    assert result.exit_code == 0 and records[2]["prompt"][0]["content"] in result.stdout
    missing = prompt("--data", str(path), "--id", "nope")
    assert missing.exit_code == 4 and "no record with id 'nope'" in missing.stderr
    assert "Traceback" not in missing.output
    both = prompt("--data", str(path), "--id", "x", "--line", "1")
    assert both.exit_code == 2 and "not both" in both.output
