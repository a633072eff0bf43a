"""`mentor diff SPEC_A SPEC_B --data FILE`: two rewards on the same records."""

from __future__ import annotations

import json

import click

from ..errors import RecordError
from .options import parse_set, tool_executor, tool_limit_option

EXIT_SKIPPED = 1


def _labels(a: str, b: str, set_a: dict, set_b: dict) -> tuple[str, str]:
    def label(spec: str, params: dict) -> str:
        return spec + (" (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")" if params else "")

    first, second = label(a, set_a), label(b, set_b)
    return (first, second) if first != second else (f"{first} [A]", f"{second} [B]")


def _percent(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.0f}%)" if whole else "0 of 0"


def _value(x: float) -> str:
    from ..explain import number

    return number(x)


@click.command("diff")
@click.argument("spec_a")
@click.argument("spec_b")
@click.option("--data", required=True, help="Trajectory records (any form `mentor score --data` takes).")
@click.option(
    "--top",
    type=click.IntRange(0),
    default=3,
    show_default=True,
    help="How many of the records they disagree on most to show, with both explain traces.",
)
@click.option("--set-a", "set_a", multiple=True, metavar="NAME=VALUE", help="Override a parameter of SPEC_A.")
@click.option("--set-b", "set_b", multiple=True, metavar="NAME=VALUE", help="Override a parameter of SPEC_B.")
@click.option(
    "--eos",
    default=None,
    help="The text that marks a finished completion [default: the embedded student's end of turn].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON (traces included).")
@tool_limit_option
def diff_command(
    spec_a: str,
    spec_b: str,
    data: str,
    top: int,
    set_a: tuple[str, ...],
    set_b: tuple[str, ...],
    eos: str | None,
    as_json: bool,
    tool_limits: tuple[str, ...],
) -> None:
    """Compare two rewards on the same records: their rank correlation (Spearman), how
    often they order the completions of a GRPO group differently (groups: the records'
    `group` field, else their `prompt`, else their ids without a trailing counter, `q17-3`),
    and the records they disagree on most, with both explain traces side by side.

    Records either reward cannot score are reported and left out (exit status 1)."""
    from ..data.sources import open_source
    from ..reward import load
    from ..reward_diff import compare, group_key
    from .traces import console, tree

    params_a, params_b = parse_set(set_a, "--set-a"), parse_set(set_b, "--set-b")
    rewards = (load(spec_a, eos=eos, **params_a), load(spec_b, eos=eos, **params_b))
    executor = tool_executor(tool_limits)
    for reward in rewards:
        reward.use_executor(executor)
    names = _labels(spec_a, spec_b, params_a, params_b)
    source = open_source(data)
    positions, records, skipped = [], [], 0
    for where, record in source:
        if isinstance(record, RecordError):
            click.echo(f"{where}: {record.message}", err=True)
            skipped += 1
            continue
        positions.append(where)
        records.append(record)
    default_ids = [w.default_id or str(i) for i, w in enumerate(positions)]
    results = [r.score(records, on_error="skip", ids=default_ids) for r in rewards]
    keep = []
    for i, where in enumerate(positions):
        errors = [(name, res.errors[i]) for name, res in zip(names, results) if i in res.errors]
        for name, error in errors:
            click.echo(f"{where}: record {error.record_id!r}: {error.message} ({name})", err=True)
        if errors:
            skipped += 1
        else:
            keep.append(i)
    ids = [results[0].ids[i] for i in keep]
    a = [float(results[0].rewards[i]) for i in keep]
    b = [float(results[1].rewards[i]) for i in keep]
    keys = [group_key(records[i], results[0].ids[i]) for i in keep]
    comparison = compare(names, ids, a, b, keys, top=top, skipped=skipped)
    traces = [
        (d, [r.explain(records[keep[d.index]], position=str(positions[keep[d.index]])) for r in rewards])
        for d in comparison.top
    ]

    if as_json:
        body = comparison.to_json()
        for entry, (_, pair) in zip(body["disagreements"], traces):
            entry["traces"] = {names[0]: pair[0].to_json(), names[1]: pair[1].to_json()}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        out = console()
        _summary(out, comparison, data)
        for d, pair in traces:
            _side_by_side(out, comparison, d, pair, tree)
    if skipped:
        raise SystemExit(EXIT_SKIPPED)


def _summary(out, c, data: str) -> None:
    from ..display import table

    name_a, name_b = c.names
    g = c.groups
    lines = [
        f"{name_a} vs {name_b} on {data}: {len(c.ids)} records"
        + (f" ({c.skipped} skipped)" if c.skipped else "")
        + f", {g.groups} groups of 2 or more",
        "  rank correlation (Spearman): "
        + ("undefined (a reward is constant)" if c.spearman is None else f"{c.spearman:.3f}"),
        f"  mean reward: {name_a} {_value(sum(c.a) / len(c.a)) if c.a else '-'}, "
        f"{name_b} {_value(sum(c.b) / len(c.b)) if c.b else '-'}",
    ]
    if g.groups:
        lines += [
            f"  groups ordered differently: {_percent(g.reordered, g.groups)}",
            f"  pairs within groups: {g.pairs}; ordered oppositely {_percent(g.opposite, g.pairs)}; "
            f"tied under one reward only {_percent(g.tied_in_one, g.pairs)}",
            f"  groups with no signal (every reward equal): {name_a} {g.flat_a}, {name_b} {g.flat_b}",
        ]
    else:
        lines.append("  no groups: records share no `group`, `prompt` or id prefix")
    for line in lines:
        out.print(line, markup=False, highlight=False)
    if not c.top:
        out.print("  the rewards rank every record alike", markup=False)
        return
    measure = c.top[0].measure
    shown = "{:+.2f}" if measure == "advantage" else "{:.2f}"
    rows = [[c.ids[d.index], _value(d.a), _value(d.b), shown.format(d.where_a), shown.format(d.where_b)] for d in c.top]
    drawn = table(
        ["record", name_a, name_b, f"{measure} {name_a}", f"{measure} {name_b}"],
        rows,
        justify=["left", "right", "right", "right", "right"],
    )
    how = "by advantage: the reward standardised within its group" if measure == "advantage" else "by percentile rank"
    out.print(f"\nrecords they disagree on most ({how}):", markup=False)
    out.print(drawn)


def _side_by_side(out, c, d, pair, tree) -> None:
    from rich.rule import Rule
    from rich.table import Table

    out.print(Rule(f"record {c.ids[d.index]!r}", style="dim"))
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(tree(pair[0]), tree(pair[1]))
    out.print(grid)
    out.print("completion:", markup=False)
    out.print(pair[0].completion, markup=False, highlight=False, soft_wrap=True)
