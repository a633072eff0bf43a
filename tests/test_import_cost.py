"""Compiling a spec loads the plugins, and so every `register_commands` and
`register_teachers` hook: the built-in commands and teachers register lazily
(cli/lazy.py, teachers/__init__.py), so their modules are not imported until used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import mentor_dsl
mentor_dsl.compile(open(sys.argv[1]).read())
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_compiling() -> list[str]:
    env = {**os.environ, "MENTOR_PLUGINS": "none"}  # only what mentor itself registers
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "rewards" / "mentor.mdsl")], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_compiling_a_spec_imports_no_command_teacher_or_training_module():
    loaded = [m for m in modules_after_compiling() if m.startswith("mentor_dsl")]
    commands = [m for m in loaded if m.startswith("mentor_dsl.cli.")]
    assert sorted(commands) == ["mentor_dsl.cli.builtin", "mentor_dsl.cli.lazy"]
    teachers = [m for m in loaded if m.startswith("mentor_dsl.teachers.")]
    assert teachers == ["mentor_dsl.teachers.base"]
    # Trainers register from train/plugin.py, which imports the training code when one runs;
    # registering builds a `Trainer` (train/options.py, no torch or TRL).
    training = [m for m in loaded if m.startswith("mentor_dsl.train.")]
    assert sorted(training) == ["mentor_dsl.train.config", "mentor_dsl.train.options", "mentor_dsl.train.plugin"]
    for package in ("mentor_dsl.evaluation", "mentor_dsl.data", "mentor_dsl.rollouts", "mentor_dsl.bfcl"):
        assert not [m for m in loaded if m.startswith(package)], package


def test_a_lazy_command_runs_and_shows_help_as_the_real_one():
    from mentor_dsl.cli import cli
    from mentor_dsl.cli.builtin import COMMANDS
    from mentor_dsl.cli.compile import compile_command
    from mentor_dsl.cli.lazy import LazyCommand, resolve
    from mentor_dsl.plugins import registry

    stub = registry().get("commands", "compile")
    assert isinstance(stub, LazyCommand) and resolve(stub) is compile_command and stub in COMMANDS
    assert CliRunner().invoke(cli, ["compile", "mentor"]).exit_code == 0
    via_group = CliRunner().invoke(cli, ["compile", "--help"], prog_name="mentor").output
    assert via_group == CliRunner().invoke(stub, ["--help"], prog_name="mentor compile").output
    assert "Usage: mentor compile [OPTIONS] SPEC" in via_group
    assert stub.get_short_help_str() == compile_command.get_short_help_str()


def test_a_lazy_command_with_a_wrong_target_says_so():
    from mentor_dsl.cli.lazy import LazyCommand

    with pytest.raises(TypeError, match="is not the click command 'compile'"):
        LazyCommand("compile", "mentor_dsl.cli.score:score_command").load()
