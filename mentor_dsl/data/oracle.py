"""The programmatic oracle teacher: plans of tool calls, executed with the real tools.

A task generator writes a `CallPlan`: tool calls whose arguments may be `Ref`s to earlier
calls' outputs, exactly as a teacher model would reuse a result it was shown. `realise`
runs the plan with the registered tools, substitutes each output into later calls, and
checks that the last output prints as the generator's own reference answer. Only then is
the task turned into a record (docs/records.md) whose `completion` is the oracle's rendered
trajectory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..calls import Call, canonical_json
from ..formats.hermes import HERMES
from ..formats.responses import render_response
from ..tools.base import ToolResult
from ..trajectory import DEFAULT_EOS
from .numbers import format_answer

#: The twelve MENTOR math tools, in the paper's order (mentor_dsl.tools.math).
MATH_TOOLSET = "mentor_math"


@dataclass(frozen=True)
class Ref:
    """The output of an earlier call of the same plan (0-based)."""

    step: int


class CallPlan:
    """An ordered list of tool calls; calling the plan appends one and returns its `Ref`."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, **arguments: Any) -> Ref:
        self.steps.append((name, arguments))
        return Ref(len(self.steps) - 1)

    def __len__(self) -> int:
        return len(self.steps)

    def key(self) -> str:
        """A stable text form of the plan before execution (refs as {"$ref": i}).

        Two plans with the same key make the same calls, so it decides train/eval buckets
        without running anything."""
        return json.dumps(self.steps, sort_keys=True, separators=(",", ":"), default=_ref_json)

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)


def _ref_json(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"$ref": value.step}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass
class Draft:
    """A task before it is checked: question, exact reference value and the oracle's plan.

    `toolsets` are the registry toolsets offered to the student (sorted names of each,
    in the order given); `domain` labels the task for per-domain evaluation.
    """

    question: str
    expected: Any
    plan: CallPlan
    family: str
    domain: str = "math"
    toolsets: tuple[str, ...] = (MATH_TOOLSET,)
    extra_tools: tuple[str, ...] = field(default=())


class OracleFailure(Exception):
    """Why a draft was dropped (a generator bug, never expected in practice)."""


def _substitute(value: Any, outputs: list[Any]) -> Any:
    if isinstance(value, Ref):
        return outputs[value.step]
    if isinstance(value, dict):
        return {k: _substitute(v, outputs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(v, outputs) for v in value]
    return value


def run_plan(plan: CallPlan, tools: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run a plan with the tools' implementations: (concrete calls, outputs).

    Arguments are not validated against the tools' JSON Schemas here (jsonschema would
    triple the generation time); tests/test_data.py checks every kept call instead."""
    calls: list[dict[str, Any]] = []
    outputs: list[Any] = []
    for name, arguments in plan.steps:
        tool = tools.get(name)
        if tool is None:
            raise OracleFailure(f"tool {name!r} is not registered")
        concrete = _substitute(arguments, outputs)
        try:
            output = tool.fn(**concrete)
        except Exception as exc:  # the tools raise ValueError for bad input; anything is a drop
            raise OracleFailure(f"{name}({concrete}) failed: {exc}") from None
        calls.append({"name": name, "arguments": concrete})
        outputs.append(output)
    return calls, outputs


def realise(
    draft: Draft, tools: Mapping[str, Any], answer_text: Callable[[Any], str] = format_answer
) -> tuple[list[dict[str, Any]], list[Any], str]:
    """Execute the draft's plan and compare its final output with the reference answer,
    both written by `answer_text` (numbers in canonical form by default).

    Returns (calls, outputs, answer text); raises OracleFailure on any mismatch."""
    if not draft.plan.steps:
        raise OracleFailure("the plan has no calls")
    try:
        answer = answer_text(draft.expected)
    except (ValueError, TypeError) as exc:
        raise OracleFailure(f"reference answer has no canonical form: {exc}") from None
    calls, outputs = run_plan(draft.plan, tools)
    try:
        got = answer_text(outputs[-1])
    except (ValueError, TypeError) as exc:
        raise OracleFailure(f"final output {outputs[-1]!r} has no canonical form: {exc}") from None
    if got != answer:
        raise OracleFailure(f"oracle gives {got}, reference is {answer}")
    return calls, outputs, answer


def render_completion(calls: list[dict[str, Any]], outputs: list[Any], answer: str, eos: str = DEFAULT_EOS) -> str:
    """The oracle's whole trajectory as student text: one Hermes call block per turn, its
    tool response, and the boxed final answer followed by EOS."""
    parts = []
    for call, output in zip(calls, outputs):
        parts.append(HERMES.render([Call(call["name"], call["arguments"])]) + "\n")
        parts.append(render_response(ToolResult(True, output)))
    parts.append(f"The answer is \\boxed{{{answer}}}{eos}")
    return "".join(parts)


def signature(calls: list[dict[str, Any]]) -> str:
    """A task's (tools, arguments) identity: its call sequence in canonical JSON."""
    return canonical_json([[c["name"], c["arguments"]] for c in calls])


def clone(record: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON record (faster than copy.deepcopy for plain JSON)."""
    return json.loads(json.dumps(record))
