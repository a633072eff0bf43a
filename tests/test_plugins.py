"""Plugins: every hook used end to end, loading, MENTOR_PLUGINS, and how failures are reported.

In-test plugins are plain classes with `@hookimpl` methods, registered for one test with
the `plugin` fixture (tests/conftest.py). Tests that reload the manager (MENTOR_PLUGINS,
fake entry points) use `fresh`, which resets it before and after.

tests/test_plugin_docs.py checks that every hook in `mentor_dsl.hookspecs` has a
`test_register_<hook>...` test here.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types

import click
import pytest
from click.testing import CliRunner

import mentor_dsl
from mentor_dsl import PluginError, SpecError, plugins
from mentor_dsl.errors import UnknownName
from mentor_dsl.cli import cli
from mentor_dsl.plugins import hookimpl, registry
from mentor_dsl.terms.base import Term, TermParam
from mentor_dsl.tools.base import Tool
from mentor_dsl.train.config import TrainConfig

EOS = "<|im_end|>"
INSTALLED = {ep.name for ep in importlib.metadata.entry_points(group="mentor")}
needs_installed = pytest.mark.skipif(
    not {"example", "scitools"} <= INSTALLED,
    reason="the first-party plugins are not installed (run ./setup.sh)")


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def error_of(plugin_name: str) -> str | None:
    return next((p.error for p in registry().plugins if p.name == plugin_name), None)


@pytest.fixture
def fresh(monkeypatch):
    """A manager rebuilt from scratch for this test, and again after it (the env var and
    entry-point patches are undone by monkeypatch before anything reloads)."""
    plugins.reset()
    yield monkeypatch
    plugins.reset()


# -- register_tools ----------------------------------------------------------------------------

def _shout(text: str) -> str:
    if text == "boom":
        raise ValueError("cannot shout boom")
    return text.upper()


class ShoutTools:
    @hookimpl
    def register_tools(self, register):
        register(Tool("shout", "Upper-case a text.",
                      {"type": "object", "properties": {"text": {"type": "string"}},
                       "required": ["text"], "additionalProperties": False},
                      _shout, toolset="shouting"))
        # The other spelling: register(...) with Tool's own arguments.
        register(name="whisper", description="Lower-case a text.",
                 parameters={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
                 fn=lambda text: text.lower(), toolset="shouting")


def hermes(name: str, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>\n'


def test_register_tools_tool_is_validated_run_and_scored_from_a_spec(plugin):
    plugin(ShoutTools())
    reg = registry()
    assert reg.toolset("shouting") == {"shout", "whisper"}
    assert reg.tools["shout"].plugin == "test.ShoutTools"
    reward = mentor_dsl.loads(
        'option tools = "shouting"\n'
        "reward r:\n"
        "    valid = calls_valid\n"
        "    ran = exec_success\n"
        "    10 * valid + ran\n")
    records = [
        {"id": "ok", "completion": hermes("shout", text="hi") + hermes("whisper", text="HI")},
        {"id": "tool-raises", "completion": hermes("shout", text="boom")},
        {"id": "bad-args", "completion": hermes("shout", txt="hi")},
        {"id": "not-in-toolset", "completion": hermes("add", a=1, b=2)},
        {"id": "half", "completion": hermes("shout", text="a") + hermes("shout", text="boom")},
    ]
    rows = {r["id"]: r["terms"] for r in reward.score(records).rows()}
    assert rows["ok"]["calls_valid"] == 1 and rows["ok"]["exec_success"] == 1
    # The schema allows it; the function raised: valid but failed.
    assert rows["tool-raises"]["calls_valid"] == 1 and rows["tool-raises"]["exec_success"] == 0
    # The schema refuses it: the function never sees it.
    assert rows["bad-args"]["calls_valid"] == 0 and rows["bad-args"]["exec_success"] == 0
    assert rows["not-in-toolset"]["calls_valid"] == 0 and rows["not-in-toolset"]["exec_success"] == 0
    assert rows["half"]["exec_success"] == 0.5
    # The executor returns the tool's value.
    from mentor_dsl.tools.executor import Executor

    with Executor(reg.tools) as ex:
        assert ex.run("shout", {"text": "hi"}).output == "HI"
        assert not ex.run("shout", {"text": "boom"}).ok


def test_register_tools_toolset_is_checked_by_the_spec_checker(plugin):
    plugin(ShoutTools())
    mentor_dsl.compile('reward r:\n    calls_valid(tools="shouting")\n')
    with pytest.raises(SpecError, match="unknown toolset 'shoutin'; did you mean 'shouting'"):
        mentor_dsl.compile('reward r:\n    calls_valid(tools="shoutin")\n')


# -- register_examples -------------------------------------------------------------------------

class ShoutExample:
    """A worked example for the `shout` tool of ShoutTools."""

    @hookimpl
    def register_examples(self, register):
        from mentor_dsl.fewshot import Example, ExampleCall

        register(Example("shouting.shout", "Say hello loudly.",
                         ((ExampleCall("shout", {"text": "hello"}, "HELLO"),),), "\\boxed{HELLO}"))


def test_register_examples_example_is_shown_in_prompts_offering_its_tool(plugin):
    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.toolsets import resolve_tools
    from mentor_dsl.train.prompts import build_prompt

    plugin(ShoutTools())
    plugin(ShoutExample())
    reg = registry()
    assert reg.get("examples", "shouting.shout").tools == {"shout"}
    tools = resolve_tools(["shout", "whisper"], reg)
    hermes_format = reg.get("formats", "hermes")
    messages = build_prompt("Shout 'go'.", tools, hermes_format)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Say hello loudly."
    assert messages[2]["content"] == (hermes("shout", text="hello") + "<tool_response>\nHELLO\n</tool_response>\n"
                                      "\\boxed{HELLO}")
    # The native layout: tool_calls and a tool message, rendered by the model's template.
    native = ChatLayout(None, hermes_format, True, frozenset({0})).messages("Shout 'go'.", tools)
    assert native[2]["tool_calls"][0]["function"] == {"name": "shout", "arguments": {"text": "hello"}}
    assert native[3] == {"role": "tool", "tool_call_id": "call00000", "name": "shout", "content": "HELLO"}
    # A task without the tool gets no example of it (the math one, for `add`).
    plain = build_prompt("Add 1 and 2.", resolve_tools(["add"], reg), hermes_format)
    assert "Say hello loudly." not in json.dumps(plain) and "12 + 30" in json.dumps(plain)


# -- register_splits ---------------------------------------------------------------------------

def _shout_task(rng):
    from mentor_dsl.data.oracle import Draft, Plan

    word = "".join(rng.choice("abcdefgh") for _ in range(6))
    plan = Plan()
    plan("shout", text=word)
    return Draft(f"Shout the word {word}.", word.upper(), plan, "shout", domain="shouting", toolsets=("shouting",))


class ShoutSplits:
    @hookimpl
    def register_splits(self, register):
        from mentor_dsl.data.splits import SplitSpec

        register(SplitSpec("shout_train", 30, 7, [(_shout_task, 1.0)], ("shouting",), "words to shout",
                           requires=("shouting",), exclude_from=None, answer_text=str, judge="exact"))


def test_register_splits_split_is_generated_checked_and_resolved_as_builtin(plugin):
    from mentor_dsl.data import clear_cache, list_splits, load_split, resolve_data

    plugin(ShoutTools())
    plugin(ShoutSplits())
    try:
        records = resolve_data("builtin:shout_train")
        assert len(records) == 30 and records == load_split("shout_train")
        first = records[0]
        assert first["judge"] == "exact" and first["tools"] == ["shout", "whisper"]
        assert first["answer"] == first["teacher"]["tool_calls"][0]["arguments"]["text"].upper()
        assert "shout_train" in {i.name for i in list_splits()}
        # The oracle's trajectory scores as right under the split's judge.
        assert mentor_dsl.loads("reward r:\n    answer_correct\n").score(records).rewards.tolist() == [1.0] * 30
        result = invoke("data", "list")
        assert result.exit_code == 0 and "shout_train" in result.output
    finally:
        clear_cache()


# -- register_terms ----------------------------------------------------------------------------

class LengthTerms:
    @hookimpl
    def register_terms(self, register):
        def chars(trajs, ctx, limit):
            return [float(min(len(t.text), limit)) for t in trajs]

        register(Term("chars", chars, (TermParam("limit", "int", 1000),), range=lambda a: (0, a["limit"])))


def test_register_terms_term_is_used_from_a_spec(plugin):
    plugin(LengthTerms())
    reward = mentor_dsl.loads("reward r:\n    chars(limit=5) / 5 + chars\n")
    assert reward.range == (0.0, 1001.0)    # the range function saw limit=5 and the default
    result = reward.score([{"completion": "abc"}, {"completion": "abcdefgh"}])
    assert result.rewards.tolist() == [3 / 5 + 3, 1 + 8]
    assert registry().terms["chars"].plugin == "test.LengthTerms"


def test_register_terms_arguments_are_checked(plugin):
    plugin(LengthTerms())
    with pytest.raises(SpecError, match="chars\\(\\) argument 'limit' must be a whole number"):
        mentor_dsl.compile("reward r:\n    chars(limit=2.5)\n")
    with pytest.raises(SpecError, match="has no argument 'limt'; did you mean 'limit'"):
        mentor_dsl.compile("reward r:\n    chars(limt=2)\n")


# -- register_formats --------------------------------------------------------------------------

class BangFormat:
    """Calls written as `!name a=1 b=x` lines."""

    name = "bang"

    def parse(self, text):
        from mentor_dsl.calls import Call

        calls = []
        for line in text.splitlines():
            if line.startswith("!"):
                name, *pairs = line[1:].split()
                args = dict(p.split("=", 1) for p in pairs if "=" in p)
                args = {k: int(v) if v.isdigit() else v for k, v in args.items()}
                calls.append(Call(name or None, args, line))
        return calls

    def render(self, calls):
        return "\n".join("!" + c.name + "".join(f" {k}={v}" for k, v in c.arguments.items()) for c in calls)

    def instructions(self):
        return "Write !tool arg=value on a line of its own."


class BangPlugin:
    @hookimpl
    def register_formats(self, register):
        register(BangFormat())


def test_register_formats_format_is_selected_with_option_call_format(plugin):
    plugin(BangPlugin())
    text = "!add a=1 b=2\nthen \\boxed{3}"
    spec = "reward r:\n    tool_calls + 10 * calls_valid(tools=\"mentor_math\")\n"
    bang = mentor_dsl.loads('option call_format = "bang"\n' + spec)
    default = mentor_dsl.loads(spec)  # hermes: no calls in this text
    assert bang.score([{"completion": text}]).rewards.tolist() == [11.0]
    assert default.score([{"completion": text}]).rewards.tolist() == [10.0]
    # A record can pick the format too.
    assert default.score([{"completion": text, "format": "bang"}]).rewards.tolist() == [11.0]
    fmt = registry().get("formats", "bang")
    assert fmt.render(fmt.parse(text)) == "!add a=1 b=2"


def test_register_formats_optional_members_default_to_the_protocol(plugin):
    """A format that names none of CallFormat's optional members is read with the
    protocol's defaults: no stop text (so no inline layout), no end tokens, mentor's own
    response block, no call block."""
    from mentor_dsl.hookspecs import CallFormat
    from mentor_dsl.rollouts.layout import stop_text
    from mentor_dsl.views import call_tags, response_tags

    plugin(BangPlugin())
    fmt = registry().get("formats", "bang")
    assert CallFormat not in type(fmt).__mro__
    assert stop_text(fmt) is None and call_tags(fmt) is None
    assert response_tags(fmt) == ("<tool_response>", "</tool_response>") == CallFormat.response_tags


def test_register_formats_optional_members_are_checked(plugin):
    from mentor_dsl.hookspecs import CallFormat

    def with_member(attr, value):
        return type(f"Bad_{attr}", (BangFormat,), {attr: value, "name": f"bad_{attr}"})()

    cases = {"stop_text": ("", "a non-empty string or None"),
             "end_tokens": (["<|eot_id|>"], "a tuple of non-empty strings"),
             "call_tags": (("<c>",), "an (open, close) tuple of non-empty strings, or None"),
             "response_tags": (("<r>", 1), "an (open, close) tuple of non-empty strings, or None")}
    def bad_plugin(attr, value):
        def register_formats(self, register):
            register(with_member(attr, value))

        return type(f"Bad_{attr}", (), {"register_formats": hookimpl(register_formats)})()

    for attr, (value, what) in cases.items():
        plugin(bad_plugin(attr, value))
        assert error_of(f"test.Bad_{attr}") == f"register_formats: a call format's {attr!r} must be {what}"

    class Good(CallFormat, BangFormat):
        name = "good"
        stop_text = "\n"
        end_tokens = ("<|eom_id|>",)
        call_tags = None

    class GoodPlugin:
        @hookimpl
        def register_formats(self, register):
            register(Good())

    plugin(GoodPlugin())
    assert error_of("test.GoodPlugin") is None and registry().get("formats", "good").stop_text == "\n"


def test_register_formats_unknown_format_is_a_spec_error(plugin):
    plugin(BangPlugin())
    with pytest.raises(SpecError, match="unknown call format 'bnag'; did you mean 'bang'"):
        mentor_dsl.compile('option call_format = "bnag"\nreward r:\n    tool_calls\n')


# -- register_extractors and register_judges ---------------------------------------------------

class AnswerPlugin:
    @hookimpl
    def register_extractors(self, register):
        def final(text):
            head, sep, tail = text.rpartition("FINAL:")
            return tail.strip() or None if sep else None

        register("final", final)

    @hookimpl
    def register_judges(self, register):
        def close(prediction, gold):
            golds = [gold] if isinstance(gold, str) else gold
            try:
                return float(any(abs(float(prediction) - float(g)) <= 0.01 for g in golds))
            except ValueError:
                return 0.0

        register("close", close)


def test_register_extractors_extractor_is_used_by_answer_correct(plugin):
    plugin(AnswerPlugin())
    reward = mentor_dsl.loads('reward r:\n    answer_correct(extractor="final", judge="exact")\n')
    records = [{"completion": "I think 3. FINAL: 4", "answer": "4"},
               {"completion": "\\boxed{4}", "answer": "4"},          # no FINAL: no answer
               {"completion": "FINAL: 5", "answer": "4"}]
    assert reward.score(records).rewards.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(SpecError, match="unknown extractor 'finale'; did you mean 'final'"):
        mentor_dsl.compile('reward r:\n    answer_present(extractor="finale")\n')


def test_register_judges_judge_is_used_by_answer_correct(plugin):
    plugin(AnswerPlugin())
    reward = mentor_dsl.loads('reward r:\n    answer_correct(judge="close")\n')
    records = [{"completion": "\\boxed{3.141}", "answer": "3.14159"},
               {"completion": "\\boxed{3.2}", "answer": "3.14159"},
               {"completion": "\\boxed{pi}", "answer": ["3.14159", "3.1416"]}]
    assert reward.score(records).rewards.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(SpecError, match="unknown judge 'closer'; did you mean 'close'"):
        mentor_dsl.compile('reward r:\n    answer_correct(judge="closer")\n')


# -- register_teachers -------------------------------------------------------------------------

class ScriptedTeacher:
    """Answers every task with one `add` call and the gold answer."""

    name = "scripted"

    def __init__(self, tool: str = "add"):
        self.tool = tool

    def generate(self, tasks):
        return [{"id": t["id"], "prompt": t["prompt"], "answer": t["answer"],
                 "teacher": {"tool_calls": [{"name": self.tool, "arguments": {"a": 1, "b": 2}}]},
                 "completion": hermes(self.tool, a=1, b=2) + f"\\boxed{{{t['answer']}}}" + EOS}
                for t in tasks]


class TeacherPlugin:
    @hookimpl
    def register_teachers(self, register):
        register("scripted", ScriptedTeacher)


def test_register_teachers_teacher_is_retrievable_and_generates_scoreable_records(plugin):
    plugin(TeacherPlugin())
    factory = registry().get("teachers", "scripted")
    assert factory is ScriptedTeacher and "scripted" in registry().names("teachers")
    teacher = factory(tool="add")
    records = teacher.generate([{"id": "t1", "prompt": "1+2?", "answer": "3"}])
    assert records[0]["id"] == "t1"
    # What a teacher produces is a trajectory record: the library reward scores it.
    assert mentor_dsl.load("mentor").score(records).rewards.tolist() == [pytest.approx(1.1)]


# -- register_trainers -------------------------------------------------------------------------

class TrainerPlugin:
    def __init__(self):
        self.seen: list[TrainConfig] = []

    @hookimpl
    def register_trainers(self, register):
        def fake(config: TrainConfig):
            from pathlib import Path

            self.seen.append(config)
            out = Path(config.output_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "config.json").write_text(json.dumps(config.to_json()))
            return out

        register("fake", fake)


def test_register_trainers_trainer_is_retrievable_and_called_with_a_config(plugin, tmp_path):
    trainer_plugin = plugin(TrainerPlugin())
    train = registry().get("trainers", "fake")
    config = TrainConfig(trainer="fake", output_dir=str(tmp_path / "run"), max_steps=2, params={"w": 0.5})
    out = train(config)
    assert out == tmp_path / "run" and trainer_plugin.seen == [config]
    assert json.loads((out / "config.json").read_text())["params"] == {"w": 0.5}
    # `mentor train --trainer NAME` hands the registered trainer its TrainConfig.
    result = invoke("train", "--trainer", "fake", "--output-dir", str(tmp_path / "cli"), "--max-steps", "3",
                    "--set", "w=0.25")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"done: {tmp_path / 'cli'}"
    seen = trainer_plugin.seen[-1]
    assert (seen.trainer, seen.max_steps, seen.params) == ("fake", 3, {"w": "0.25"})


# -- register_commands -------------------------------------------------------------------------

@click.command("hello-plugin")
@click.option("--name", default="world")
def hello_command(name):
    """Say hello (a test plugin's command)."""
    if name == "error":
        raise mentor_dsl.DataError("no such name")
    click.echo(f"hello {name}")


class CommandPlugin:
    @hookimpl
    def register_commands(self, register):
        register(hello_command)


def test_register_commands_command_is_listed_and_runs(plugin):
    plugin(CommandPlugin())
    help_text = invoke("--help").output
    assert "hello-plugin" in help_text and "Say hello" in help_text
    result = invoke("hello-plugin", "--name", "there")
    assert result.exit_code == 0 and result.output == "hello there\n"
    # Errors from a plugin command are reported like the built-in commands' errors.
    result = invoke("hello-plugin", "--name", "error")
    assert result.exit_code == mentor_dsl.DataError.exit_code
    assert result.output.strip() == "error: no such name"


def test_register_commands_cannot_replace_a_builtin_command(plugin):
    shadow = click.command("score")(lambda: click.echo("the impostor ran"))

    class Shadow:
        @hookimpl
        def register_commands(self, register):
            register(shadow)

    plugin(Shadow())
    result = invoke("score", "--help")
    assert "the impostor ran" not in result.output and "Score trajectory records" in result.stdout
    assert ("warning: command 'score' is registered by plugin 'mentor.commands' and by plugin 'test.Shadow'"
            in result.stderr)
    assert ("shadowed command 'score' (plugin 'mentor.commands' wins)"
            in " ".join(invoke("plugins").output.split()))


# -- loading -----------------------------------------------------------------------------------

def _snapshot(reg):
    return ({h: tuple((n, e.plugin) for n, e in sorted(reg.items[h].items())) for h in plugins.HOOKS},
            sorted((p.name, p.error) for p in reg.plugins))


def test_loading_is_idempotent(fresh):
    first = registry()
    assert registry() is first and plugins.get_manager() is plugins.get_manager()
    names = [p.name for p in first.plugins]
    assert len(names) == len(set(names))
    for builtin in plugins.BUILTIN_PLUGINS:
        assert names.count(builtin) <= 1
    assert not [e for e in first.errors if e.plugin in plugins.BUILTIN_PLUGINS]
    assert first.items["tools"]["add"].plugin == "mentor.math_tools"
    plugins.reset()
    second = registry()
    assert second is not first
    assert _snapshot(second) == _snapshot(first)


def test_registering_twice_is_an_error_and_unregister_restores(plugin):
    before = _snapshot(registry())
    obj = plugin(LengthTerms())
    with pytest.raises(PluginError, match="test.LengthTerms"):
        plugins.register(obj, name="test.LengthTerms")
    assert "chars" in registry().terms
    plugins.unregister(name="test.LengthTerms")
    assert _snapshot(registry()) == before


@needs_installed
def test_mentor_plugins_limits_external_plugins(fresh):
    fresh.setenv("MENTOR_PLUGINS", "none")
    plugins.reset()
    reg = registry()
    assert all(p.builtin for p in reg.plugins)
    assert "word_count" not in reg.tools and "add" in reg.tools and "hermes" in reg.names("formats")

    fresh.setenv("MENTOR_PLUGINS", "example")
    plugins.reset()
    reg = registry()
    assert [p.name for p in reg.plugins if not p.builtin] == ["example"]
    assert "word_count" in reg.tools and "circle_area" not in reg.tools

    fresh.setenv("MENTOR_PLUGINS", " scitools , nope ")
    plugins.reset()
    reg = registry()
    assert "circle_area" in reg.tools and "word_count" not in reg.tools
    assert "not installed" in error_of("nope")

    fresh.delenv("MENTOR_PLUGINS")
    plugins.reset()
    assert {"example", "scitools"} <= {p.name for p in registry().plugins}


# -- conflicts and failures --------------------------------------------------------------------

class Copycat:
    @hookimpl
    def register_terms(self, register):
        register(Term("finished", lambda ts, ctx: [0.5] * len(ts)))

    @hookimpl
    def register_judges(self, register):
        register("close", lambda p, g: 0.0)


def test_name_clash_first_registration_wins_and_names_the_plugin(plugin):
    plugin(AnswerPlugin())
    plugin(Copycat())
    reg = registry()
    assert reg.items["terms"]["finished"].plugin == "mentor.terms"
    assert reg.items["judges"]["close"].plugin == "test.AnswerPlugin"
    clashes = {e.message for e in reg.errors if e.plugin == "test.Copycat"}
    assert clashes == {
        "term 'finished' is already registered by plugin 'mentor.terms'; this one is ignored",
        "judge 'close' is already registered by plugin 'test.AnswerPlugin'; this one is ignored",
    }
    info = next(p for p in reg.plugins if p.name == "test.Copycat")
    assert info.error is None and len(info.conflicts) == 2
    # The built-in still scores.
    assert mentor_dsl.loads("reward r:\n    finished\n").score([{"completion": "x" + EOS}]).rewards.tolist() == [1.0]


class BadSchema:
    @hookimpl
    def register_tools(self, register):
        register(Tool("fine", "ok", {"type": "object"}, lambda: 1))
        register(Tool("broken", "bad schema", {"type": "object", "properties": {"x": {"type": "integr"}}},
                      lambda x: x))


class BadSchemaArgs:
    @hookimpl
    def register_tools(self, register):
        register(name="broken2", description="d", parameters={"type": "array"}, fn=lambda: 1)


def test_bad_tool_schema_names_the_plugin_and_others_still_load(plugin):
    plugin(BadSchema())
    plugin(BadSchemaArgs())
    plugin(ShoutTools())
    reg = registry()
    err = {e.plugin: e for e in reg.errors}
    assert "test.BadSchema" in str(err["test.BadSchema"])
    assert "register_tools: tool 'broken': invalid parameters schema" in err["test.BadSchema"].message
    assert "'integr' is not valid" in err["test.BadSchema"].message
    assert err["test.BadSchemaArgs"].message == (
        "register_tools: tool 'broken2': parameters must be a JSON Schema with type 'object'")
    assert "fine" not in reg.tools and "broken" not in reg.tools and "broken2" not in reg.tools
    assert {"shout", "whisper", "add"} <= set(reg.tools)


class HalfBroken:
    @hookimpl
    def register_tools(self, register):
        register(Tool("half_tool", "registered before the failure", {"type": "object"}, lambda: 1))

    @hookimpl
    def register_terms(self, register):
        register(Term("half_term", lambda ts, ctx: [1.0] * len(ts)))
        raise RuntimeError("something broke")


def test_a_raising_hook_drops_everything_the_plugin_registered(plugin):
    plugin(HalfBroken())
    plugin(LengthTerms())
    reg = registry()
    assert "half_tool" not in reg.tools and "half_term" not in reg.terms
    assert error_of("test.HalfBroken") == "register_terms raised RuntimeError: something broke"
    info = next(p for p in reg.plugins if p.name == "test.HalfBroken")
    assert dict(info.registered) == {}
    assert "chars" in reg.terms  # the other plugin is untouched
    # A spec that uses the dropped term gets the usual unknown-term error.
    with pytest.raises(SpecError, match="unknown name 'half_term'"):
        mentor_dsl.compile("reward r:\n    half_term\n")


def test_a_failed_plugin_does_not_block_names_for_later_plugins(plugin):
    class First:
        @hookimpl
        def register_tools(self, register):
            register(Tool("shared_name", "from First", {"type": "object"}, lambda: "first"))

        @hookimpl
        def register_commands(self, register):
            raise ImportError("no module named 'optional_dependency'")

    class Second:
        @hookimpl
        def register_tools(self, register):
            register(Tool("shared_name", "from Second", {"type": "object"}, lambda: "second"))

    plugin(First())
    plugin(Second())
    reg = registry()
    assert reg.items["tools"]["shared_name"].plugin == "test.Second"
    assert [e.plugin for e in reg.errors if e.plugin.startswith("test.")] == ["test.First"]


@pytest.mark.parametrize("call, message", [
    (lambda r: r("only-a-name"), "register_judges: register() takes (name, fn)"),
    (lambda r: r("x", "not callable"), "register_judges: 'x': the registered object is not callable"),
    (lambda r: r("", len), "register_judges: register(name, fn) needs a non-empty name"),
    (lambda r: r("x", fn=len, extra=1), "register_judges: register() got unexpected keyword argument(s): extra"),
])
def test_bad_register_calls_are_named_errors(plugin, call, message):
    class Bad:
        @hookimpl
        def register_judges(self, register):
            call(register)

    plugin(Bad())
    assert error_of("test.Bad") == message


def test_a_refused_registration_fails_the_plugin_even_if_the_hook_catches_it(plugin):
    class Sloppy:
        @hookimpl
        def register_judges(self, register):
            register("fine", lambda p, g: 1.0)
            try:
                register("broken", "not a function")
            except PluginError:
                pass

    plugin(Sloppy())
    assert error_of("test.Sloppy") == "register_judges: 'broken': the registered object is not callable"
    assert "fine" not in registry().names("judges")


def test_bad_format_and_command_objects_are_named_errors(plugin):
    class NoRender:
        name = "half"

        def parse(self, text):
            return []

    class BadFormat:
        @hookimpl
        def register_formats(self, register):
            register(NoRender())

    class BadCommand:
        @hookimpl
        def register_commands(self, register):
            register(lambda: None)

    plugin(BadFormat())
    plugin(BadCommand())
    assert error_of("test.BadFormat") == "register_formats: a call format needs a 'render' attribute"
    assert error_of("test.BadCommand") == "register_commands: register_commands expects a click.Command"


def test_misspelt_hook_is_reported(plugin):
    class Typo:
        @hookimpl
        def register_tool(self, register):
            register(Tool("never", "never registered", {"type": "object"}, lambda: 1))

        @hookimpl
        def register_terms(self, register):
            register(Term("typo_term", lambda ts, ctx: [1.0] * len(ts)))

    plugin(Typo())
    assert error_of("test.Typo") == "unknown hook register_tool; did you mean 'register_tools'?"
    assert "typo_term" not in registry().terms


def test_hook_with_wrong_arguments_cannot_be_registered():
    class WrongArgs:
        @hookimpl
        def register_tools(self, reg):
            pass

    with pytest.raises(PluginError, match=r"plugin 'wrong': cannot be registered: .*\{'reg'\}"):
        plugins.register(WrongArgs(), name="wrong")
    assert "wrong" not in {p.name for p in registry().plugins}


def _fake_entry_points(monkeypatch, *extra: importlib.metadata.EntryPoint):
    real = importlib.metadata.entry_points

    def entry_points(**kwargs):
        found = list(real(**kwargs))
        if kwargs.get("group") == "mentor":
            found += list(extra)
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_entry_point_that_fails_to_import_is_reported_by_name(fresh):
    fresh.delenv("MENTOR_PLUGINS", raising=False)
    module = types.ModuleType("fake_mentor_plugin")
    exec("from mentor_dsl.plugins import hookimpl\n"
         "@hookimpl\n"
         "def register_judges(register):\n"
         "    register('always', lambda p, g: 1.0)\n", module.__dict__)
    fresh.setitem(sys.modules, "fake_mentor_plugin", module)
    _fake_entry_points(
        fresh,
        importlib.metadata.EntryPoint("ghost", "mentor_ghost_plugin_not_installed.plugin", "mentor"),
        importlib.metadata.EntryPoint("fake", "fake_mentor_plugin", "mentor"),
        importlib.metadata.EntryPoint("fake", "another_module", "mentor"),
    )
    plugins.reset()
    reg = registry()
    assert error_of("ghost") == ("failed to load 'mentor_ghost_plugin_not_installed.plugin': ModuleNotFoundError: "
                                 "No module named 'mentor_ghost_plugin_not_installed'")
    assert "'another_module' is not loaded" in next(e.message for e in reg.errors if e.plugin == "fake")
    # The working entry point and the built-ins load as usual.
    assert reg.items["judges"]["always"].plugin == "fake" and "math" in reg.names("judges")
    result = invoke("plugins")
    assert result.exit_code == 5  # a plugin failed to load
    ghost = next(line for line in result.output.splitlines() if line.startswith("ghost"))
    assert "ERROR" in ghost and "ModuleNotFoundError" in " ".join(result.output.split())
    # Built-in commands still work with a broken plugin installed.
    assert invoke("compile", "mentor").exit_code == 0


# -- mentor plugins ----------------------------------------------------------------------------

class Broken:
    @hookimpl
    def register_terms(self, register):
        raise KeyError("missing")


def test_a_spec_naming_what_a_failed_plugin_would_add_says_the_plugin_failed(plugin):
    class FailingTerm:
        @hookimpl
        def register_terms(self, register):
            raise RuntimeError("no licence")

    plugin(FailingTerm())
    with pytest.raises(SpecError) as info:
        mentor_dsl.loads("reward r:\n    licensed_term\n")
    assert "unknown name 'licensed_term'" in info.value.message
    assert "note: plugin 'test.FailingTerm' failed to load; see `mentor plugins`" in str(info.value)
    assert isinstance(info.value, UnknownName) and (info.value.what, info.value.name) == ("name", "licensed_term")


def test_a_failed_plugin_is_not_blamed_for_what_no_plugin_can_add(plugin):
    """Options and operators come from the language, never from a plugin: an unknown one
    gets no note about a plugin that failed (the note was decided by the message's first
    word, "unknown ", before UnknownName)."""
    class FailingTerm:
        @hookimpl
        def register_terms(self, register):
            raise RuntimeError("no licence")

    plugin(FailingTerm())
    with pytest.raises(SpecError) as info:
        mentor_dsl.loads('option colour = "red"\nreward r:\n    1\n')
    assert "unknown option 'colour'" in info.value.message
    assert not isinstance(info.value, UnknownName) and info.value.notes == []


@needs_installed
def test_mentor_plugins_shows_builtins_installed_plugins_and_errors(fresh, plugin):
    fresh.delenv("MENTOR_PLUGINS", raising=False)
    fresh.delenv("COLUMNS", raising=False)
    plugin(Broken())
    plugin(Copycat())
    result = invoke("plugins")
    assert result.exit_code == 5, result.output  # test.Broken failed to load
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["plugin", "version", "hook", "registered"]
    # One row per plugin and hook; continuation rows leave the plugin column empty.
    example = lines.index(next(line for line in lines if line.startswith("example ")))
    assert lines[example].split()[:4] == ["example", "0.1.0", "tools", "[text]"]
    assert [line.split()[0] for line in lines[example + 1:example + 4]] == ["terms", "formats", "commands"]
    assert any(line.startswith("scitools ") and "[geometry]" in line for line in lines)
    assert any(line.startswith("mentor.math_tools ") and "built-in" in line for line in lines)
    broken = next(line for line in lines if line.startswith("test.Broken"))
    assert "ERROR" in broken and "register_terms raised KeyError: 'missing'" in broken
    assert any(line.split()[:3] == ["shadowed", "term", "'finished'"] and "(plugin 'mentor.terms' wins)" in line
               for line in lines)
    assert max(len(line) for line in lines) <= 100   # long lists wrap
    # Installed plugins first, then built-ins.
    firsts = [line.split()[0] for line in lines[2:] if line and not line.startswith(" ")]
    assert firsts.index("example") < firsts.index("mentor.answers")

    data = json.loads(invoke("plugins", "--json").stdout)
    by_name = {p["name"]: p for p in data}
    assert by_name["example"]["registered"] == {"tools": ["word_count", "reverse_string"], "terms": ["brevity"],
                                                "formats": ["xml"], "commands": ["lengths"]}
    assert by_name["example"]["toolsets"] == {"text": ["word_count", "reverse_string"]}
    assert by_name["example"]["builtin"] is False and by_name["example"]["version"] == "0.1.0"
    assert by_name["mentor.judges"]["builtin"] is True
    assert by_name["mentor.judges"]["registered"]["judges"] == ["math", "math_strict", "exact", "f1"]
    assert by_name["test.Broken"]["error"] == "register_terms raised KeyError: 'missing'"
    assert by_name["test.Broken"]["registered"] == {}
    assert by_name["test.Copycat"]["conflicts"] == [
        "term 'finished' is already registered by plugin 'mentor.terms'; this one is ignored"]
    assert by_name["test.Copycat"]["shadowed"] == [{"hook": "terms", "name": "finished", "by": "mentor.terms"}]
    assert invoke("plugins", "--json").stdout == invoke("plugins", "--json").stdout   # deterministic


# -- order and shadowing -----------------------------------------------------------------------

def _judge(value):
    return lambda prediction, gold: value


class PlainJudge:
    @hookimpl
    def register_judges(self, register):
        register("ranked", _judge(0.5))


class FirstJudge:
    @hookimpl(tryfirst=True)
    def register_judges(self, register):
        register("ranked", _judge(1.0))


class LastJudge:
    @hookimpl(trylast=True)
    def register_judges(self, register):
        register("ranked", _judge(0.0))


@pytest.mark.parametrize("order", [("plain", "first"), ("first", "plain")])
def test_tryfirst_registrations_win_whenever_the_plugin_was_registered(plugin, order):
    made = {"plain": PlainJudge, "first": FirstJudge}
    for name in order:
        plugin(made[name]())
    with pytest.warns(plugins.PluginWarning):
        entry = registry().items["judges"]["ranked"]
    assert entry.plugin == "test.FirstJudge" and entry.value("x", "y") == 1.0


@pytest.mark.parametrize("order", [("last", "plain"), ("plain", "last")])
def test_trylast_registrations_lose_whenever_the_plugin_was_registered(plugin, order):
    made = {"plain": PlainJudge, "last": LastJudge}
    for name in order:
        plugin(made[name]())
    with pytest.warns(plugins.PluginWarning):
        assert registry().items["judges"]["ranked"].plugin == "test.PlainJudge"


def _tool(name, fn):
    return Tool(name, "test tool", {"type": "object", "properties": {"text": {"type": "string"}}}, fn)


class AcmeTools:
    @hookimpl
    def register_tools(self, register):
        register(_tool("lookup", lambda text: "acme"))


class ZenithTools:
    @hookimpl
    def register_tools(self, register):
        register(_tool("lookup", lambda text: "zenith"))


def test_a_tool_clash_warns_naming_both_plugins_and_plugins_shows_the_shadowed_one(plugin, fresh):
    plugin(AcmeTools())
    plugin(ZenithTools())
    with pytest.warns(plugins.PluginWarning) as caught:
        reg = registry()
    assert [str(w.message) for w in caught] == [
        "tool 'lookup' is registered by plugin 'test.AcmeTools' and by plugin 'test.ZenithTools'; the one from "
        "'test.AcmeTools' is used, the one from 'test.ZenithTools' is shadowed (see `mentor plugins`)"]
    assert reg.items["tools"]["lookup"].plugin == "test.AcmeTools"
    info = next(p for p in reg.plugins if p.name == "test.ZenithTools")
    assert info.shadowed == (plugins.Shadowed("tools", "lookup", "test.AcmeTools"),)
    result = invoke("plugins")
    assert result.exit_code == 0, result.output
    zenith = result.stdout.splitlines()
    row = next(i for i, line in enumerate(zenith) if line.startswith("test.ZenithTools"))
    assert zenith[row].split()[1:3] == ["-", "shadowed"]
    assert zenith[row].split(None, 3)[3] == "tool 'lookup' (plugin 'test.AcmeTools' wins)"
    data = {p["name"]: p for p in json.loads(invoke("plugins", "--json").stdout)}
    assert data["test.ZenithTools"]["shadowed"] == [{"hook": "tools", "name": "lookup", "by": "test.AcmeTools"}]


def test_installed_plugins_load_in_name_order_whatever_order_they_are_found_in(fresh):
    fresh.delenv("MENTOR_PLUGINS", raising=False)
    for name in ("zeta_plugin", "alpha_plugin"):
        module = types.ModuleType(name)
        value = name.split("_")[0]
        exec("from mentor_dsl.plugins import hookimpl\n"
             "@hookimpl\n"
             "def register_judges(register):\n"
             f"    register('clash', lambda p, g: {value!r})\n", module.__dict__)
        fresh.setitem(sys.modules, name, module)
    _fake_entry_points(fresh, importlib.metadata.EntryPoint("zeta", "zeta_plugin", "mentor"),
                       importlib.metadata.EntryPoint("alpha", "alpha_plugin", "mentor"))
    plugins.reset()
    with pytest.warns(plugins.PluginWarning, match="the one from 'alpha' is used"):
        assert registry().items["judges"]["clash"].plugin == "alpha"


def test_mentor_plugins_exits_non_zero_when_a_plugin_failed_to_load(plugin):
    plugin(Broken())
    result = invoke("plugins")
    assert result.exit_code == PluginError.exit_code == 5, result.output
    assert "1 failed to load" in result.stdout
    assert invoke("plugins", "--json").exit_code == 5


def test_a_clash_is_one_warning_line_on_the_command_line(plugin):
    plugin(AcmeTools())
    plugin(ZenithTools())
    result = invoke("compile", "mentor")
    assert result.exit_code == 0, result.output
    assert ("warning: tool 'lookup' is registered by plugin 'test.AcmeTools' and by plugin 'test.ZenithTools'; "
            "the one from 'test.AcmeTools' is used") in result.stderr
    assert "PluginWarning" not in result.stderr
