"""`mentor train`'s configuration: YAML, TOML and JSON files, the `trl` section and `--trl`,
`--print-config`, and the errors of each, without training."""

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from mentor_dsl.cli import cli
from mentor_dsl.errors import ConfigError
from mentor_dsl.plugins import hookimpl
from test_cli_train import Recorder
from mentor_dsl.train.config import TrainConfig


def train(*args: str):
    return CliRunner().invoke(cli, ["train", *args])


def printed(*args: str) -> dict:
    result = train(*args, "--print-config", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def no_weights(monkeypatch):
    """--print-config reads no weights, converts no model and loads no tokenizer."""
    import transformers

    from mentor_dsl import models, student

    def refuse(*_args, **_kwargs):
        raise AssertionError("--print-config loaded a model or tokenizer")

    monkeypatch.setattr(student, "default_student_dir", refuse)
    monkeypatch.setattr(models, "load_tokenizer", refuse)
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", refuse)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", refuse)


RUN_YAML = """\
# A run of the paper's reward with a KL penalty and Dr. GRPO's loss.
reward: mentor
max-steps: 3
trl:
  beta: 0.04
  loss_type: dr_grpo
  scale_rewards: false
"""


def test_a_yaml_trl_section_sets_grpo_fields(tmp_path, no_weights):
    path = tmp_path / "run.yaml"
    path.write_text(RUN_YAML)
    shown = printed("--config", str(path))
    assert shown["trl_config"] == "GRPOConfig"
    trl = shown["trl"]
    # scale_rewards false is TRL's "none"; mentor's max_steps reaches TRL's.
    assert (trl["beta"], trl["loss_type"], trl["scale_rewards"], trl["max_steps"]) == (0.04, "dr_grpo", "none", 3)
    assert shown["mentor"]["trl"] == {"beta": 0.04, "loss_type": "dr_grpo", "scale_rewards": False}
    assert shown["mentor"]["max_steps"] == 3


def test_the_example_run_yaml_sets_grpo_fields(no_weights):
    root = Path(__file__).resolve().parents[1]
    shown = printed("--config", str(root / "examples" / "run.yaml"), "--report-to", "none")
    trl = shown["trl"]
    assert (trl["beta"], trl["loss_type"], trl["scale_rewards"]) == (0.04, "dr_grpo", "none")
    assert (trl["max_steps"], trl["num_generations"]) == (200, 8)


def test_print_config_is_yaml_by_default_and_complete(tmp_path, no_weights):
    path = tmp_path / "run.yaml"
    path.write_text(RUN_YAML)
    result = train("--config", str(path), "--print-config")
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert set(shown) == {"mentor", "trl_config", "trl"}
    assert set(shown["mentor"]) == set(TrainConfig.model_fields)
    from dataclasses import fields

    from trl import GRPOConfig

    # Every field of TRL's class, resolved (TRL's own defaults included).
    assert {f.name for f in fields(GRPOConfig) if f.init} <= set(shown["trl"])
    assert shown["trl"]["beta"] == 0.04 and shown["trl"]["epsilon"] == GRPOConfig.epsilon


def test_the_same_run_in_toml_and_json(tmp_path, no_weights):
    toml = tmp_path / "run.toml"
    toml.write_text('max_steps = 3\n[trl]\nbeta = 0.04\nloss_type = "dr_grpo"\nscale_rewards = false\n')
    as_json = tmp_path / "run.json"
    as_json.write_text(json.dumps({"max_steps": 3, "trl": {"beta": 0.04, "loss_type": "dr_grpo",
                                                           "scale_rewards": False}}))
    yml = tmp_path / "run.yml"
    yml.write_text(RUN_YAML)
    assert printed("--config", str(toml)) == printed("--config", str(as_json)) == printed("--config", str(yml))


def test_trl_flags_override_the_file_and_read_values_as_yaml(tmp_path, no_weights):
    path = tmp_path / "run.yaml"
    path.write_text(RUN_YAML)
    trl = printed("--config", str(path), "--trl", "beta=0.1", "--trl", "reward_weights=[1.0]",
                  "--trl", "gradient_checkpointing=true", "--trl", "lr_scheduler_type=cosine")["trl"]
    assert trl["beta"] == 0.1 and trl["loss_type"] == "dr_grpo"  # the file's, where no flag says otherwise
    assert trl["reward_weights"] == [1.0] and trl["gradient_checkpointing"] is True
    assert trl["lr_scheduler_type"] == "cosine"


def test_precedence_defaults_file_flags(tmp_path, no_weights):
    path = tmp_path / "run.yaml"
    path.write_text("max_steps: 50\nlearning_rate: 2e-6\n")  # YAML reads 2e-6 as text: still a number here
    shown = printed("--config", str(path), "--max-steps", "3")
    assert shown["mentor"]["max_steps"] == 3 and shown["trl"]["max_steps"] == 3
    assert shown["mentor"]["learning_rate"] == 2e-6 and shown["trl"]["learning_rate"] == 2e-6
    assert shown["mentor"]["num_generations"] == 4 and shown["trl"]["num_generations"] == 4


def test_trackers_and_run_name_reach_trl(no_weights):
    trl = printed("--report-to", "none", "--run-name", "f1-beta")["trl"]
    assert trl["run_name"] == "f1-beta" and trl["report_to"] == []
    assert printed()["trl"]["report_to"] == []  # none unless asked


def test_model_init_kwargs_add_to_mentors(no_weights):
    shown = printed("--dtype", "float32", "--trl", 'model_init_kwargs={"low_cpu_mem_usage": true}')["trl"]
    assert shown["model_init_kwargs"]["dtype"] == "float32"
    assert shown["model_init_kwargs"]["low_cpu_mem_usage"] is True


def test_sft_takes_sft_fields(no_weights):
    shown = printed("--trainer", "sft", "--trl", "packing=true")
    assert shown["trl_config"] == "SFTConfig" and shown["trl"]["packing"] is True
    result = train("--trainer", "sft", "--trl", "beta=0.1", "--print-config")
    assert result.exit_code == 2 and "unknown SFTConfig field 'beta'" in result.output


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("trl:\n  loss_typ: grpo\n", "trl: unknown GRPOConfig field 'loss_typ'; did you mean 'loss_type'?"),
    ("trl:\n  beta: lots\n", "trl: beta: Input should be a valid number"),
    ("trl:\n  loss_type: grpoo\n", "trl: loss_type: expected one of 'grpo', 'dr_grpo'"),
    ("trl:\n  scale_rewards: sometimes\n", "trl: scale_rewards: expected one of 'group', 'batch', 'none'"),
    ("trl:\n  max_steps: 3\n", "trl: max_steps is set by mentor's `max_steps` option (--max-steps)"),
    ("trl:\n  per_device_train_batch_size: 8\n",
     "trl: per_device_train_batch_size is set by mentor's `per_device_batch_size` option"),
    ("beta: 0.04\n", "unknown option 'beta'; did you mean `trl: beta`?"),
    ("loss-type: grpo\n", "unknown option 'loss_type'; did you mean `trl: loss_type`?"),
    ("epsilon: 0.3\nscale_rewards: batch\n", "unknown option 'scale_rewards'; did you mean `trl: scale_rewards`?"),
    ("max_step: 3\n", "unknown option 'max_step'; did you mean 'max_steps'?"),
    ("max_steps: many\n", "max_steps: Input should be a valid integer"),
    ("max_steps: 0\n", "max_steps: Input should be greater than or equal to 1 (got 0)"),
    ("trl: 3\n", "trl: Input should be a valid dictionary (got 3)"),
    ("max_steps: [3\n", "run.yaml:2:1: invalid YAML"),
    ("- max_steps\n", "a config file holds a table of options, not list"),
    ("report_to: tensorbord\n", "report_to: unknown tracker 'tensorbord'; did you mean 'tensorboard'?"),
])
def test_config_errors_are_usage_errors_that_name_the_field(tmp_path, no_weights, text, message):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    result = train("--config", str(path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_trl_flag_errors(no_weights):
    result = train("--trl", "beta")
    assert result.exit_code == 2 and "expected NAME=VALUE" in result.output
    result = train("--trl", "num_iterations=two")
    assert result.exit_code == 2 and "trl: num_iterations: Input should be a valid integer" in result.output
    result = train("--trl", "temperature=0.5")
    assert result.exit_code == 2 and "set by mentor's `temperature` option (--temperature)" in result.output


def test_a_typo_in_extra_is_a_usage_error_not_a_bug(tmp_path, no_weights):
    # Before, `extra` went straight into GRPOConfig(**...): a TypeError, "internal error", exit 70.
    path = tmp_path / "run.toml"
    path.write_text("[extra]\nbtea = 0.04\n")
    result = train("--config", str(path))
    assert result.exit_code == 2, result.output
    assert "extra: unknown GRPOConfig field 'btea'; did you mean 'beta'?" in result.output


def test_extra_is_a_deprecated_spelling_of_trl(tmp_path, no_weights):
    path = tmp_path / "run.toml"
    path.write_text('[extra]\nbeta = 0.04\nvllm_mode = "server"\n[trl]\nbeta = 0.1\n')
    result = train("--config", str(path), "--print-config", "--json")
    assert result.exit_code == 0, result.output
    assert "warning: `extra` is deprecated for trainer 'grpo'" in result.stderr
    trl = json.loads(result.stdout)["trl"]
    assert trl["beta"] == 0.1 and trl["vllm_mode"] == "server"  # `trl` wins over `extra`


def test_unknown_config_suffix(tmp_path):
    path = tmp_path / "run.cfg"
    path.write_text("max_steps: 3\n")
    result = train("--config", str(path))
    assert result.exit_code == 2 and "a config file is YAML (.yaml, .yml), TOML (.toml) or JSON (.json)" in result.output


def test_json_needs_print_config():
    result = train("--json")
    assert result.exit_code == 2 and "--json goes with --print-config" in result.output


# -- plugin trainers (test_cli_train's recording trainer) -------------------------------------------


def test_a_plugin_trainer_gets_overwrite_trackers_and_its_extra(plugin, tmp_path):
    Recorder.configs.clear()
    plugin(Recorder())
    path = tmp_path / "run.yaml"
    path.write_text("trainer: fake\nextra:\n  anything: [1, 2]\n")
    result = train("--config", str(path), "--overwrite", "--report-to", "tensorboard,wandb", "--run-name", "r1")
    assert result.exit_code == 0, result.output
    (config,) = Recorder.configs
    assert config.overwrite is True and config.extra == {"anything": [1, 2]}  # extra: the plugin's own
    assert config.report_to == ["tensorboard", "wandb"] and config.run_name == "r1"
    assert "deprecated" not in result.output
    shown = printed("--config", str(path))
    assert set(shown) == {"mentor"}  # no TRL configuration declared


class DeclaresGRPOConfig:
    """A plugin trainer built on GRPOConfig that declares the class but builds its own."""

    ran = []

    @hookimpl
    def register_trainers(self, register):
        def variant(config):
            DeclaresGRPOConfig.ran.append(config)
            return config.output_dir

        variant.trl_config = "trl:GRPOConfig"
        register("variant", variant)


def test_a_plugin_trainers_trl_section_is_checked_against_its_declared_class(plugin, tmp_path):
    DeclaresGRPOConfig.ran.clear()
    plugin(DeclaresGRPOConfig())
    result = train("--trainer", "variant", "--trl", "loss_typ=dapo")
    assert result.exit_code == 2, result.output
    assert "trl: unknown GRPOConfig field 'loss_typ'; did you mean 'loss_type'?" in result.output
    assert DeclaresGRPOConfig.ran == []  # refused before the trainer ran
    shown = printed("--trainer", "variant", "--trl", "loss_type=dapo", "--trl", "beta=0.1")
    assert shown["trl_config"] == "GRPOConfig" and shown["trl"] == {"loss_type": "dapo", "beta": 0.1}
    path = tmp_path / "run.yaml"
    path.write_text("trainer: variant\nepsilon: 0.3\n")
    result = train("--config", str(path))
    assert result.exit_code == 2 and "unknown option 'epsilon'; did you mean `trl: epsilon`?" in result.output
    result = train("--trainer", "variant", "--trl", "beta=0.1", "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (config,) = DeclaresGRPOConfig.ran
    assert config.trl == {"beta": 0.1}  # converted to the field's type: the trainer gets a number


# -- the model ----------------------------------------------------------------------------------

def test_train_config_is_checked_on_construction_and_assignment(tmp_path):
    config = TrainConfig(output_dir=tmp_path / "run", max_steps=2)  # a Path is as good as its text
    assert config.output_dir == str(tmp_path / "run") and config.max_steps == 2
    with pytest.raises(ValueError, match="max_steps"):
        config.max_steps = 0
    with pytest.raises(ValueError, match="max_stpes"):
        TrainConfig(max_stpes=2)
    assert TrainConfig(**config.to_json()) == config
    with pytest.raises(ConfigError, match="unknown option 'beta'; did you mean `trl: beta`"):
        from trl import GRPOConfig

        TrainConfig.from_values({"beta": 0.1}, trl_config=GRPOConfig)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10**6), st.floats(1e-9, 1.0), st.sampled_from(["true", "false", "yes", "no", "1", "0"]))
def test_trl_values_from_the_command_line_take_their_fields_type(steps, beta, flag):
    from trl import GRPOConfig

    from mentor_dsl.train.trl_options import check_trl

    checked = check_trl(GRPOConfig, {"num_iterations": str(steps), "beta": repr(beta), "log_completions": flag})
    assert checked["num_iterations"] == steps and checked["beta"] == beta
    assert checked["log_completions"] is (flag in ("true", "yes", "1"))


def test_every_choice_is_one_trl_documents():
    """The choices mentor checks early are the ones the installed TRL's help text lists."""
    from dataclasses import fields

    from trl import GRPOConfig

    from mentor_dsl.train.trl_options import CHOICES, MIRRORED

    help_text = {f.name: f.metadata.get("help", "") for f in fields(GRPOConfig)}
    for name, values in CHOICES.items():
        for value in values:
            assert re.search(rf"[`']{value}[`']", help_text[name]), (name, value)
    for trl_field, option in MIRRORED.items():
        assert trl_field in help_text and option in TrainConfig.model_fields


def test_trl_arguments_need_no_session():
    from mentor_dsl.train.grpo import grpo_arguments

    config = TrainConfig(trl={"beta": 0.04, "model_init_kwargs": {"low_cpu_mem_usage": True}}, keep_checkpoints=0)
    args = grpo_arguments(config, {"dtype": "float32", "local_files_only": True})
    assert args.beta == 0.04 and args.save_strategy == "no" and args.num_generations == 4
    assert args.model_init_kwargs == {"dtype": "float32", "local_files_only": True, "low_cpu_mem_usage": True}
