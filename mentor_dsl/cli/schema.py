"""`mentor schema`: the JSON Schema of what mentor reads, from the definitions it checks with."""

from __future__ import annotations

import json

import click


def _record() -> dict:
    from ..records import record_schema

    return record_schema()


def _task() -> dict:
    from ..records import record_schema

    return record_schema(task=True)


def _config() -> dict:
    from ..train.config import TrainConfig

    return TrainConfig.model_json_schema()


#: What `mentor schema` describes, and where its schema comes from.
SCHEMAS = {"record": _record, "task": _task, "config": _config}


@click.command("schema")
@click.argument("what", type=click.Choice(sorted(SCHEMAS)))
def schema_command(what: str) -> None:
    """Print the JSON Schema of a trajectory record (`record`, docs/records.md), a task
    record (`task`: a prompt, no completion yet), or `mentor train`'s configuration file
    (`config`; its `trl` section is checked against TRL's GRPOConfig or SFTConfig)."""
    click.echo(json.dumps(SCHEMAS[what](), indent=2, ensure_ascii=False))
