"""The mentor plugin: registers every scitools tool through the `register_tools` hook.

mentor loads this module through the `mentor` entry-point group (see pyproject.toml).
Each domain module holds a SPECS table {name: (fn, description, parameters)} and a
TOOLSET name; the tools of a domain form that toolset, so a reward spec can ask for
`tools="geometry"` and get just those.
"""

from __future__ import annotations

from typing import Callable

from mentor_dsl.plugins import hookimpl
from mentor_dsl.tools.base import Tool

from . import geometry, number_theory, physics, stats, units

#: Domain modules in registration order.
DOMAINS = (geometry, physics, stats, number_theory, units)


def build_tools() -> tuple[Tool, ...]:
    """Fresh Tool objects for every domain, grouped by domain."""
    return tuple(
        Tool(name, description, parameters, fn, toolset=domain.TOOLSET)
        for domain in DOMAINS
        for name, (fn, description, parameters) in domain.SPECS.items()
    )


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    for tool in build_tools():
        register(tool)
