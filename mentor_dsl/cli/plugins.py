"""`mentor plugins`: what each plugin registered, one row per plugin and hook.

    plugin          version    hook       registered
    ─────────────────────────────────────────────────────────────────────────────────
    example         0.1.0      tools      [text] word_count, reverse_string
                               terms      brevity
    broken          1.0        ERROR      register_tools: tool 'x': invalid parameters ...
    copycat         0.2        shadowed   tool 'word_count' (plugin 'example' wins)
    mentor.judges   built-in   judges     math, exact, f1

Installed plugins come first, then the built-ins, each sorted by name. The table is the
shared one (mentor_dsl/display.py): long lists wrap at the terminal's width, or at $COLUMNS
(100 when it is not set) without a terminal, so piped output does not depend on one.
`--json` prints the same information as a list of objects. The exit status is 5 (a plugin
error) when a plugin failed to load; a shadowed name alone is not a failure.
"""

from __future__ import annotations

import json

import click

from ..errors import PluginError
from ..plugins import HOOKS, PluginInfo, registry

_HEADER = ["plugin", "version", "hook", "registered"]


def _toolsets(info: PluginInfo, reg) -> dict[str | None, list[str]]:
    """The plugin's tools grouped by toolset (None: no toolset), in registration order."""
    groups: dict[str | None, list[str]] = {}
    for name in info.registered.get("tools", ()):
        entry = reg.items["tools"].get(name) if reg is not None else None
        groups.setdefault(getattr(entry.value, "toolset", None) if entry else None, []).append(name)
    return groups


def _rows(info: PluginInfo, reg=None) -> list[tuple[str, str]]:
    """(hook, text) rows for one plugin: its registrations, then what it registered that
    another plugin shadows, and its error. Tools come one row per toolset, as
    `[toolset] tools...`."""
    rows = []
    for hook in HOOKS:
        if not info.registered.get(hook):
            continue
        if hook == "tools":
            for toolset, names in _toolsets(info, reg).items():
                rows.append((hook, (f"[{toolset}] " if toolset else "") + ", ".join(names)))
        else:
            rows.append((hook, ", ".join(info.registered[hook])))
    for shadowed in info.shadowed:
        winner = "its own earlier one" if shadowed.by == info.name else f"plugin {shadowed.by!r}"
        rows.append(("shadowed", f"{shadowed.hook[:-1]} {shadowed.name!r} ({winner} wins)"))
    if info.error:
        rows.append(("ERROR", info.error))
    return rows or [("-", "registers nothing")]


def render_table(infos: list[PluginInfo], reg=None):
    """The table `mentor plugins` prints (display.echo); `reg` (the registry) adds the
    tools' toolsets."""
    from ..display import table

    lines: list[list[str]] = []
    for info in infos:
        version = info.version or ("built-in" if info.builtin else "-")
        for i, (hook, text) in enumerate(_rows(info, reg)):
            lines.append([info.name if i == 0 else "", version if i == 0 else "", hook, text])
    return table(_HEADER, lines, justify=["left"] * len(_HEADER))


def plugin_json(info: PluginInfo, reg=None) -> dict:
    toolsets = {k: v for k, v in _toolsets(info, reg).items() if k is not None}
    return {
        "name": info.name,
        "version": info.version,
        "builtin": info.builtin,
        "registered": {h: list(info.registered[h]) for h in HOOKS if h in info.registered},
        "toolsets": toolsets,
        "conflicts": list(info.conflicts),
        "shadowed": [{"hook": s.hook, "name": s.name, "by": s.by} for s in info.shadowed],
        "error": info.error,
    }


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List plugins (built-in and installed) and what each registered. Exits with status 5
    when a plugin failed to load."""
    reg = registry()
    infos = sorted(reg.plugins, key=lambda p: (p.builtin, p.name))
    broken = sum(1 for p in infos if p.error)
    if as_json:
        click.echo(json.dumps([plugin_json(p, reg) for p in infos], indent=2))
        if broken:
            raise SystemExit(PluginError.exit_code)
        return
    from ..display import echo

    echo(render_table(infos, reg))
    builtin = sum(1 for p in infos if p.builtin)
    summary = f"{len(infos)} plugins ({builtin} built-in)"
    if broken:
        summary += f"; {broken} failed to load (their registrations are left out)"
    click.echo(f"\n{summary}")
    if any(_toolsets(p, reg).keys() - {None} for p in infos):
        click.echo('[NAME] is a toolset: a spec selects its tools with tools="NAME".')
    shown = {(p.name, p.error) for p in infos} | {(p.name, c) for p in infos for c in p.conflicts}
    for err in reg.errors:
        if (err.plugin, err.message) not in shown:
            click.echo(f"error: {err}", err=True)
    if broken:
        raise SystemExit(PluginError.exit_code)
