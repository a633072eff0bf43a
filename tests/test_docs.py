"""Spec examples in the docs compile, so the docs cannot drift from the language."""

import re
from pathlib import Path

import pytest

from mentor_dsl import compile

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "language.md"]


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
