"""`mentor train`: train a student with a compiled reward."""

from __future__ import annotations

from dataclasses import fields

import click
from click.core import ParameterSource

from ..errors import TrainingError, did_you_mean
from ..plugins import registry
from ..train.config import TrainConfig
from .options import parse_set, parse_tool_limits, set_option, tool_limit_option

@click.command("train")
@click.option("--reward", help="Reward spec: a file, a library name, or FILE::REWARD [default: mentor].")
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
@click.option("--resume", is_flag=True, default=None, help="Continue from the latest checkpoint in --output-dir.")
@click.option("--overwrite", is_flag=True, help="Replace a previous run in --output-dir.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A JSON or TOML file of these options; flags override it.")
@set_option
@tool_limit_option
@click.pass_context
def train_command(ctx: click.Context, config_file: str | None, overrides: tuple[str, ...], overwrite: bool,
                  tool_limits: tuple[str, ...], **flags) -> None:
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
    out = run(config)
    click.echo(f"done: {out}")
