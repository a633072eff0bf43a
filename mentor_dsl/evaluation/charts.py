"""The report's charts, drawn by matplotlib for both outputs: inline SVG in the HTML page,
and panels of one PNG. Each chart is a `Chart`: a function that draws on a matplotlib
figure (or a subfigure of the PNG), so both outputs draw the same thing the same way.

Figures are built with `matplotlib.figure.Figure`, not pyplot: no global state, no window,
no backend to choose, safe in threads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Colour-blind-safe (Okabe-Ito), then a few more for long comparisons.
# Okabe-Ito's yellow is last: thin lines of it are hard to see on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#7F7F7F", "#8C564B", "#F0E442")
#: Marker per split group, in SPLIT_ORDER; matplotlib's marker codes.
MARKERS = ("o", "s", "^", "D", "v", "P")


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


@dataclass(frozen=True)
class Chart:
    """One chart: `draw(figure)` draws it on a Figure or SubFigure of `size` inches."""

    name: str  # unique in a report: the HTML element's id and the SVG ids' prefix
    title: str
    size: tuple[float, float]
    draw: Callable[[Any], None]


# -- outputs ---------------------------------------------------------------------------------------

_STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text: small, searchable, drawn in the page's font
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def svg(chart: Chart) -> str:
    """The chart as an inline <svg> element. Its ids carry the chart's name, so several
    charts in one page never share one (matplotlib numbers them per figure)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": chart.name}):
        figure = Figure(figsize=chart.size, layout="constrained")
        chart.draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # no XML declaration or DOCTYPE inside HTML
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", chart.name)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{escape(chart.title)}" ', 1)


def png(charts: Sequence[Chart], title: str, width: float = 12.0, dpi: int = 110) -> bytes:
    """Every chart as a panel of one PNG, in order, under `title`."""
    import matplotlib
    from matplotlib.figure import Figure

    heights = [c.size[1] * width / c.size[0] if c.size[0] > width else c.size[1] for c in charts]
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(width, sum(heights) + 0.6), layout="constrained")
        figure.suptitle(title, fontsize=13)
        panels = figure.subfigures(len(charts), 1, height_ratios=heights, squeeze=False)[:, 0]
        for chart, panel in zip(charts, panels):
            chart.draw(panel)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


# -- charts ----------------------------------------------------------------------------------------


def _unit_axis(ax, label: str) -> None:
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(label)
    ax.grid(axis="y", alpha=0.3)


def bars(
    ax,
    groups: Sequence[str],
    series: Sequence[tuple[str, str]],
    values: Mapping[tuple[str, str], float | None],
    *,
    title: str,
    ylabel: str,
    intervals: Mapping[tuple[str, str], Sequence[float] | None] | None = None,
    unit: bool = True,
    legend: bool = True,
    slant: bool = False,
) -> None:
    """Grouped bars: for each group, one bar per series (name, colour); `values[(group,
    name)]`, None for no data (marked n/a). `intervals` adds error bars [low, high].
    `unit`: a [0, 1] axis, else one fitted to the values with a line at zero. `slant`:
    slanted group labels (always past six groups), for long names in a narrow panel."""
    ax.set_title(title)
    width = 0.8 / max(1, len(series))
    for s, (name, fill) in enumerate(series):
        xs, heights, low, high = [], [], [], []
        for g, group in enumerate(groups):
            value = values.get((group, name))
            x = g - 0.4 + width * (s + 0.5)
            if value is None:
                ax.text(x, 0.01, "n/a", ha="center", va="bottom", fontsize=7, color="#888")
                continue
            xs.append(x)
            heights.append(value)
            interval = (intervals or {}).get((group, name))
            low.append(value - interval[0] if interval else 0.0)
            high.append(interval[1] - value if interval else 0.0)
        drawn = ax.bar(xs, heights, width=width * 0.92, color=fill, label=name)
        if intervals and xs:
            ax.errorbar(xs, heights, yerr=[low, high], fmt="none", ecolor="#333", elinewidth=0.9, capsize=2.5)
        ax.bar_label(drawn, fmt="%.2f", fontsize=7, padding=2)
    slant = slant or len(groups) > 6
    ax.set_xticks(
        range(len(groups)),
        groups,
        rotation=30 if slant else 0,
        ha="right" if slant else "center",
        rotation_mode="anchor",
    )
    ax.set_xlim(-0.5, len(groups) - 0.5)
    if unit:
        _unit_axis(ax, ylabel)
    else:
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
        ax.axhline(0, color="#444", linewidth=0.6)
    if legend and series:
        from matplotlib.patches import Patch

        # Handles of their own: a series with no bar at all still gets its colour.
        ax.legend(
            handles=[Patch(color=fill, label=name) for name, fill in series],
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
        )


def scatter(
    ax,
    points: Sequence[dict[str, Any]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    series: Sequence[tuple[str, str]],
    kinds: Sequence[tuple[str, str]],
) -> None:
    """Points `{"x", "y", "color", "marker", "low", "high"}` in [0, 1] (low/high: an
    interval on y, optional); legends for `series` (name, colour) and `kinds` (name, marker)."""
    from matplotlib.lines import Line2D

    ax.set_title(title)
    for p in points:
        if p.get("low") is not None:
            ax.errorbar(
                p["x"],
                p["y"],
                yerr=[[p["y"] - p["low"]], [p["high"] - p["y"]]],
                fmt="none",
                ecolor=p["color"],
                elinewidth=0.9,
                capsize=2.5,
                alpha=0.7,
            )
        ax.scatter(
            p["x"], p["y"], color=p["color"], marker=p["marker"], s=55, edgecolors="#222", linewidths=0.7, zorder=3
        )
    ax.set(xlim=(-0.03, 1.03), ylim=(-0.03, 1.05), xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=c, marker="s", linestyle="", markersize=8, label=n) for n, c in series]
    handles += [
        Line2D([], [], color="#fff", markeredgecolor="#222", marker=m, linestyle="", markersize=7, label=n)
        for n, m in kinds
    ]
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def panels(figure, names: Sequence[str], draw_one: Callable[[Any, str], None], columns: int = 3) -> None:
    """A grid of axes, one per name, drawn by `draw_one(ax, name)`."""
    rows = -(-len(names) // columns)
    axes = figure.subplots(rows, min(columns, len(names)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(names):
            draw_one(ax, names[i])
        else:
            ax.set_visible(False)


@dataclass(frozen=True)
class Curve:
    """The training metrics of one series: a run, or a method's runs (one list of metrics
    rows with "step" per run)."""

    label: str
    color: str
    members: Sequence[Sequence[dict[str, Any]]]

    def series(self, key: str) -> tuple[list[float], list[float], list[float], list[float]]:
        """Steps, and at each the mean, lowest and highest value of `key` over the runs that
        logged it at that step."""
        at: dict[float, list[float]] = {}
        for rows in self.members:
            for row in rows:
                value = row.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                    at.setdefault(row["step"], []).append(float(value))
        steps = sorted(at)
        return (
            steps,
            [sum(at[s]) / len(at[s]) for s in steps],
            [min(at[s]) for s in steps],
            [max(at[s]) for s in steps],
        )


def curve_title(key: str) -> str:
    """A panel's title: 'reward (total)', 'term: tool_match', or the key itself."""
    if key == "reward":
        return "reward (the spec's total)"
    if key.startswith("reward/"):
        return f"term: {key.split('/', 1)[1]}"
    return key


def curves(figure, keys: Sequence[str], runs: Sequence[Curve], columns: int = 3) -> None:
    """Per-step training curves: one panel per metric key, one line per curve. A curve of
    several runs (a method over seeds) is their mean, with their range shaded."""
    pooled = any(len(c.members) > 1 for c in runs)

    def draw_one(ax, key: str) -> None:
        for curve in runs:
            steps, mean, low, high = curve.series(key)
            if not steps:
                continue
            ax.plot(steps, mean, color=curve.color, linewidth=1.4, marker="." if len(steps) < 30 else None)
            if len(curve.members) > 1:
                ax.fill_between(steps, low, high, color=curve.color, alpha=0.18, linewidth=0)
        ax.set_title(curve_title(key), fontsize=9)
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)

    panels(figure, keys, draw_one, columns)
    for k, ax in enumerate(figure.axes):
        if k % columns == 0:
            ax.set_ylabel("mean per step")
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            color=c.color,
            linewidth=2,
            label=c.label + (f" (mean of {len(c.members)} runs)" if len(c.members) > 1 else ""),
        )
        for c in runs
    ]
    if handles:  # below the panels: above them it would share the title's place
        figure.legend(
            handles=handles, loc="outside lower center", fontsize=8, frameon=False, ncols=min(len(handles), 4)
        )
    figure.suptitle(
        "Training curves: the mean over each step's completions"
        + ("; shaded: the range over a method's runs" if pooled else ""),
        fontsize=10,
    )
