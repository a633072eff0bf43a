"""`mentor plugins`: what each plugin registered."""

from __future__ import annotations

import json

import click

from ..plugins import HOOKS, registry
from .options import table


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List plugins (built-in and installed) and what each registered."""
    reg = registry()
    infos = sorted(reg.plugins, key=lambda p: (p.builtin, p.name))
    if as_json:
        click.echo(json.dumps([
            {"name": p.name, "version": p.version, "builtin": p.builtin,
             "registered": {h: list(v) for h, v in p.registered.items()}, "error": p.error}
            for p in infos
        ], indent=2))
        return
    rows = []
    for p in infos:
        what = "; ".join(f"{h}: {', '.join(p.registered[h])}" for h in HOOKS if h in p.registered)
        status = f"ERROR: {p.error}" if p.error else what or "-"
        rows.append([p.name, p.version or ("built-in" if p.builtin else "-"), status])
    click.echo(table(rows, ["plugin", "version", "registered"], indent=0))
    for err in reg.errors:
        if not any(p.error == err.message and p.name == err.plugin for p in infos):
            click.echo(f"error: {err}", err=True)
