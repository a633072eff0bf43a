"""Which tools a task offers: one rule for `score`, `train`, `eval` and `teach`.

In order:

1. the record's `tools`: tool names, or OpenAI/JSON-Schema tool objects
   (`{"type": "function", "function": {...}}` or the bare function object);
2. else the reward spec's `option tools = "TOOLSET"`;
3. else every registered tool.

A name must be a registered tool (its schema is what the student is shown). A tool object
whose name is registered is that tool; one that no plugin provides is still shown to the
student, and its calls are validated against its schema, but they fail with
"no implementation" when run. The reward's `no_hallucination` and `tool_match(tools=...)`
read the same names, so what training shows, runs and rewards is one list.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

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
        return Tool(fn["name"], str(fn.get("description") or ""), dict(parameters), _unimplemented,
                    plugin="(record schema)")
    except Exception as exc:  # ToolError: a bad name or schema, reported with the record
        raise DataError(f"tool object {fn['name']!r} in 'tools': {exc}") from None


def resolve_tools(listed: Any, registry, *, default: str | None = None) -> list[Tool]:
    """The `Tool`s a task offers (see the module docstring). Raises DataError naming the
    problem; callers add the record or task."""
    if listed is None:
        names = registry.toolset(default or "all")
        if names is None:
            raise DataError(f"unknown toolset {default!r} (toolsets: {', '.join(registry.toolsets())})")
        return [registry.tools[n] for n in sorted(names)]
    if not isinstance(listed, (list, tuple)):
        raise DataError("'tools' must be a list of tool names or tool objects")
    tools: list[Tool] = []
    missing: list[str] = []
    for item in listed:
        if isinstance(item, str):
            if item in registry.tools:
                tools.append(registry.tools[item])
            else:
                missing.append(item)
        elif isinstance(item, Mapping):
            fn = item.get("function", item)
            name = fn.get("name") if isinstance(fn, Mapping) else None
            tools.append(registry.tools[name] if name in registry.tools else tool_from_schema(item))
        else:
            raise DataError(f"'tools' holds {item!r:.60}, which is neither a tool name nor a tool object")
    if missing:
        raise DataError(f"lists tools that no plugin provides: {', '.join(missing)} (is the plugin installed? "
                        "see `mentor plugins`; or give the tool as a JSON-Schema object)")
    return tools


def tool_names(tools: Sequence[Tool]) -> list[str]:
    return [t.name for t in tools]


def executable(tools: Sequence[Tool], registry) -> Mapping[str, Tool]:
    """The executor's map for these tools: the registered ones plus schema-only ones."""
    extra = {t.name: t for t in tools if t.name not in registry.tools}
    return {**registry.tools, **extra} if extra else registry.tools
