"""Verification of teacher trajectories: only correct, executable ones are kept.

    ok, reason = verify(record)                  # one record, a throwaway executor
    with Verifier() as check:                    # many records, one executor (cached)
        verdict = check(record)                  # verdict.ok, .reason, .kind, .results

A record passes when, in this order (the first failing rule is the reason):

1. `malformed`: it is an object with a `prompt`, a non-empty `completion` text and
   `teacher.tool_calls`, each a call with a name and an object of arguments;
2. `no_reference`: it has a reference `answer` to check against;
3. `unfinished`: the completion ends with the records' end marker (`--eos`) and `finished` is not false:
   a truncated trajectory would teach the student not to stop;
4. `invalid_call`: every `<tool_call>` block of the completion parses to a call with
   object arguments;
5. `inconsistent`: those calls are `teacher.tool_calls`, in order, with the same
   arguments (GRPO rewards against the one, SFT learns from the other);
6. `no_calls`: it makes at least one call (`require_calls=False` lifts this);
7. `hallucinated_tool`: every called tool is offered by the task (`tools`, default: all
   registered tools) and registered;
8. `invalid_arguments`: the arguments validate against the tool's JSON Schema;
9. `call_failed`: re-executed with the registered tools, every call succeeds;
10. `fabricated_response`: the `<tool_response>` blocks in the completion, if it has any,
    are one per call and show what the tool really returns;
11. `no_answer` / `wrong_answer`: the completion's final `\\boxed{}` answer exists and the
    task's judge accepts it against the record's `answer`: the `judge` the verifier is
    given (`mentor teach --judge`), else the record's `judge` field, else the paper's
    math judge (`judges.judge_name`). A record naming a judge that is not registered is
    `malformed`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..answers import boxed
from ..calls import canonical_json
from ..formats.hermes import HERMES
from ..formats.responses import escape_body, render_value
from ..judges import judge_name
from ..tools.base import ToolResult
from ..trajectory import DEFAULT_EOS
from .base import TaskFailed, ToolAccess
from .records import decode_call, teacher_calls, tool_names

_RESPONSE = re.compile(r"<tool_response>\n?(.*?)\n?</tool_response>", re.DOTALL)
_SHOWN = 80


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one record. Unpacks as `(ok, reason)`.

    `kind` is the rule that failed ("" when ok), `detail` what was wrong, and `results`
    the re-executed calls' results (empty when the record failed before execution)."""

    ok: bool
    kind: str = ""
    detail: str = ""
    results: tuple[ToolResult, ...] = field(default=(), compare=False)

    @property
    def reason(self) -> str:
        """`kind: detail` ("" when ok), as `--rejected` records carry it."""
        return f"{self.kind}: {self.detail}" if self.kind else ""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.ok, self.reason))

    @classmethod
    def reject(cls, kind: str, detail: str, results=()) -> Verdict:
        return cls(False, kind, detail, tuple(results))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _gold(value: Any) -> Any:
    """The reference as the judge takes it: a string or a list of strings."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Verifier(ToolAccess):
    """Checks records with one registry and one executor (results are cached across
    records). `eos` is the end-of-sequence text a finished completion ends with."""

    def __init__(
        self,
        registry=None,
        executor=None,
        *,
        require_calls: bool = True,
        eos: str = DEFAULT_EOS,
        timeout: float = 5.0,
        judge: str | None = None,
    ):
        ToolAccess.__init__(self, tool_timeout=timeout, registry=registry, executor=executor)
        self.require_calls = require_calls
        self.eos = eos
        self.timeout = timeout
        self.judge = judge  # pinned for every record; None: each record's own, else math

    def __call__(self, record: Any) -> Verdict:
        try:
            return self._check(record)
        except Exception as exc:  # a verifier bug must reject the record, not stop the run
            return Verdict.reject("malformed", f"cannot be checked: {type(exc).__name__}: {exc}")

    def _check(self, record: Any) -> Verdict:
        # 1. structure
        if not isinstance(record, Mapping):
            return Verdict.reject("malformed", f"a record must be an object, not {type(record).__name__}")
        text = record.get("completion")
        if not isinstance(text, str) or not text.strip():
            return Verdict.reject("malformed", "no 'completion' text")
        if not record.get("prompt"):
            return Verdict.reject("malformed", "no 'prompt'")
        items = teacher_calls(record)
        if items is None:
            return Verdict.reject("malformed", "no 'teacher.tool_calls'")
        planned = [decode_call(item) for item in items]
        bad = next((c for c in planned if not c.well_formed), None)
        if bad is not None:
            return Verdict.reject("malformed", f"teacher call {bad.raw!r:.80}: {bad.error}")
        try:
            judge = judge_name(self.judge, record)
        except ValueError as exc:
            return Verdict.reject("malformed", str(exc))
        grade = self.registry.get("judges", judge)
        if grade is None:
            return Verdict.reject(
                "malformed", f"unknown judge {judge!r} (judges: {', '.join(self.registry.names('judges'))})"
            )
        # 2. a reference
        gold = record.get("answer")
        if gold is None or gold == "" or gold == []:
            return Verdict.reject("no_reference", "the record has no 'answer' to check the trajectory against")
        # 3. finished
        if record.get("finished") is False or not text.endswith(self.eos):
            return Verdict.reject("unfinished", f"the completion does not end with {self.eos}")
        # 4. the calls in the text
        written = HERMES.parse(text)
        for n, call in enumerate(written, 1):
            if not call.well_formed:
                return Verdict.reject(
                    "invalid_call",
                    f"call {n} ({_short(call.raw.strip())}): {call.error or 'not a tool call (no name)'}",
                )
        # 5. text and teacher agree
        key = [(c.name, canonical_json(c.arguments)) for c in written]
        if key != [(c.name, canonical_json(c.arguments)) for c in planned]:
            return Verdict.reject(
                "inconsistent",
                f"the completion calls {[c.name for c in written]} but "
                f"teacher.tool_calls lists {[c.name for c in planned]}"
                if [c.name for c in written] != [c.name for c in planned]
                else "the completion's call arguments differ from teacher.tool_calls",
            )
        # 6. at least one call
        if self.require_calls and not written:
            return Verdict.reject("no_calls", "the trajectory makes no tool call")
        # 7-8. available tools, valid arguments
        try:
            offered = set(tool_names(record, self.registry))
        except TaskFailed as exc:
            return Verdict.reject("malformed", exc.detail)
        for n, call in enumerate(written, 1):
            tool = self.registry.tools.get(call.name)
            if call.name not in offered or tool is None:
                where = "offered by the task" if tool is not None else "a registered tool"
                return Verdict.reject("hallucinated_tool", f"call {n}: {call.name!r} is not {where}")
            problem = tool.validate_arguments(call.arguments)
            if problem:
                return Verdict.reject("invalid_arguments", f"call {n} to {call.name}: {problem}")
        # 9. execution
        results = self.executor.run_many([(c.name, c.arguments) for c in written]) if written else []
        for n, (call, result) in enumerate(zip(written, results), 1):
            if not result.ok:
                return Verdict.reject("call_failed", f"call {n} to {call.name} failed: {result.error}", results)
        # 10. responses shown in the text are the real ones
        shown = _RESPONSE.findall(text)
        if shown:
            if len(shown) != len(results):
                return Verdict.reject(
                    "fabricated_response", f"{len(shown)} <tool_response> blocks for {len(results)} calls", results
                )
            for n, (body, result) in enumerate(zip(shown, results), 1):
                real = escape_body(render_value(result.output))  # as a response block shows it
                if body.strip() != real.strip():
                    return Verdict.reject(
                        "fabricated_response",
                        f"response {n} shows {_short(body.strip())!r}, the tool returns {_short(real)!r}",
                        results,
                    )
        # 11. the answer
        answer = boxed(text)
        if answer is None:
            return Verdict.reject("no_answer", "no final \\boxed{} answer", results)
        reference = _gold(gold)
        try:
            score = float(grade(answer, reference))
        except Exception:  # as in answer_correct: a judge failing on odd input has not shown it right
            score = 0.0
        if not score >= 1.0:
            return Verdict.reject(
                "wrong_answer",
                f"answered {_short(answer)!r}, the reference is {_short(reference)!r} (judge {judge!r})",
                results,
            )
        return Verdict(True, results=tuple(results))

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def verify(
    record: Any,
    *,
    registry=None,
    executor=None,
    require_calls: bool = True,
    eos: str = DEFAULT_EOS,
    judge: str | None = None,
) -> Verdict:
    """Verify one record; `(ok, reason)` (see the module docstring for the rules). Pass an
    `executor` when verifying many records, or use a `Verifier`."""
    with Verifier(registry, executor, require_calls=require_calls, eos=eos, judge=judge) as check:
        return check(record)
