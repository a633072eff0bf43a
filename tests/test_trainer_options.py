"""A plugin trainer's own options (`train/options.py`) and its failures: options in their
own namespace, checked and converted; an unexpected exception names the plugin, exit 7."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli
from mentor_dsl.errors import MentorError, TrainingError
from mentor_dsl.plugins import hookimpl, registry
from mentor_dsl.train.config import TrainConfig
from mentor_dsl.train.options import Trainer, TrainerOption, resolve


def _write(config: TrainConfig) -> Path:
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "seen.json").write_text(json.dumps({"trainer_options": config.trainer_options, "extra": config.extra}))
    return out


class OptionsTrainer:
    @hookimpl
    def register_trainers(self, register):
        register(Trainer("opts", _write, options=(
            TrainerOption("beams", int, 1, doc="how many"),
            TrainerOption("verbose", bool, False),
            TrainerOption("mode", str, "fast", choices=("fast", "slow")),
        )))


def _boom(config):
    raise ValueError("the plugin's own bug")


class BrokenTrainer:
    @hookimpl
    def register_trainers(self, register):
        register("boom", _boom)


def train(*args):
    return CliRunner().invoke(cli, ["train", *args])


def test_declared_options_reach_the_trainer_checked_and_converted(plugin, tmp_path):
    plugin(OptionsTrainer(), name="acme")
    result = train("--trainer", "opts", "--output-dir", str(tmp_path / "a"),
                   "--trainer-option", "beams=4", "--trainer-option", "verbose=yes")
    assert result.exit_code == 0, result.output
    seen = json.loads((tmp_path / "a" / "seen.json").read_text())
    assert seen["trainer_options"] == {"beams": 4, "verbose": True, "mode": "fast"} and seen["extra"] == {}


def test_options_from_a_config_file(plugin, tmp_path):
    plugin(OptionsTrainer(), name="acme")
    config = tmp_path / "run.toml"
    config.write_text(f'trainer = "opts"\noutput_dir = "{tmp_path / "b"}"\n[trainer_options]\nmode = "slow"\n')
    result = train("--config", str(config))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "b" / "seen.json").read_text())["trainer_options"]["mode"] == "slow"


@pytest.mark.parametrize("option, message", [
    ("beam=2", "trainer 'opts' has no option 'beam'; did you mean 'beams'?"),
    ("beams=two", "option beams='two': expected an integer"),
    ("mode=medium", "expected one of 'fast', 'slow'"),
])
def test_bad_options_are_named_before_training(plugin, tmp_path, option, message):
    plugin(OptionsTrainer(), name="acme")
    result = train("--trainer", "opts", "--output-dir", str(tmp_path / "c"), "--trainer-option", option)
    assert result.exit_code == TrainingError.exit_code == 7
    assert message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "c").exists()


def test_builtin_trainers_take_no_options(tmp_path):
    result = train("--output-dir", str(tmp_path / "d"), "--trainer-option", "temperature=0.5")
    assert result.exit_code == 7 and "trainer 'grpo' has no option 'temperature'" in result.stderr
    assert "it takes none" in result.stderr


def test_a_plugin_trainers_exception_names_the_plugin_and_exits_7(plugin, tmp_path):
    plugin(BrokenTrainer(), name="acme")
    result = train("--trainer", "boom", "--output-dir", str(tmp_path / "e"))
    assert result.exit_code == 7, result.output
    assert "trainer 'boom' of plugin 'acme' failed: ValueError: the plugin's own bug" in result.stderr
    assert "internal error" not in result.output


def test_resolve_and_declarations():
    trainer = registry().get("trainers", "grpo")
    assert isinstance(trainer, Trainer) and trainer.options == ()
    assert resolve("grpo", trainer, {}) == {}
    with pytest.raises(MentorError, match="distinct names"):
        Trainer("x", _write, options=(TrainerOption("a"), TrainerOption("a")))
    with pytest.raises(MentorError, match="must be bool, int, float or str"):
        TrainerOption("a", list)


def test_an_option_in_extra_that_trl_does_not_know_is_named_not_a_bug(tmp_path):
    """`extra` goes to GRPOConfig: a name it does not have used to be a TypeError there
    (exit 70, "this is a bug"); it is a usage error naming the field (exit 2)."""
    from mentor_dsl.data import load_split, save_jsonl

    data = tmp_path / "tasks.jsonl"
    save_jsonl(load_split("test", 2), data)
    config = tmp_path / "run.toml"
    config.write_text(f'data = "{data}"\noutput_dir = "{tmp_path / "f"}"\n[extra]\nbeams = 2\nlogging_stratgy = "no"\n')
    result = train("--config", str(config))
    assert result.exit_code == 2, result.output
    assert "extra: unknown GRPOConfig field 'beams'" in result.stderr and "--trainer-option" in result.stderr
    assert "Traceback" not in result.output and "bug" not in result.output
