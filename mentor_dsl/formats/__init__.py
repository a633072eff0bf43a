"""Tool-call formats. Built-ins register through the same hook as plugins."""

from __future__ import annotations

from ..plugins import hookimpl
from .hermes import HERMES
from .json_blocks import JSON_LINES, JSON_LIST
from .llama import LLAMA_JSON
from .mistral import MISTRAL
from .openai import OPENAI
from .pythonic import PYTHONIC

DEFAULT_FORMAT = "hermes"


@hookimpl
def register_formats(register):
    register(HERMES)
    register(OPENAI)
    register(JSON_LINES)
    register(JSON_LIST)
    register(LLAMA_JSON)
    register(MISTRAL)
    register(PYTHONIC)
