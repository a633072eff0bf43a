"""The `mentor` command: a click group with one module per command.

Errors reach users as one clean message and a distinct exit code (see docs/cli.md), never
a traceback; set MENTOR_DEBUG=1 to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import os
import sys

import click

from ..errors import MentorError
from .compile import compile_command
from .data import data_command
from .eval import eval_command
from .plugins import plugins_command
from .score import score_command
from .teach import teach_command
from .train import train_command

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70

COMMANDS = [compile_command, score_command, plugins_command, data_command, train_command, teach_command, eval_command]


class MentorGroup(click.Group):
    """Adds plugin commands lazily, so `mentor --help` lists them and a broken plugin
    cannot stop the built-in commands from working."""

    def _plugin_commands(self) -> dict[str, click.Command]:
        from ..plugins import registry

        try:
            reg = registry()
        except MentorError:
            return {}
        return {name: reg.get("commands", name) for name in reg.names("commands")}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugin_commands()))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._plugin_commands().get(name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MentorError as exc:
            click.echo(exc.render(), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("MENTOR_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in mentor; rerun with MENTOR_DEBUG=1 for the traceback.", err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=MentorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mentor", prog_name="mentor")
def cli() -> None:
    """Teacher-guided rewards for distilling tool use into small models."""


for _command in COMMANDS:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="mentor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
