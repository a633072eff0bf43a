"""The search space (the spec's parameters that declare a range) and writing chosen
values back into the spec's text."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..ir import ParamRange

#: Values are drawn on a grid of about this many steps across each range (1000 steps of
#: 0.0005 for [0, 0.5]), so the tuned spec reads `0.2345`, not `0.23449871203`, and the
#: value written is exactly the value trained with.
GRID = 1000


@dataclass(frozen=True)
class Dimension:
    name: str
    low: float
    high: float
    step: float | None  # None: continuous (the range does not divide into the grid)

    def value(self, raw: float) -> float:
        """A sampled value as the trial uses it: on the grid, without float residue."""
        if self.step is None:
            return float(raw)
        digits = max(0, -math.floor(math.log10(self.step)))
        return round(float(raw), digits)


def _step(low: float, high: float) -> float | None:
    """The smallest 1, 2 or 5 times a power of ten giving at most GRID steps, if both
    ends lie on its grid."""
    raw = (high - low) / GRID
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    for end in (low, high):
        count = end / step
        if abs(count - round(count)) > 1e-6:
            return None
    return step


@dataclass(frozen=True)
class SearchSpace:
    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, Any]

    @classmethod
    def of(cls, ranges: tuple[ParamRange, ...], fixed: Mapping[str, Any]) -> SearchSpace:
        """Every ranged parameter not fixed by `--set`."""
        dims = tuple(Dimension(r.name, r.low, r.high, _step(r.low, r.high)) for r in ranges if r.name not in fixed)
        return cls(dims, dict(fixed))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def suggest(self, trial) -> dict[str, float]:
        """The trial's parameters, sampled by Optuna within their ranges."""
        return {d.name: d.value(trial.suggest_float(d.name, d.low, d.high, step=d.step)) for d in self.dimensions}

    def values(self, params: Mapping[str, float]) -> dict[str, float]:
        """A finished trial's parameters (Optuna's record of them) as the trial used them."""
        return {d.name: d.value(params[d.name]) for d in self.dimensions if d.name in params}

    def describe(self) -> dict[str, list[float]]:
        return {d.name: [d.low, d.high] for d in self.dimensions}


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of a 1-based (line, column), lines ending at '\\n' only."""
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def number_text(value: float) -> str:
    """How a value is written into a spec: the shortest text that reads back the same."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def with_values(text: str, name: str, values: Mapping[str, float], header: str = "") -> str:
    """`text` (a spec) with the defaults of the parameters in `values` replaced, nothing
    else changed (comments, ranges and layout stay); `header` lines go first, as comments."""
    from ..parser import parse

    spec = parse(text, name)
    edits = []
    for decl in spec.params:
        if decl.name in values:
            span = decl.value.span
            if span is None or span.end_line is None or span.end_column is None:
                raise SpecError(f"cannot locate the value of parameter {decl.name!r}", filename=name)
            edits.append(
                (
                    _offset(text, span.line, span.column),
                    _offset(text, span.end_line, span.end_column),
                    number_text(values[decl.name]),
                )
            )
    missing = set(values) - {d.name for d in spec.params}
    if missing:
        raise SpecError(f"no parameter {', '.join(sorted(missing))} to set", filename=name)
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + "#\n" + text
    return text
