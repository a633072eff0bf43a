"""`Reward`: a compiled reward ready to score records or to serve as a TRL reward function."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from . import library
from .compiler import Plan, compile
from .context import EvalContext
from .errors import DataError, EvaluationError, MentorError, RecordError, RewardValueError, UncomputedReward
from .runtime import Evaluation
from .trajectory import DEFAULT_EOS, OPTIONAL_FIELDS, Trajectory, failure, record_id


@dataclass
class ScoreResult:
    """Scores of a batch. Rows of records that could not be scored are NaN, and `errors`
    maps their index to the reason."""

    rewards: torch.Tensor
    terms: dict[str, torch.Tensor]
    ids: list[str]
    errors: dict[int, RecordError] = field(default_factory=dict)
    #: The calls that failed, by record index, when the reward ran them (`exec_success`):
    #: `{"call": n (1-based, among the named calls), "name", "kind", "error"}`.
    failed_calls: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One `{"id", "reward", "terms"}` dict per scored record (NaN becomes None), with
        `"failed_calls"` when some of its calls failed."""
        out = []
        for i, rid in enumerate(self.ids):
            if i in self.errors:
                continue
            row: dict[str, Any] = {
                "id": rid,
                "reward": _plain(self.rewards[i]),
                "terms": {k: _plain(v[i]) for k, v in self.terms.items()},
            }
            if self.failed_calls.get(i):
                row["failed_calls"] = self.failed_calls[i]
            out.append(row)
        return out


def _failed_calls(traj: Trajectory | None) -> list[dict[str, Any]]:
    """The failed calls of a trajectory whose calls a term ran (see `ScoreResult`)."""
    pairs = traj.exec_results if traj is not None else None
    out = []
    for n, (call, result) in enumerate(pairs or (), 1):
        if result.ok:
            continue
        kind = getattr(result, "kind", None)
        out.append(
            {"call": n, "name": call.name, "kind": kind.value if kind is not None else "error", "error": result.error}
        )
    return out


def _plain(x: torch.Tensor) -> float | None:
    value = float(x)
    return None if math.isnan(value) else value


class Reward:
    """One reward of a compiled spec.

    `score(records)` returns a `ScoreResult`. Calling the object follows TRL's
    `reward_funcs` protocol: `reward(prompts=..., completions=..., completion_ids=...,
    trainer_state=..., log_metric=..., **dataset_columns) -> list[float]`.
    """

    def __init__(
        self,
        plan: Plan,
        reward: str | None = None,
        *,
        eos: str | None = None,
        eos_token_id: int | None = None,
        tokenizer: Any = None,
        device: Any = "cpu",
        registry=None,
    ):
        program = plan.reward(reward)
        self.plan = plan
        self.name = program.name
        self.__name__ = program.name  # TRL logs rewards/<__name__>
        self.eos = eos or plan.option("eos") or DEFAULT_EOS
        self.eos_token_id = eos_token_id
        self._eos_token = self.eos
        if tokenizer is not None:
            self.with_tokenizer(tokenizer)
        from .runtime import BoundPlan

        self._bound = BoundPlan(plan, device=device, registry=registry)
        self._ctx: EvalContext | None = None
        # Read by any call or answer term: the call format, and what a rollout says the model wrote.
        self._reads = frozenset(plan.fields(self.name)) | {"format", "model_segments"}
        self.required_fields = tuple(f for f in plan.fields(self.name) if f not in OPTIONAL_FIELDS)
        self._uses_finished = any(plan.terms[i].term == "finished" for i in program.terms)
        self.seconds = 0.0  # time spent scoring, for the training metrics
        #: Called as `on_score(result, columns)` after each trainer call (train/rollout_log.py).
        self.on_score: Callable[[ScoreResult, dict[str, Any]], None] | None = None

    # -- metadata ------------------------------------------------------------------------------

    @property
    def range(self) -> tuple[float, float]:
        r = self.plan.reward(self.name).range
        return r.lo, r.hi

    @property
    def term_names(self) -> list[str]:
        program = self.plan.reward(self.name)
        return [self.plan.terms[i].key for i in program.terms] + [name for name, _ in program.bindings]

    def __repr__(self) -> str:
        return f"<Reward {self.name!r} from {self.plan.source_name}>"

    def with_tokenizer(self, tokenizer) -> Reward:
        """Use the tokenizer's EOS id to decide `finished` from completion ids (training)."""
        self.eos_token_id = tokenizer.eos_token_id
        token = getattr(tokenizer, "eos_token", None)
        self._eos_token = token if isinstance(token, str) and token else self.eos
        return self

    def use_executor(self, executor) -> Reward:
        """Run `exec_success`'s calls through this executor: share its cache with the
        rollouts that already ran the same calls."""
        self._context(0).executor = executor
        return self

    # -- scoring --------------------------------------------------------------------------------

    def _context(self, step: int) -> EvalContext:
        if self._ctx is None:
            self._ctx = self._bound.context(step)
        self._ctx.step = step
        return self._ctx

    def read_records(
        self,
        records: Sequence[Any],
        finished: Sequence[bool | None] | None = None,
        on_error: str = "raise",
        ids: Sequence[str] | None = None,
    ) -> tuple[list[Trajectory | None], dict[int, RecordError]]:
        """Records into trajectories. Any failure inside a record (a missing field, JSON
        nested too deeply, an int too long to print) is that record's RecordError."""
        trajs: list[Trajectory | None] = []
        errors: dict[int, RecordError] = {}
        for i, record in enumerate(records):
            default = ids[i] if ids is not None else str(i)
            try:
                try:
                    if isinstance(record, Trajectory):
                        traj = record
                    else:
                        traj = Trajectory.from_record(
                            record,
                            index=i,
                            eos=self.eos,
                            reads=self._reads,
                            finished=finished[i] if finished is not None else None,
                            default_id=default,
                        )
                    for f in self.required_fields:
                        if not traj.has_field(f):
                            raise RecordError(
                                f"missing field {f!r} (reward {self.name!r} needs it)", record_id=traj.id, field=f
                            )
                except MentorError:
                    raise
                except Exception as exc:  # a bug's or a limit's failure, still this record's alone
                    raise RecordError(failure(exc), record_id=record_id(record, default)) from exc
            except RecordError as exc:
                if on_error == "raise":
                    raise
                errors[i] = exc
                traj = None
            trajs.append(traj)
        return trajs, errors

    def parse(self, *args: Any, **kwargs: Any) -> tuple[list[Trajectory | None], dict[int, RecordError]]:
        """Deprecated name of `read_records` (`mentor_dsl.parse` parses spec text)."""
        from .deprecated import warn

        warn("Reward.parse", "Reward.read_records")
        return self.read_records(*args, **kwargs)

    def evaluate(self, trajectories: Sequence[Trajectory], *, step: int = 0) -> Evaluation:
        return self._bound(trajectories, reward=self.name, ctx=self._context(step))

    def score(
        self,
        records: Sequence[Any],
        *,
        step: int = 0,
        on_error: str = "raise",
        finished: Sequence[bool | None] | None = None,
        ids: Sequence[str] | None = None,
    ) -> ScoreResult:
        """Score trajectory records (dicts in the form of README's "Trajectory records", or
        `Trajectory` objects).

        With `on_error="skip"`, records that cannot be scored are left out (NaN) and
        reported in `result.errors`, whatever failed inside them; otherwise the first one
        raises `RecordError`. `ids`: the id of each record that has none (`mentor score`
        gives line numbers); by default its index in `records`.
        """
        if on_error not in ("raise", "skip"):
            raise ValueError("on_error must be 'raise' or 'skip'")
        if ids is not None and len(ids) != len(records):
            raise ValueError(f"ids has {len(ids)} entries for {len(records)} records")
        trajs, errors = self.read_records(records, finished, on_error, ids)
        good = [t for t in trajs if t is not None]
        size = len(trajs)
        rewards = torch.full((size,), math.nan, dtype=self._bound.dtype)
        terms: dict[str, torch.Tensor] = {k: rewards.clone() for k in self.term_names}
        if good:
            index = [i for i, t in enumerate(trajs) if t is not None]
            try:
                ev = self.evaluate(good, step=step)
            except Exception as exc:
                if on_error == "raise" or not _record_failure(exc):
                    raise
                return self._score_one_by_one(records, trajs, errors, step, ids)
            rewards[index] = ev.rewards.to(rewards.device)
            for k, v in ev.values.items():
                terms.setdefault(k, torch.full((size,), math.nan, dtype=rewards.dtype))[index] = v.to(rewards.device)
        return ScoreResult(rewards, terms, self._ids(records, trajs, ids), errors, self._failures(trajs))

    @staticmethod
    def _failures(trajs) -> dict[int, list[dict[str, Any]]]:
        failed = {i: _failed_calls(t) for i, t in enumerate(trajs)}
        return {i: f for i, f in failed.items() if f}

    @staticmethod
    def _ids(records, trajs, ids) -> list[str]:
        return [
            t.id if t is not None else record_id(records[i], ids[i] if ids is not None else str(i))
            for i, t in enumerate(trajs)
        ]

    def _score_one_by_one(self, records, trajs, errors, step, ids) -> ScoreResult:
        """Evaluation failed somewhere in the batch: isolate the records it fails on."""
        size = len(trajs)
        rewards = torch.full((size,), math.nan, dtype=self._bound.dtype)
        terms: dict[str, torch.Tensor] = {k: rewards.clone() for k in self.term_names}
        for i, traj in enumerate(trajs):
            if traj is None:
                continue
            try:
                ev = self.evaluate([traj], step=step)
            except Exception as exc:
                if not _record_failure(exc):
                    raise
                if isinstance(exc, EvaluationError):
                    # The RecordError names the record itself: keep the message only.
                    reason = exc.message if exc.record_id is not None else str(exc)
                else:
                    reason = failure(exc)
                kind = UncomputedReward if isinstance(exc, RewardValueError) else RecordError
                errors[i] = kind(reason, record_id=traj.id)
                continue
            rewards[i] = ev.rewards[0]
            for k, v in ev.values.items():
                terms.setdefault(k, torch.full((size,), math.nan, dtype=rewards.dtype))[i] = v[0]
        return ScoreResult(
            rewards,
            terms,
            self._ids(records, trajs, ids),
            errors,
            self._failures([t if i not in errors else None for i, t in enumerate(trajs)]),
        )

    def explain(self, record: Any, *, step: int = 0, position: str | None = None):
        """Why `record` gets its reward: an `explain.Trace` of every guard, binding and
        term, with the terms' evidence (see mentor_dsl/explain.py)."""
        from .explain import explain

        return explain(self, record, step=step, position=position)

    # -- TRL reward-function protocol ---------------------------------------------------------

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Sequence[int]] | None = None,
        trainer_state: Any = None,
        log_metric: Callable[[str, float], None] | None = None,
        **columns: Any,
    ) -> list[float]:
        if completions is None:
            raise MentorError("a reward function needs `completions`")
        log_extra = columns.pop("log_extra", None)
        columns.pop("environments", None)
        size = len(completions)
        given = {"prompts": prompts, "completion_ids": completion_ids, **columns}
        for name, values in given.items():
            # A column of another length is a caller's mistake, not a field the records lack.
            if isinstance(values, (list, tuple)) and len(values) != size:
                raise DataError(
                    f"reward {self.name!r}: column {name!r} has {len(values)} values for {size} completions"
                )
        ended = None
        if completion_ids is not None and self.eos_token_id is not None:
            ended = [bool(ids) and int(ids[-1]) == self.eos_token_id for ids in completion_ids]
        elif completion_ids is not None and self._uses_finished and "finished" not in columns:
            raise MentorError(
                f"reward {self.name!r} uses `finished`, and completions from a trainer have their special "
                "tokens stripped: give the reward the tokenizer, e.g. "
                "mentor_dsl.load(spec, tokenizer=tokenizer) or reward.with_tokenizer(tokenizer)"
            )
        records = []
        for i in range(size):
            record = {k: v[i] for k, v in columns.items() if isinstance(v, (list, tuple))}
            # TRL strips special tokens. Put the EOS back, so that answers are extracted from
            # the text as generated, exactly as when scoring the raw text offline (`\boxed x`
            # runs to the end of the text, EOS included, in the paper's code).
            record["completion"] = _with_eos(completions[i], self._eos_token) if ended and ended[i] else completions[i]
            segments = record.get("model_segments")
            if ended and ended[i] and isinstance(segments, list) and segments and isinstance(segments[-1], str):
                # The rollout's own segments (views.py) lose EOS the same way.
                record["model_segments"] = [*segments[:-1], _with_eos(segments[-1], self._eos_token)]
            if prompts is not None:
                record["prompt"] = prompts[i]
            records.append(record)
        finished = ended if ended is not None and "finished" not in columns else None
        step = int(getattr(trainer_state, "global_step", 0) or 0)
        started = time.perf_counter()
        result = self.score(records, step=step, finished=finished)
        self.seconds += time.perf_counter() - started
        if log_metric is not None:
            for key, values in result.terms.items():
                finite = values[~torch.isnan(values)]
                if finite.numel():
                    log_metric(f"{self.name}/{key}", float(finite.mean()))
        if callable(log_extra):  # per-completion columns of TRL's completions table (`log_completions`)
            for key, values in result.terms.items():
                log_extra(f"{self.name}/{key}", [None if math.isnan(float(v)) else float(v) for v in values])
        if self.on_score is not None:
            self.on_score(result, columns)
        return [float(x) for x in result.rewards]


def _with_eos(completion: Any, eos: str) -> Any:
    if isinstance(completion, str):
        return completion if completion.endswith(eos) else completion + eos
    if isinstance(completion, list) and completion and isinstance(completion[-1], Mapping):
        last = completion[-1]
        if last.get("role") == "assistant" and isinstance(last.get("content"), str):
            if not last["content"].endswith(eos):
                return [*completion[:-1], {**last, "content": last["content"] + eos}]
    return completion


def _record_failure(exc: Exception) -> bool:
    """Whether an evaluation error can belong to one record (and is isolated by scoring
    the batch record by record), rather than to the spec or the plugins (which stop)."""
    return isinstance(exc, EvaluationError) or not isinstance(exc, MentorError)


def load(
    spec: str | os.PathLike,
    *,
    reward: str | None = None,
    eos: str | None = None,
    tokenizer: Any = None,
    device: Any = "cpu",
    registry=None,
    **params: Any,
) -> Reward:
    """Load a spec file or library name (`"mentor"`) as a `Reward`. `path::name` or
    `reward="name"` selects one reward of a file with several; keyword arguments override
    the spec's parameters."""
    text, shown, selected = library.open_spec(spec)
    plan = compile(text, registry, params, name=shown)
    return Reward(plan, reward or selected, eos=eos, tokenizer=tokenizer, device=device, registry=registry)


def loads(
    text: str,
    *,
    reward: str | None = None,
    name: str = "<string>",
    eos: str | None = None,
    tokenizer: Any = None,
    device: Any = "cpu",
    registry=None,
    **params: Any,
) -> Reward:
    """Compile spec text into a `Reward` (see `load`)."""
    plan = compile(text, registry, params, name=name)
    return Reward(plan, reward, eos=eos, tokenizer=tokenizer, device=device, registry=registry)
