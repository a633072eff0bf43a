"""The built-in commands, registered through `register_commands` as a plugin's are."""

from __future__ import annotations

from ..plugins import hookimpl
from .compile import compile_command
from .data import data_command
from .eval import eval_command
from .plugins import plugins_command
from .schema import schema_command
from .score import score_command
from .teach import teach_command
from .train import train_command

COMMANDS = (compile_command, score_command, plugins_command, data_command, train_command, teach_command,
            eval_command, schema_command)


@hookimpl
def register_commands(register):
    for command in COMMANDS:
        register(command)
