"""The built-in trainers, registered like any plugin's. Importing this module is cheap:
each trainer imports TRL only when it runs."""

from __future__ import annotations

from ..plugins import hookimpl


def grpo(config):
    from .grpo import train_grpo

    return train_grpo(config)


def sft(config):
    from .sft import train_sft

    return train_sft(config)


@hookimpl
def register_trainers(register):
    register("grpo", grpo)
    register("sft", sft)
