"""The built-in trainers, registered like any plugin's. Importing this module is cheap:
each trainer imports TRL only when it runs.

A trainer may declare its TRL configuration (see docs/plugins.md, register_trainers):
`fn.trl_config`, the class (or "module:Name"), against which the run's `trl` section is
checked, and `fn.trl_arguments(config, model_kwargs)`, the TRL configuration it would
train with, which `mentor train` builds before the run (so a bad `trl` value fails at
once) and `--print-config` shows.
"""

from __future__ import annotations

from ..plugins import hookimpl


def grpo(config):
    from .grpo import train_grpo

    return train_grpo(config)


def _grpo_arguments(config, model_kwargs):
    from .grpo import grpo_arguments

    return grpo_arguments(config, model_kwargs)


def sft(config):
    from .sft import train_sft

    return train_sft(config)


def _sft_arguments(config, model_kwargs):
    from .sft import sft_arguments

    return sft_arguments(config, model_kwargs)


# What each trainer declares (docs/plugins.md), set through the function's namespace: a
# type checker knows no attributes on a `def`.
vars(grpo).update(trl_config="trl:GRPOConfig", trl_arguments=_grpo_arguments)
vars(sft).update(trl_config="trl:SFTConfig", trl_arguments=_sft_arguments)


@hookimpl
def register_trainers(register):
    register("grpo", grpo)
    register("sft", sft)
