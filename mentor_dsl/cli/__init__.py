"""The `mentor` command: a click group with one module per command.

Errors reach users as one clean message and a distinct exit code (the table in README's
"Command line"), never a traceback; set MENTOR_DEBUG=1 to see tracebacks of unexpected errors.
docs/cli.md is the reference of every command and option, generated from these click
commands (`python -m mentor_dsl.reference cli`).
"""

from __future__ import annotations

import os
import warnings

import click

from ..errors import MentorError

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


class MentorGroup(click.Group):
    """Its commands are the registry's: the built-in ones (cli/builtin.py) and plugins'
    come through the same `register_commands` hook, looked up when the group runs."""

    def _registered(self) -> dict[str, click.Command]:
        from ..plugins import registry

        try:
            reg = registry()
        except MentorError:  # the plugin machinery itself is broken: the built-ins still run
            from .builtin import COMMANDS

            return {c.name: c for c in COMMANDS}
        return {name: reg.get("commands", name) for name in reg.names("commands")}

    def list_commands(self, ctx):
        return sorted(self._registered())

    def get_command(self, ctx, name):
        from .lazy import resolve

        return resolve(self._registered().get(name))

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line(warnings.showwarning)
            return self._invoke(ctx)

    def _invoke(self, ctx):
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
            click.echo(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in mentor; rerun with MENTOR_DEBUG=1 for the traceback.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def mentor_version() -> str:
    """The version in pyproject.toml, its one source: from the installed distribution's
    metadata, or, for a source tree run without installing it, from the file itself."""
    from importlib import metadata

    try:
        return metadata.version("mentor")
    except metadata.PackageNotFoundError:
        pass
    import tomllib
    from pathlib import Path

    try:
        with open(Path(__file__).resolve().parents[2] / "pyproject.toml", "rb") as f:
            project = tomllib.load(f)["project"]
        if project["name"] == "mentor":
            return f"{project['version']} (source tree, not installed)"
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        pass
    return "unknown (not installed)"


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"mentor, version {mentor_version()}")
        ctx.exit()


def _warning_line(fallback):
    """mentor's own warnings (a plugin shadowed by another, a deprecated option) as one
    `warning: ...` line on stderr, like its errors; any other warning as Python shows it."""
    from ..errors import MentorWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, MentorWarning):
            click.echo(f"warning: {message}", err=True)
        else:
            fallback(message, category, filename, lineno, file, line)

    return show


@click.group(cls=MentorGroup, context_settings={"help_option_names": ["-h", "--help"]})
# Not click.version_option(package_name=...): that raises (a traceback) when the package is
# not installed, and the version is only looked up when asked for.
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """Teacher-guided rewards for distilling tool use into small models."""


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="mentor")


if __name__ == "__main__":  # pragma: no cover
    main()  # click exits with the command's code
