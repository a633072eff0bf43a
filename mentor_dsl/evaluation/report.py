"""Compare evaluation runs side by side: an HTML page, a PNG, or one PNG per chart, all drawn
by matplotlib (`charts`: inline SVG in the page, panels of the PNG). matplotlib is the
`plot` extra, `pip install "mentor[plot]"`; without it a report is a clean error, checked
before an evaluation starts.

What it compares are runs: eval.json files and run folders (`methods.load_runs`), labelled
by their names (`runs/NAME/model` -> NAME). With a seed pattern, runs of one method are
pooled over their seeds (`methods.pool`) and every chart and table shows methods. It shows:

* accuracy per split group and per source, with 95% Wilson intervals;
* accuracy against similarity to the teacher's tool distribution (1 - JSD), one point per
  run (or method) and split group: the view of the MENTOR paper's figure, where a
  teacher-guided reward reaches high accuracy without copying the teacher's tool choice
  exactly;
* OOD accuracy bars (the OOD group and each OOD source) per run, with their intervals;
* with `--reward`: the mean of each reward term per split group;
* for runs with a training run folder: the per-step training curves of the reward and
  each term (the folder's metrics.jsonl), a method's runs as their mean and range;
* a few example trajectories per split, with their per-term rewards;
* tool use per run and split, and each run's configuration.

The charts by name (CHARTS): accuracy, similarity, ood, terms, training.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from ..errors import DataError
from . import charts
from .methods import pool, unique_names
from .metrics import SPLIT_ORDER, wilson_interval
from .tasks import SOURCES

HTML_SUFFIXES = (".html", ".htm")
PNG_SUFFIXES = (".png",)
SPLIT_MARKERS = dict(zip(SPLIT_ORDER, charts.MARKERS))
SIMILARITY_LABEL = "similarity to the teacher's tool distribution (1 - JSD)"
#: At most this many runs' examples are shown (the first ones), to keep the page readable.
EXAMPLE_RUNS = 4
_PLOT_HINT = 'pip install "mentor[plot]"'


def have_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def check_report_path(path: str | os.PathLike) -> str:
    """'html' or 'png' for a report path; a clean error for anything else, or when
    matplotlib is missing (checked before an evaluation spends minutes generating)."""
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        kind = "html"
    elif suffix in PNG_SUFFIXES:
        kind = "png"
    else:
        raise DataError(f"{path}: a report is .html or .png, not {suffix or 'no suffix'!r}")
    if not have_matplotlib():
        raise DataError(f"{path}: reports draw their charts with matplotlib, which is not installed: {_PLOT_HINT}")
    return kind


def labels(runs: Sequence[dict[str, Any]]) -> list[str]:
    """Run names, made unique (a second 'default' becomes 'default #2')."""
    return unique_names(runs)


def _color(run: dict[str, Any], i: int) -> str:
    """A method's colour (`prepare` gives each one), else the i-th of the palette."""
    return run.get("color") or charts.color(i)


def prepare(runs: Sequence[dict[str, Any]], seed_pattern: str | None = None) -> list[dict[str, Any]]:
    """The methods a report draws (`methods.pool`: runs of one method pooled over their
    seeds when `seed_pattern` is given, else one per run), each with its colour."""
    if not runs:
        raise DataError("a report needs at least one run")
    methods = pool(runs, seed_pattern)
    for i, method in enumerate(methods):
        method["color"] = charts.color(i)
    return methods


# -- reading the runs ------------------------------------------------------------------------------


def _split(run: dict[str, Any], split: str) -> dict[str, Any] | None:
    return (run.get("metrics") or {}).get("splits", {}).get(split)


def _source(run: dict[str, Any], source: str) -> dict[str, Any] | None:
    for entry in (run.get("metrics") or {}).get("splits", {}).values():
        found = (entry.get("sources") or {}).get(source)
        if found is not None:
            return found
    return None


def _overall_or_split(run: dict[str, Any], column: str) -> dict[str, Any] | None:
    return (run.get("metrics") or {}).get("overall") if column == "overall" else _split(run, column)


def _value(entry: dict[str, Any] | None, key: str) -> float | None:
    value = entry.get(key) if entry else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def accuracy_interval(entry: dict[str, Any] | None) -> tuple[float, float] | None:
    """The entry's 95% Wilson interval: as eval.json recorded it, or (older files) from its
    accuracy and n."""
    if not entry:
        return None
    recorded = entry.get("accuracy_ci")
    if (
        isinstance(recorded, (list, tuple))
        and len(recorded) == 2
        and all(isinstance(v, (int, float)) for v in recorded)
    ):
        return float(recorded[0]), float(recorded[1])
    n = entry.get("n")
    return wilson_interval(_value(entry, "accuracy"), n if isinstance(n, int) else 0)


def _present_splits(runs: Sequence[dict[str, Any]]) -> list[str]:
    seen = {s for r in runs for s in ((r.get("metrics") or {}).get("splits") or {})}
    return [s for s in SPLIT_ORDER if s in seen] + sorted(seen - set(SPLIT_ORDER))


def _present_sources(runs: Sequence[dict[str, Any]]) -> list[str]:
    known = [s for group in SOURCES.values() for s in group]
    seen = {
        src
        for r in runs
        for e in ((r.get("metrics") or {}).get("splits") or {}).values()
        for src in (e.get("sources") or {})
    }
    return [s for s in known if s in seen] + sorted(seen - set(known))


def _ood_groups(runs: Sequence[dict[str, Any]]) -> list[str]:
    sources = [s for s in SOURCES["ood"] if any(_source(r, s) for r in runs)]
    return (["ood"] if any(_split(r, "ood") for r in runs) else []) + sources


def _ood_entry(run: dict[str, Any], group: str) -> dict[str, Any] | None:
    return _split(run, "ood") if group == "ood" else _source(run, group)


def scatter_points(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per run and split group that has both an accuracy and a similarity."""
    points = []
    for i, (run, label) in enumerate(zip(runs, labels(runs))):
        for split in _present_splits(runs):
            entry = _split(run, split)
            x, y = _value(entry, "teacher_similarity"), _value(entry, "accuracy")
            if entry is None or x is None or y is None:
                continue
            interval = accuracy_interval(entry)
            points.append(
                {
                    "x": x,
                    "y": y,
                    "run": label,
                    "split": split,
                    "color": _color(run, i),
                    "marker": SPLIT_MARKERS.get(split, "D"),
                    "low": interval[0] if interval else None,
                    "high": interval[1] if interval else None,
                    "title": f"{label} · {split}: accuracy {y:.3f}, similarity {x:.3f} (n={entry.get('n')})",
                }
            )
    return points


def term_means(runs: Sequence[dict[str, Any]]) -> tuple[list[str], dict[tuple[str, str, str], float | None]]:
    """The reward terms any run reports (in first-seen order), and each (run label, split,
    term) -> the term's mean over the split's scored tasks."""
    terms: dict[str, None] = {}
    values: dict[tuple[str, str, str], float | None] = {}
    for run, label in zip(runs, labels(runs)):
        for split in _present_splits(runs):
            for term, value in ((_split(run, split) or {}).get("reward_terms") or {}).items():
                terms.setdefault(term, None)
                values[(label, split, term)] = value if isinstance(value, (int, float)) else None
    return list(terms), values


def training_run(run: dict[str, Any]) -> Path | None:
    """The training run folder of a run, if it is still there: the run folder given as the
    report's input (`train_dir`, see `methods.load_run`), else the eval's `run_dir`, else
    (older eval.json files) the folder of its model path."""
    from ..models import RUN_METRICS, run_folder

    config = run.get("config") or {}
    for given in (run.get("train_dir"), config.get("run_dir")):
        if given:
            folder = Path(given)
            if (folder / RUN_METRICS).is_file():
                return folder
    if config.get("run_dir"):
        return None
    location = str(config.get("model_path") or "")
    if not location or location == "default":
        return None
    found = run_folder(location)
    return found if found is not None and (found / RUN_METRICS).is_file() else None


def training_metrics(folder: Path) -> list[dict[str, Any]]:
    """The rows of a run folder's metrics.jsonl that have a step; lines that are not JSON
    objects (a run killed mid-write) are left out."""
    from ..models import RUN_METRICS

    rows = []
    try:
        text = (folder / RUN_METRICS).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), (int, float)):
            rows.append(row)
    return rows


def training_curves(runs: Sequence[dict[str, Any]]) -> tuple[list[str], list[charts.Curve]]:
    """The metric keys to draw (the reward, each `reward/TERM`; the loss when no run has a
    reward) and a `charts.Curve` for each run or method with a training run folder: one
    metrics list per member run (a method pooled over seeds has several)."""
    found = []
    for i, (run, label) in enumerate(zip(runs, labels(runs))):
        members = []
        for member in run.get("members") or [run]:
            folder = training_run(member)
            rows = training_metrics(folder) if folder is not None else []
            if rows:
                members.append(rows)
        if members:
            found.append(charts.Curve(label, _color(run, i), members))
    keys: dict[str, None] = {}
    for curve in found:
        for member_rows in curve.members:
            for row in member_rows:
                for key, value in row.items():
                    if (key == "reward" or key.startswith("reward/")) and isinstance(value, (int, float)):
                        keys.setdefault(key, None)
    if not keys and any("loss" in r for curve in found for rows in curve.members for r in rows):
        keys["loss"] = None
    ordered = (["reward"] if "reward" in keys else []) + [k for k in keys if k != "reward"]
    # A run that logged none of these (SFT beside GRPO runs: a loss, no reward) has no line.
    return ordered, [c for c in found if any(c.series(key)[0] for key in ordered)]


def run_examples(run: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The example trajectories of a run: eval.json's, or picked from the rows of a result
    that was not saved yet."""
    if isinstance(run.get("examples"), dict):
        return run["examples"]
    if run.get("rows"):
        from .records import pick_examples

        return pick_examples(run["rows"])
    return {}


# -- charts ----------------------------------------------------------------------------------------

#: Every chart a report can draw, in the order it draws them, with what it needs: the
#: reason a chart asked for by name (`--chart`) cannot be drawn.
CHARTS = {
    "accuracy": "an evaluated run (an eval.json)",
    "similarity": "a split with both an accuracy and a teacher similarity",
    "ood": "out-of-domain results (runs evaluated with --split ood or all)",
    "terms": "reward terms (runs evaluated with --reward)",
    "training": "per-step training metrics (a training run folder's metrics.jsonl)",
}


def _evaluated(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs with evaluation metrics (a training run folder alone has none)."""
    return [run for run in runs if run.get("metrics")]


def _all_charts(runs: Sequence[dict[str, Any]]) -> list[charts.Chart]:
    """Every chart `runs` (prepared methods) have data for, in the order of CHARTS. Charts
    are drawn after this returns, so each one's draw function reads names of its own (a
    closure sees a variable's last value)."""
    evaluated = _evaluated(runs)
    names = labels(evaluated)
    series = [(label, _color(run, i)) for i, (run, label) in enumerate(zip(evaluated, names))]
    splits = _present_splits(evaluated)
    pooled = any(len(run.get("members") or ()) > 1 for run in evaluated)
    per = "method" if pooled else "run"
    out: list[charts.Chart] = []

    if evaluated:
        columns = splits + ["overall"]
        values = {
            (c, label): _value(_overall_or_split(run, c), "accuracy")
            for c in columns
            for run, label in zip(evaluated, names)
        }
        intervals = {
            (c, label): accuracy_interval(_overall_or_split(run, c))
            for c in columns
            for run, label in zip(evaluated, names)
        }
        accuracy_title = f"Accuracy per split and {per} (error bars: 95% Wilson intervals)"
        out.append(
            charts.Chart(
                "accuracy",
                accuracy_title,
                (9.0, 3.6),
                lambda fig: charts.bars(
                    fig.add_subplot(),
                    columns,
                    series,
                    values,
                    intervals=intervals,
                    title=accuracy_title,
                    ylabel="accuracy",
                ),
            )
        )

    points = scatter_points(evaluated)
    if points:
        kinds = [(s, SPLIT_MARKERS.get(s, "D")) for s in splits]
        similarity_title = f"Accuracy vs. teacher similarity, per {per} and split (95% Wilson intervals)"
        out.append(
            charts.Chart(
                "similarity",
                similarity_title,
                (9.0, 5.0),
                lambda fig: charts.scatter(
                    fig.add_subplot(),
                    points,
                    title=similarity_title,
                    xlabel=SIMILARITY_LABEL,
                    ylabel="accuracy",
                    series=series,
                    kinds=kinds,
                ),
            )
        )

    groups = _ood_groups(evaluated)
    if groups:
        ood = {
            (g, label): _value(_ood_entry(run, g), "accuracy") for g in groups for run, label in zip(evaluated, names)
        }
        ood_ci = {
            (g, label): accuracy_interval(_ood_entry(run, g)) for g in groups for run, label in zip(evaluated, names)
        }
        ood_title = f"Out-of-domain accuracy per {per} (error bars: 95% Wilson intervals)"
        out.append(
            charts.Chart(
                "ood",
                ood_title,
                (9.0, 3.6),
                lambda fig: charts.bars(
                    fig.add_subplot(), groups, series, ood, intervals=ood_ci, title=ood_title, ylabel="accuracy"
                ),
            )
        )

    terms, means = term_means(evaluated)
    scored = [s for s in splits if any(means.get((label, s, t)) is not None for label in names for t in terms)]
    rewarded = [
        (label, fill)
        for label, fill in series  # runs evaluated without --reward have no bars here
        if any(means.get((label, s, t)) is not None for s in scored for t in terms)
    ]
    if terms and scored:

        def draw_terms(fig):
            axes = fig.subplots(1, len(scored), squeeze=False)[0]
            for k, (ax, split) in enumerate(zip(axes, scored)):
                charts.bars(
                    ax,
                    terms,
                    rewarded,
                    {(t, label): means.get((label, split, t)) for t in terms for label, _ in rewarded},
                    title=split,
                    ylabel="mean term value" if k == 0 else "",
                    unit=False,
                    legend=k == len(scored) - 1,
                    slant=True,
                )
            fig.suptitle("Reward terms per split: each term's mean over the split's scored tasks", fontsize=10)

        out.append(
            charts.Chart(
                "terms", "Reward terms per split", (max(9.0, 3.2 * len(scored) + 0.35 * len(terms)), 4.1), draw_terms
            )
        )

    keys, curves = training_curves(runs)
    if keys and curves:
        rows = -(-len(keys) // 3)
        out.append(
            charts.Chart(
                "training",
                "Training curves: the reward and each term per step",
                (10.0, 2.6 * rows + 1.0),
                lambda fig: charts.curves(fig, keys, curves),
            )
        )
    return out


def select_charts(drawn: Sequence[charts.Chart], only: Sequence[str] | None) -> list[charts.Chart]:
    """The charts named in `only` (all of them when None), in the report's order; a name
    that is not a chart, or a chart the runs have no data for, is an error."""
    if not only:
        return list(drawn)
    unknown = [name for name in only if name not in CHARTS]
    if unknown:
        raise DataError(f"no chart named {', '.join(map(repr, unknown))}: the charts are {', '.join(CHARTS)}")
    have = {chart.name for chart in drawn}
    for name in only:
        if name not in have:
            raise DataError(f"chart {name!r} cannot be drawn: no run has {CHARTS[name]}")
    return [chart for chart in drawn if chart.name in only]


def build_charts(
    runs: Sequence[dict[str, Any]], *, seed_pattern: str | None = None, only: Sequence[str] | None = None
) -> list[charts.Chart]:
    """The charts of the report (those named in `only`, else every one the runs have data
    for), in order; the HTML page, the PNG and `write_charts` all draw these."""
    return select_charts(_all_charts(prepare(runs, seed_pattern)), only)


def write_report(
    runs: Sequence[Any],
    path: str | os.PathLike,
    *,
    title: str = "mentor eval report",
    seed_pattern: str | None = None,
    only: Sequence[str] | None = None,
) -> Path:
    """Write the comparison of `runs` (eval results, loaded eval.json objects or run
    folders' runs from `methods.load_runs`) to `path`: .html or .png by its suffix.
    `seed_pattern` pools runs into methods (`methods.pool`); `only` names the charts."""
    from ..outputs import write_bytes, write_text
    from .results import as_json

    if not runs:
        raise DataError("a report needs at least one run")
    runs = [as_json(run) for run in runs]  # an `evaluate` result reads as its eval.json form
    kind = check_report_path(path)
    if kind == "png":
        return write_bytes(path, charts.png(build_charts(runs, seed_pattern=seed_pattern, only=only), title))
    return write_text(path, render_html(runs, title=title, seed_pattern=seed_pattern, only=only))


def chart_paths(folder: str | os.PathLike, only: Sequence[str] | None = None) -> list[Path]:
    """Where `write_charts` may write: FOLDER/NAME.png for each chart (or each of `only`)."""
    return [Path(folder) / f"{name}.png" for name in (only or CHARTS)]


def write_charts(
    runs: Sequence[dict[str, Any]],
    folder: str | os.PathLike,
    *,
    title: str = "mentor eval report",
    seed_pattern: str | None = None,
    only: Sequence[str] | None = None,
) -> list[Path]:
    """Each chart as a PNG of its own, FOLDER/NAME.png (names: CHARTS), for pages that place
    charts one by one (docs/results.md); the files written, in order. A chart the runs
    have no data for is not written (unless `only` asks for it: then it is an error)."""
    from ..outputs import write_bytes

    if not have_matplotlib():
        raise DataError(f"{folder}: charts are drawn by matplotlib, which is not installed: {_PLOT_HINT}")
    return [
        write_bytes(Path(folder) / f"{chart.name}.png", charts.png([chart], title))
        for chart in build_charts(runs, seed_pattern=seed_pattern, only=only)
    ]


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; }
th { background: #f3f3f3; }
td.best { font-weight: bold; background: #eef6ee; }
td.ci { color: #666; font-size: 12px; }
p.note { color: #555; font-size: 13px; max-width: 800px; }
figure.chart { margin: 0 0 1.5em; }
figure.chart svg { max-width: 100%; height: auto; }
details { margin: 0.3em 0 0.8em; }
details pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 6px 9px; white-space: pre-wrap;
              word-break: break-word; font-size: 12px; max-height: 24em; overflow: auto; }
"""


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]]) -> str:
    """`rows` of (text, css class) cells; text is escaped here."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{c}">{escape(t)}</td>' if c else f"<td>{escape(t)}</td>" for t, c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _accuracy_table(runs, names, columns, entry_of, who: str = "run") -> str:
    """Runs by columns of accuracy, each with its 95% interval and n; `entry_of(run,
    column)` is the metrics entry. The best value of each column is marked when several
    runs are compared."""
    entries = [[entry_of(run, c) for c in columns] for run in runs]
    values = [[_value(e, "accuracy") for e in row] for row in entries]
    best = [max((x for x in (v[j] for v in values) if x is not None), default=None) for j in range(len(columns))]
    rows = []
    for label, row, entry_row in zip(names, values, entries):
        cells = [(label, "text")]
        for j, (value, entry) in enumerate(zip(row, entry_row)):
            interval = accuracy_interval(entry)
            shown = _num(value) + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")
            n = f" (n={entry.get('n')})" if entry else ""
            mark = "best" if len(runs) > 1 and value is not None and value == best[j] else ""
            cells.append((shown + n, mark))
        rows.append(cells)
    return _table([who, *columns], rows)


#: The runs table's columns that hold text (left-aligned): run, model, splits, reward,
#: created, versions, skipped, training run.
TEXT_COLUMNS = {0, 1, 2, 7, 9, 10, 11, 12}


def _steps(curve: charts.Curve) -> str:
    counts = [len(rows) for rows in curve.members]
    if len(counts) == 1:
        return f"{counts[0]} steps"
    return f"{len(counts)} runs: " + ", ".join(map(str, counts)) + " steps"


def _figure(chart: charts.Chart) -> str:
    return f'<figure class="chart" id="chart-{escape(chart.name)}">{charts.svg(chart)}</figure>'


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _examples_html(
    runs: Sequence[dict[str, Any]], names: Sequence[str], splits: Sequence[str], terms: Sequence[str]
) -> list[str]:
    shown = list(zip(runs, names))[:EXAMPLE_RUNS]
    picked = [(label, run_examples(run)) for run, label in shown]
    parts: list[str] = []
    for split in list(splits) + sorted({s for _, ex in picked for s in ex} - set(splits)):
        items = [(label, ex) for label, examples in picked for ex in examples.get(split, [])]
        if not items:
            continue
        used = [t for t in terms if any((ex.get("reward_terms") or {}).get(t) is not None for _, ex in items)]
        parts.append(f"<h3>{escape(split)}</h3>")
        rows = []
        for label, ex in items:
            values = ex.get("reward_terms") or {}
            rows.append(
                [
                    (label, "text"),
                    (str(ex.get("id", "")), "text"),
                    (str(ex.get("source", "")), "text"),
                    ("yes" if ex.get("correct") else "no", ""),
                    (_num(_value(ex, "reward")) if "reward" in ex else "–", ""),
                ]
                + [(_num(_value(values, t)), "") for t in used]
            )
        parts.append(_table(["run", "task", "source", "correct", "reward", *used], rows))
        for label, ex in items:
            verdict = ("correct" if ex.get("correct") else "wrong") + ("" if ex.get("finished") else ", unfinished")
            tools = ", ".join(ex.get("tool_names") or []) or "none"
            teacher = ex.get("teacher_names")
            summary = f"{label} · {ex.get('id', '')}: {verdict}; tools called: {tools}" + (
                f" (teacher: {', '.join(teacher) or 'none'})" if teacher is not None else ""
            )
            body = [
                f"<summary>{escape(summary)}</summary>",
                f'<p class="note">prompt</p><pre>{escape(_pretty(ex.get("prompt")))}</pre>',
                f'<p class="note">completion</p><pre>{escape(_pretty(ex.get("completion")))}</pre>',
            ]
            if ex.get("accuracy_error"):
                body.append(f'<p class="note">not gradable: {escape(str(ex["accuracy_error"]))}</p>')
            parts.append("<details>" + "".join(body) + "</details>")
    return parts


def render_html(
    runs: Sequence[dict[str, Any]],
    *,
    title: str = "mentor eval report",
    seed_pattern: str | None = None,
    only: Sequence[str] | None = None,
) -> str:
    """The HTML report: every table, and the charts (those named in `only`, else all)."""
    methods = prepare(runs, seed_pattern)
    drawn = {chart.name: chart for chart in select_charts(_all_charts(methods), only)}
    runs = _evaluated(methods)
    names = labels(runs)
    splits = _present_splits(runs)
    sources = _present_sources(runs)
    pooled = [m for m in methods if len(m.get("members") or ()) > 1]
    who = "method" if pooled else "run"
    members = [member for m in methods for member in (m.get("members") or [m])]
    parts = [
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        (
            f'<p class="note">{len(members)} run{"s" if len(members) != 1 else ""}: '
            f"{escape(', '.join(str(m.get('name')) for m in members))}. "
            f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Greedy decoding; accuracy is "
            'answer_correct(judge="math") on the task splits and BFCL\'s AST grading (bfcl_match) on BFCL. '
            "Brackets give the 95% Wilson score interval of each accuracy over its n tasks.</p>"
        ),
    ]
    if pooled:
        parts.append(
            '<p class="note">Runs are pooled into methods by their names (the seed part removed): '
            + escape("; ".join(f"{m['name']}: {', '.join(r['name'] for r in m['members'])}" for m in pooled))
            + ". A method's accuracy counts every task of every one of its runs (n is their sum) and its "
            "interval is that pooled proportion's; its other measures are means over its runs weighted by "
            "their n.</p>"
        )

    if runs:
        parts.append("<h2>Accuracy per split</h2>")
        parts.append(_accuracy_table(runs, names, splits + ["overall"], _overall_or_split, who))
    if "accuracy" in drawn:
        parts.append(_figure(drawn["accuracy"]))
    if sources:
        parts.append("<h2>Accuracy per source</h2>")
        parts.append(_accuracy_table(runs, names, sources, _source, who))

    if runs:
        parts.append("<h2>Accuracy and similarity to the teacher</h2>")
        parts.append(
            f'<p class="note">One point per {who} and split group, with the accuracy\'s 95% interval. The '
            "x axis is 1 minus the Jensen-Shannon divergence (base 2) between the student's and the "
            "teacher's distributions of called tool names over the split: 1 means the same tool mix as the "
            "teacher.</p>"
        )
        points = scatter_points(runs)
        if "similarity" in drawn:
            parts.append(_figure(drawn["similarity"]))
        if points:
            rows = [[(p["run"], "text"), (p["split"], "text"), (_num(p["y"]), ""), (_num(p["x"]), "")] for p in points]
            parts.append(_table([who, "split", "accuracy", "teacher similarity"], rows))
        else:
            parts.append("<p>No split has both an accuracy and a similarity.</p>")

    if "ood" in drawn:
        parts.append("<h2>Out-of-domain accuracy</h2>")
        parts.append(_figure(drawn["ood"]))

    terms, means = term_means(runs)
    if terms:
        parts.append("<h2>Reward terms per split</h2>")
        parts.append(
            '<p class="note">The mean of each term and binding of the --reward spec over the split\'s '
            "scored tasks (a task the spec cannot score, such as a math reward on BFCL, is left out).</p>"
        )
        rows = []
        for label in names:
            for split in splits:
                if any(means.get((label, split, t)) is not None for t in terms):
                    rows.append(
                        [(label, "text"), (split, "text")] + [(_num(means.get((label, split, t))), "") for t in terms]
                    )
        parts.append(_table(["run", "split", *terms], rows))
        if "terms" in drawn:
            parts.append(_figure(drawn["terms"]))

    if "training" in drawn:
        keys, curves = training_curves(methods)
        parts.append("<h2>Training curves</h2>")
        parts.append(
            '<p class="note">The reward and each term per logged step, from each training run folder\'s '
            "metrics.jsonl (trainers without a reward, such as SFT, log none): "
            + escape(", ".join(f"{c.label} ({_steps(c)})" for c in curves))
            + (". A method of several runs is drawn as their mean, its range shaded." if pooled else ".")
            + "</p>"
        )
        parts.append(_figure(drawn["training"]))

    if not runs:
        parts.append("<p>No run has been evaluated: only training curves are shown.</p>")
    parts.append("<h2>Tool use</h2>")
    parts.append(
        '<p class="note">call validity: the fraction of call blocks that parse, name an available tool and '
        "fit its JSON Schema. hallucination: the fraction of named calls whose tool is not available to the "
        "task. calls/task: the student's (the teacher's in brackets).</p>"
    )
    rows = []
    for run, label in zip(runs, names):
        for split in splits:
            entry = _split(run, split)
            if not entry:
                continue
            teacher = _value(entry, "teacher_calls_per_task")
            calls = _num(_value(entry, "calls_per_task"), 2) + (f" ({teacher:.2f})" if teacher is not None else "")
            reward = _value(entry, "reward")
            rows.append(
                [
                    (label, "text"),
                    (split, "text"),
                    (str(entry.get("n", "")), ""),
                    (_num(_value(entry, "accuracy")), ""),
                    (_num(_value(entry, "call_validity")), ""),
                    (_num(_value(entry, "hallucination_rate")), ""),
                    (calls, ""),
                    (_num(_value(entry, "teacher_similarity")), ""),
                    (_num(_value(entry, "finished_rate")), ""),
                    (_num(reward) if "reward" in entry else "–", ""),
                ]
            )
    parts.append(
        _table(
            [
                who,
                "split",
                "n",
                "accuracy",
                "call validity",
                "hallucination",
                "calls/task",
                "teacher similarity",
                "finished",
                "reward",
            ],
            rows,
        )
    )

    examples = _examples_html(runs, names, splits, terms)
    if examples:
        parts.append("<h2>Example trajectories</h2>")
        parts.append(
            '<p class="note">A few tasks per split (the first the student got right and the first it got '
            "wrong, then the next), with each term's value under --reward. Open one to read it."
            + (f" The first {EXAMPLE_RUNS} runs are shown." if len(runs) > EXAMPLE_RUNS else "")
            + "</p>"
        )
        parts.extend(examples)

    parts.append("<h2>Runs</h2>")
    rows = []
    for method in methods:
        for run in method.get("members") or [method]:
            config = run.get("config") or {}
            versions = config.get("versions") or {}
            folder = training_run(run)
            cells = [
                run.get("name"),
                config.get("model"),
                ", ".join(config.get("splits") or []),
                config.get("limit"),
                config.get("seed"),
                config.get("max_turns"),
                config.get("max_completion_length"),
                (config.get("reward") or {}).get("name"),
                None if run.get("seconds") is None else _num(run.get("seconds"), 0),
                config.get("created"),
                ", ".join(f"{k} {v}" for k, v in versions.items() if v),
                ", ".join(run.get("skipped") or {}),
                folder,
            ]
            texts = ["–" if c in (None, "") else str(c) for c in cells]
            rows.append(
                ([(method["name"], "text")] if pooled else [])
                + [(text, "text" if k in TEXT_COLUMNS else "") for k, text in enumerate(texts)]
            )
    parts.append(
        _table(
            (["method"] if pooled else [])
            + [
                "run",
                "model",
                "splits",
                "limit",
                "seed",
                "turns",
                "tokens",
                "reward",
                "seconds",
                "created",
                "versions",
                "skipped",
                "training run",
            ],
            rows,
        )
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)
