"""The hook implementations: this module is what the `mentor` entry point names.

    [project.entry-points.mentor]
    example = "mentor_example.plugin"

mentor registers the module with its plugin manager (pluggy), then calls each hook once
with a `register` callback. A hook calls `register` once per thing it adds. Hooks that a
plugin does not need are simply not defined.

Two rules mentor enforces for every plugin:

- Names are global. If another plugin (or a built-in) already registered a `brevity`
  term, the first registration wins and `mentor plugins` reports the clash, naming this
  plugin. Pick distinctive names.
- All or nothing. If any hook here raises (a bad tool schema, a typo, an import error),
  mentor reports the error under the plugin's name ("example") and drops everything the
  plugin registered; other plugins still load.

Keep the imports that hooks need inside the package (not at the top of mentor itself): a
plugin module is imported whenever mentor builds its registry.
"""

from __future__ import annotations

from mentor_dsl.plugins import hookimpl

from .brevity import BREVITY
from .cli import lengths_command
from .text_tools import TOOLS
from .xml_format import XML


@hookimpl
def register_tools(register):
    # `register(Tool(...))`; the schema was already checked when the Tool was built.
    for tool in TOOLS:
        register(tool)


@hookimpl
def register_terms(register):
    # `register(Term(...))`: the term's name is how specs use it: `brevity(max_tokens=64)`.
    register(BREVITY)


@hookimpl
def register_formats(register):
    # Any object with name, parse, render and instructions.
    register(XML)


@hookimpl
def register_commands(register):
    # A click.Command; `mentor lengths` from now on.
    register(lengths_command)
