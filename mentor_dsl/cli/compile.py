"""`mentor compile SPEC`: check a spec and show what it computes."""

from __future__ import annotations

from pathlib import Path

import click

from .. import compiler, library
from ..compiler import Plan
from ..trajectory import OPTIONAL_FIELDS
from .options import fmt, parse_set, set_option, spec_file, table


def _args(args) -> str:
    parts = []
    for name, value in args:
        if value is None:
            continue
        if name == "ref":
            parts.append(str(value))
        elif isinstance(value, str):
            text = value.replace("\n", "\\n").replace("\t", "\\t")
            if len(text) > 48:
                text = text[:45] + "..."
            parts.append(f'{name}="{text}"')
        elif isinstance(value, bool):
            parts.append(f"{name}={'true' if value else 'false'}")
        else:
            parts.append(f"{name}={fmt(value)}")
    return ", ".join(parts)


def describe(plan: Plan, only: str | None = None) -> str:
    out = []
    programs = [plan.reward(only)] if only else list(plan.rewards)
    used = {i for p in programs for i in p.terms}
    out.append(f"{plan.source_name}: ok ({len(programs)} reward{'s' if len(programs) != 1 else ''}, "
               f"{len(used)} term{'s' if len(used) != 1 else ''})")
    for program in programs:
        weights = dict(program.weights)
        out.append("")
        out.append(f"reward {program.name}: range [{fmt(program.range.lo)}, {fmt(program.range.hi)}]")
        rows = []
        for index in program.terms:
            use = plan.terms[index]
            rows.append([use.key, _args(use.args), ", ".join(weights.get(use.key, ())),
                         f"[{fmt(use.range.lo)}, {fmt(use.range.hi)}]", ", ".join(use.fields)])
        out.append(table(rows, ["term", "arguments", "weights", "range", "fields"]))
        if program.bindings:
            out.append("  bindings: " + ", ".join(name for name, _ in program.bindings))
        needed = [f for f in plan.fields(program.name) if f not in OPTIONAL_FIELDS]
        out.append("  record fields: completion" + "".join(f", {f}" for f in needed))
    if plan.params:
        ranges = {r.name: r for r in plan.param_ranges}

        def param(name, value) -> str:
            shown = f"{name} = {value!r}" if isinstance(value, str) else f"{name} = {fmt(value)}"
            bounds = ranges.get(name)
            return shown + (f" in [{fmt(bounds.low)}, {fmt(bounds.high)}]" if bounds else "")

        out.append("")
        out.append("parameters: " + ", ".join(param(k, v) for k, v in plan.params))
    if plan.options:
        out.append("options: " + ", ".join(f"{k} = {v!r}" for k, v in plan.options))
    for warning in plan.warnings:
        out.append(f"warning: {warning}")
    return "\n".join(out)


@click.command("compile")
@click.argument("spec")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the compiled plan (JSON) to this file.")
@set_option
def compile_command(spec: str, output: Path | None, overrides: tuple[str, ...]) -> None:
    """Check SPEC (a .mdsl file or a library name such as `mentor`) and print its terms,
    weights, value range and the record fields it needs."""
    if output is not None:
        from ..outputs import check_paths

        check_paths([output], [spec_file(spec)])
    text, shown, selected = library.open_spec(spec)
    plan = compiler.compile(text, None, parse_set(overrides), name=shown)
    if selected:
        plan.reward(selected)
    click.echo(describe(plan, selected))
    if output is not None:
        from ..outputs import write_text

        write_text(output, compiler.dumps(plan), inputs=[spec_file(spec)])
        click.echo(f"wrote {output}")
