"""The mentor plugin of the date domain: one hook per kind of thing it adds.

mentor loads this module through the `mentor` entry-point group (see pyproject.toml).
"""

from __future__ import annotations

from typing import Callable

from mentor_dsl.plugins import hookimpl

from .examples import EXAMPLES
from .judge import date_judge
from .tasks import build_splits
from .tools import build_tools


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    for tool in build_tools():
        register(tool)


@hookimpl
def register_judges(register: Callable[..., None]) -> None:
    register("date", date_judge)


@hookimpl
def register_examples(register: Callable[..., None]) -> None:
    for example in EXAMPLES:
        register(example)


@hookimpl
def register_splits(register: Callable[..., None]) -> None:
    for spec in build_splits():
        register(spec)
