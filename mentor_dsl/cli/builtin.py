"""The built-in commands, registered through `register_commands` as a plugin's are."""

from __future__ import annotations

from ..plugins import hookimpl
from .compile import compile_command
from .data import data_command
from .diff import diff_command
from .eval import eval_command
from .explain import explain_command
from .plugins import plugins_command
from .score import score_command
from .teach import teach_command
from .test import spec_test_command
from .train import train_command
from .tune import tune_command

COMMANDS = (compile_command, score_command, plugins_command, data_command, train_command, teach_command,
            eval_command, explain_command, spec_test_command, diff_command,
            tune_command)


@hookimpl
def register_commands(register):
    for command in COMMANDS:
        register(command)
