"""Checked IR -> `Plan`: an immutable, cached recipe of instructions per reward.

Lowering shares structure: equal sub-expressions become one instruction (hash-consing),
so a term or a sub-expression is computed once however often the spec writes it. The
plan holds no tensors; `plan.bind(device)` returns the callable that runs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from .checker import check
from .errors import SpecError, Span
from .intervals import Interval
from .ir import IR, CheckedReward, Const, GuardIR, Op, TermUse, TermValue
from .nodes import Spec
from .parser import parse


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

    @property
    def guard_count(self) -> int:
        return sum(1 for i in self.instrs if i.op == "guard")


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

        raise SpecError(f"no reward named {name!r} in this spec{did_you_mean(name, self.reward_names)} "
                        f"(rewards: {', '.join(self.reward_names)})", filename=self.source_name)

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
            "options": dict(self.options),
            "terms": [
                {"key": t.key, "term": t.term, "args": dict(t.args), "range": [_num(t.range.lo), _num(t.range.hi)],
                 "fields": list(t.fields)}
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

    def lower(self, ir: IR) -> int:
        reg = self.memo.get(id(ir))
        if reg is not None:
            return reg
        if isinstance(ir, Const):
            reg = self.emit("const", value=ir.value, span=ir.span)
        elif isinstance(ir, TermValue):
            index = self.term_index[ir.use]
            if index not in self.used_terms:
                self.used_terms.append(index)
            reg = self.emit("term", value=index, span=ir.span)
        else:
            assert isinstance(ir, Op)
            args = tuple(self.lower(a) for a in ir.args)
            reg = self.emit(ir.op, args, span=ir.span)
        self.memo[id(ir)] = reg
        return reg


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
    return RewardProgram(reward.name, tuple(low.instrs), bindings, reward.range, reward.weights,
                         tuple(low.used_terms))


def _freeze(params: Mapping[str, Any] | None) -> tuple:
    return tuple(sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in (params or {}).items()))


@lru_cache(maxsize=256)
def _compile_cached(text: str, name: str, fingerprint: tuple, params: tuple, registry_ref) -> Plan:
    registry = registry_ref()
    spec = parse(text, name)
    return _compile_spec(spec, registry, dict(params))


def _compile_spec(spec: Spec, registry, params: Mapping[str, Any]) -> Plan:
    checked = check(spec, registry, params)
    programs = tuple(lower(r, checked.terms) for r in checked.rewards)
    return Plan(spec.source.name, spec.source.text, checked.params, checked.options, checked.terms, programs,
                checked.warnings)


class _Ref:
    """Keeps the registry out of the cache key (the fingerprint stands for it)."""

    def __init__(self, registry):
        self.registry = registry

    def __call__(self):
        return self.registry

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other) -> bool:
        return isinstance(other, _Ref)


def compile(spec: Spec | str, registry=None, params: Mapping[str, Any] | None = None, *,
            name: str = "<string>") -> Plan:
    """Compile spec text (or a parsed `Spec`) to a `Plan`. Plans are cached by source text,
    name, registry and parameter overrides."""
    if registry is None:
        from .plugins import registry as current

        registry = current()
    if isinstance(spec, Spec):
        text, name = spec.source.text, spec.source.name
    else:
        text = spec
    try:
        return _compile_cached(text, name, registry.fingerprint, _freeze(params), _Ref(registry))
    except TypeError as exc:  # unhashable override values
        if "unhashable" not in str(exc):
            raise
        return _compile_spec(parse(text, name), registry, params or {})


def dumps(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"
