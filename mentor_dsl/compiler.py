"""Checked IR -> `Plan`: an immutable, cached recipe of instructions per reward.

Lowering shares structure: equal sub-expressions become one instruction (hash-consing),
so a term or a sub-expression is computed once however often the spec writes it. The
plan holds no tensors; `plan.bind(device)` returns the callable that runs it.
Instructions name their operator (`ops.BY_NAME`), so a plan is plain data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .checker import check
from .errors import Span, SpecError
from .intervals import Interval
from .ir import CheckedReward, CheckedSpec, Const, GuardIR, Op, ParamRange, TermUse, TermValue, postorder
from .nodes import Spec
from .parser import parse, without_cycle_collection


@dataclass(frozen=True)
class Instr:
    """One step. `const` has `value`; `term` has the term's index in `value`; `guard` and
    `result` consume registers and produce none; every other op is elementwise."""

    op: str
    args: tuple[int, ...] = ()
    value: Any = None
    span: Span | None = None


@dataclass(frozen=True)
class RewardProgram:
    name: str
    instrs: tuple[Instr, ...]
    bindings: tuple[tuple[str, int], ...]
    range: Interval
    weights: tuple[tuple[str, tuple[str, ...]], ...]
    terms: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """A compiled spec: its term uses and one program per reward, in declaration order."""

    source_name: str
    source_text: str
    params: tuple[tuple[str, Any], ...]
    options: tuple[tuple[str, Any], ...]
    terms: tuple[TermUse, ...]
    rewards: tuple[RewardProgram, ...]
    warnings: tuple[str, ...]
    #: Declared ranges of parameters (`param w = 0.2 in [0, 0.5]`), in declaration order.
    param_ranges: tuple[ParamRange, ...] = ()
    #: The checked form the programs were lowered from: `mentor explain` walks its
    #: statements. Not part of the compiled artefact (`to_json`).
    checked: CheckedSpec | None = field(default=None, compare=False, repr=False)

    @property
    def reward_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rewards)

    def reward(self, name: str | None = None) -> RewardProgram:
        if name is None:
            return self.rewards[0]
        for r in self.rewards:
            if r.name == name:
                return r
        from .errors import did_you_mean

        raise SpecError(
            f"no reward named {name!r} in this spec{did_you_mean(name, self.reward_names)} "
            f"(rewards: {', '.join(self.reward_names)})",
            filename=self.source_name,
        )

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    def fields(self, reward: str | None = None) -> tuple[str, ...]:
        """Record fields the reward reads, in a stable order."""
        seen: dict[str, None] = {}
        for index in self.reward(reward).terms:
            for f in self.terms[index].fields:
                seen.setdefault(f, None)
        return tuple(seen)

    def bind(self, device: str | Any = "cpu", dtype: Any = None, registry=None):
        """The batched callable for this plan (see runtime.BoundPlan)."""
        from .runtime import BoundPlan

        return BoundPlan(self, device=device, dtype=dtype, registry=registry)

    def to_json(self) -> dict[str, Any]:
        """The compiled artefact: everything needed to inspect or rebuild the plan."""
        return {
            "format": "mentor-plan/1",
            "source": {"name": self.source_name, "text": self.source_text},
            "params": dict(self.params),
            "param_ranges": {r.name: [r.low, r.high] for r in self.param_ranges},
            "options": dict(self.options),
            "terms": [
                {
                    "key": t.key,
                    "term": t.term,
                    "args": dict(t.args),
                    "range": [_num(t.range.lo), _num(t.range.hi)],
                    "fields": list(t.fields),
                }
                for t in self.terms
            ],
            "rewards": [
                {
                    "name": r.name,
                    "range": [_num(r.range.lo), _num(r.range.hi)],
                    "weights": {k: list(v) for k, v in r.weights},
                    "bindings": dict(r.bindings),
                    "program": [_instr_json(i) for i in r.instrs],
                }
                for r in self.rewards
            ],
            "warnings": list(self.warnings),
        }


def _num(x: float) -> Any:
    return x if x not in (float("inf"), float("-inf")) else ("inf" if x > 0 else "-inf")


def _instr_json(instr: Instr) -> list:
    out: list = [instr.op, list(instr.args)]
    if instr.value is not None:
        out.append(instr.value)
    return out


class _Lowering:
    def __init__(self, terms: tuple[TermUse, ...]):
        self.term_index = {t.use: i for i, t in enumerate(terms)}
        self.instrs: list[Instr] = []
        self.memo: dict[int, int] = {}
        self.seen: set[int] = set()
        self.consed: dict[tuple, int] = {}
        self.used_terms: list[int] = []

    def emit(self, op: str, args: tuple[int, ...] = (), value: Any = None, span=None) -> int:
        key = (op, args, value)
        if op not in ("guard", "result") and key in self.consed:
            return self.consed[key]
        self.instrs.append(Instr(op, args, value, span))
        reg = len(self.instrs) - 1
        if op not in ("guard", "result"):
            self.consed[key] = reg
        return reg

    def lower(self, root) -> int:
        """The register holding `root`, emitting what it needs (each node once)."""
        for ir in postorder((root,), self.seen):
            if isinstance(ir, Const):
                reg = self.emit("const", value=ir.value, span=ir.span)
            elif isinstance(ir, TermValue):
                index = self.term_index[ir.use]
                if index not in self.used_terms:
                    self.used_terms.append(index)
                reg = self.emit("term", value=index, span=ir.span)
            else:
                assert isinstance(ir, Op)
                reg = self.emit(ir.op.name, tuple(self.memo[id(a)] for a in ir.args), span=ir.span)
            self.memo[id(ir)] = reg
        return self.memo[id(root)]


def lower(reward: CheckedReward, terms: tuple[TermUse, ...]) -> RewardProgram:
    low = _Lowering(terms)
    for stmt in reward.statements:
        if isinstance(stmt, GuardIR):
            cond, value = low.lower(stmt.cond), low.lower(stmt.otherwise)
            low.emit("guard", (cond, value), span=stmt.span)
        else:
            low.emit("result", (low.lower(stmt.value),), span=stmt.span)
    # Unused bindings are left out (the checker warns about them): nothing computes them.
    bindings = tuple((name, low.memo[id(ir)]) for name, ir in reward.bindings if id(ir) in low.memo)
    return RewardProgram(reward.name, tuple(low.instrs), bindings, reward.range, reward.weights, tuple(low.used_terms))


def _freeze(params: Mapping[str, Any] | None) -> tuple:
    return tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (params or {}).items()))


#: Plans kept per spec (one per registry and set of parameter overrides).
_PLANS_PER_SPEC = 32


@lru_cache(maxsize=256)
def _parse_cached(text: str, name: str) -> Spec:
    return parse(text, name)


def _compile_spec(spec: Spec, registry, params: Mapping[str, Any]) -> Plan:
    with without_cycle_collection():
        checked = check(spec, registry, params)
        programs = tuple(lower(r, checked.terms) for r in checked.rewards)
    return Plan(
        spec.source.name,
        spec.source.text,
        checked.params,
        checked.options,
        checked.terms,
        programs,
        checked.warnings,
        checked.ranges,
        checked,
    )


def compile(
    spec: Spec | str, registry=None, params: Mapping[str, Any] | None = None, *, name: str = "<string>"
) -> Plan:
    """Compile a `Spec` (parsed, or built in Python) or spec text to a `Plan`.

    Plans are cached on the spec (specs are frozen), by registry and parameter overrides;
    text is parsed once per (text, name), so the same text gives the same plan. `name`
    names text in messages; a `Spec` carries its own."""
    if registry is None:
        from .plugins import registry as current

        registry = current()
    if isinstance(spec, str):
        spec = _parse_cached(spec, name)
    elif not isinstance(spec, Spec):
        raise TypeError(f"compile() takes spec text or a Spec, not {type(spec).__name__}")
    key = (registry.fingerprint, _freeze(params))
    try:
        hash(key)
    except TypeError:  # an override value that cannot be a cache key: compile without caching
        return _compile_spec(spec, registry, params or {})
    plans = spec.__dict__.setdefault("_plans", {})  # the spec is frozen; its cache is not a field
    plan = plans.get(key)
    if plan is None:
        plan = _compile_spec(spec, registry, params or {})
        if len(plans) >= _PLANS_PER_SPEC:
            plans.pop(next(iter(plans)))
        plans[key] = plan
    return plan


def dumps(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
