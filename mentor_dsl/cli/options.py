"""Options and helpers shared by several commands."""

from __future__ import annotations

from typing import Any

import click


def parse_set(values: tuple[str, ...]) -> dict[str, Any]:
    """`--set name=value` pairs; the checker converts each value to its parameter's type."""
    out: dict[str, Any] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        out[name.strip()] = value.strip()
    return out


set_option = click.option(
    "--set", "overrides", multiple=True, metavar="NAME=VALUE",
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


def table(rows: list[list[str]], header: list[str] | None = None, indent: int = 2) -> str:
    """A plain aligned text table: stable output for pipes and golden tests."""
    data = ([header] if header else []) + rows
    if not data:
        return ""
    widths = [max(len(r[i]) for r in data) for i in range(len(data[0]))]
    lines = []
    for n, row in enumerate(data):
        cells = [c.ljust(w) for c, w in zip(row, widths)]
        lines.append(" " * indent + "  ".join(cells).rstrip())
        if header and n == 0:
            lines.append(" " * indent + "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"
