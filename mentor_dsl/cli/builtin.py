"""The built-in commands, registered through `register_commands` as a plugin's are.

Each is a `LazyCommand` (cli/lazy.py): its module is imported when the command is used,
not when the plugins load (which compiling a spec does).
"""

from __future__ import annotations

from ..plugins import hookimpl
from .lazy import LazyCommand

COMMANDS = (
    LazyCommand("compile", "mentor_dsl.cli.compile:compile_command"),
    LazyCommand("score", "mentor_dsl.cli.score:score_command"),
    LazyCommand("plugins", "mentor_dsl.cli.plugins:plugins_command"),
    LazyCommand("data", "mentor_dsl.cli.data:data_command"),
    LazyCommand("train", "mentor_dsl.cli.train:train_command"),
    LazyCommand("teach", "mentor_dsl.cli.teach:teach_command"),
    LazyCommand("eval", "mentor_dsl.cli.eval:eval_command"),
    LazyCommand("explain", "mentor_dsl.cli.explain:explain_command"),
    LazyCommand("test", "mentor_dsl.cli.test:spec_test_command"),
    LazyCommand("diff", "mentor_dsl.cli.diff:diff_command"),
    LazyCommand("tune", "mentor_dsl.cli.tune:tune_command"),
    LazyCommand("prompt", "mentor_dsl.cli.prompt:prompt_command"),
    LazyCommand("schema", "mentor_dsl.cli.schema:schema_command"),
)


@hookimpl
def register_commands(register):
    for command in COMMANDS:
        register(command)
