"""Comparing two rewards on the same records (`mentor diff`): rank correlation, how
often they order a GRPO group differently, and the records they disagree on most.

What GRPO learns from is the order of completions within a group (advantages are rewards
centred and scaled per group), so two rewards with different numbers but the same order
in every group train the same way, and two that reorder groups train differently.

Groups are recognised per record, first rule that applies:

1. its `group` field;
2. its `prompt` (completions sampled for one prompt: what `mentor train` rollouts and
   `mentor eval --save-rollouts` write);
3. its id without a trailing counter: `q17-3`, `q17_3`, `q17/3`, `q17#3`, `q17:3` and
   `q17.3` are completion 3 of group `q17`.

A record none of these apply to belongs to no group; groups of one are not counted.
Spearman's coefficient is Pearson's on ranks, ties given their average rank: plain
Python, so comparing rewards needs no statistics package.

The records the rewards disagree on most: on GRPO-shaped data, those whose advantage
(the reward standardised within its group: minus the group's mean, over its standard
deviation) differs most, that is, the completions the two rewards would push apart
hardest in training; without groups, those whose percentile ranks differ most (ranks,
as the rewards may have different scales).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_COUNTER = re.compile(r"^(.+?)[-_/#:.](\d+)$")


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing the average of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        average = (start + end) / 2 + 1
        for k in range(start, end + 1):
            out[order[k]] = average
        start = end + 1
    return out


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """None when there are fewer than 2 values or either side is constant."""
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    return pearson(ranks(x), ranks(y))


def group_key(record: Any, record_id: str) -> str | None:
    """The group a record belongs to (see the module docstring), or None."""
    if isinstance(record, dict):
        if record.get("group") is not None:
            return f"group {json.dumps(record['group'], sort_keys=True, default=str)}"
        if record.get("prompt") is not None:
            return f"prompt {json.dumps(record['prompt'], sort_keys=True, default=str)}"
    match = _COUNTER.match(record_id)
    return f"id {match.group(1)}" if match else None


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


@dataclass
class GroupStats:
    groups: int = 0  # groups of two or more records
    reordered: int = 0  # groups with a pair the rewards order differently
    pairs: int = 0  # pairs within groups
    opposite: int = 0  # pairs one reward orders one way and the other the other way
    tied_in_one: int = 0  # pairs tied under one reward, ordered under the other
    flat_a: int = 0  # groups where A gives every record the same reward (no signal)
    flat_b: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def group_stats(a: Sequence[float], b: Sequence[float], keys: Sequence[str | None]) -> GroupStats:
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            members.setdefault(key, []).append(i)
    stats = GroupStats()
    for rows in members.values():
        if len(rows) < 2:
            continue
        stats.groups += 1
        stats.flat_a += len({a[i] for i in rows}) == 1
        stats.flat_b += len({b[i] for i in rows}) == 1
        differ = False
        for x, i in enumerate(rows):
            for j in rows[x + 1 :]:
                stats.pairs += 1
                sa, sb = _sign(a[i] - a[j]), _sign(b[i] - b[j])
                if sa != sb:
                    differ = True
                    if sa and sb:
                        stats.opposite += 1
                    else:
                        stats.tied_in_one += 1
        stats.reordered += differ
    return stats


@dataclass
class Disagreement:
    index: int
    a: float
    b: float
    where_a: float  # the record's advantage in its group, or its percentile rank
    where_b: float
    measure: str  # "advantage" or "percentile"

    @property
    def gap(self) -> float:
        return abs(self.where_a - self.where_b)


def advantages(values: Sequence[float], keys: Sequence[str | None]) -> list[float | None]:
    """Each record's reward standardised within its group (population standard
    deviation; 0 where the group's rewards are all equal); None outside a group."""
    members: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            members.setdefault(key, []).append(i)
    out: list[float | None] = [None] * len(values)
    for rows in members.values():
        if len(rows) < 2:
            continue
        mean = sum(values[i] for i in rows) / len(rows)
        std = math.sqrt(sum((values[i] - mean) ** 2 for i in rows) / len(rows))
        for i in rows:
            out[i] = (values[i] - mean) / std if std > 0 else 0.0
    return out


def disagreements(a: Sequence[float], b: Sequence[float], keys: Sequence[str | None], top: int) -> list[Disagreement]:
    """The `top` records the rewards disagree on most (see the module docstring), ties
    broken by file order. Records placed alike are never listed."""
    n = len(a)
    adv_a, adv_b = advantages(a, keys), advantages(b, keys)
    if any(x is not None for x in adv_a):
        # Both come from the same groups, so they are None at the same records.
        found = [
            Disagreement(i, a[i], b[i], x, y, "advantage")
            for i, (x, y) in enumerate(zip(adv_a, adv_b))
            if x is not None and y is not None
        ]
    else:
        ra, rb = ranks(a), ranks(b)
        found = [
            Disagreement(i, a[i], b[i], (ra[i] - 1) / max(n - 1, 1), (rb[i] - 1) / max(n - 1, 1), "percentile")
            for i in range(n)
        ]
    found = [d for d in found if d.gap > 1e-9]
    found.sort(key=lambda d: (-d.gap, d.index))
    return found[:top]


@dataclass
class Comparison:
    """What `mentor diff` reports (`to_json` is its `--json` output, traces aside)."""

    names: tuple[str, str]
    ids: list[str]
    a: list[float]
    b: list[float]
    groups: GroupStats
    spearman: float | None
    top: list[Disagreement] = field(default_factory=list)
    skipped: int = 0

    def to_json(self) -> dict[str, Any]:
        name_a, name_b = self.names
        return {
            "a": name_a,
            "b": name_b,
            "records": len(self.ids),
            "skipped": self.skipped,
            "spearman": self.spearman,
            "mean": {name_a: _mean(self.a), name_b: _mean(self.b)},
            "groups": self.groups.to_json(),
            "disagreements": [
                {
                    "id": self.ids[d.index],
                    "reward": {name_a: d.a, name_b: d.b},
                    d.measure: {name_a: d.where_a, name_b: d.where_b},
                }
                for d in self.top
            ],
        }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def compare(
    names: tuple[str, str],
    ids: list[str],
    a: list[float],
    b: list[float],
    keys: list[str | None],
    *,
    top: int = 3,
    skipped: int = 0,
) -> Comparison:
    return Comparison(
        names, ids, a, b, group_stats(a, b, keys), spearman(a, b), disagreements(a, b, keys, top), skipped
    )
