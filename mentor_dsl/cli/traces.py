"""Showing an explain trace (mentor_dsl/explain.py): a rich tree, and the completion with
its calls, answer and tool responses marked. `mentor explain`, `mentor test` (on a
failure) and `mentor diff` share it.

On a terminal the marks are colours; in a pipe or a file the tree is plain text and each
mark is listed with its offsets, so the output reads the same without colour.
"""

from __future__ import annotations

import sys
from typing import Any

from ..explain import Step, TermTrace, Trace, number

#: Mark status -> style on a terminal.
STYLES = {
    "matched": "bold green",
    "valid": "green",
    "invalid": "bold red",
    "call": "yellow",
    "answer": "bold reverse cyan",
    "response": "dim",
}
_OUTCOME = {
    "passed": ("✓", "green"),
    "retired": ("✗", "bold red"),
    "computed": ("", ""),
    "not computed": ("·", "dim"),
    "not reached": ("·", "dim"),
}


#: Columns of output that goes to a pipe or a file (rich would take 80): trees are wide.
PIPE_WIDTH = 120


def console(stderr: bool = False, width: int | None = None):
    """The console traces are printed on (stdout by default): the terminal's width, or
    `COLUMNS`, or PIPE_WIDTH when writing to a pipe or a file."""
    import os

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if width is None and not os.environ.get("COLUMNS") and not (hasattr(stream, "isatty") and stream.isatty()):
        width = PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _span(span) -> str:
    return f" at {span.start}-{span.end}" if span is not None else ""


def _term_node(parent, term: TermTrace) -> None:
    evidence = term.evidence
    head = f"[bold]{_escape(term.key)}[/] = {number(term.value)}"
    if evidence is not None and evidence.summary:
        head += f": {_escape(evidence.summary)}"
    node = parent.add(head)
    if term.error:
        node.add(f"[bold red]! {_escape(term.error)}[/]")
    if evidence is None:
        return
    if evidence.answer is not None and evidence.answer.text is not None:
        node.add(
            f"answer {_escape(_short(evidence.answer.text))} ({evidence.answer.extractor}){_span(evidence.answer.span)}"
        )
    if evidence.verdict is not None:
        v = evidence.verdict
        word = "correct" if v.value == 1.0 else "wrong" if v.value == 0.0 else number(v.value)
        line = f"judge {v.judge}: {word} against gold {_escape(_short(v.gold))}"
        if v.decided_by:
            line += f"; {_escape(v.decided_by)}"
        node.add(line)
    for call in evidence.calls:
        flags = []
        counts = call.matched is not None  # a matching term says "counted", others "valid"
        if call.valid is True:
            flags.append(_escape(call.reason) if call.reason else "[green]counted[/]" if counts else "[green]valid[/]")
        elif call.valid is False:
            word = "[red]not counted[/]" if counts else "[red]invalid[/]"
            flags.append(f"{word}: {_escape(call.reason)}" if call.reason else word)
        elif call.reason:
            flags.append(_escape(call.reason))
        if call.matched:
            flags.append("[green]matches the teacher[/]")
        arguments = "" if call.arguments is None else " " + _escape(_short(call.arguments, 40))
        node.add(
            f"call {call.index}: {_escape(str(call.name))}{arguments}{_span(call.span)}"
            + (f": {', '.join(flags)}" if flags else "")
        )
    if evidence.matched or evidence.missing or evidence.extra:
        node.add(
            "matched {"
            + ", ".join(evidence.matched)
            + "}, missing {"
            + ", ".join(evidence.missing)
            + "}, extra {"
            + ", ".join(evidence.extra)
            + "}"
        )
    for label, value in evidence.facts:
        node.add(f"{_escape(str(label))}: {_escape(_short(value))}")


def _step_label(step: Step) -> str:
    mark, style = _OUTCOME[step.outcome]
    source = _escape(step.source)
    prefix = f"[{style}]{mark}[/] " if style else (f"{mark} " if mark else "")
    if step.outcome == "not reached":
        return f"[dim]{mark} {source}  (not reached)[/]"
    if step.kind == "guard":
        label = f"{prefix}{source}"
        if step.worked:
            label += f"   [dim]{_escape(step.worked)}[/]"
        if step.outcome == "retired":
            label += f"   [bold red]retired: the reward is {number(step.otherwise)}[/]"
        return label
    if step.outcome == "not computed":
        return f"[dim]{mark} {source}  (not computed)[/]"
    shown = _escape(step.worked) if step.worked else number(step.value)
    if step.kind == "value":
        return f"[bold]reward =[/] {source}   → {shown}"
    return f"{source}   → {shown}"


def tree(trace: Trace):
    """The trace as a rich Tree: statements in order, each with the terms it reads first."""
    from rich.tree import Tree

    where = f" ({trace.position})" if trace.position else ""
    root = Tree(
        f"[bold]reward {_escape(trace.reward)} = {number(trace.value)}[/]   "
        f"record {_escape(repr(trace.record_id))}{_escape(where)}, {_escape(trace.spec)}, "
        f"range [{number(trace.range[0])}, {number(trace.range[1])}]"
    )
    for step in trace.steps:
        node = root.add(_step_label(step))
        for key in step.terms:
            term = trace.terms.get(key)
            if term is not None and term.value is not None:
                _term_node(node, term)
    for note in trace.notes:
        root.add(f"[bold red]! {_escape(note)}[/]")
    return root


def completion(trace: Trace, *, colour: bool):
    """The completion text: with its marks styled (colour), or plain with a list of the
    marks and their offsets after it."""
    from rich.text import Text

    text = Text(trace.completion)
    if colour:
        for mark in trace.marks:
            text.stylize(STYLES.get(mark.status, ""), mark.start, mark.end)
    return text


def marks_table(trace: Trace) -> str:
    """One line per mark: its offsets and what it is (an answer with its text)."""
    rows = []
    for mark in trace.marks:
        label = mark.label
        if mark.kind == "answer":
            label += ": " + _short(trace.completion[mark.start : mark.end], 50)
        rows.append((f"{mark.start}-{mark.end}", label))
    width = max((len(a) for a, _ in rows), default=0)
    return "\n".join(f"  {a.ljust(width)}  {b}" for a, b in rows)


def print_trace(trace: Trace, out=None, *, show_completion: bool = True) -> None:
    """The tree, then the completion with its marks."""
    from rich.rule import Rule

    out = out or console()
    out.print(tree(trace))
    if not show_completion:
        return
    out.print(Rule("completion", style="dim"))
    out.print(completion(trace, colour=out.is_terminal and not out.no_color), soft_wrap=True)
    listed = marks_table(trace)
    if listed:
        if out.is_terminal:
            legend = "  ".join(f"[{style}]{name}[/]" for name, style in STYLES.items())
            out.print(f"marks: {legend}")
        else:
            out.print("marks:")
        out.print(listed, markup=False, soft_wrap=True)
