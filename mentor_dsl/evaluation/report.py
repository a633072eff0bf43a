"""Compare evaluation runs side by side: an HTML page (inline SVG, no dependency) or a PNG
(with matplotlib, `pip install 'mentor[plot]'`).

What it shows, for runs labelled by their names (`runs/NAME/model` -> NAME):

* accuracy per split group and per source split;
* accuracy against similarity to the teacher's tool distribution (1 - JSD), one point per
  run and split group: the view of the MENTOR paper's figure, where a teacher-guided
  reward reaches high accuracy without copying the teacher's tool choice exactly;
* OOD accuracy bars (the OOD group and each OOD source) per run;
* tool use per run and split, and each run's configuration.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any, Sequence

from ..errors import DataError
from . import svg
from .metrics import SPLIT_ORDER
from .tasks import SOURCES

HTML_SUFFIXES = (".html", ".htm")
PNG_SUFFIXES = (".png",)
SPLIT_SHAPES = dict(zip(SPLIT_ORDER, svg.SHAPES))
SIMILARITY_LABEL = "similarity to the teacher's tool distribution (1 - JSD)"


def have_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def check_report_path(path: str | os.PathLike) -> str:
    """'html' or 'png' for a report path; a clean error for anything else, or for a PNG
    without matplotlib (checked before an evaluation spends minutes generating)."""
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in PNG_SUFFIXES:
        if not have_matplotlib():
            raise DataError(f"{path}: a PNG report needs matplotlib (pip install 'mentor[plot]'); "
                            "an .html report needs nothing extra")
        return "png"
    raise DataError(f"{path}: a report is .html (always available) or .png (with matplotlib), "
                    f"not {suffix or 'no suffix'!r}")


def labels(runs: Sequence[dict[str, Any]]) -> list[str]:
    """Run names, made unique (a second 'default' becomes 'default #2')."""
    out: list[str] = []
    for run in runs:
        base = str(run.get("name") or "run")
        label, k = base, 1
        while label in out:
            k += 1
            label = f"{base} #{k}"
        out.append(label)
    return out


def _split(run: dict[str, Any], split: str) -> dict[str, Any] | None:
    return (run.get("metrics") or {}).get("splits", {}).get(split)


def _source(run: dict[str, Any], source: str) -> dict[str, Any] | None:
    for entry in (run.get("metrics") or {}).get("splits", {}).values():
        found = (entry.get("sources") or {}).get(source)
        if found is not None:
            return found
    return None


def _value(entry: dict[str, Any] | None, key: str) -> float | None:
    value = entry.get(key) if entry else None
    return float(value) if isinstance(value, (int, float)) else None


def _present_splits(runs: Sequence[dict[str, Any]]) -> list[str]:
    seen = {s for r in runs for s in ((r.get("metrics") or {}).get("splits") or {})}
    return [s for s in SPLIT_ORDER if s in seen] + sorted(seen - set(SPLIT_ORDER))


def _present_sources(runs: Sequence[dict[str, Any]]) -> list[str]:
    known = [s for group in SOURCES.values() for s in group]
    seen = {src for r in runs for e in ((r.get("metrics") or {}).get("splits") or {}).values()
            for src in (e.get("sources") or {})}
    return [s for s in known if s in seen] + sorted(seen - set(known))


def _ood_groups(runs: Sequence[dict[str, Any]]) -> list[str]:
    sources = [s for s in SOURCES["ood"] if any(_source(r, s) for r in runs)]
    return (["ood"] if any(_split(r, "ood") for r in runs) else []) + sources


def _ood_value(run: dict[str, Any], group: str) -> float | None:
    return _value(_split(run, "ood") if group == "ood" else _source(run, group), "accuracy")


def scatter_points(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per run and split group that has both an accuracy and a similarity."""
    points = []
    for i, (run, label) in enumerate(zip(runs, labels(runs))):
        for split in _present_splits(runs):
            entry = _split(run, split)
            x, y = _value(entry, "teacher_similarity"), _value(entry, "accuracy")
            if x is None or y is None:
                continue
            points.append({"x": x, "y": y, "run": label, "split": split, "color": svg.color(i),
                           "shape": SPLIT_SHAPES.get(split, "diamond"),
                           "title": f"{label} · {split}: accuracy {y:.3f}, similarity {x:.3f} (n={entry.get('n')})"})
    return points


def write_report(runs: Sequence[dict[str, Any]], path: str | os.PathLike, *, title: str = "mentor eval report") -> Path:
    """Write the comparison of `runs` (eval results or loaded eval.json objects) to `path`:
    .html or .png by its suffix."""
    if not runs:
        raise DataError("a report needs at least one run")
    from ..outputs import write_bytes, write_text

    kind = check_report_path(path)
    if kind == "png":
        return write_bytes(path, _render_png(runs, title))
    return write_text(path, render_html(runs, title=title))


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
th { background: #f3f3f3; }
td.best { font-weight: bold; background: #eef6ee; }
p.note { color: #555; font-size: 13px; max-width: 800px; }
figure { margin: 0 0 1.5em; }
"""


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]]) -> str:
    """`rows` of (text, css class) cells; text is escaped here."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="{c}">{escape(t)}</td>' if c else f"<td>{escape(t)}</td>"
                                    for t, c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _accuracy_table(runs, names, columns, entry_of) -> str:
    """Runs by columns of accuracy; `entry_of(run, column)` is the metrics entry. The best
    value of each column is marked when several runs are compared."""
    entries = [[entry_of(run, c) for c in columns] for run in runs]
    values = [[_value(e, "accuracy") for e in row] for row in entries]
    best = [max((v[j] for v in values if v[j] is not None), default=None) for j in range(len(columns))]
    rows = []
    for label, row, entry_row in zip(names, values, entries):
        cells = [(label, "text")]
        for j, (value, entry) in enumerate(zip(row, entry_row)):
            n = f" (n={entry.get('n')})" if entry else ""
            mark = "best" if len(runs) > 1 and value is not None and value == best[j] else ""
            cells.append((_num(value) + n, mark))
        rows.append(cells)
    return _table(["run", *columns], rows)


def _overall_or_split(run: dict[str, Any], column: str) -> dict[str, Any] | None:
    return (run.get("metrics") or {}).get("overall") if column == "overall" else _split(run, column)


def render_html(runs: Sequence[dict[str, Any]], *, title: str = "mentor eval report") -> str:
    names = labels(runs)
    splits = _present_splits(runs)
    sources = _present_sources(runs)
    series = [(label, svg.color(i)) for i, label in enumerate(names)]
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{escape(title)}</h1>",
             (f"<p class=\"note\">{len(runs)} run{'s' if len(runs) != 1 else ''}: {escape(', '.join(names))}. "
              f"Generated {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. Greedy decoding; accuracy is "
              "answer_correct(judge=\"math\") on the task splits and BFCL's AST grading (bfcl_match) on BFCL.</p>")]

    parts.append("<h2>Accuracy per split</h2>")
    parts.append(_accuracy_table(runs, names, splits + ["overall"], _overall_or_split))
    if sources:
        parts.append("<h2>Accuracy per source</h2>")
        parts.append(_accuracy_table(runs, names, sources, _source))

    points = scatter_points(runs)
    parts.append("<h2>Accuracy and similarity to the teacher</h2>")
    parts.append("<p class=\"note\">One point per run and split group. The x axis is 1 minus the Jensen-Shannon "
                 "divergence (base 2) between the student's and the teacher's distributions of called tool names "
                 "over the split: 1 means the same tool mix as the teacher.</p>")
    if points:
        kinds = [(s, SPLIT_SHAPES.get(s, "diamond")) for s in splits]
        parts.append("<figure>" + svg.scatter(points, title="Accuracy vs. teacher similarity", xlabel=SIMILARITY_LABEL,
                                              ylabel="accuracy", series=series, kinds=kinds) + "</figure>")
    else:
        parts.append("<p>No split has both an accuracy and a similarity.</p>")

    groups = _ood_groups(runs)
    if groups:
        parts.append("<h2>Out-of-domain accuracy</h2>")
        values = {(g, label): _ood_value(run, g) for g in groups for run, label in zip(runs, names)}
        parts.append("<figure>" + svg.bars(groups, series, values, title="OOD accuracy per run",
                                           ylabel="accuracy") + "</figure>")

    parts.append("<h2>Tool use</h2>")
    parts.append("<p class=\"note\">call validity: the fraction of call blocks that parse, name an available tool and "
                 "fit its JSON Schema. hallucination: the fraction of named calls whose tool is not available to the "
                 "task. calls/task: the student's (the teacher's in brackets).</p>")
    rows = []
    for run, label in zip(runs, names):
        for split in splits:
            entry = _split(run, split)
            if not entry:
                continue
            teacher = _value(entry, "teacher_calls_per_task")
            calls = _num(_value(entry, "calls_per_task"), 2) + (f" ({teacher:.2f})" if teacher is not None else "")
            reward = _value(entry, "reward")
            rows.append([(label, "text"), (split, "text"), (str(entry.get("n", "")), ""),
                         (_num(_value(entry, "accuracy")), ""), (_num(_value(entry, "call_validity")), ""),
                         (_num(_value(entry, "hallucination_rate")), ""), (calls, ""),
                         (_num(_value(entry, "teacher_similarity")), ""), (_num(_value(entry, "finished_rate")), ""),
                         (_num(reward) if "reward" in entry else "–", "")])
    parts.append(_table(["run", "split", "n", "accuracy", "call validity", "hallucination", "calls/task",
                         "teacher similarity", "finished", "reward"], rows))

    parts.append("<h2>Runs</h2>")
    rows = []
    for run, label in zip(runs, names):
        config = run.get("config") or {}
        reward = config.get("reward") or {}
        skipped = run.get("skipped") or {}
        versions = config.get("versions") or {}
        rows.append([(label, "text"), (str(config.get("model", "")), "text"),
                     (", ".join(config.get("splits") or []), "text"), (str(config.get("limit")), ""),
                     (str(config.get("seed")), ""), (str(config.get("max_turns")), ""),
                     (str(config.get("max_completion_length")), ""), (reward.get("name", "–"), "text"),
                     (_num(run.get("seconds"), 0), ""), (str(config.get("created", "")), "text"),
                     (", ".join(f"{k} {v}" for k, v in versions.items() if v), "text"),
                     (", ".join(skipped) or "–", "text")])
    parts.append(_table(["run", "model", "splits", "limit", "seed", "turns", "tokens", "reward", "seconds",
                         "created", "versions", "skipped"], rows))
    parts.append("</body></html>\n")
    return "\n".join(parts)


# -- PNG -----------------------------------------------------------------------------------------

def _render_png(runs: Sequence[dict[str, Any]], title: str) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    names = labels(runs)
    splits = _present_splits(runs)
    groups = _ood_groups(runs)
    fig = plt.figure(figsize=(12, 7.5 + 0.3 * len(runs)), constrained_layout=True)
    grid = fig.add_gridspec(2, 2, height_ratios=[0.6 + 0.3 * len(runs), 5])
    fig.suptitle(title)

    ax = fig.add_subplot(grid[0, :])
    ax.axis("off")
    columns = splits + ["overall"]
    cells = []
    for run in runs:
        cells.append([_num(_value(_overall_or_split(run, c), "accuracy")) for c in columns])
    table = ax.table(cellText=cells, rowLabels=names, colLabels=[f"accuracy: {c}" for c in columns], loc="center")
    table.scale(1, 1.4)

    ax = fig.add_subplot(grid[1, 0])
    markers = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D"}
    for point in scatter_points(runs):
        ax.scatter(point["x"], point["y"], color=point["color"], marker=markers[point["shape"]], s=60,
                   edgecolors="#222", label=f"{point['run']} · {point['split']}")
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.03), xlabel=SIMILARITY_LABEL, ylabel="accuracy",
           title="Accuracy vs. teacher similarity")
    ax.grid(alpha=0.3)
    if ax.collections:
        ax.legend(fontsize=7, loc="best")

    ax = fig.add_subplot(grid[1, 1])
    width = 0.8 / max(1, len(runs))
    for i, (run, label) in enumerate(zip(runs, names)):
        kept = [(g, v) for g, v in enumerate(_ood_value(run, group) for group in groups) if v is not None]
        drawn = ax.bar([g + i * width for g, _ in kept], [v for _, v in kept], width=width, color=svg.color(i),
                       label=label)
        ax.bar_label(drawn, fmt="%.2f", fontsize=7)
    ax.set_xticks([g + width * (len(runs) - 1) / 2 for g in range(len(groups))], groups)
    ax.set(ylim=(0, 1.02), ylabel="accuracy", title="OOD accuracy per run")
    ax.grid(axis="y", alpha=0.3)
    if groups:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no OOD split in these runs", ha="center", va="center", transform=ax.transAxes)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    plt.close(fig)
    return buffer.getvalue()
