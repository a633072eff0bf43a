"""Training: `mentor train` runs a registered trainer (GRPO by default) on a TrainConfig."""

from .config import TrainConfig

__all__ = ["TrainConfig"]
