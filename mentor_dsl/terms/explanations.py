"""The built-in terms' `explain` functions (terms/evidence.py): one per term, by name.

Each reads the trajectory the way its term's `fn` does, with the same helpers (the
context's calls, answers and tool sets, `_fits`, `name_set_score`, ...), and reports
the value that follows, which `mentor explain` checks against the term's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..context import EvalContext
from ..trajectory import Trajectory
from .evidence import CallEvidence, Evidence, TextSpan, Verdict, locate_answer, locate_calls
from .matching import calls_equal, name_set_score, pair_score


def _quote(text) -> str:
    """Text as a reader sees it: quoted, backslashes as written (LaTeX stays readable)."""
    return f"'{text}'" if isinstance(text, str) else repr(text)


def _names(values) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values}))


def _listing(names) -> str:
    return "{" + ", ".join(names) + "}"


def _available_from(traj: Trajectory, ctx: EvalContext, tools: str | None) -> str:
    """Where `ctx.available` took the tool names from, in words."""
    if tools is not None:
        return f"toolset {tools!r}"
    if traj.tools is not None:
        return "the record's tools"
    if ctx.default_tools:
        return f"the spec's toolset {ctx.default_tools!r}"
    return "every registered tool"


def _calls(traj: Trajectory, ctx: EvalContext, named: bool = True) -> list[tuple[Any, TextSpan | None]]:
    located = locate_calls(traj, ctx)
    return [(c, s) for c, s in located if c.name is not None] if named else located


def _unusable(call, registered, available: frozenset[str], where: str) -> str | None:
    """Why a call is not valid (`builtin._fits`), or None when it is."""
    if call.name is None:
        return call.error or "not a call: its block has no name"
    if not call.well_formed:
        return call.error or "its arguments are not an object"
    if call.name not in available:
        return f"{call.name!r} is not an available tool ({where})"
    tool = registered.get(call.name)
    if tool is None:
        return f"{call.name!r} is not a registered tool"
    return tool.validate_arguments(call.arguments)


# -- one function per term ------------------------------------------------------------------------


def finished(traj: Trajectory, ctx: EvalContext) -> Evidence:
    if isinstance(traj.record.get("finished"), bool):
        why = f"the record says finished: {str(traj.record['finished']).lower()}"
    elif traj.messages is not None:
        why = "a message list counts as a finished turn"
    else:
        why = (
            "the text ends with the end-of-turn marker"
            if traj.finished
            else "the text does not end with the end-of-turn marker: truncated"
        )
    return Evidence(why, value=1.0 if traj.finished else 0.0)


def answer_present(traj: Trajectory, ctx: EvalContext, extractor: str) -> Evidence:
    answer = locate_answer(traj, ctx, extractor)
    summary = f"answer {_quote(answer.text)} ({extractor})" if answer.text is not None else f"no answer ({extractor})"
    return Evidence(summary, answer=answer, value=1.0 if answer.text is not None else 0.0)


def answer_correct(traj: Trajectory, ctx: EvalContext, judge: str | None, extractor: str) -> Evidence:
    from ..judges import judge_name

    answer = locate_answer(traj, ctx, extractor)
    if answer.text is None:
        return Evidence(f"no answer ({extractor}): not correct", answer=answer, value=0.0)
    grade = ctx.judge_for(traj, judge)  # the term's rule: the spec's judge, else the record's, else math
    judge = judge_name(judge, traj.record)
    try:
        value = float(grade(answer.text, traj.gold))
        value = min(1.0, max(0.0, value)) if math.isfinite(value) else value
    except Exception as exc:  # as the term: a judge failing on odd input means "not shown correct"
        return Evidence(
            f"judge {judge!r} failed ({type(exc).__name__}): not correct",
            answer=answer,
            verdict=Verdict(judge, answer.text, traj.gold, 0.0, f"failed: {exc}"),
            value=0.0,
        )
    decided = None
    account = getattr(grade, "explain", None)
    if callable(account):
        try:
            decided = account(answer.text, traj.gold)
        except Exception as exc:
            decided = f"(the judge could not say: {type(exc).__name__})"
    word = "correct" if value == 1.0 else "wrong" if value == 0.0 else f"{value:g}"
    summary = f"{_quote(answer.text)} against gold {_quote(traj.gold)}: {word} (judge {judge!r})"
    return Evidence(summary, answer=answer, verdict=Verdict(judge, answer.text, traj.gold, value, decided), value=value)


def tool_calls(traj: Trajectory, ctx: EvalContext) -> Evidence:
    calls = _calls(traj, ctx)
    return Evidence(
        f"{len(calls)} named call{'s' if len(calls) != 1 else ''}",
        calls=tuple(CallEvidence(i + 1, c.name, c.arguments, s) for i, (c, s) in enumerate(calls)),
        value=float(len(calls)),
    )


def teacher_tool_calls(traj: Trajectory, ctx: EvalContext, ref: str) -> Evidence:
    names = tuple(ctx.reference(traj, ref).names)
    return Evidence(
        f"the teacher made {len(names)} call{'s' if len(names) != 1 else ''}: {', '.join(names) or '-'}",
        teacher=_names(names),
        value=float(len(names)),
    )


def no_hallucination(traj: Trajectory, ctx: EvalContext, tools: str | None) -> Evidence:
    available, where = ctx.available(traj, tools), _available_from(traj, ctx, tools)
    calls = []
    for i, (call, span) in enumerate(_calls(traj, ctx)):
        known = call.name in available
        calls.append(
            CallEvidence(
                i + 1,
                call.name,
                call.arguments,
                span,
                known,
                None if known else f"{call.name!r} is not an available tool ({where})",
            )
        )
    bad = [c.name for c in calls if not c.valid]
    summary = f"hallucinated: {', '.join(map(repr, bad))}" if bad else f"every called tool is available ({where})"
    return Evidence(summary, calls=tuple(calls), value=0.0 if bad else 1.0)


def tool_match(
    traj: Trajectory, ctx: EvalContext, ref: str, mode: str, tools: str | None, valid_only: bool
) -> Evidence:
    available, where = ctx.available(traj, tools), _available_from(traj, ctx, tools)
    registered = ctx.registry.tools
    teacher = ctx.reference(traj, ref).names
    counted, calls = [], []
    for i, (call, span) in enumerate(_calls(traj, ctx)):
        invalid = _unusable(call, registered, available, where)
        if valid_only:
            reason = invalid
        else:
            reason = None if call.name in available else f"{call.name!r} is not an available tool ({where})"
        if reason is None:
            counted.append(call.name)
            # What valid_only=false lets through: say so, it is how a call without its
            # arguments earns the match.
            note = f"counted though invalid: {invalid}" if invalid else None
        else:
            note = reason
        calls.append(
            CallEvidence(
                i + 1, call.name, call.arguments, span, reason is None, note, reason is None and call.name in teacher
            )
        )
    value = name_set_score(counted, teacher, mode)
    student, reference = set(counted), set(teacher)
    summary = f"{mode}: student {_listing(_names(student))} vs teacher {_listing(_names(reference))}" + (
        " (valid calls only)" if valid_only else ""
    )
    return Evidence(
        summary,
        calls=tuple(calls),
        teacher=_names(teacher),
        matched=_names(student & reference),
        missing=_names(reference - student),
        extra=_names(student - reference),
        value=value,
    )


def arg_overlap(traj: Trajectory, ctx: EvalContext, ref: str) -> Evidence:
    from .matching import arg_overlap as score

    located = _calls(traj, ctx)
    student = [c for c, _ in located]
    reference = ctx.reference(traj, ref)
    teacher, names_only = reference.calls, reference.names_only
    value = score(student, teacher, names_only)
    # The pairing the score makes: greedy, best pair first (matching.arg_overlap).
    candidates = sorted(
        (-pair_score(tc, sc, names_only), i, j)
        for i, tc in enumerate(teacher)
        for j, sc in enumerate(student)
        if sc.name == tc.name
    )
    used_t, used_s, pairs = set(), set(), []
    for neg, i, j in candidates:
        if i not in used_t and j not in used_s:
            used_t.add(i)
            used_s.add(j)
            pairs.append((f"teacher call {i + 1} ({teacher[i].name}) with student call {j + 1}", -neg))
    calls = tuple(CallEvidence(j + 1, c.name, c.arguments, s, matched=j in used_s) for j, (c, s) in enumerate(located))
    unpaired = len(teacher) - len(used_t) + len(student) - len(used_s)
    summary = (
        f"{len(pairs)} pair{'s' if len(pairs) != 1 else ''} over max({len(teacher)} teacher, "
        f"{len(student)} student) calls"
        + (f"; {unpaired} unpaired" if unpaired else "")
        + ("; names only (the teacher gave bare names)" if names_only else "")
    )
    return Evidence(summary, calls=calls, teacher=_names(c.name for c in teacher), facts=tuple(pairs), value=value)


def strict_match(traj: Trajectory, ctx: EvalContext, ref: str, ordered: bool) -> Evidence:
    located = _calls(traj, ctx)
    student = [c for c, _ in located]
    reference = ctx.reference(traj, ref)
    equal = calls_equal(student, reference.calls, reference.names_only, ordered)
    how = "in order" if ordered else "in any order"
    summary = (
        f"the calls equal the teacher's ({how})"
        if equal
        else f"the calls differ from the teacher's ({how}): {len(student)} student, {len(reference.calls)} teacher"
    )
    return Evidence(
        summary,
        calls=tuple(CallEvidence(i + 1, c.name, c.arguments, s) for i, (c, s) in enumerate(located)),
        teacher=_names(reference.names),
        value=1.0 if equal else 0.0,
    )


def calls_valid(traj: Trajectory, ctx: EvalContext, tools: str | None) -> Evidence:
    available, where = ctx.available(traj, tools), _available_from(traj, ctx, tools)
    registered = ctx.registry.tools
    calls = []
    for i, (call, span) in enumerate(_calls(traj, ctx, named=False)):
        reason = _unusable(call, registered, available, where)
        calls.append(CallEvidence(i + 1, call.name, call.arguments, span, reason is None, reason))
    bad = sum(1 for c in calls if not c.valid)
    summary = f"{bad} of {len(calls)} calls invalid" if bad else f"all {len(calls)} calls valid"
    return Evidence(summary, calls=tuple(calls), value=0.0 if bad else 1.0)


def calls_well_formed(traj: Trajectory, ctx: EvalContext) -> Evidence:
    calls = []
    for i, (call, span) in enumerate(_calls(traj, ctx, named=False)):
        reason = (
            None
            if call.well_formed
            else (call.error or ("no name" if call.name is None else "its arguments are not an object"))
        )
        calls.append(CallEvidence(i + 1, call.name, call.arguments, span, reason is None, reason))
    bad = sum(1 for c in calls if not c.valid)
    summary = f"{bad} of {len(calls)} calls malformed" if bad else f"all {len(calls)} calls well formed"
    return Evidence(summary, calls=tuple(calls), value=0.0 if bad else 1.0)


def exec_success(traj: Trajectory, ctx: EvalContext) -> Evidence:
    located = _calls(traj, ctx)
    if traj.tool_results is not None:
        flags, source = list(traj.tool_results), "the record's tool_results"
    else:
        flags, source = [result.ok for _, result in traj.exec_results or []], "running the calls"
    outcome = {True: "ran without error", False: "failed", None: None}
    calls = tuple(
        CallEvidence(i + 1, c.name, c.arguments, s, reason=outcome[flags[i] if i < len(flags) else None])
        for i, (c, s) in enumerate(located)
    )
    good = sum(1 for f in flags if f)
    value = good / len(flags) if flags else 0.0
    summary = f"{good} of {len(flags)} calls succeeded ({source})" if flags else "no calls: 0"
    return Evidence(summary, calls=calls, value=value)


def format_term(traj: Trajectory, ctx: EvalContext, regex: str) -> Evidence:
    from .builtin import _compiled

    match = _compiled(regex).search(traj.text)
    if match is None:
        return Evidence("the completion does not match the regex", value=0.0)
    excerpt = match.group()
    excerpt = excerpt if len(excerpt) <= 60 else excerpt[:57] + "..."
    return Evidence(
        f"matches at {match.start()}-{match.end()}: {excerpt!r}",
        facts=(("match", [match.start(), match.end()]),),
        value=1.0,
    )


def step(traj: Trajectory, ctx: EvalContext) -> Evidence:
    return Evidence(f"global step {ctx.step}", value=float(ctx.step))


def toolrl_correct(traj: Trajectory, ctx: EvalContext, ref: str) -> Evidence:
    from .baselines import toolrl_score

    located = _calls(traj, ctx, named=False)
    reference = ctx.reference(traj, ref)
    value = toolrl_score([c for c, _ in located], reference.calls)
    calls = tuple(
        CallEvidence(i + 1, c.name, c.arguments, s, c.well_formed, None if c.well_formed else (c.error or "malformed"))
        for i, (c, s) in enumerate(located)
    )
    return Evidence(
        f"ToolRL correctness {value:g} in [-3, 3]",
        calls=calls,
        teacher=_names(reference.names),
        value=value,
    )


def bfcl_match(traj: Trajectory, ctx: EvalContext) -> Evidence:
    from .baselines import bfcl_match as term

    value = term([traj], ctx)[0]
    located = _calls(traj, ctx, named=False)
    calls = tuple(CallEvidence(i + 1, c.name, c.arguments, s) for i, (c, s) in enumerate(located))
    return Evidence("BFCL's grading " + ("accepts" if value else "rejects") + " the calls", calls=calls, value=value)


#: Term name -> its explain function; `register_terms` attaches them (terms/builtin.py).
EXPLAIN: dict[str, Callable[..., Evidence]] = {
    "finished": finished,
    "answer_present": answer_present,
    "answer_correct": answer_correct,
    "tool_calls": tool_calls,
    "teacher_tool_calls": teacher_tool_calls,
    "no_hallucination": no_hallucination,
    "tool_match": tool_match,
    "arg_overlap": arg_overlap,
    "strict_match": strict_match,
    "calls_valid": calls_valid,
    "calls_well_formed": calls_well_formed,
    "exec_success": exec_success,
    "format": format_term,
    "step": step,
    "toolrl_correct": toolrl_correct,
    "bfcl_match": bfcl_match,
}
