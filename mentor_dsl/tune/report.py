"""A study's report: `report.md` (tables, readable anywhere), `report.html` (the same with
the charts), and the charts as PNG files, drawn with matplotlib when it is installed:

- `history.png`: the optimisation history, each trial's value and the best so far;
- `importance.png`: each parameter's importance (Optuna's PED-ANOVA evaluator), once
  the complete trials tell the parameters apart;
- `intermediate.png`: every trial's intermediate values, pruned trials ending early.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from .metrics import Metric
from .space import SearchSpace

CHARTS = ("history.png", "importance.png", "intermediate.png")
#: The eval report's colours (evaluation/svg.py), so the two reports read alike.
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


#: Why importance is not shown, by Optuna's warning (its evaluator gives equal shares then).
_NO_IMPORTANCE = (("too small", "too few complete trials"), ("same set", "the complete trials are all equally good"))


def importances(study) -> tuple[dict[str, float], str]:
    """(parameter importance, "") by PED-ANOVA, or ({}, why not).

    PED-ANOVA rather than Optuna's default evaluator: the default changed between
    releases (fANOVA until Optuna 4, which needs scikit-learn; PED-ANOVA since 5), and
    PED-ANOVA needs only numpy and reads a handful of trials. Where it cannot tell the
    parameters apart (too few trials, or all equally good) it warns and gives equal
    shares, which would read as a finding: the report says why instead."""
    import warnings

    from . import optuna

    opt = optuna()
    values = [t.value for t in study.trials if t.state == opt.trial.TrialState.COMPLETE]
    if len(values) < 2:
        return {}, "too few complete trials"
    if max(values) == min(values):  # Optuna 5 warns of it; earlier releases give equal shares
        return {}, "the complete trials are all equally good"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            evaluator = opt.importance.PedAnovaImportanceEvaluator()
            found = dict(opt.importance.get_param_importances(study, evaluator=evaluator))
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            return {}, f"Optuna could not compute it ({exc})"
    for needle, reason in _NO_IMPORTANCE:
        if any(needle in str(w.message) for w in caught):
            return {}, reason
    return found, ""


def trial_header(space: SearchSpace, metric: Metric) -> list[str]:
    return ["trial", "state", *space.names, metric.name, "intermediate (value @ step)", "seconds"]


def trial_rows(study, space: SearchSpace, metric: Metric) -> list[list[str]]:
    """One row per trial, as the report and `mentor tune` show them."""
    rows = []
    for trial in study.trials:
        values = space.values(trial.params)
        steps = sorted(trial.intermediate_values.items())
        rows.append(
            [
                str(trial.number),
                trial.state.name.lower(),
                *(f"{values[n]:g}" if n in values else "-" for n in space.names),
                f"{trial.value:.4g}" if trial.value is not None else "-",
                trial.user_attrs.get("failure") or ", ".join(f"{v:.3g} @ {s}" for s, v in steps) or "-",
                f"{trial.user_attrs['seconds']:.0f}" if "seconds" in trial.user_attrs else "-",
            ]
        )
    return rows


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_report(study, space: SearchSpace, metric: Metric, out: Path, config, *, charts: bool = True) -> Path:
    """report.md and report.html; with `charts`, draw the charts again (a study redraws
    them when it stops; after each trial only the tables change, which is cheap)."""
    from ..outputs import write_text
    from .study import best_trial, counted

    best = best_trial(study)
    weights, no_weights = importances(study)
    drawn = _charts(study, space, metric, out, weights) if charts else [c for c in CHARTS if (out / c).is_file()]
    header = trial_header(space, metric)
    rows = trial_rows(study, space, metric)
    settings = study.user_attrs.get("settings", {})
    summary = [
        f"study `{study.study_name}`: {counted(study)} finished trials of {config.trials} "
        f"({sum(r[1] == 'pruned' for r in rows)} pruned), {metric.direction} {metric.name} on "
        f"{'out-of-domain' if metric.ood else 'in-domain'} validation data",
        f"spec `{settings.get('spec', '?')}`, {config.steps} training steps and {len(_steps(config))} "
        f"evaluation{'s' if len(_steps(config)) != 1 else ''} per trial, {config.eval_limit} validation "
        f"task{'s' if config.eval_limit != 1 else ''} per source",
    ]
    if best is not None:
        summary.append(
            f"best: trial {best.number}, {metric.name} {best.value:.4g}: "
            + ", ".join(f"{k} = {v:g}" for k, v in space.values(best.params).items())
        )
    importance_rows = [[name, f"{value:.3f}"] for name, value in weights.items()]

    md = [
        "# mentor tune report",
        "",
        *[f"- {line}" for line in summary],
        "",
        "## Trials",
        "",
        _markdown_table(header, rows),
        "",
        "## Parameter importance",
        "",
    ]
    md += [
        _markdown_table(["parameter", "importance"], importance_rows)
        if importance_rows
        else f"Not shown: {no_weights}."
    ]
    md += ["", "## Charts", ""]
    no_charts = (
        "matplotlib is not installed (pip install 'mentor[plot]'): no charts."
        if importlib.util.find_spec("matplotlib") is None
        else "No charts yet: they are drawn when the run stops."
    )
    md += [f"![{name[:-4]}]({name})" for name in drawn] or [no_charts]
    write_text(out / "report.md", "\n".join(md) + "\n")

    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>mentor tune report</title>',
        f"<style>{_CSS}</style></head><body><h1>mentor tune report</h1>",
        "<ul>" + "".join(f"<li>{escape(line.replace('`', ''))}</li>" for line in summary) + "</ul>",
        f'<p class="note">Written {created}.</p>',
        "<h2>Trials</h2>",
        _html_table(header, rows),
        "<h2>Parameter importance</h2>",
        _html_table(["parameter", "importance"], importance_rows)
        if importance_rows
        else f"<p>Not shown: {escape(no_weights)}.</p>",
        "<h2>Charts</h2>",
        *(f'<figure><img src="{name}" alt="{name[:-4]}"></figure>' for name in drawn),
        "</body></html>\n",
    ]
    return write_text(out / "report.html", "\n".join(html))


def _steps(config) -> list[int]:
    from .study import _segments

    return _segments(config.steps, config.evals)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 9px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
p.note { color: #555; font-size: 13px; }
img { max-width: 100%; }
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- charts ------------------------------------------------------------------------------------------


def _charts(study, space: SearchSpace, metric: Metric, out: Path, weights: dict[str, float]) -> list[str]:
    """The PNG files drawn (none without matplotlib)."""
    if importlib.util.find_spec("matplotlib") is None:
        return []
    import matplotlib

    matplotlib.use("Agg")  # files only
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from ..outputs import write_bytes
    from . import optuna

    states = optuna().trial.TrialState
    done = [t for t in study.trials if t.state in (states.COMPLETE, states.PRUNED)]
    drawn = []

    def save(fig, name: str) -> None:
        import io

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        write_bytes(out / name, buffer.getvalue())
        drawn.append(name)

    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    complete = [t for t in done if t.state == states.COMPLETE]
    pruned = [t for t in done if t.state == states.PRUNED and t.intermediate_values]
    ax.scatter([t.number for t in complete], [t.value for t in complete], color=COLORS[0], label="complete", zorder=3)
    if pruned:
        last = [t.intermediate_values[max(t.intermediate_values)] for t in pruned]
        ax.scatter(
            [t.number for t in pruned],
            last,
            facecolors="none",
            edgecolors=COLORS[1],
            label="pruned (last value)",
            zorder=3,
        )
    if complete:
        pick = max if metric.direction == "maximize" else min
        best, line = None, []
        for t in sorted(complete, key=lambda t: t.number):
            best = t.value if best is None else pick(best, t.value)
            line.append((t.number, best))
        ax.step([x for x, _ in line], [y for _, y in line], where="post", color=COLORS[2], label="best so far")
    ax.set(xlabel="trial", ylabel=metric.name, title="Optimisation history")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials and steps are counts
    ax.grid(alpha=0.3)
    if complete or pruned:
        ax.legend(fontsize=8)
    save(fig, "history.png")

    if weights:
        fig, ax = plt.subplots(figsize=(6, 0.6 + 0.5 * len(weights)), constrained_layout=True)
        names = list(weights)[::-1]
        bars = ax.barh(names, [weights[n] for n in names], color=COLORS[0])
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
        ax.set(
            xlim=(0, 1.05), xlabel="importance (Optuna's PED-ANOVA)", title=f"Parameter importance for {metric.name}"
        )
        save(fig, "importance.png")

    if any(t.intermediate_values for t in done):
        fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
        for t in done:
            steps = sorted(t.intermediate_values.items())
            if steps:
                style = "--" if t.state == states.PRUNED else "-"
                ax.plot(
                    [s for s, _ in steps],
                    [v for _, v in steps],
                    style,
                    marker="o",
                    alpha=0.8,
                    color=COLORS[t.number % len(COLORS)],
                    label=f"trial {t.number}",
                )
        ax.set(xlabel="training step", ylabel=metric.name, title="Intermediate values (dashed: pruned)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if len(done) <= 12:
            ax.legend(fontsize=7)
        save(fig, "intermediate.png")
    return drawn
