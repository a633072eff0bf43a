"""mentor: configurable, teacher-guided rewards for distilling tool use into small models.

    import mentor_dsl
    reward = mentor_dsl.load("mentor")            # rewards/mentor.mdsl
    result = reward.score(records)                # result.rewards: tensor [B]
    GRPOTrainer(..., reward_funcs=[reward])       # a TRL reward function as is

The stages are separate: `parse(text)` (no torch) -> `compile(spec)` (an immutable,
cached `Plan`, no torch either) -> `plan.bind(device)` (the batched callable).
"""

from .compiler import Plan, compile
from .errors import (
    DataError,
    EvaluationError,
    MentorError,
    PluginError,
    RecordError,
    SpecError,
    ToolError,
    TrainingError,
)
from .parser import parse

__version__ = "0.1.0"

# Loaded on first use so that parsing and checking never import torch.
_LAZY = {"Reward": "reward", "ScoreResult": "reward", "load": "reward", "loads": "reward"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DataError",
    "EvaluationError",
    "MentorError",
    "Plan",
    "PluginError",
    "RecordError",
    "Reward",
    "ScoreResult",
    "SpecError",
    "ToolError",
    "TrainingError",
    "compile",
    "load",
    "loads",
    "parse",
]
