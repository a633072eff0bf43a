"""Multi-turn generation with tools, shared by training, evaluation and the `hf` teacher.

layout.py   how a student's conversations are written (its chat template, or inline)
loop.py     the rollout loop: generate, run the calls, append the results
hf.py       generation with transformers, the prompt prefilled once, the cache kept
vllm.py     generation with TRL's vLLM engine
"""

from .layout import ChatLayout
from .loop import Generated, Rollout, RolloutStats, ToolRollout

__all__ = ["ChatLayout", "Generated", "Rollout", "RolloutStats", "ToolRollout"]
