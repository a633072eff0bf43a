"""The programmatic oracle teacher: run the task's own plan with the real tools.

Tasks that carry an oracle plan (`teacher.tool_calls` with arguments, as every built-in
task does) are executed call by call through the sandboxed `Executor`; the outputs become
the `<tool_response>` blocks and the last output, printed canonically, is the boxed
answer. The answer is taken from the execution, never copied from the task, so
`verify` really checks the plan against the reference.

Tasks without an executable plan (none at all, or bare tool names as in the paper's data)
are skipped and reported as failures of kind `no_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..calls import Call
from ..data.numbers import format_answer
from ..data.oracle import render_completion
from ..formats.responses import render_value
from ..trajectory import DEFAULT_EOS
from .base import Failure, TaskFailed, ToolAccess
from .records import as_float, decode_call, make_record, task_id, task_tools, teacher_calls


def answer_text(output: Any) -> str:
    """The last output as an answer: numbers in the task sets' canonical form ("15" for
    15.0), anything else as a tool response shows it."""
    if isinstance(output, (int, float)) and not isinstance(output, bool):
        try:
            return format_answer(output)
        except (ValueError, TypeError):  # inf or nan: no canonical form
            pass
    return render_value(output)


def plan_of(task: dict[str, Any]) -> list[Call]:
    """The task's executable plan; TaskFailed when it has none."""
    items = teacher_calls(task)
    if not items:
        raise TaskFailed("no_plan", "the task has no teacher.tool_calls to execute")
    calls = [decode_call(item) for item in items]
    bad = next((c for c in calls if not c.well_formed), None)
    if bad is not None:
        raise TaskFailed("no_plan", f"teacher call {bad.raw!r:.80} cannot be executed: {bad.error}")
    return calls


class OracleTeacher(ToolAccess):
    """`oracle`: executes the plans that tasks carry. Options: `timeout` (seconds per
    call, default 5)."""

    name = "oracle"

    def __init__(self, *, timeout: Any = 5.0, eos: str = DEFAULT_EOS, registry=None, executor=None):
        self.eos = eos if isinstance(eos, str) else DEFAULT_EOS
        self.timeout = as_float("timeout", timeout, minimum=0.001)
        ToolAccess.__init__(self, tool_timeout=self.timeout, registry=registry, executor=executor)
        self.failures: list[Failure] = []

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        self.failures = []
        planned: list[tuple[dict[str, Any], list[str], list[Call]]] = []
        for i, task in enumerate(tasks):
            try:
                planned.append((task, [t.name for t in task_tools(task, self.registry)], plan_of(task)))
            except TaskFailed as exc:
                self.failures.append(Failure(task_id(task, i), exc.kind, exc.detail))
        # One batch for every call of every task: the executor runs them concurrently and
        # runs equal calls once.
        flat = [(c.name, c.arguments) for _, _, calls in planned for c in calls]
        groups = [i for i, (_, _, calls) in enumerate(planned) for _ in calls]  # the call cap is per task
        results = iter(self.executor.run_many(flat, groups=groups) if flat else [])
        records = []
        for task, names, calls in planned:
            outcomes = [next(results) for _ in calls]
            failed = next(((c, r) for c, r in zip(calls, outcomes) if not r.ok), None)
            if failed is not None:
                call, result = failed
                self.failures.append(Failure(task.get("id"), "call_failed", f"{call.name}: {result.error}"))
                continue
            outputs = [r.output for r in outcomes]
            answer = answer_text(outputs[-1])
            plain = [{"name": c.name, "arguments": c.arguments} for c in calls]
            records.append(
                make_record(
                    task,
                    tools=names,
                    calls=calls,
                    results=outcomes,
                    completion=render_completion(plain, outputs, answer, self.eos),
                    answer=answer,
                    model=self.name,
                )
            )
        return records
