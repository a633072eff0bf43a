"""mentor: configurable, teacher-guided rewards for distilling tool use into small models.

    import mentor_dsl
    reward = mentor_dsl.load("mentor")            # rewards/mentor.mdsl
    result = reward.score(records)                # result.rewards: tensor [B]
    GRPOTrainer(..., reward_funcs=[reward])       # a TRL reward function as is

The stages are separate: `parse(text)` (no torch) -> `compile(spec)` (an immutable,
cached `Plan`) -> `plan.bind(device)` (the batched callable).
"""

from .compiler import Plan, compile
from .errors import (DataError, EvaluationError, MentorError, PluginError, RecordError, SpecError, ToolError,
                     TrainingError)
from .parser import parse
from .reward import Reward, ScoreResult, load, loads

__version__ = "0.1.0"

__all__ = [
    "DataError", "EvaluationError", "MentorError", "Plan", "PluginError", "RecordError", "Reward",
    "ScoreResult", "SpecError", "ToolError", "TrainingError", "compile", "load", "loads", "parse",
]
