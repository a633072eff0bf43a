"""Tool-call formats. Built-ins register through the same hook as plugins."""

from __future__ import annotations

from ..plugins import hookimpl
from .hermes import HERMES
from .openai import OPENAI

DEFAULT_FORMAT = "hermes"


@hookimpl
def register_formats(register):
    register(HERMES)
    register(OPENAI)
    try:
        from .pythonic import PYTHONIC
    except ImportError:  # pragma: no cover - the module ships with the package
        return
    register(PYTHONIC)
