"""Two small charts as inline SVG, so an HTML report needs no plotting library: a scatter
plot and grouped bars, both on [0, 1] axes."""

from __future__ import annotations

from html import escape
from typing import Sequence

# Colour-blind-safe (Okabe-Ito), then a few more for long comparisons.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
           "#7F7F7F", "#8C564B")
SHAPES = ("circle", "square", "triangle", "diamond")


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _marker(shape: str, x: float, y: float, fill: str, title: str, r: float = 6.0) -> str:
    tip = f"<title>{escape(title)}</title>"
    style = f'fill="{fill}" stroke="#222" stroke-width="0.8"'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" {style}>{tip}</rect>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - r * 1.2:.1f} {x - r * 1.1:.1f},{y + r * 0.9:.1f} {x + r * 1.1:.1f},{y + r * 0.9:.1f}"
        return f'<polygon points="{pts}" {style}>{tip}</polygon>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - r * 1.3:.1f} {x - r:.1f},{y:.1f} {x:.1f},{y + r * 1.3:.1f} {x + r:.1f},{y:.1f}"
        return f'<polygon points="{pts}" {style}>{tip}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}>{tip}</circle>'


class _Frame:
    """Plot area geometry and the [0, 1] axes with a grid."""

    def __init__(self, width: int, height: int, left: int = 62, right: int = 190, top: int = 36, bottom: int = 56,
                 pad: float = 0.0):
        self.width, self.height = width, height
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = height - bottom, top
        self.pad = pad  # a margin inside the frame, so points at 0 or 1 are not cut by it

    def x(self, v: float) -> float:
        return self.x0 + (self.x1 - self.x0) * (self.pad + (1 - 2 * self.pad) * v)

    def y(self, v: float) -> float:
        return self.y0 - (self.y0 - self.y1) * (self.pad + (1 - 2 * self.pad) * v)

    def axes(self, title: str, xlabel: str | None, ylabel: str, xgrid: bool = True) -> list[str]:
        out = [f'<text x="{self.width / 2:.0f}" y="20" text-anchor="middle" font-weight="bold">{escape(title)}</text>']
        for k in range(6):
            v = k / 5
            out.append(f'<line x1="{self.x0}" y1="{self.y(v):.1f}" x2="{self.x1}" y2="{self.y(v):.1f}" '
                       'stroke="#ddd"/>')
            out.append(f'<text x="{self.x0 - 8}" y="{self.y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
            if xgrid:
                out.append(f'<line x1="{self.x(v):.1f}" y1="{self.y0}" x2="{self.x(v):.1f}" y2="{self.y1}" '
                           'stroke="#ddd"/>')
                out.append(f'<text x="{self.x(v):.1f}" y="{self.y0 + 18}" text-anchor="middle">{v:.1f}</text>')
        out.append(f'<rect x="{self.x0}" y="{self.y1}" width="{self.x1 - self.x0}" height="{self.y0 - self.y1}" '
                   'fill="none" stroke="#444"/>')
        if xlabel:
            out.append(f'<text x="{(self.x0 + self.x1) / 2:.0f}" y="{self.height - 14}" '
                       f'text-anchor="middle">{escape(xlabel)}</text>')
        mid = (self.y0 + self.y1) / 2
        out.append(f'<text x="16" y="{mid:.0f}" text-anchor="middle" transform="rotate(-90 16 {mid:.0f})">'
                   f'{escape(ylabel)}</text>')
        return out

    def svg(self, body: Sequence[str], label: str) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="sans-serif" font-size="12" role="img" '
                f'aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def scatter(points: Sequence[dict], *, title: str, xlabel: str, ylabel: str,
            series: Sequence[tuple[str, str]], kinds: Sequence[tuple[str, str]],
            width: int = 720, height: int = 440) -> str:
    """Points `{"x", "y", "color", "shape", "title"}` in [0, 1]; a legend of `series`
    (name, colour) and `kinds` (name, shape)."""
    frame = _Frame(width, height, pad=0.03)
    body = frame.axes(title, xlabel, ylabel)
    for p in points:
        body.append(_marker(p["shape"], frame.x(p["x"]), frame.y(p["y"]), p["color"], p["title"]))
    body.extend(_legend(frame, series, kinds))
    return frame.svg(body, title)


def bars(groups: Sequence[str], series: Sequence[tuple[str, str]], values: dict[tuple[str, str], float | None], *,
         title: str, ylabel: str, width: int = 720, height: int = 380) -> str:
    """Grouped bars: for each group, one bar per series (name, colour); `values[(group,
    series)]` in [0, 1], None for no data (marked n/a)."""
    frame = _Frame(width, height)
    body = frame.axes(title, None, ylabel, xgrid=False)
    span = (frame.x1 - frame.x0) / max(1, len(groups))
    bar = min(36.0, span * 0.8 / max(1, len(series)))
    for g, group in enumerate(groups):
        left = frame.x0 + g * span + (span - bar * len(series)) / 2
        for s, (name, fill) in enumerate(series):
            value = values.get((group, name))
            x = left + s * bar
            if value is None:
                body.append(f'<text x="{x + bar / 2:.1f}" y="{frame.y0 - 4}" text-anchor="middle" font-size="9" '
                            'fill="#888">n/a</text>')
                continue
            top = frame.y(max(0.0, min(1.0, value)))
            top = min(top, frame.y0 - 1)  # a zero still shows as a sliver
            body.append(f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{bar - 2:.1f}" height="{frame.y0 - top:.1f}" '
                        f'fill="{fill}"><title>{escape(f"{name} · {group}: {value:.3f}")}</title></rect>')
            body.append(f'<text x="{x + bar / 2:.1f}" y="{top - 3:.1f}" text-anchor="middle" font-size="9">'
                        f'{value:.2f}</text>')
        body.append(f'<text x="{frame.x0 + (g + 0.5) * span:.1f}" y="{frame.y0 + 18}" text-anchor="middle">'
                    f'{escape(group)}</text>')
    body.extend(_legend(frame, series, ()))
    return frame.svg(body, title)


def _legend(frame: _Frame, series: Sequence[tuple[str, str]], kinds: Sequence[tuple[str, str]]) -> list[str]:
    x, y = frame.x1 + 16, frame.y1 + 6
    out = []
    for name, fill in series:
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}"/>')
        out.append(f'<text x="{x + 18}" y="{y + 10}">{escape(_short(name))}</text>')
        y += 18
    if kinds:
        y += 8
        for name, shape in kinds:
            out.append(_marker(shape, x + 6, y + 6, "#fff", name, r=5))
            out.append(f'<text x="{x + 18}" y="{y + 10}">{escape(name)}</text>')
            y += 18
    return out


def _short(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
