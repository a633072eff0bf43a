"""The built-in reward terms (their catalogue, docs/terms.md, is generated from this table).
Each returns one float per trajectory and never raises on a malformed completion;
booleans are 0/1."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from ..context import EvalContext
from ..plugins import hookimpl
from ..trajectory import Trajectory
from .base import REQUIRED, Term, TermParam
from .matching import arg_overlap, calls_equal, name_set_score

if TYPE_CHECKING:
    from ..tools.base import ToolResult

TOOL_MATCH_MODES = ("exact_set", "overlap", "f1", "jaccard", "multiset_f1")

_REF = TermParam("ref", "ref", "teacher", doc="where the reference trajectory comes from")
_TOOLS = TermParam(
    "tools", "tools", None, doc="toolset whose names are valid; default: the record's `tools`, else all tools"
)
_EXTRACTOR = TermParam(
    "extractor", "extractor", "boxed", doc="'boxed', 'final_boxed', 'last_line', 'tag:NAME' or a plugin's"
)

Trajs = Sequence[Trajectory]


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


def finished(trajs: Trajs, ctx: EvalContext) -> list[float]:
    return [_flag(t.finished) for t in trajs]


def answer_present(trajs: Trajs, ctx: EvalContext, extractor: str) -> list[float]:
    extract = ctx.extractor(extractor)
    return [_flag(ctx.answer(t, extractor, extract) is not None) for t in trajs]


def answer_correct(trajs: Trajs, ctx: EvalContext, judge: str | None, extractor: str) -> list[float]:
    # judge=None: each record's own `judge`, else math (judges.judge_name).
    extract = ctx.extractor(extractor)
    out = []
    for t in trajs:
        prediction = ctx.answer(t, extractor, extract)
        if prediction is None:
            out.append(0.0)
            continue
        grade = ctx.judge_for(t, judge)
        try:
            value = float(grade(prediction, t.gold))
        except Exception:  # a judge failing on odd input means "not shown correct"
            value = 0.0
        out.append(min(1.0, max(0.0, value)) if math.isfinite(value) else value)
    return out


def tool_calls(trajs: Trajs, ctx: EvalContext) -> list[float]:
    return [float(len(ctx.named_calls(t))) for t in trajs]


def teacher_tool_calls(trajs: Trajs, ctx: EvalContext, ref: str) -> list[float]:
    return [float(len(ctx.reference(t, ref).calls)) for t in trajs]


def no_hallucination(trajs: Trajs, ctx: EvalContext, tools: str | None) -> list[float]:
    out = []
    for t in trajs:
        valid = ctx.available(t, tools)
        out.append(_flag(all(c.name in valid for c in ctx.named_calls(t))))
    return out


def _fits(call, registered, available: frozenset[str]) -> bool:
    """A valid call: it parses, names an available tool, and its arguments fit the schema."""
    tool = registered.get(call.name) if call.name in available else None
    return call.well_formed and tool is not None and tool.validate_arguments(call.arguments) is None


def tool_match(trajs: Trajs, ctx: EvalContext, ref: str, mode: str, tools: str | None, valid_only: bool) -> list[float]:
    registered = ctx.registry.tools
    out = []
    for t in trajs:
        valid = ctx.available(t, tools)
        student = [
            c.name
            for c in ctx.named_calls(t)
            if c.name is not None and (_fits(c, registered, valid) if valid_only else c.name in valid)
        ]
        out.append(name_set_score(student, ctx.reference(t, ref).names, mode))
    return out


def arg_overlap_term(trajs: Trajs, ctx: EvalContext, ref: str) -> list[float]:
    out = []
    for t in trajs:
        teacher = ctx.reference(t, ref)
        out.append(arg_overlap(ctx.named_calls(t), teacher.calls, teacher.names_only))
    return out


def strict_match(trajs: Trajs, ctx: EvalContext, ref: str, ordered: bool) -> list[float]:
    out = []
    for t in trajs:
        teacher = ctx.reference(t, ref)
        out.append(_flag(calls_equal(ctx.named_calls(t), teacher.calls, teacher.names_only, ordered)))
    return out


def calls_valid(trajs: Trajs, ctx: EvalContext, tools: str | None) -> list[float]:
    registered = ctx.registry.tools
    out = []
    for t in trajs:
        valid = ctx.available(t, tools)
        out.append(_flag(all(_fits(call, registered, valid) for call in ctx.calls(t))))
    return out


def calls_well_formed(trajs: Trajs, ctx: EvalContext) -> list[float]:
    return [_flag(all(c.well_formed for c in ctx.calls(t))) for t in trajs]


def _rejected(call, registered, available: frozenset[str], check_schema: bool):
    """Why a call cannot have succeeded without running it (a failed ToolResult), or None.
    `check_schema`: also check the arguments against the tool's schema (the executor does
    that itself for the calls it runs)."""
    from ..tools.base import FailureKind, ToolResult

    if not call.well_formed:
        return ToolResult.failure(
            call.error or "not a well-formed call (a name and an object of arguments)", FailureKind.SCHEMA
        )
    if call.name not in available:
        return ToolResult.failure(f"tool {call.name!r} is not offered by the task", FailureKind.UNKNOWN_TOOL)
    tool = registered.get(call.name)
    if check_schema and tool is not None:
        problem = tool.validate_arguments(call.arguments)
        if problem:
            return ToolResult.failure(problem, FailureKind.SCHEMA)
    return None


def _recorded(t: Trajectory, results: tuple[bool, ...], j: int) -> ToolResult:
    """The record's own result for its j-th call (`results`: its parsed `tool_results`).
    A record's word is taken only for calls that could have run (`_rejected` is checked first)."""
    from ..tools.base import FailureKind, ToolResult

    if j >= len(results):
        return ToolResult.failure("the record has no result for this call")
    if results[j]:
        return ToolResult(True, None)
    raw = t.record.get("tool_results")
    item = raw[j] if isinstance(raw, list) and j < len(raw) and isinstance(raw[j], dict) else {}
    named = item.get("kind")
    try:
        kind = FailureKind(named) if isinstance(named, str) else FailureKind.ERROR
    except ValueError:
        kind = FailureKind.ERROR
    error = item.get("error")
    return ToolResult.failure(error if isinstance(error, str) and error else "failed (recorded)", kind)


def exec_success(trajs: Trajs, ctx: EvalContext) -> list[float]:
    """Fraction of calls that ran without error: from `tool_results` when the record has
    them, otherwise by executing the calls (all of the batch's calls at once). A call that
    cannot have run (malformed, a tool the task does not offer, arguments outside the
    schema) fails whatever the record says. Each call and its result are kept on the
    trajectory (`exec_results`), so `mentor score` can say why a call failed."""
    registered = ctx.registry.tools
    pending: list[tuple[int, int, str, dict]] = []
    outcomes: dict[int, list] = {}
    for i, t in enumerate(trajs):
        valid = ctx.available(t, None)
        recorded = t.tool_results
        row: list[ToolResult | None] = []
        for j, call in enumerate(ctx.named_calls(t)):
            rejected = _rejected(call, registered, valid, check_schema=recorded is not None)
            if rejected is not None:
                row.append(rejected)
            elif recorded is not None:
                row.append(_recorded(t, recorded, j))
            else:
                row.append(None)
                # A named call (ctx.named_calls), so its name is a str.
                pending.append((i, j, cast(str, call.name), call.arguments))
        outcomes[i] = row
    if pending:
        results = ctx.get_executor().run_many(
            [(name, args) for _, _, name, args in pending], groups=[i for i, _, _, _ in pending]
        )  # the call cap is per record
        for (i, j, _, _), result in zip(pending, results):
            outcomes[i][j] = result
    out = []
    for i, t in enumerate(trajs):
        t.exec_results = list(zip(ctx.named_calls(t), outcomes[i]))  # (Call, ToolResult) pairs
        flags = [r.ok for r in outcomes[i]]
        out.append(sum(flags) / len(flags) if flags else 0.0)
    return out


@lru_cache(maxsize=256)
def _compiled(regex: str) -> re.Pattern:
    return re.compile(regex, re.DOTALL)


def format_term(trajs: Trajs, ctx: EvalContext, regex: str) -> list[float]:
    pattern = _compiled(regex)
    return [_flag(pattern.search(t.text) is not None) for t in trajs]


def step(trajs: Trajs, ctx: EvalContext) -> list[float]:
    return [float(ctx.step)] * len(trajs)


def _count_range(args) -> tuple[float, float]:
    return (0.0, math.inf)


BUILTIN_TERMS = (
    Term(
        "finished",
        finished,
        (),
        (0, 1),
        ("completion", "finished"),
        "1 if the completion ended with the EOS token (not truncated).",
    ),
    Term(
        "answer_present",
        answer_present,
        (_EXTRACTOR,),
        (0, 1),
        ("completion",),
        "1 if a final answer can be extracted.",
    ),
    Term(
        "answer_correct",
        answer_correct,
        (
            TermParam(
                "judge",
                "judge",
                None,
                doc="'math' (the paper's unified judge), 'math_strict', 'exact', 'f1' or a plugin's; "
                "default: the record's `judge`, else 'math'",
            ),
            _EXTRACTOR,
        ),
        (0, 1),
        ("completion", "answer"),
        "1 if the extracted answer matches the reference `answer`.",
    ),
    Term("tool_calls", tool_calls, (), _count_range, ("completion",), "The number of tool calls the student made."),
    Term(
        "teacher_tool_calls",
        teacher_tool_calls,
        (_REF,),
        _count_range,
        ("teacher",),
        "The number of calls in the teacher reference.",
    ),
    Term(
        "no_hallucination",
        no_hallucination,
        (_TOOLS,),
        (0, 1),
        ("completion", "tools"),
        "1 if every called tool name is an available tool.",
    ),
    Term(
        "tool_match",
        tool_match,
        (
            _REF,
            TermParam("mode", "string", "exact_set", TOOL_MATCH_MODES),
            _TOOLS,
            TermParam(
                "valid_only",
                "bool",
                False,
                doc="count only calls that parse, name an available tool and fit its JSON Schema",
            ),
        ),
        (0, 1),
        ("completion", "teacher", "tools"),
        "Agreement of the student's valid tool names with the teacher's.",
    ),
    Term(
        "arg_overlap",
        arg_overlap_term,
        (_REF,),
        (0, 1),
        ("completion", "teacher"),
        "Argument agreement of same-name calls paired greedily with the teacher's.",
    ),
    Term(
        "exec_success",
        exec_success,
        (),
        (0, 1),
        ("completion", "tool_results"),
        "Fraction of the student's calls that executed without error; 0 with no calls.",
    ),
    Term(
        "calls_valid",
        calls_valid,
        (_TOOLS,),
        (0, 1),
        ("completion", "tools"),
        "1 if every call block parses, names an available tool and its arguments fit the schema.",
    ),
    Term(
        "calls_well_formed",
        calls_well_formed,
        (),
        (0, 1),
        ("completion",),
        "1 if every call block parses to a name and an object of arguments (no schema check).",
    ),
    Term(
        "strict_match",
        strict_match,
        (_REF, TermParam("ordered", "bool", True)),
        (0, 1),
        ("completion", "teacher"),
        "1 if the student's calls equal the teacher's (names and canonical arguments).",
    ),
    Term(
        "format",
        format_term,
        (TermParam("regex", "regex", REQUIRED),),
        (0, 1),
        ("completion",),
        "1 if the completion matches the regex (searched, `.` matches newlines).",
    ),
    Term("step", step, (), _count_range, (), "The trainer's global step (0 when scoring offline)."),
)


@hookimpl
def register_terms(register):
    from dataclasses import replace

    from .baselines import BASELINE_TERMS
    from .explanations import EXPLAIN

    for term in BUILTIN_TERMS + BASELINE_TERMS:
        register(replace(term, explain=EXPLAIN.get(term.name)))
