"""`mentor compile SPEC`: check a spec and show what it computes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import compiler, library
from ..compiler import Plan
from ..trajectory import OPTIONAL_FIELDS
from .options import fmt, parse_set, set_option, spec_file


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


def describe(plan: Plan, only: str | None = None) -> list:
    """What `mentor compile` prints: text lines and one table per reward (display.echo)."""
    from ..display import table

    out: list = []
    programs = [plan.reward(only)] if only else list(plan.rewards)
    used = {i for p in programs for i in p.terms}
    out.append(
        f"{plan.source_name}: ok ({len(programs)} reward{'s' if len(programs) != 1 else ''}, "
        f"{len(used)} term{'s' if len(used) != 1 else ''})"
    )
    for program in programs:
        weights = dict(program.weights)
        out.append("")
        out.append(f"reward {program.name}: range [{fmt(program.range.lo)}, {fmt(program.range.hi)}]")
        rows = []
        for index in program.terms:
            use = plan.terms[index]
            rows.append(
                [
                    use.key,
                    _args(use.args),
                    ", ".join(weights.get(use.key, ())),
                    f"[{fmt(use.range.lo)}, {fmt(use.range.hi)}]",
                    ", ".join(use.fields),
                ]
            )
        out.append(table(["term", "arguments", "weights", "range", "fields"], rows))
        if program.bindings:
            out.append("bindings: " + ", ".join(name for name, _ in program.bindings))
        out.append("record fields: " + ", ".join(record_fields(plan, program.name)))
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
    return out


def record_fields(plan: Plan, reward: str) -> list[str]:
    """The record fields a reward reads: `completion`, then what its terms need."""
    return ["completion"] + [f for f in plan.fields(reward) if f not in OPTIONAL_FIELDS and f != "completion"]


def plan_json(plan: Plan, only: str | None = None) -> dict:
    """`mentor compile --json`: the compiled plan (what -o writes), each reward with the
    record fields it reads; only the selected reward for FILE::REWARD."""
    data = plan.to_json()
    for reward in data["rewards"]:
        reward["record_fields"] = record_fields(plan, reward["name"])
    if only:
        data["rewards"] = [r for r in data["rewards"] if r["name"] == only]
    return data


@click.command("compile")
@click.argument("spec")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the compiled plan (JSON) to this file.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the compiled plan as JSON (each reward with the record fields it reads) instead of tables.",
)
@set_option
def compile_command(spec: str, output: Path | None, as_json: bool, overrides: tuple[str, ...]) -> None:
    """Check SPEC (a .mdsl file or a library name such as `mentor`) and print its terms,
    weights, value range and the record fields it needs."""
    from ..display import echo

    if output is not None:
        from ..outputs import check_paths

        check_paths([output], [spec_file(spec)])
    text, shown, selected = library.open_spec(spec)
    plan = compiler.compile(text, None, parse_set(overrides), name=shown)
    if selected:
        plan.reward(selected)
    if as_json:
        click.echo(json.dumps(plan_json(plan, selected), indent=2, ensure_ascii=False))
    else:
        echo(*describe(plan, selected))
    if output is not None:
        from ..outputs import write_text

        write_text(output, compiler.dumps(plan), inputs=[spec_file(spec)])
        click.echo(f"wrote {output}", err=as_json)
