"""Options and helpers shared by several commands."""

from __future__ import annotations

from typing import Any

import click


def _pairs(values: tuple[str, ...], hint: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint=hint)
        out[name.strip()] = value.strip()
    return out


def parse_set(values: tuple[str, ...], hint: str = "--set") -> dict[str, Any]:
    """`--set name=value` pairs; the checker converts each value to its parameter's type."""
    return _pairs(values, hint)


def parse_trainer_options(values: tuple[str, ...]) -> dict[str, Any]:
    """`--trainer-option name=value` pairs, as text: the trainer's declaration converts them."""
    return _pairs(values, "--trainer-option")


def parse_trl(values: tuple[str, ...]) -> dict[str, Any]:
    """`--trl key=value` pairs; `train/trl_options.py` checks each against the trainer's TRL
    configuration class and converts its value to the field's type."""
    return _pairs(values, "--trl")


set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a spec parameter (repeatable).",
)


def spec_file(spec: str | None):
    """The file a spec argument reads (`FILE::REWARD`, a library name): an input that no
    output may be. None when it names no file (its own error comes when it is loaded)."""
    if not spec:
        return None
    from ..errors import SpecError
    from ..library import resolve, split_selector

    try:
        return resolve(split_selector(str(spec))[0])
    except SpecError:
        return None


def parse_tool_limits(values: tuple[str, ...]) -> dict[str, Any]:
    """`--tool-limit name=value` pairs, checked against `ToolLimits` (a usage error if not)."""
    from ..tools.base import ToolLimits

    pairs = _pairs(values, "--tool-limit")
    try:
        ToolLimits.from_mapping(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tool-limit") from None
    return pairs


tool_limit_option = click.option(
    "--tool-limit",
    "tool_limits",
    multiple=True,
    metavar="NAME=VALUE",
    help="A limit on each tool call (repeatable): timeout (seconds, default 5), max_output (bytes, 65536), "
    "memory_mb (512), max_calls (per record or rollout turn, 32). A tool's own limits take precedence.",
)


def tool_executor(values: tuple[str, ...]):
    """An executor with the registry's tools and these `--tool-limit`s, closed when the
    command ends."""
    from ..plugins import registry
    from ..tools.base import ToolLimits
    from ..tools.executor import Executor

    executor = Executor(registry().tools, limits=ToolLimits.from_mapping(parse_tool_limits(values)))
    click.get_current_context().call_on_close(executor.close)
    return executor


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"
