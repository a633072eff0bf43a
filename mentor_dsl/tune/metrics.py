"""What a study optimises: an evaluation metric, on the in-domain or the out-of-domain
validation data, maximised or minimised.

    accuracy, call_validity, teacher_similarity, finished_rate, hallucination_rate
        on the in-domain validation data (held out of the training data)
    ood_accuracy, ood_call_validity, ...
        the same on the out-of-domain validation data

The keys are `mentor eval`'s (evaluation/metrics.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class MetricUndefined(ValueError):
    """The evaluation ran but the metric has no value for it (`call_validity` of a student
    that made no call): that trial fails, the study goes on."""


#: Evaluation metric -> direction. `hallucination_rate` is better low.
KEYS = {
    "accuracy": "maximize",
    "call_validity": "maximize",
    "teacher_similarity": "maximize",
    "finished_rate": "maximize",
    "hallucination_rate": "minimize",
}
#: The split group an evaluation on the user's own task files reports (`mentor eval --data`).
EVAL_GROUP = "data"


@dataclass(frozen=True)
class Metric:
    name: str
    key: str
    ood: bool
    direction: str

    def read(self, result: Mapping[str, Any]) -> float:
        """The metric from an evaluation result (`evaluate`'s, or a stand-in's of that shape)."""
        try:
            value = result["metrics"]["splits"][EVAL_GROUP][self.key]
        except (KeyError, TypeError):
            raise ValueError(f"the evaluation reported no {self.key!r} for the validation data") from None
        if value is None:
            raise MetricUndefined(f"the evaluation has no {self.key!r} for this student (see its eval-step file)")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"the evaluation's {self.key!r} is {value!r}, not a number")
        return float(value)


METRICS: dict[str, Metric] = {
    **{key: Metric(key, key, False, direction) for key, direction in KEYS.items()},
    **{f"ood_{key}": Metric(f"ood_{key}", key, True, direction) for key, direction in KEYS.items()},
}
