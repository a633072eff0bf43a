"""mentor-dates: a date domain for mentor (tools, judge, few-shot example, splits, reward)."""

from pathlib import Path

#: The reward spec of the domain: `mentor train --reward` takes this path, and the splits
#: name it as the reward `mentor train --data builtin:dates_train` uses by default.
REWARD = str(Path(__file__).resolve().parent / "dates.mdsl")
