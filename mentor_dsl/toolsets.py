"""Which tools a task offers: one rule for `score`, `train`, `eval` and `teach`.

In order:

1. the record's `tools`: tool names, or OpenAI/JSON-Schema tool objects
   (`{"type": "function", "function": {...}}` or the bare function object);
2. else the default toolset: the reward spec's `option tools = "TOOLSET"` (`score`,
   `train`, `eval --reward`), or `mentor teach --tools TOOLSET`;
3. else every registered tool.

`offered` applies the rule; every command calls it (`resolve_tools` and
`offered_names` are its two views). A tool object whose name is registered is that tool;
one that no plugin provides is still shown to the student, and its calls are validated
against its schema, but they fail with "no implementation" when run. A bare name that no
plugin registers cannot be shown or run: `train`, `eval` and `teach` refuse the task,
while `score` (which only reads names) counts a call to it as offered, not hallucinated.
The reward's `no_hallucination` and `tool_match` read the same names, so what training
shows, runs and rewards is one list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import DataError
from .tools.base import Tool

NO_IMPLEMENTATION = "no implementation: no installed plugin provides this tool (see `mentor plugins`)"


def _unimplemented(**_: Any) -> Any:
    raise NotImplementedError(NO_IMPLEMENTATION)


def tool_from_schema(schema: Mapping[str, Any]) -> Tool:
    """A `Tool` for a schema object that no plugin implements."""
    fn = schema.get("function", schema)
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
        raise DataError(f"a tool object in 'tools' has no name: {str(dict(schema))[:80]}")
    parameters = fn.get("parameters") or {"type": "object", "properties": {}}
    try:
        return Tool(
            fn["name"], str(fn.get("description") or ""), dict(parameters), _unimplemented, plugin="(record schema)"
        )
    except Exception as exc:  # ToolError: a bad name or schema, reported with the record
        raise DataError(f"tool object {fn['name']!r} in 'tools': {exc}") from None


@dataclass(frozen=True)
class Offered:
    """The tool set of one task, by the rule above.

    `names` are every name offered, in the task's order (sorted for a toolset); `tools`
    the `Tool`s the student can be shown (registered ones, and schema objects no plugin
    implements); `missing` the names given as bare names that no plugin registers: a
    reward can still tell a call to them from a hallucination, but no prompt can show
    them and no executor can run them."""

    names: tuple[str, ...]
    tools: tuple[Tool, ...]
    missing: tuple[str, ...] = ()


def offered(listed: Any, registry, *, default: str | None = None) -> Offered:
    """The tool set a task offers: THE rule (module docstring). `listed` is the record's
    `tools` (None when it has none), `default` the spec's `option tools`. Raises DataError
    for a malformed `tools` or an unknown default toolset; callers add the record."""
    if listed is None:
        toolset = registry.toolset(default or "all")
        if toolset is None:
            raise DataError(f"unknown toolset {default!r} (toolsets: {', '.join(registry.toolsets())})")
        ordered = sorted(toolset)
        return Offered(tuple(ordered), tuple(registry.tools[n] for n in ordered))
    if not isinstance(listed, (list, tuple)):
        raise DataError("'tools' must be a list of tool names or tool objects")
    names: list[str] = []
    tools: list[Tool] = []
    missing: list[str] = []
    for item in listed:
        if isinstance(item, str):
            names.append(item)
            if item in registry.tools:
                tools.append(registry.tools[item])
            else:
                missing.append(item)
        elif isinstance(item, Mapping):
            fn = item.get("function", item)
            name = fn.get("name") if isinstance(fn, Mapping) else None
            tool = registry.tools[name] if name in registry.tools else tool_from_schema(item)
            names.append(tool.name)
            tools.append(tool)
        else:
            raise DataError(f"'tools' holds {item!r:.60}, which is neither a tool name nor a tool object")
    return Offered(tuple(names), tuple(tools), tuple(missing))


def offered_names(listed: Any, registry, *, default: str | None = None) -> frozenset[str]:
    """The names a task offers (what `no_hallucination` accepts). The same rule as
    `offered`, without building a list for a whole toolset on every row."""
    if listed is None:
        names = registry.toolset(default or "all")
        if names is None:
            raise DataError(f"unknown toolset {default!r} (toolsets: {', '.join(registry.toolsets())})")
        return names
    return frozenset(offered(listed, registry, default=default).names)


def resolve_tools(listed: Any, registry, *, default: str | None = None) -> list[Tool]:
    """The `Tool`s a task offers, for what must show or run them (train, eval, the
    teachers): `offered`, where a bare name no plugin provides is an error. Raises
    DataError naming the problem; callers add the record or task."""
    found = offered(listed, registry, default=default)
    if found.missing:
        raise DataError(
            f"lists tools that no plugin provides: {', '.join(found.missing)} (is the plugin installed? "
            "see `mentor plugins`; or give the tool as a JSON-Schema object)"
        )
    return list(found.tools)


def tool_names(tools: Sequence[Tool]) -> list[str]:
    return [t.name for t in tools]


def executable(tools: Sequence[Tool], registry) -> Mapping[str, Tool]:
    """The executor's map for these tools: the registered ones plus schema-only ones."""
    extra = {t.name: t for t in tools if t.name not in registry.tools}
    return {**registry.tools, **extra} if extra else registry.tools
