"""Commands imported when they are used.

Loading the plugins loads every `register_commands` hook, and so the built-in command
modules, which import the data, evaluation, teacher and training code. Compiling a spec
loads the plugins too, so the built-in commands register as `LazyCommand`s: a name and
where the real command is. `MentorGroup.get_command` swaps in the real command before
click parses, runs or prints help for it; called directly, the stub hands each of those
to the real command too. See docs/design.md ("Import cost").
"""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyCommand(click.Command):
    """`name` and `target`, "package.module:attribute" of the click command it stands for."""

    name: str  # always given (click allows a command without one)

    def __init__(self, name: str, target: str):
        super().__init__(name)
        self.target = target
        self._command: click.Command | None = None

    def load(self) -> click.Command:
        if self._command is None:
            module, _, attribute = self.target.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != self.name:
                raise TypeError(f"{self.target} is not the click command {self.name!r}")
            self._command = command
        return self._command

    # What click asks of a command, handed to the real one.

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        return self.load().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        return self.load().invoke(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return self.load().main(*args, **kwargs)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return self.load().get_params(ctx)

    def get_help(self, ctx: click.Context) -> str:
        return self.load().get_help(ctx)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.load().get_short_help_str(limit)

    def to_info_dict(self, ctx: click.Context) -> dict[str, Any]:
        return self.load().to_info_dict(ctx)


def resolve(command: click.Command | None) -> click.Command | None:
    """The real command behind a `LazyCommand`; any other command as it is."""
    return command.load() if isinstance(command, LazyCommand) else command
