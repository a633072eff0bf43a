"""`mentor train`: train a student with a compiled reward."""

from __future__ import annotations

import json
import os

import click
from click.core import ParameterSource

from ..errors import ConfigError, MentorError, TrainingError, did_you_mean
from ..models import DTYPES
from ..plugins import registry
from ..train.config import TrainConfig, read_config_file
from ..train.options import resolve as resolve_options
from .options import parse_set, parse_tool_limits, parse_trainer_options, parse_trl, set_option, tool_limit_option


@click.command("train")
@click.option(
    "--reward",
    help="Reward spec: a file, a library name, or FILE::REWARD [default: the spec a plugin's "
    "built-in split names (builtin:dates_train: mentor-dates' dates.mdsl), else mentor].",
)
@click.option(
    "--model",
    help="'default' (the embedded SmolLM2-135M-Instruct), a model directory, a training run, "
    "or a Hub id org/name[@revision].",
)
@click.option(
    "--dtype",
    type=click.Choice(DTYPES),
    help="Weights' dtype [default: auto: bfloat16 on a GPU that supports it, else float32].",
)
@click.option(
    "--mixed-precision",
    type=click.Choice(["auto", "bf16", "fp16", "no"]),
    help="Autocast for the forward, backward and generation [default: auto: bf16 on a GPU that has it, none on a CPU].",
)
@click.option("--attn-implementation", help="transformers' attention kernel: sdpa, eager, flash_attention_2, ...")
@click.option(
    "--call-format",
    help="Tool-call format [default: the spec's option call_format, else the chat "
    "template's: hermes, llama_json, mistral].",
)
@click.option(
    "--data",
    help="builtin:SPLIT, a file (JSONL, JSON, parquet, CSV), a datasets folder, or a Hub dataset "
    "id org/name[:split] [default: builtin:train].",
)
@click.option("--trainer", help="A registered trainer: grpo (default) or sft; see `mentor plugins`.")
@click.option("--output-dir", help="Where checkpoints, metrics.jsonl and the final model go [default: runs/mentor].")
@click.option("--max-steps", type=click.IntRange(1))
@click.option("--num-generations", type=click.IntRange(2), help="Completions per prompt (the GRPO group).")
@click.option("--per-device-batch-size", type=click.IntRange(1))
@click.option("--max-completion-length", type=click.IntRange(8), help="Tokens per rollout, tool responses included.")
@click.option("--max-turns", type=click.IntRange(1), help="Model turns per rollout (tool calls in between).")
@click.option("--learning-rate", type=float)
@click.option("--temperature", type=float)
@click.option("--lora/--no-lora", default=None, help="Train LoRA adapters (peft) instead of all weights.")
@click.option("--seed", type=int)
@click.option("--save-steps", type=click.IntRange(1))
@click.option(
    "--keep-checkpoints",
    type=click.IntRange(0),
    help="Checkpoints kept, the latest ones [default: 2]; 0 keeps none and the run cannot resume.",
)
@click.option("--use-vllm/--no-use-vllm", default=None, help="Generate with vLLM through TRL (GPU).")
@click.option(
    "--shared-prefix/--no-shared-prefix",
    default=None,
    help="Compute a batch's shared prompt once in the log-prob forwards [default: on; off with gradient "
    "checkpointing].",
)
@click.option(
    "--save-rollouts",
    type=click.IntRange(0),
    metavar="N",
    help="Write the rollouts of step 1 and every Nth step after it (prompt, completion, calls, tool "
    "results, reward and terms) to OUTPUT_DIR/rollouts.jsonl [default: 0, none].",
)
@click.option("--resume", is_flag=True, default=None, help="Continue from the latest checkpoint in --output-dir.")
@click.option("--overwrite", is_flag=True, default=None, help="Replace a previous run in --output-dir.")
@click.option(
    "--report-to",
    metavar="TRACKERS",
    help="Trackers that get every metric, as transformers names them: none (default), all (the installed "
    "ones), or names separated by commas: tensorboard, wandb, trackio, mlflow, ...",
)
@click.option("--run-name", help="The run's name in the trackers.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A YAML, TOML or JSON file of these options and a `trl` section; flags override it.",
)
@click.option(
    "--trl",
    "trl_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A field of the trainer's TRL configuration (GRPOConfig, SFTConfig), e.g. beta=0.04 "
    "(repeatable; VALUE is read as YAML). Overrides the config file's `trl` section.",
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print the resolved configuration, mentor's options and TRL's, as YAML and exit without training.",
)
@click.option("--json", "as_json", is_flag=True, help="With --print-config: print JSON instead of YAML.")
@click.option(
    "--trainer-option",
    "trainer_options",
    multiple=True,
    metavar="NAME=VALUE",
    help="An option the --trainer declares (repeatable); see its documentation.",
)
@set_option
@tool_limit_option
@click.pass_context
def train_command(
    ctx: click.Context,
    config_file: str | None,
    overrides: tuple[str, ...],
    tool_limits: tuple[str, ...],
    trl_pairs: tuple[str, ...],
    trainer_options: tuple[str, ...],
    print_config: bool,
    as_json: bool,
    **flags,
) -> None:
    """Train a student with GRPO (or another registered trainer) and a compiled reward spec.

    With no options it trains the embedded student on the built-in tasks with CPU-sized
    defaults and rewards/mentor.mdsl, writing runs/mentor/."""
    from ..train.trl_options import checked, config_class, resolved

    if as_json and not print_config:
        raise click.UsageError("--json goes with --print-config")
    # Lowest first: TrainConfig's defaults, the config file, the flags.
    values = read_config_file(config_file) if config_file else {}
    for name, value in flags.items():
        if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE or (value is not None and name not in values):
            if value is not None:
                values[name] = value
    if overrides:
        values["params"] = {**_table(values, "params"), **parse_set(overrides)}
    if tool_limits:
        values["tool_limits"] = {**_table(values, "tool_limits"), **parse_tool_limits(tool_limits)}
    if trl_pairs:
        values["trl"] = {**_table(values, "trl"), **parse_trl(trl_pairs)}
    if trainer_options:
        values["trainer_options"] = {**_table(values, "trainer_options"), **parse_trainer_options(trainer_options)}
    if values.get("reward") is None:  # a plugin's split names the reward of its domain
        from ..data.splits import default_reward

        data = values.get("data")
        values["reward"] = (default_reward(data) if isinstance(data, str) else None) or TrainConfig.model_fields[
            "reward"
        ].default
    name = values.get("trainer", TrainConfig.model_fields["trainer"].default)
    trainers = registry()
    run = trainers.get("trainers", name) if isinstance(name, str) else None
    if run is None:
        names = trainers.names("trainers")
        raise TrainingError(f"unknown trainer {name!r}{did_you_mean(str(name), names)} (trainers: {', '.join(names)})")
    config = TrainConfig.from_values(values, source=config_file, trl_config=config_class(run))
    # The `trl` section is checked, and the trainer's TRL configuration built, now (no
    # weights are read): a bad value fails before any data, model or reward is loaded.
    config = checked(config, run)
    config = config.model_copy(update={"trainer_options": resolve_options(config.trainer, run, config.trainer_options)})
    shown = resolved(config, run)
    if print_config:
        click.echo(json.dumps(shown, indent=2) if as_json else _yaml(shown), nl=as_json)
        return
    out = run_trainer(config.trainer, run, config, trainers.items["trainers"][config.trainer].plugin)
    click.echo(f"done: {out}")


def run_trainer(name: str, run, config: TrainConfig, plugin: str):
    """Run a registered trainer. A plugin trainer's unexpected exception is its plugin's
    failure, reported naming it (exit 7), not a bug in mentor (70)."""
    from ..plugins import BUILTIN_PLUGINS

    try:
        return run(config)
    except (MentorError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if plugin in BUILTIN_PLUGINS or os.environ.get("MENTOR_DEBUG"):
            raise
        raise TrainingError(
            f"trainer {name!r} of plugin {plugin!r} failed: {type(exc).__name__}: {exc} "
            "(a bug in the plugin; MENTOR_DEBUG=1 shows the traceback)"
        ) from exc


def _table(values: dict, key: str) -> dict:
    """A section of the config file that flags add to."""
    table = values.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: expected a table of NAME: VALUE, got {json.dumps(table, default=str)}")
    return table


def _yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
