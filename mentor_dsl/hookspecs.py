"""The hooks a `mentor` plugin can implement.

Each hook receives a `register` callback and calls it once per thing it adds. The built-in
tools, examples, splits, terms, formats, teachers and trainers use these same hooks. See docs/plugins.md for
a worked example of every hook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import pluggy

from .calls import RESPONSE_TAGS, Call

hookspec = pluggy.HookspecMarker("mentor")


@hookspec
def register_tools(register: Callable[..., None]) -> None:
    """Add tools: `register(Tool(name, description, parameters, fn))`.

    `parameters` is a JSON Schema object; it is validated when registered. `fn` is called
    with the call's arguments as keyword arguments and returns a JSON-serialisable value.
    Pass `kind="code"` for tools that run untrusted code: they run in a sandboxed process.
    Pass `toolset="name"` to group tools; a spec can then say `tools="name"`. Pass
    `timeout=` (seconds), `max_output=` (bytes) or `memory_mb=` to replace the run's limits
    (`ToolLimits`: 5 s, 64 KiB, 512 MB) for this tool. When two plugins register one name,
    the first registration wins (tryfirst hooks, then plugin order, then trylast hooks) and
    the other is shadowed, with a `PluginWarning`.
    """


@hookspec
def register_examples(register: Callable[..., None]) -> None:
    """Add few-shot exchanges for tools: `register(Example(name, user, turns, answer))`
    (`mentor_dsl.fewshot`). `turns` are the assistant's turns of calls, each an
    `ExampleCall(name, arguments, output)`; `answer` is the final assistant text. A
    prompt shows the examples whose tools its task all offers (built-ins first, then
    plugins by name; at most `fewshot.MAX_SHOWN`), written in the prompt's own call format
    and chat layout. A task record's `examples` field replaces them."""


@hookspec
def register_splits(register: Callable[..., None]) -> None:
    """Add built-in task splits: `register(SplitSpec(name, size, seed, families, domains,
    description, ...))` (`mentor_dsl.data.splits`). Each family draws a `Draft` (question,
    reference value, oracle `Plan` of calls); drafts are executed with the registered
    tools and kept only when the plan reproduces the reference. The split is then
    `builtin:NAME` for every command and listed by `mentor data list`."""


@hookspec
def register_terms(register: Callable[..., None]) -> None:
    """Add reward terms: `register(Term(name, fn, params=..., range=..., fields=...))`.

    `fn(trajectories, ctx, **args)` gets the batch of parsed trajectories that still need
    the term and returns one float per trajectory. It must not raise on malformed input.
    """


class CallFormat(Protocol):
    """A tool-call syntax, as `register_formats` takes it (docs/plugins.md#register_formats).

    `name`, `parse`, `render` and `instructions` are required. The four attributes with a
    value here are optional: a format that leaves one out is read with the value written
    here (the code reads them as `getattr(fmt, "stop_text", CallFormat.stop_text)`), and a
    format class that subclasses `CallFormat` inherits them.

    How a model turn ends in a rollout with tools (rollouts/layout.py, rollouts/loop.py):

    * at an end-of-turn token: the tokenizer's EOS, the generation config's EOS ids and,
      in the native chat layout, those of the format's `end_tokens` the vocabulary has.
      A turn that ends so is parsed for calls in the native layout; with no call in it,
      the rollout is finished;
    * in the inline layout, as soon as the text generated in the turn contains
      `stop_text`: the turn's call is complete, the tools run, and their results are
      appended in `response_tags` blocks before the next turn.

    A format whose `stop_text` is None ends a call with the model's turn, so it runs only
    in the native layout of a chat template written for it (`llama_json`, `mistral`).
    """

    #: The name specs (`option call_format`), records (`"format"`) and `--call-format` use.
    name: str
    #: The text that closes a call: the inline layout stops generating there and runs the
    #: tools. None: a call ends with the model's turn (native chat layout only).
    stop_text: str | None = None
    #: Tokens that also end a model turn in the native layout, besides the tokenizer's EOS
    #: (Llama's `<|eom_id|>`). Those the tokenizer lacks are ignored.
    end_tokens: tuple[str, ...] = ()
    #: The `(open, close)` block a call is written in; the final text (views.py) cuts it.
    #: None: calls are not in tagged blocks, and are not cut.
    call_tags: tuple[str, str] | None = None
    #: The `(open, close)` block a tool's result comes back in; readers never look for calls
    #: or answers inside it. None cuts nothing.
    response_tags: tuple[str, str] | None = RESPONSE_TAGS

    def parse(self, text: str) -> list[Call]:
        """Every call block in `text`, in order. Never raises: a block that is not a valid
        call is a `Call` with an `error` (and `name=None` when it is not a call at all)."""
        ...

    def render(self, calls: Sequence[Call]) -> str:
        """The inverse of `parse`, for prompts and teacher demonstrations."""
        ...

    def instructions(self) -> str:
        """A paragraph for the system prompt that teaches the syntax."""
        ...


@hookspec
def register_formats(register: Callable[[CallFormat], None]) -> None:
    """Add tool-call formats: `register(format)` with a `CallFormat` (its required members
    `name`, `parse(text)`, `render(calls)`, `instructions()`; optionally `stop_text`,
    `end_tokens`, `call_tags`, `response_tags`). A spec or a record selects one by name."""


@hookspec
def register_extractors(register: Callable[..., None]) -> None:
    """Add final-answer extractors: `register(name, fn)` where `fn(text) -> str | None`.
    `text` is what the student wrote (no tool responses); with `fn.reads = "final"` it is
    also without call blocks. Specs select them with `answer_correct(extractor="name")`."""


@hookspec
def register_judges(register: Callable[..., None]) -> None:
    """Add answer judges: `register(name, fn)` where `fn(prediction, gold) -> float` in
    [0, 1] and `gold` is a string or a list of accepted strings."""


@hookspec
def register_teachers(register: Callable[..., None]) -> None:
    """Add teachers: `register(name, factory)`. `factory(**options)` returns an object with
    `generate(tasks) -> list[dict]` producing trajectory records."""


@hookspec
def register_trainers(register: Callable[..., None]) -> None:
    """Add trainers: `register(name, fn)`, or `register(Trainer(name, fn, options=...))` for
    a trainer with options of its own (`mentor_dsl.train.options`). `fn(config)` runs
    training with a `TrainConfig` and returns the output directory; its declared options
    arrive checked, converted and with their defaults in `config.trainer_options`
    (`mentor train --trainer-option NAME=VALUE`). An exception other than a `MentorError`
    is reported naming the trainer's plugin, with exit status 7.

    A trainer built on a TRL configuration class may declare it as `fn.trl_config` (the
    class, or "module:Name"): the run's `trl` section is then checked against that class's
    fields before the trainer is called. `fn.trl_arguments(config, model_kwargs)`, when
    declared, returns the TRL configuration the trainer would train with, which
    `mentor train --print-config` shows."""


@hookspec
def register_commands(register: Callable[..., None]) -> None:
    """Add CLI commands: `register(command)` with a `click.Command`. It appears as
    `mentor <command.name>`."""
