"""mentor-example: the plugin end to end through the `mentor` CLI, then each piece alone.

These tests are also a template for testing your own plugin:

- run the CLI in-process with click's CliRunner on `mentor_dsl.cli.cli`;
- score a small spec over a handful of hand-made records whose rewards you worked out on
  paper, so a change in any piece shows up as a changed number;
- test the term, the format and the tools as plain Python too, where failures are easier
  to read.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent                     # plugins/mentor-example
SPEC = ROOT / "examples" / "brevity.mdsl"
RECORDS = ROOT / "examples" / "records.jsonl"

try:
    import mentor_example
except ImportError:  # not installed: test the source tree next to this file
    sys.path.insert(0, str(ROOT))
    import mentor_example

import mentor_dsl
from mentor_dsl import SpecError, plugins
from mentor_dsl.calls import Call
from mentor_dsl.cli import cli
from mentor_example import plugin as example_plugin
from mentor_example.brevity import BREVITY, brevity_value, length
from mentor_example.text_tools import REVERSE_STRING, WORD_COUNT, reverse_string, word_count
from mentor_example.xml_format import XML

INSTALLED = any(ep.name == "example" for ep in importlib.metadata.entry_points(group="mentor"))


@pytest.fixture(scope="module", autouse=True)
def example_loaded():
    """The plugin as mentor sees it: through its entry point when installed, otherwise
    registered by hand under the same name (what the entry point would do)."""
    if "example" in {p.name for p in plugins.registry().plugins}:
        yield
        return
    plugins.register(example_plugin, name="example")
    yield
    plugins.unregister(name="example")


def run(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def scores(*extra: str) -> dict[str, dict]:
    result = run("score", "--reward", SPEC, "--data", RECORDS, *extra)
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in map(json.loads, result.stdout.splitlines())}


# -- end to end ----------------------------------------------------------------------------------

# Worked out by hand from examples/brevity.mdsl:
#   0.6 * correct + 0.2 * calls_valid * exec_success + 0.2 * correct * brevity(max_tokens=40)
EXPECTED = {
    "short-correct": 1.0,        # 40 tokens: full brevity
    "verbose-correct": 0.9,      # 60 tokens: brevity 1 - 20/40 = 0.5
    "no-tool": 0.8,              # no call: exec_success is 0
    "wrong-answer": 0.2,         # only the tool-use part
    "bad-arguments": 0.8,        # `txt` is not in word_count's schema: calls_valid 0
    "unknown-tool": 0.8,         # count_words is not in the `text` toolset
    "unnamed-call": 0.8,         # <call> without name=: a broken block
    "truncated": 0.0,            # no EOS
    "reverse": 1.0,
    "hermes-record": 1.0,        # the record's "format": "hermes" overrides the spec's xml
}


def test_mentor_score_with_the_example_spec():
    rows = scores()
    assert {k: v["reward"] for k, v in rows.items()} == pytest.approx(EXPECTED)
    assert rows["verbose-correct"]["terms"]["brevity"] == 0.5
    assert rows["bad-arguments"]["terms"]["calls_valid"] == 0.0
    assert rows["bad-arguments"]["terms"]["exec_success"] == 0.0
    assert rows["wrong-answer"]["terms"]["exec_success"] == 1.0     # the tool really ran
    assert rows["truncated"]["terms"]["brevity"] is None            # never computed


def test_spec_parameters_reach_the_term():
    rows = scores("--set", "max_tokens=20")
    # short-correct has 40 tokens: 1 - (40 - 20) / 20 = 0
    assert rows["short-correct"]["terms"]["brevity"] == 0.0
    assert rows["short-correct"]["reward"] == pytest.approx(0.8)
    assert rows["no-tool"]["terms"]["brevity"] == 1.0               # 10 tokens


def test_the_python_api_agrees_with_the_cli():
    records = [json.loads(line) for line in RECORDS.read_text().splitlines()]
    result = mentor_dsl.load(str(SPEC)).score(records)
    assert dict(zip(result.ids, result.rewards.tolist())) == pytest.approx(EXPECTED)


def test_mentor_compile_checks_the_spec():
    result = run("compile", SPEC)
    assert result.exit_code == 0, result.output
    assert "reward brevity: range [0, 1]" in result.output
    assert re.search(r"^brevity\s+max_tokens=40\b", result.output, re.MULTILINE)
    assert "options: call_format = 'xml', tools = 'text'" in result.output


def test_mentor_plugins_lists_the_plugin_and_its_registrations():
    result = run("plugins")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("example "))
    assert [line.split()[-3:] if i == 0 else line.split() for i, line in enumerate(lines[start:start + 4])] == [
        ["[text]", "word_count,", "reverse_string"], ["terms", "brevity"], ["formats", "xml"],
        ["commands", "lengths"]]
    data = {p["name"]: p for p in json.loads(run("plugins", "--json").stdout)}
    assert data["example"]["registered"] == {
        "tools": ["word_count", "reverse_string"], "terms": ["brevity"], "formats": ["xml"], "commands": ["lengths"]}
    assert data["example"]["error"] is None and data["example"]["conflicts"] == []


def test_the_lengths_command():
    assert "lengths" in run("--help").output
    result = run("lengths", "--data", RECORDS, "--max-tokens", "40")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:]}
    assert rows["short-correct"] == ["40", "1"] and rows["verbose-correct"] == ["60", "0.5"]
    result = run("lengths", "--data", RECORDS, "--unit", "words")
    assert result.output.splitlines()[0].split() == ["id", "words", "brevity"]
    result = run("lengths", "--data", ROOT / "no-such-file.jsonl")
    assert result.exit_code == mentor_dsl.DataError.exit_code
    assert result.output.startswith("error: ") and "cannot read" in result.output


@pytest.mark.skipif(not INSTALLED, reason="mentor-example is not installed")
def test_entry_point():
    (ep,) = [ep for ep in importlib.metadata.entry_points(group="mentor") if ep.name == "example"]
    assert ep.value == "mentor_example.plugin" and ep.load() is example_plugin
    assert ep.dist.version == mentor_example.__version__


# -- the brevity term ------------------------------------------------------------------------------

def test_brevity_value_is_one_then_falls_linearly():
    assert [brevity_value(n, 10) for n in (0, 10, 11, 15, 20, 25)] == [1, 1, 0.9, 0.5, 0, 0]
    assert [brevity_value(n, 10, window=5) for n in (10, 12, 15, 99)] == [1, pytest.approx(0.6), 0, 0]
    assert [brevity_value(n, 10, window=0) for n in (10, 11)] == [1, 0]    # a hard cut-off


def test_length_units_and_special_tokens():
    text = "Hello, world! \\boxed{42}<|im_end|>"
    assert length(text) == 9                     # Hello , world ! \ boxed { 42 }
    assert length(text, "words") == 3
    assert length(text, "chars") == len("Hello, world! \\boxed{42}")
    assert length("") == 0


def test_brevity_arguments_are_checked_against_its_declaration():
    assert BREVITY.bare_usable                   # every parameter has a default
    with pytest.raises(SpecError, match="must be one of 'tokens', 'words', 'chars', not 'token'; "
                                        "did you mean 'tokens'"):
        mentor_dsl.compile('reward r:\n    brevity(unit="token")\n')
    with pytest.raises(SpecError, match="argument 'max_tokens' must be a whole number"):
        mentor_dsl.compile("reward r:\n    brevity(max_tokens=1.5)\n")


def test_brevity_in_a_spec():
    reward = mentor_dsl.loads('reward r:\n    brevity(max_tokens=2, window=2, unit="words")\n')
    result = reward.score([{"completion": "a b"}, {"completion": "a b c"}, {"completion": "a b c d e"}])
    assert result.rewards.tolist() == [1.0, 0.5, 0.0]


# -- the xml call format ---------------------------------------------------------------------------

def test_xml_parses_calls_and_typed_arguments():
    text = ('I will count. <call name="word_count"><arg name="text">a &lt;b&gt; c</arg>'
            '<arg name="unique">true</arg></call> and <call name="add"><arg name="a">1</arg>'
            '<arg name="b"> [2.5, "x"] </arg></call><call name=\'now\'/>')
    calls = XML.parse(text)
    assert [(c.name, c.arguments, c.error) for c in calls] == [
        ("word_count", {"text": "a <b> c", "unique": True}, None),
        ("add", {"a": 1, "b": [2.5, "x"]}, None),
        ("now", {}, None),
    ]
    assert all(c.well_formed for c in calls)


@pytest.mark.parametrize("text, name, error", [
    ('<call><arg name="a">1</arg></call>', None, 'needs a name="..." attribute'),
    ('<call name="f"><arg>1</arg></call>', "f", '<arg> needs a name'),
    ('<call name="f"><arg name="a">1</arg><arg name="a">2</arg></call>', "f", "'a' is given twice"),
    ('<call name="f"><arg name="a">1</arg> stray <b>text</b></call>', "f", "unexpected text"),
])
def test_xml_broken_blocks_are_calls_with_an_error(text, name, error):
    (call,) = XML.parse(text)
    assert call.name == name and error in call.error and not call.well_formed


def test_xml_unclosed_call_does_not_swallow_the_next():
    calls = XML.parse('<call name="a"><arg name="x">1</arg> oops <call name="b"></call>')
    assert [c.name for c in calls] == ["b"]
    assert XML.parse("no calls here, <calls> is not <call") == []


def test_xml_instructions_show_the_syntax():
    assert '<call name="<tool-name>">' in XML.instructions()


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True),
                          st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), _json, max_size=3)),
                max_size=3))
def test_xml_render_then_parse_round_trips(calls):
    parsed = XML.parse(XML.render([Call(name, args) for name, args in calls]))
    assert [(c.name, c.arguments, c.error) for c in parsed] == [(name, args, None) for name, args in calls]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('<>/="\' acilnmegr&;x1[]{}\n')), max_size=120))
def test_xml_parse_never_raises(text):
    for call in XML.parse(text):
        assert isinstance(call, Call)
        assert call.name is None or isinstance(call.name, str)


# -- the text tools --------------------------------------------------------------------------------

def test_tools_and_their_schemas():
    assert word_count("the quick  brown\nfox") == 4
    assert word_count("The the THE cat", unique=True) == 2
    assert reverse_string("stressed") == "desserts"
    assert WORD_COUNT.validate_arguments({"text": "a b"}) is None
    assert "required property" in WORD_COUNT.validate_arguments({"txt": "a b"})
    assert WORD_COUNT.validate_arguments({"text": 3}) == "text: 3 is not of type 'string'"
    assert REVERSE_STRING.schema()["function"]["name"] == "reverse_string"
    assert plugins.registry().toolset("text") == {"word_count", "reverse_string"}


def test_tools_run_in_the_executor():
    from mentor_dsl.tools.executor import Executor

    with Executor(plugins.registry().tools) as ex:
        assert ex.run("word_count", {"text": "one two three"}).output == 3
        assert ex.run("reverse_string", {"text": "abc"}).output == "cba"
        assert not ex.run("word_count", {"text": "x", "extra": 1}).ok     # refused by the schema
