"""Spec examples in the docs compile, so the docs cannot drift from the language."""

import re
from pathlib import Path

import pytest

from mentor_dsl import compile

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "language.md", ROOT / "docs" / "authoring.md"]


def spec_blocks():
    for path in DOCS:
        if not path.exists():
            continue
        text = path.read_text()
        for i, block in enumerate(re.findall(r"```\n(.*?)```", text, re.DOTALL)):
            if re.search(r"^reward \w+:", block, re.MULTILINE):
                yield pytest.param(block, id=f"{path.name}-{i}")


@pytest.mark.parametrize("block", list(spec_blocks()))
def test_spec_examples_compile(block):
    plan = compile(block, name="example.mdsl")
    assert plan.rewards


def console_blocks(path, commands=("mentor explain", "mentor diff")):
    """(command, output) of each ```console block of `path` that runs one of `commands`."""
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"^```console\n\$ (.+?)\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        if m.group(1).startswith(commands):
            yield pytest.param(m.group(1), m.group(2), id=m.group(1)[:60])


@pytest.mark.parametrize("command, shown", list(console_blocks(ROOT / "docs" / "authoring.md")))
def test_authoring_outputs_are_what_the_commands_print(command, shown, monkeypatch):
    """docs/authoring.md shows real output: each explain and diff block is what the command
    prints now (from the repository's root, to a pipe)."""
    import shlex

    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    monkeypatch.chdir(ROOT)
    result = CliRunner(env={"COLUMNS": None}).invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    printed = [_steady(line.rstrip()) for line in result.output.rstrip("\n").splitlines()]
    assert printed == [_steady(line) for line in shown.rstrip("\n").splitlines()]


def _steady(line: str) -> str:
    """The line without the list of judges that accepted an answer: math-verify parses
    under a time limit, so on a loaded machine one of the math judge's three judges may
    run out of time and the account names fewer (the verdict is any judge's)."""
    return re.sub(r"accepted by .*$", "accepted by ...", line)
