"""The hooks a `mentor` plugin can implement.

Each hook receives a `register` callback and calls it once per thing it adds. The built-in
tools, terms, formats, teachers and trainers use these same hooks. See docs/plugins.md for
a worked example of every hook.
"""

from __future__ import annotations

from typing import Callable

import pluggy

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
def register_terms(register: Callable[..., None]) -> None:
    """Add reward terms: `register(Term(name, fn, params=..., range=..., fields=...))`.

    `fn(trajectories, ctx, **args)` gets the batch of parsed trajectories that still need
    the term and returns one float per trajectory. It must not raise on malformed input.
    """


@hookspec
def register_formats(register: Callable[..., None]) -> None:
    """Add tool-call formats: `register(format)` with `name`, `parse(text)`, `render(calls)`
    and `instructions()`, and optionally `response_tags` and `call_tags`, the `(open,
    close)` blocks a tool's result comes back in and a call is written in (views.py).
    A spec or a record selects one by name."""


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
    """Add trainers: `register(name, fn)`. `fn(config)` runs training with a `TrainConfig`
    and returns the output directory.

    A trainer built on a TRL configuration class may declare it as `fn.trl_config` (the
    class, or "module:Name"): the run's `trl` section is then checked against that class's
    fields before the trainer is called. `fn.trl_arguments(config, model_kwargs)`, when
    declared, returns the TRL configuration the trainer would train with, which
    `mentor train --print-config` shows."""


@hookspec
def register_commands(register: Callable[..., None]) -> None:
    """Add CLI commands: `register(command)` with a `click.Command`. It appears as
    `mentor <command.name>`."""
