"""Run a plan on a batch: the only stage that touches torch.

Statements run in order over the whole batch. A guard retires the rows it fails, with
its value; later terms are computed only for the rows still alive, so a truncated
completion never reaches the judge. Every other operation is one batched tensor op: the
kernel of its entry in ops.py.
Values a row never needed are NaN in the per-term outputs (reported as null).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import torch

from .compiler import Plan, RewardProgram
from .context import EvalContext
from .errors import EvaluationError, MentorError, RewardValueError
from .ops import BY_NAME
from .trajectory import Trajectory


@dataclass
class Evaluation:
    """Rewards `[B]` and, by name, every term and binding the reward used (`[B]` each)."""

    rewards: torch.Tensor
    values: dict[str, torch.Tensor]


class BoundPlan:
    """A plan bound to a device and a registry: call it on parsed trajectories."""

    def __init__(self, plan: Plan, *, device: Any = "cpu", dtype: Any = None, registry=None):
        from .plugins import registry as current

        self.plan = plan
        self.device = torch.device(device)
        self.dtype = dtype or torch.float64
        self.registry = registry or current()
        self._fns = []
        self._plugins: list[str | None] = []
        for use in plan.terms:
            term = self.registry.terms.get(use.term)
            if term is None:
                raise MentorError(f"term {use.term!r} is no longer registered (was its plugin unloaded?)")
            self._fns.append(term.fn)
            plugin = getattr(term, "plugin", None)
            self._plugins.append(plugin if plugin and not plugin.startswith("mentor.") else None)

    def context(self, step: int = 0) -> EvalContext:
        return EvalContext(
            self.registry,
            step=step,
            call_format=self.plan.option("call_format", "hermes"),
            default_tools=self.plan.option("tools"),
        )

    def __call__(
        self,
        trajectories: Sequence[Trajectory],
        *,
        reward: str | None = None,
        ctx: EvalContext | None = None,
        step: int = 0,
    ) -> Evaluation:
        program = self.plan.reward(reward)
        owns = ctx is None
        ctx = ctx or self.context(step)
        try:
            return self._run(program, list(trajectories), ctx)
        finally:
            if owns:
                ctx.close()

    def _run(self, program: RewardProgram, trajs: list[Trajectory], ctx: EvalContext) -> Evaluation:
        size, dtype, device = len(trajs), self.dtype, self.device
        alive = torch.ones(size, dtype=torch.bool, device=device)
        result = torch.full((size,), math.nan, dtype=dtype, device=device)
        regs: list[torch.Tensor | None] = [None] * len(program.instrs)

        def read(k: int) -> torch.Tensor:
            # The compiler orders the instructions so that every operand, term and binding
            # is computed before it is read; only guards and results leave their slot empty,
            # and nothing reads those.
            return cast(torch.Tensor, regs[k])

        for k, ins in enumerate(program.instrs):
            if ins.op == "const":
                regs[k] = torch.tensor(ins.value, dtype=dtype, device=device)
            elif ins.op == "term":
                regs[k] = self._term(ins.value, trajs, alive, ctx)
            elif ins.op == "guard":
                cond, value = read(ins.args[0]), read(ins.args[1])
                failed = alive & (cond == 0)
                result = torch.where(failed, value, result)
                alive = alive & ~failed
            elif ins.op == "result":
                result = torch.where(alive, read(ins.args[0]), result)
            else:
                regs[k] = BY_NAME[ins.op].kernel(*(regs[a] for a in ins.args))
        if size and not bool(torch.isfinite(result).all()):
            raise self._non_finite(program, trajs, regs, result)
        values: dict[str, torch.Tensor] = {}
        for k, ins in enumerate(program.instrs):
            if ins.op == "term":
                values[self.plan.terms[ins.value].key] = read(k)
        for name, reg in program.bindings:
            value = read(reg)
            values[name] = value.expand(size) if value.dim() == 0 else value
        return Evaluation(result, values)

    def _term(self, index: int, trajs: list[Trajectory], alive: torch.Tensor, ctx: EvalContext) -> torch.Tensor:
        use = self.plan.terms[index]
        full = torch.full((len(trajs),), math.nan, dtype=self.dtype, device=self.device)
        rows = alive.nonzero().flatten().tolist()
        if not rows:
            return full
        subset = [trajs[i] for i in rows]
        try:
            raw = self._fns[index](subset, ctx, **use.kwargs)
            values = torch.as_tensor(raw, dtype=self.dtype, device=self.device).flatten()
        except MentorError:
            raise
        except Exception as exc:
            raise EvaluationError(f"term {use.key!r} failed: {type(exc).__name__}: {exc}") from exc
        if values.numel() != len(subset):
            raise EvaluationError(f"term {use.key!r} returned {values.numel()} values for {len(subset)} trajectories")
        bad = ~torch.isfinite(values)
        if bool(bad.any()):
            i = int(bad.nonzero()[0])
            raise RewardValueError(
                f"term {use.key!r} returned {values[i].item()} for record {subset[i].id!r}; "
                "terms must return finite numbers"
            )
        lo, hi = use.range.lo, use.range.hi
        outside = (values < lo - _slack(lo)) | (values > hi + _slack(hi))
        if bool(outside.any()):
            i = int(outside.nonzero()[0])
            plugin = self._plugins[index]
            where = f"term {use.key!r}" + (f" (plugin {plugin!r})" if plugin else "")
            raise RewardValueError(
                f"{where} returned {values[i].item():g} for record {subset[i].id!r}, outside the "
                f"range it declares, [{lo:g}, {hi:g}]"
            )
        full[rows] = values
        return full

    def _non_finite(self, program: RewardProgram, trajs, regs, result) -> EvaluationError:
        row = int((~torch.isfinite(result)).nonzero()[0])
        culprit = None
        for k, ins in enumerate(program.instrs):
            if ins.op in ("const", "term", "guard", "result") or regs[k] is None:
                continue
            out = regs[k] if regs[k].dim() == 0 else regs[k][row]
            inputs_ok = all(bool(torch.isfinite(regs[a] if regs[a].dim() == 0 else regs[a][row])) for a in ins.args)
            if inputs_ok and not bool(torch.isfinite(out)):
                culprit = ins
                break
        value = result[row].item()
        where = ""
        if culprit is not None and culprit.span is not None:
            what = BY_NAME[culprit.op].words
            where = f" from {what} at {self.plan.source_name}:{culprit.span.line}:{culprit.span.column}"
        return RewardValueError(f"reward {program.name!r} is {value} for record {trajs[row].id!r}{where}")


def _slack(bound: float) -> float:
    """How far past a declared bound a value may be: rounding in the term's own arithmetic
    (an F1 of 1.0000000000000002), never a real excess."""
    return 1e-9 * max(1.0, abs(bound)) if math.isfinite(bound) else 0.0
