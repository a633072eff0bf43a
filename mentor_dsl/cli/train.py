"""`mentor train`: train a student with a compiled reward."""

from __future__ import annotations

import os
from dataclasses import fields

import click
from click.core import ParameterSource

from ..errors import MentorError, TrainingError, did_you_mean
from ..plugins import registry
from ..train.config import TrainConfig
from ..train.options import resolve as resolve_options
from .options import parse_set, parse_tool_limits, parse_trainer_options, set_option, tool_limit_option

@click.command("train")
@click.option("--reward", help="Reward spec: a file, a library name, or FILE::REWARD [default: the spec a plugin's "
                               "built-in split names (builtin:dates_train: mentor-dates' dates.mdsl), else mentor].")
@click.option("--model", help="'default' (the embedded SmolLM2-135M-Instruct), a model directory, a training run, "
                              "or a Hub id org/name[@revision].")
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float16", "float32"]),
              help="Weights' dtype [default: auto: bfloat16 on a GPU that supports it, else float32].")
@click.option("--mixed-precision", type=click.Choice(["auto", "bf16", "fp16", "no"]),
              help="Autocast for the forward, backward and generation [default: auto: bf16 on a GPU that has it, "
                   "none on a CPU].")
@click.option("--attn-implementation", help="transformers' attention kernel: sdpa, eager, flash_attention_2, ...")
@click.option("--call-format", help="Tool-call format [default: the spec's option call_format, else the chat "
                                    "template's: hermes, llama_json, mistral].")
@click.option("--data", help="builtin:SPLIT, a file (JSONL, JSON, parquet, CSV), a datasets folder, or a Hub dataset "
                             "id org/name[:split] [default: builtin:train].")
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
@click.option("--keep-checkpoints", type=click.IntRange(0),
              help="Checkpoints kept, the latest ones [default: 2]; 0 keeps none and the run cannot resume.")
@click.option("--use-vllm/--no-use-vllm", default=None, help="Generate with vLLM through TRL (GPU).")
@click.option("--shared-prefix/--no-shared-prefix", default=None,
              help="Compute a batch's shared prompt once in the log-prob forwards [default: on; off with gradient "
                   "checkpointing].")
@click.option("--save-rollouts", type=click.IntRange(0), metavar="N",
              help="Write the rollouts of step 1 and every Nth step after it (prompt, completion, calls, tool "
                   "results, reward and terms) to OUTPUT_DIR/rollouts.jsonl [default: 0, none].")
@click.option("--resume", is_flag=True, default=None, help="Continue from the latest checkpoint in --output-dir.")
@click.option("--overwrite", is_flag=True, help="Replace a previous run in --output-dir.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A JSON or TOML file of these options; flags override it.")
@click.option("--trainer-option", "trainer_options", multiple=True, metavar="NAME=VALUE",
              help="An option the --trainer declares (repeatable); see its documentation.")
@set_option
@tool_limit_option
@click.pass_context
def train_command(ctx: click.Context, config_file: str | None, overrides: tuple[str, ...], overwrite: bool,
                  tool_limits: tuple[str, ...], trainer_options: tuple[str, ...], **flags) -> None:
    """Train a student with GRPO (or another registered trainer) and a compiled reward spec.

    With no options it trains the embedded student on the built-in tasks with CPU-sized
    defaults and rewards/mentor.mdsl, writing runs/mentor/."""
    values = TrainConfig.from_file(config_file) if config_file else {}
    for name, value in flags.items():
        if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE or (value is not None and name not in values):
            if value is not None:
                values[name] = value
    if overrides:
        values["params"] = {**values.get("params", {}), **parse_set(overrides)}
    if tool_limits:
        values["tool_limits"] = {**values.get("tool_limits", {}), **parse_tool_limits(tool_limits)}
    if trainer_options:
        values["trainer_options"] = {**values.get("trainer_options", {}), **parse_trainer_options(trainer_options)}
    if values.get("reward") is None:  # a plugin's split names the reward of its domain
        from ..data.splits import default_reward

        values["reward"] = default_reward(values.get("data")) or TrainConfig.reward
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in values.items() if k in known})
    if overwrite:
        config.extra["overwrite"] = True
    trainers = registry()
    run = trainers.get("trainers", config.trainer)
    if run is None:
        names = trainers.names("trainers")
        raise TrainingError(f"unknown trainer {config.trainer!r}{did_you_mean(config.trainer, names)} "
                            f"(trainers: {', '.join(names)})")
    config.trainer_options = resolve_options(config.trainer, run, config.trainer_options)
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
        raise TrainingError(f"trainer {name!r} of plugin {plugin!r} failed: {type(exc).__name__}: {exc} "
                            "(a bug in the plugin; MENTOR_DEBUG=1 shows the traceback)") from exc
