"""What a term sees besides the trajectories: the registry, the step, the executor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .answers import resolve as resolve_extractor
from .calls import Call
from .errors import DataError, EvaluationError
from .formats import DEFAULT_FORMAT
from .hookspecs import CallFormat
from .records import TeacherRef
from .trajectory import Trajectory
from .views import call_tags, response_tags


@dataclass
class EvalContext:
    registry: Any
    step: int = 0
    call_format: str = DEFAULT_FORMAT
    default_tools: str | None = None
    executor: Any = None
    _owns_executor: bool = field(default=False, repr=False)

    def format_for(self, traj: Trajectory) -> CallFormat:
        name = traj.format or self.call_format
        fmt = self.registry.get("formats", name)
        if fmt is None:
            raise EvaluationError(f"unknown call format {name!r}", record_id=traj.id)
        return fmt

    def calls(self, traj: Trajectory) -> list[Call]:
        fmt = self.format_for(traj)
        return traj.calls(fmt.parse, response_tags(fmt))

    def answer(self, traj: Trajectory, name: str, extract) -> str | None:
        """The answer extractor `name` (resolved to `extract`) finds in what the model wrote."""
        fmt = self.format_for(traj)
        return traj.answer(name, extract, response_tags(fmt), call_tags(fmt))

    def reference(self, traj: Trajectory, ref: str) -> TeacherRef:
        """The reference trajectory a term's `ref` names (`terms.base.REFERENCES`). A term
        that reads one declares the field, so a reward has already failed a record without
        it; this covers a term called on a record outside a reward."""
        if traj.teacher is None:
            raise EvaluationError(f"the record has no {ref!r} reference", record_id=traj.id)
        return traj.teacher

    def named_calls(self, traj: Trajectory) -> list[Call]:
        return [c for c in self.calls(traj) if c.name is not None]

    def available(self, traj: Trajectory, tools: str | None) -> frozenset[str]:
        """Tool names a trajectory may call: a term's explicit toolset (`tools="..."`),
        else the task's tool set by the rule every command uses (`toolsets.offered`):
        the record's `tools`, else the spec's `option tools`, else every registered tool."""
        if tools is not None:
            return self.registry.toolset(tools) or frozenset()
        from .toolsets import offered_names

        try:
            return offered_names(traj.tools, self.registry, default=self.default_tools)
        except DataError as exc:
            raise EvaluationError(f"record {traj.id!r}: {exc}") from None

    def extractor(self, name: str):
        fn = resolve_extractor(name, lambda n: self.registry.get("extractors", n))
        if fn is None:
            raise EvaluationError(f"unknown answer extractor {name!r}")
        return fn

    def judge(self, name: str):
        fn = self.registry.get("judges", name)
        if fn is None:
            raise EvaluationError(f"unknown judge {name!r}")
        return fn

    def judge_for(self, traj: Trajectory, pinned: str | None):
        """The judge of one trajectory: the spec's, else its record's `judge`, else math
        (`judges.judge_name`). A record naming an unknown judge is that record's error."""
        from .judges import judge_name

        try:
            name = judge_name(pinned, traj.record)
        except ValueError as exc:
            raise EvaluationError(f"record {traj.id!r}: {exc}") from None
        fn = self.registry.get("judges", name)
        if fn is None:
            from .errors import did_you_mean

            names = self.registry.names("judges")
            raise EvaluationError(
                f"record {traj.id!r}: unknown judge {name!r}{did_you_mean(name, names)} (judges: {', '.join(names)})"
            )
        return fn

    def get_executor(self):
        if self.executor is None:
            from .tools.executor import Executor

            self.executor = Executor(self.registry.tools)
            self._owns_executor = True
        return self.executor

    def close(self) -> None:
        if self._owns_executor and self.executor is not None:
            self.executor.close()
            self.executor = None
