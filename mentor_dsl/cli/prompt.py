"""`mentor prompt`: the exact prompt a student is given for one task, and its length.

    mentor prompt --data builtin:dates_test                 # the first task, the embedded student
    mentor prompt --data tasks.jsonl --line 12 --model Qwen/Qwen2.5-0.5B-Instruct
    mentor prompt --data tasks.jsonl --id q17 --reward my.mdsl

The text is what training, evaluation and the `hf` teacher feed the model: its chat
template applied to the system message (the tools, the call format's instructions), the
few-shot exchanges and the task, as `ChatLayout.prompt_text` renders them, with the tools
and call format chosen by the same rules (`--reward`'s `option tools` and `option
call_format`, a record's own `tools` and `examples`). It goes to stdout as it is; the
token count and what chose the tools go to stderr, so `mentor prompt ... > prompt.txt`
holds the prompt alone.
"""

from __future__ import annotations

import click

from ..errors import DataError, RecordError


def _pick(data: str, record_id: str | None, line: int | None) -> tuple[dict, str]:
    """The record asked for (the first by default) and where it is."""
    from ..data.sources import open_source

    for where, record in open_source(data):
        if line is not None and where.number != line:
            continue
        if isinstance(record, (RecordError, DataError)):
            if line is not None or (record_id is not None and getattr(record, "record_id", None) == record_id):
                raise DataError(f"{where}: {getattr(record, 'message', None) or record}")
            continue
        if record_id is not None and str(record.get("id", where.default_id)) != record_id:
            continue
        if "prompt" not in record:
            raise DataError(f"{where}: the record has no 'prompt'")
        return record, str(where)
    what = (
        f"no record with id {record_id!r}"
        if record_id is not None
        else f"no record at {'line' if line is not None else 'position'} {line}"
        if line is not None
        else "no records"
    )
    raise DataError(f"{data}: {what}")


@click.command("prompt")
@click.option(
    "--data",
    required=True,
    help="Task records: builtin:SPLIT, a .jsonl, .json, .parquet or .csv file, "
    "a datasets folder or a Hub dataset (any form --data takes).",
)
@click.option(
    "--model",
    default="default",
    show_default=True,
    help="Whose chat template: 'default' (the embedded student), a model directory, a training run, "
    "or a Hub id org/name[@revision].",
)
@click.option("--id", "record_id", help="The task with this id [default: the first].")
@click.option("--line", type=click.IntRange(1), help="The task on this line (JSON Lines) or row (other forms).")
@click.option(
    "--reward",
    help="A spec whose `option tools` and `option call_format` apply, as in `mentor train "
    "--reward` [default: as `mentor train`: a plugin split's own spec, else mentor].",
)
@click.option("--call-format", help="The call format, as `mentor train --call-format`.")
def prompt_command(
    data: str, model: str, record_id: str | None, line: int | None, reward: str | None, call_format: str | None
) -> None:
    """Print the exact prompt text of one task for a model, and its token count (stderr)."""
    from ..data.splits import default_reward
    from ..fewshot import record_examples
    from ..models import load_tokenizer, resolve_model
    from ..plugins import registry
    from ..rollouts.layout import ChatLayout
    from ..toolsets import resolve_tools

    if record_id is not None and line is not None:
        raise click.UsageError("give --id or --line, not both")
    from ..reward import load
    from ..train.config import TrainConfig

    spec = load(
        reward or default_reward(data) or TrainConfig.model_fields["reward"].default
    )  # the spec training would use
    record, where = _pick(data, record_id, line)
    reg = registry()
    option_tools = spec.plan.option("tools")
    try:
        tools = resolve_tools(record.get("tools"), reg, default=option_tools)
        examples = record_examples(record)
    except DataError as exc:
        raise DataError(f"{where}: {getattr(exc, 'message', None) or exc}") from None
    ref = resolve_model(model)
    tokenizer = load_tokenizer(ref)
    layout = ChatLayout.for_tokenizer(tokenizer, reg, call_format=call_format or spec.plan.option("call_format"))
    text = layout.prompt_text(record["prompt"], tools, examples=examples)
    click.echo(text, nl=False)
    if not text.endswith("\n"):
        click.echo()
    count = len(layout.encode(text))
    source = (
        "the record's tools"
        if record.get("tools") is not None
        else (f"option tools = {option_tools!r}" if option_tools else "every registered tool")
    )
    click.echo(
        f"{where}: {count} tokens for {ref.spec!r} ({'native' if layout.native else 'inline'} layout, "
        f"{layout.format.name} calls, {len(tools)} tools from {source})",
        err=True,
    )
