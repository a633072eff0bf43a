"""Evaluation results as typed records.

`evaluate` returns an `EvalResult`; its `metrics` is a `Summary` of `SplitMetrics`, each a
`GroupMetrics` with breakdowns. Every record has `to_json()`, the exact form eval.json
holds (key order included), and `from_json()`, its inverse. The metric definitions are in
`metrics.py`; what eval.json holds is described in docs/evaluation.md.

The rows themselves (one per task) stay dicts: each is a trajectory record, which
`mentor score` reads back (docs/records.md), with the measurements of `records.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

Row = Mapping[str, Any]


@dataclass
class RewardMeans:
    """The `--reward` spec over a group: the mean over the `n` rows that have a value, and
    each term's mean. Absent (None on `GroupMetrics.reward`) when no row was scored."""

    mean: float | None
    n: int
    terms: dict[str, float | None] = field(default_factory=dict)


@dataclass
class GroupMetrics:
    """The metrics of one group of rows (definitions: `metrics` module docstring)."""

    n: int
    accuracy: float | None
    accuracy_ci: tuple[float, float] | None
    finished_rate: float | None
    call_validity: float | None
    calls_valid_rate: float | None
    hallucination_rate: float | None
    calls_per_task: float | None
    teacher_calls_per_task: float | None
    teacher_similarity: float | None
    tool_distribution: dict[str, int]
    teacher_distribution: dict[str, int]
    reward: RewardMeans | None = None

    @classmethod
    def of(cls, rows: Sequence[Row]) -> GroupMetrics:
        from .metrics import group_values

        return cls(**group_values(rows))

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(GroupMetrics) if f.name != "reward"}
        out["accuracy_ci"] = list(self.accuracy_ci) if self.accuracy_ci else None
        out["tool_distribution"] = dict(self.tool_distribution)
        out["teacher_distribution"] = dict(self.teacher_distribution)
        if self.reward is not None:
            out.update(reward=self.reward.mean, reward_n=self.reward.n, reward_terms=dict(self.reward.terms))
        return out

    @classmethod
    def _values(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        values = {f.name: data.get(f.name) for f in fields(GroupMetrics) if f.name != "reward"}
        ci = data.get("accuracy_ci")
        values["accuracy_ci"] = (float(ci[0]), float(ci[1])) if ci else None
        values["n"] = int(data.get("n") or 0)
        values["tool_distribution"] = dict(data.get("tool_distribution") or {})
        values["teacher_distribution"] = dict(data.get("teacher_distribution") or {})
        if "reward" in data:
            values["reward"] = RewardMeans(
                data["reward"], int(data.get("reward_n") or 0), dict(data.get("reward_terms") or {})
            )
        return values

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupMetrics:
        return cls(**cls._values(data))


@dataclass
class SplitMetrics(GroupMetrics):
    """A split group's metrics, and the same per source, per domain and, where the rows
    have one, per task family (`families` is None otherwise)."""

    sources: dict[str, GroupMetrics] = field(default_factory=dict)
    domains: dict[str, GroupMetrics] = field(default_factory=dict)
    families: dict[str, GroupMetrics] | None = None

    @classmethod
    def of(cls, rows: Sequence[Row]) -> SplitMetrics:
        from .metrics import group_values, groups

        families = groups(rows, "family")
        return cls(
            **group_values(rows),
            sources={k: GroupMetrics.of(v) for k, v in groups(rows, "source").items()},
            domains={k: GroupMetrics.of(v) for k, v in sorted(groups(rows, "domain").items())},
            families={k: GroupMetrics.of(v) for k, v in sorted(families.items())} if families else None,
        )

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["sources"] = {k: v.to_json() for k, v in self.sources.items()}
        out["domains"] = {k: v.to_json() for k, v in self.domains.items()}
        if self.families is not None:
            out["families"] = {k: v.to_json() for k, v in self.families.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SplitMetrics:
        def each(key: str) -> dict[str, GroupMetrics]:
            return {k: GroupMetrics.from_json(v) for k, v in (data.get(key) or {}).items()}

        return cls(
            **cls._values(data),
            sources=each("sources"),
            domains=each("domains"),
            families=each("families") if "families" in data else None,
        )


@dataclass
class Summary:
    """Every row's metrics (`overall`) and each split group's, in report order."""

    overall: GroupMetrics
    splits: dict[str, SplitMetrics]

    @classmethod
    def of(cls, rows: Sequence[Row]) -> Summary:
        from .metrics import SPLIT_ORDER, groups

        by_split = groups(rows, "split")
        ordered = [s for s in SPLIT_ORDER if s in by_split] + sorted(s for s in by_split if s not in SPLIT_ORDER)
        return cls(GroupMetrics.of(rows), {name: SplitMetrics.of(by_split[name]) for name in ordered})

    def to_json(self) -> dict[str, Any]:
        return {"overall": self.overall.to_json(), "splits": {k: v.to_json() for k, v in self.splits.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            GroupMetrics.from_json(data.get("overall") or {}),
            {k: SplitMetrics.from_json(v) for k, v in (data.get("splits") or {}).items()},
        )


@dataclass
class EvalConfig:
    """How an evaluation ran: what eval.json's `config` holds."""

    model: str | None = None
    #: Where the model was loaded from (`@revision` for a Hub id).
    model_path: str | None = None
    #: The training run the model came from: the report draws its training curves.
    run_dir: str | None = None
    splits: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    limit: int | None = None
    seed: int | None = None
    batch_size: int | None = None
    max_turns: int | None = None
    max_completion_length: int | None = None
    call_format: str | None = None
    chat_layout: str | None = None
    device: str | None = None
    decoding: str | None = None
    #: `{"spec", "name", "params"}` of the `--reward` spec, or None.
    reward: dict[str, Any] | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    created: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvalConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class EvalResult:
    """What `evaluate` returns: eval.json's content (`to_json()`) and the rows."""

    format: str
    format_version: int
    name: str
    config: EvalConfig
    #: Sources that could not be evaluated, and why.
    skipped: dict[str, str]
    seconds: float
    generation_seconds: float | None
    metrics: Summary
    #: A few rows per split group, as the report shows them (records.pick_examples).
    examples: dict[str, list[dict[str, Any]]]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, *, rows: bool = False) -> dict[str, Any]:
        """eval.json's object (with the rows too when `rows`). NaN and inf stay as they
        are: `runner.eval_json` writes them as null."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rows"}
        out["config"] = self.config.to_json()
        out["metrics"] = self.metrics.to_json()
        if rows:
            out["rows"] = self.rows
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EvalResult:
        return cls(
            format=data.get("format", ""),
            format_version=int(data.get("format_version") or 0),
            name=data.get("name", ""),
            config=EvalConfig.from_json(data.get("config") or {}),
            skipped=dict(data.get("skipped") or {}),
            seconds=data.get("seconds", 0.0),
            generation_seconds=data.get("generation_seconds"),
            metrics=Summary.from_json(data.get("metrics") or {}),
            examples=dict(data.get("examples") or {}),
            rows=list(data.get("rows") or []),
        )


def as_json(result: EvalResult | Mapping[str, Any], *, rows: bool = True) -> dict[str, Any]:
    """The JSON form of a result: an `EvalResult`'s, or a loaded eval.json object as it is."""
    if isinstance(result, EvalResult):
        return result.to_json(rows=rows)
    return dict(result) if rows else {k: v for k, v in result.items() if k != "rows"}
