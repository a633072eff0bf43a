"""`mentor train` option handling, without training: a fake trainer records its config."""

import json

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli
from mentor_dsl.plugins import hookimpl


class Recorder:
    configs = []

    @hookimpl
    def register_trainers(self, register):
        def fake(config):
            Recorder.configs.append(config)
            return config.output_dir

        register("fake", fake)


@pytest.fixture
def recorder(plugin):
    Recorder.configs.clear()
    plugin(Recorder())
    return Recorder.configs


def test_defaults(recorder):
    result = CliRunner().invoke(cli, ["train", "--trainer", "fake"])
    assert result.exit_code == 0, result.output
    (config,) = recorder
    assert (config.reward, config.model, config.data, config.max_steps) == ("mentor", "default", "builtin:train", 5)


def test_flags_override_the_config_file(recorder, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('reward = "mentor_f1"\nmax_steps = 50\nlearning_rate = 2e-6\nlora = true\n'
                    'trainer = "fake"\n[params]\nw = 1\n')
    result = CliRunner().invoke(cli, ["train", "--config", str(path), "--max-steps", "3", "--set", "x=2",
                                      "--num-generations", "8"])
    assert result.exit_code == 0, result.output
    (config,) = recorder
    assert config.reward == "mentor_f1" and config.max_steps == 3 and config.learning_rate == 2e-6
    assert config.lora is True and config.num_generations == 8 and config.params == {"w": 1, "x": "2"}


def test_keep_checkpoints_reaches_the_trainer_arguments(recorder):
    from mentor_dsl.train.grpo import grpo_args

    result = CliRunner().invoke(cli, ["train", "--trainer", "fake", "--keep-checkpoints", "0"])
    assert result.exit_code == 0, result.output
    from types import SimpleNamespace

    none = grpo_args(SimpleNamespace(config=recorder[0], model_kwargs={"dtype": "float32"}))
    assert recorder[0].keep_checkpoints == 0 and none.save_strategy == "no"
    CliRunner().invoke(cli, ["train", "--trainer", "fake"])
    kept = grpo_args(SimpleNamespace(config=recorder[1], model_kwargs={"dtype": "float32"}))
    assert kept.save_strategy == "steps" and kept.save_total_limit == 2


def test_json_config_and_unknown_keys(recorder, tmp_path):
    good = tmp_path / "run.json"
    good.write_text(json.dumps({"trainer": "fake", "max-turns": 2}))
    assert CliRunner().invoke(cli, ["train", "--config", str(good)]).exit_code == 0
    assert recorder[0].max_turns == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"trainer": "fake", "max_stpes": 2}))
    result = CliRunner().invoke(cli, ["train", "--config", str(bad)])
    # A usage error (2), as an unknown flag is, with the option it was probably meant to be.
    assert result.exit_code == 2
    assert f"{bad}: unknown option 'max_stpes'; did you mean 'max_steps'?" in result.output


def test_unknown_trainer():
    result = CliRunner().invoke(cli, ["train", "--trainer", "grop"])
    assert result.exit_code == 7 and "unknown trainer 'grop'; did you mean 'grpo'?" in result.output


def test_bad_model_and_data_are_clean_errors(tmp_path):
    result = CliRunner().invoke(cli, ["train", "--model", str(tmp_path), "--output-dir", str(tmp_path / "o")])
    assert result.exit_code == 4 and "not a transformers model directory" in result.output
    result = CliRunner().invoke(cli, ["train", "--data", "builtin:nope", "--output-dir", str(tmp_path / "o")])
    assert result.exit_code == 4 and "nope" in result.output
