"""Shared fixtures. In-test plugins are plain classes registered through `plugin`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture
def plugin():
    """Register a plugin object (an instance with @hookimpl methods) for one test.

        def test_x(plugin):
            plugin(MyPlugin())
    """
    from mentor_dsl import plugins

    names = []

    def register(obj, name: str | None = None):
        names.append(plugins.register(obj, name=name or f"test.{type(obj).__name__}"))
        return obj

    yield register
    for name in names:
        plugins.unregister(name=name)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def tiny_model():
    """A 2-layer Llama with random weights (seed 0): generation tests that need a real
    model but not a trained one."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=61, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                         pad_token_id=0, eos_token_id=1, bos_token_id=2)
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="session")
def bfcl_data():
    """BFCL's data files (the bfcl-eval wheel); tests that need them skip without it."""
    from mentor_dsl.bfcl import find_data_dir
    from mentor_dsl.errors import DataError

    try:
        return find_data_dir()
    except DataError as exc:
        pytest.skip(f"BFCL data not installed ({exc})")
