"""Two text tools, `word_count` and `reverse_string`, in the toolset `text`.

A tool is an OpenAI-style function definition (name, description, JSON Schema of the
parameters) plus a Python implementation. mentor:

- checks the schema when the plugin registers the tool (a broken schema is an error that
  names this plugin, and the plugin is left out - see docs/plugins.md);
- validates every call's arguments against the schema before running it, so the
  function only ever sees arguments of the declared types;
- runs the function in a worker process with a timeout and an output-size limit, and
  caches results by (tool, arguments).

The function gets the arguments as keyword arguments and returns a JSON-serialisable
value. To report a bad call, raise (ValueError with a short message for the model): the
call then counts as failed for `exec_success`.
"""

from __future__ import annotations

import re

from mentor_dsl.tools.base import Tool

#: Toolset name: a spec can restrict calls to these tools with `tools="text"`.
TOOLSET = "text"

# Generous but bounded input: tools must finish fast whatever the student sends.
MAX_TEXT = 100_000

_WORD = re.compile(r"\S+")


def word_count(text: str, unique: bool = False) -> int:
    """The number of whitespace-separated words (distinct, case-insensitive, if `unique`)."""
    words = _WORD.findall(text)
    if unique:
        return len({w.casefold() for w in words})
    return len(words)


def reverse_string(text: str) -> str:
    """`text` backwards, character by character."""
    return text[::-1]


WORD_COUNT = Tool(
    name="word_count",
    description="Count the words (whitespace-separated) in a text.",
    parameters={
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": MAX_TEXT, "description": "the text to count"},
            "unique": {"type": "boolean", "description": "count distinct words only (case-insensitive)"},
        },
        "required": ["text"],
        # Unknown arguments make the call invalid instead of being silently dropped.
        "additionalProperties": False,
    },
    fn=word_count,
    toolset=TOOLSET,
)

REVERSE_STRING = Tool(
    name="reverse_string",
    description="Reverse a string, character by character.",
    parameters={
        "type": "object",
        "properties": {"text": {"type": "string", "maxLength": MAX_TEXT, "description": "the text to reverse"}},
        "required": ["text"],
        "additionalProperties": False,
    },
    fn=reverse_string,
    toolset=TOOLSET,
)

TOOLS = (WORD_COUNT, REVERSE_STRING)
