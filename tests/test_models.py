"""--model resolution: the embedded student, directories, run folders and Hub ids, offline."""

import pytest

from hub_cache import REPO, REVISION, place_student
from mentor_dsl.errors import DataError
from mentor_dsl.models import RUN_CONFIG, init_kwargs, is_hub_id, load_tokenizer, resolve_dtype, resolve_model


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "hf"


def test_hub_ids_are_told_from_paths():
    assert is_hub_id("Qwen/Qwen2.5-1.5B-Instruct") and is_hub_id("org/name@v1.0")
    assert not is_hub_id("./org/name") and not is_hub_id("/abs/path") and not is_hub_id("a/b/c")
    assert not is_hub_id("default") and not is_hub_id("~/models/x")


def test_an_uncached_hub_id_offline_names_the_id_and_how_to_fetch_it(hub):
    with pytest.raises(DataError) as info:
        resolve_model("Qwen/Qwen2.5-1.5B-Instruct")
    message = str(info.value)
    assert "Qwen/Qwen2.5-1.5B-Instruct" in message and "hf download Qwen/Qwen2.5-1.5B-Instruct" in message
    assert "HF_HUB_OFFLINE" in message and str(hub / "hub") in message


def test_a_cached_hub_id_loads_offline_from_the_cache(hub):
    place_student(hub)
    ref = resolve_model(REPO)
    assert (ref.kind, ref.location, ref.revision) == ("hub", REPO, None)
    tokenizer = load_tokenizer(ref)  # from_pretrained by id, offline, from HF_HOME
    assert tokenizer.eos_token and tokenizer.padding_side == "left"
    kwargs = init_kwargs(ref, "float32")
    assert kwargs["local_files_only"] and kwargs["cache_dir"] == str(hub / "hub") and kwargs["dtype"] == "float32"
    pinned = resolve_model(f"{REPO}@{REVISION}")
    assert pinned.revision == REVISION and load_tokenizer(pinned).eos_token == tokenizer.eos_token
    with pytest.raises(DataError, match="at revision 'nope'"):
        resolve_model(f"{REPO}@nope")


def test_directories_and_run_folders(tmp_path):
    with pytest.raises(DataError, match="no such model directory"):
        resolve_model(tmp_path / "missing")
    with pytest.raises(DataError, match="not a transformers model directory"):
        resolve_model(tmp_path)
    run = tmp_path / "run"
    (run / "checkpoint-3").mkdir(parents=True)
    (run / "checkpoint-3" / "trainer_state.json").write_text("{}")
    (run / RUN_CONFIG).write_text("{}")
    assert resolve_model(run).location == str(run / "checkpoint-3")  # no final model yet: the latest checkpoint
    (run / "model").mkdir()
    (run / "model" / "config.json").write_text("{}")
    assert resolve_model(run).location == str(run / "model")
    assert resolve_model("default").kind == "default"


def test_dtype_auto_is_float32_without_a_gpu():
    assert resolve_dtype("auto") == "float32"  # this machine has no GPU
    assert resolve_dtype("bfloat16") == "bfloat16"
    with pytest.raises(DataError, match="--dtype 'half'"):
        resolve_dtype("half")
