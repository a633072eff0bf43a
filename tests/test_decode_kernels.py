"""The decode kernels of the transformers generator (rollouts/cache.py, rollouts/linears.py):
they change how a token is computed, never what."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import DynamicCache, GenerationConfig, LlamaForCausalLM
from transformers.cache_utils import DynamicLayer

from mentor_dsl.rollouts import cache as cache_module
from mentor_dsl.rollouts import linears
from mentor_dsl.rollouts.cache import GrowingLayer, growing_cache
from mentor_dsl.rollouts.hf import HFGenerator
from mentor_dsl.rollouts.linears import OneDNNLinears
from test_evaluation import _PadOnly

needs_onednn = pytest.mark.skipif(not linears.available(), reason="no oneDNN linear kernel on this machine")


# -- the growing cache ------------------------------------------------------------------------------

def _states(rows, length, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, 2, length, 4, generator=g), torch.randn(rows, 2, length, 4, generator=g)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 40)),
        st.tuples(st.just("crop"), st.integers(1, 5)),
        st.tuples(st.just("select"), st.just(None)),
        st.tuples(st.just("repeat"), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_the_growing_layer_holds_what_concatenation_holds(ops):
    grown, plain = GrowingLayer(), DynamicLayer()
    rows = 2
    for step, (op, arg) in enumerate(ops):
        empty = plain.get_seq_length() == 0
        if op == "append" or empty:
            keys, values = _states(rows, arg if op == "append" else 3, step)
            got, want = grown.update(keys, values), plain.update(keys, values)
            assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
        elif op == "crop":
            cut = min(arg, plain.get_seq_length())
            grown.crop(-cut)
            plain.crop(-cut)
        elif op == "select":
            index = torch.tensor([rows - 1] + list(range(rows - 1)))
            grown.batch_select_indices(index)
            plain.batch_select_indices(index)
        else:
            grown.batch_repeat_interleave(arg)
            plain.batch_repeat_interleave(arg)
            rows *= arg if not empty else 1
        rows = plain.keys.shape[0] if plain.get_seq_length() else rows
        assert grown.get_seq_length() == plain.get_seq_length()
        if plain.get_seq_length():
            assert torch.equal(grown.keys, plain.keys) and torch.equal(grown.values, plain.values)


def test_appending_a_token_writes_it_in_place():
    layer = GrowingLayer()
    layer.update(*_states(3, 100, 0))
    buffers = layer._buffers
    for step in range(cache_module.SPARE):
        layer.update(*_states(3, 1, step + 1))
        assert layer._buffers is buffers  # no copy while there is room
        assert layer.keys._base is buffers[0]
    layer.update(*_states(3, 1, 999))
    assert layer._buffers is not buffers and layer.get_seq_length() == 100 + cache_module.SPARE + 1


def test_growing_cache_keeps_special_layers():
    from transformers import Qwen2Config

    config = Qwen2Config(num_hidden_layers=3, hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                         intermediate_size=64, vocab_size=50, use_sliding_window=True, sliding_window=8,
                         max_window_layers=1)
    kinds = [type(layer) for layer in growing_cache(config).layers]
    plain = [type(layer) for layer in DynamicCache(config=config).layers]
    assert kinds == [GrowingLayer if k is DynamicLayer else k for k in plain]
    assert GrowingLayer in kinds and any(k is not GrowingLayer for k in kinds)


# -- the oneDNN linear layers -----------------------------------------------------------------------

@needs_onednn
def test_onednn_linears_compute_what_the_model_computes(tiny_model):
    ids = torch.randint(3, 61, (3, 17), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = tiny_model(input_ids=ids).logits
        fast = OneDNNLinears(tiny_model)
        with fast.active():
            assert all("forward" in m.__dict__ for m in tiny_model.modules() if isinstance(m, torch.nn.Linear))
            got = tiny_model(input_ids=ids).logits
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    assert not any("forward" in m.__dict__ for m in tiny_model.modules())  # restored
    assert fast.reorders == sum(isinstance(m, torch.nn.Linear) for m in tiny_model.modules())


@needs_onednn
def test_a_changed_weight_is_reordered_again_and_only_it(tiny_model):
    model = LlamaForCausalLM(tiny_model.config).eval()
    model.load_state_dict(tiny_model.state_dict())
    ids = torch.randint(3, 61, (2, 9), generator=torch.Generator().manual_seed(2))
    fast = OneDNNLinears(model)
    with torch.no_grad():
        with fast.active():
            model(input_ids=ids)
        first = fast.reorders
        with fast.active():
            model(input_ids=ids)
        assert fast.reorders == first  # unchanged weights are not reordered twice
        model.lm_head.weight.mul_(0.5)  # as an optimiser step does: in place
        want = model(input_ids=ids).logits
        with fast.active():
            got = model(input_ids=ids).logits
    assert fast.reorders == first + 1
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@needs_onednn
def test_gradients_and_autocast_take_the_plain_path(tiny_model):
    linear = tiny_model.model.layers[0].mlp.up_proj
    x = torch.randn(4, 32, requires_grad=True)
    with OneDNNLinears(tiny_model).active():
        y = linear(x)
        assert y.grad_fn is not None
        y.sum().backward()
        assert x.grad is not None
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            assert linear(x).dtype == torch.bfloat16


def test_without_the_kernel_or_memory_nothing_changes(tiny_model, monkeypatch):
    ids = torch.randint(3, 61, (2, 9), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        want = tiny_model(input_ids=ids).logits
        monkeypatch.setattr(linears, "PACK_SHARE", 0.0)  # no memory for a reordered copy
        fast = OneDNNLinears(tiny_model)
        with fast.active():
            got = tiny_model(input_ids=ids).logits
        assert fast.reorders == 0
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        monkeypatch.setattr(linears, "available", lambda: False)
        with fast.active():
            assert not any("forward" in m.__dict__ for m in tiny_model.modules())


# -- the generator ----------------------------------------------------------------------------------

def _rollout(generator, contexts, turns, tool):
    contexts = [list(c) for c in contexts]
    generator.start(contexts)
    for turn in range(turns):
        out = generator.turn(range(len(contexts)), contexts, [6] * len(contexts))
        for context, new in zip(contexts, out):
            context.extend(new.ids)
            if turn < turns - 1:
                context.extend(tool)
    generator.close()
    return contexts


class _Fresh:
    """Today's plain path: every turn a fresh `generate` over the whole conversation."""

    def __init__(self, model, config):
        self.inner = HFGenerator(model, _PadOnly(), config, None, min_prefix=10**9, fast_decode=False)

    def start(self, prompts):
        pass

    def close(self):
        pass

    def turn(self, rows, contexts, budgets):
        self.inner.start(contexts)
        try:
            return self.inner.turn(rows, contexts, budgets)
        finally:
            self.inner.close()


def test_fast_decoding_generates_the_same_multi_turn_tokens(tiny_model):
    config = GenerationConfig(do_sample=False, pad_token_id=0, eos_token_id=[1], min_new_tokens=6)
    prefix = list(range(3, 60)) * 2
    contexts = [prefix + [20, 21], prefix + [30], prefix + [40, 41, 42]]
    tool = [7, 8, 9, 10]
    fast = _rollout(HFGenerator(tiny_model, _PadOnly(), config, None), contexts, 3, tool)
    plain = _rollout(HFGenerator(tiny_model, _PadOnly(), config, None, fast_decode=False), contexts, 3, tool)
    fresh = _rollout(_Fresh(tiny_model, config), contexts, 3, tool)
    assert fast == plain == fresh
    assert all(len(c) > len(prefix) + 3 + 2 * len(tool) + 12 for c in fast)


@pytest.mark.slow
def test_the_embedded_student_decodes_the_same_tokens_fast():
    """A real tool-use prompt, 2 rows, 3 greedy turns with tool tokens between: the fast
    generator gives token for token what fresh generates over the whole conversation give."""
    from mentor_dsl.data import resolve_data
    from mentor_dsl.models import load_model, resolve_model
    from mentor_dsl.plugins import registry
    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.rollouts.loop import greedy_config
    from mentor_dsl.toolsets import resolve_tools

    model, tokenizer = load_model(resolve_model("default"), dtype="float32")
    layout = ChatLayout.for_tokenizer(tokenizer, registry(), generation_config=model.generation_config)
    records = resolve_data("builtin:train", 2)
    contexts = [layout.encode(layout.prompt_text(r["prompt"], resolve_tools(r["tools"][:3], registry())))
                for r in records]
    config = greedy_config(model, tokenizer, layout.end_ids)
    config.min_new_tokens = 6
    tool = layout.encode("\n<tool_response>\n391\n</tool_response>\n")

    class Tokenized(_Fresh):
        def __init__(self):
            self.inner = HFGenerator(model, tokenizer, config, None, min_prefix=10**9, fast_decode=False)

    fast = _rollout(HFGenerator(model, tokenizer, config, None), contexts, 3, tool)
    fresh = _rollout(Tokenized(), contexts, 3, tool)
    assert fast == fresh


def test_nothing_is_reordered_under_autocast(tiny_model):
    fast = OneDNNLinears(tiny_model)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16), fast.active():
        tiny_model(input_ids=torch.tensor([[3, 4, 5]]))
    assert fast.reorders == 0
