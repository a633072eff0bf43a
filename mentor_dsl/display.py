"""How mentor shows progress and tables: one look for every command.

    from mentor_dsl.display import echo, progress, table

    with progress("scoring", total=len(records), unit="record") as bar:
        for batch in batches:
            ...
            bar.advance(len(batch), note=f"{skipped} skipped")

    echo(table(["term", "mean"], [["finished", 1.0], ["tool_match", 0.3]]))

Progress. On a terminal it is a rich bar: done/total, rate, elapsed time, ETA and a note.
Anywhere else (CI logs, pipes, `nohup`, a notebook's captured stderr) it is plain lines on
stderr, at most one every `interval` seconds (MENTOR_PROGRESS_INTERVAL, default 10): one
whenever the interval has passed, as work advances or, while a long step holds it up, as a
heartbeat from a background thread, and a last line when it ends. Work that ends within the
first interval prints nothing, so quick commands keep their logs (and golden files) clean;
a command whose first step is slow says what it starts with `note`. Each line has
done/total, the rate and the ETA:

    eval: 16/80 tasks  2.7 s/task  elapsed 43s  ETA 2m53s  test, ood_sci

Tables. Rich tables with a rule under the header, numbers right-aligned, cells shown as
written (no rich markup: `[geometry]` is text). On a terminal they fit its width; elsewhere
they are drawn without colour at $COLUMNS characters (100 when unset), so what pipes and
golden tests see does not depend on a terminal.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod, RenderableType
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID
    from rich.table import Table

#: Seconds between two plain progress lines, unless MENTOR_PROGRESS_INTERVAL says otherwise.
DEFAULT_INTERVAL = 10.0
INTERVAL_ENV = "MENTOR_PROGRESS_INTERVAL"
#: The width of tables and text drawn where there is no terminal (and $COLUMNS is unset).
DEFAULT_WIDTH = 100


def interval_from_env() -> float:
    """MENTOR_PROGRESS_INTERVAL in seconds (0: a line at every update); the default when it
    is unset or not a number."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if math.isfinite(value) and value >= 0 else DEFAULT_INTERVAL


def line_width() -> int:
    """Characters per line where there is no terminal: $COLUMNS, else 100."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return DEFAULT_WIDTH


def console(*, stderr: bool = False) -> Console:
    """A rich console on stdout (or stderr). It looks the stream up at each write, so
    click's CliRunner and redirected streams see what it prints."""
    from rich.console import Console

    made = Console(stderr=stderr, highlight=False)
    if not made.is_terminal:
        made = Console(stderr=stderr, highlight=False, width=line_width())
    return made


# -- text ----------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """45s, 2m05s, 1h02m."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def rate_text(done: float, seconds: float, unit: str) -> str:
    """Items per second, or seconds per item when that reads better (slow work: training
    steps, generations); empty before anything is done."""
    if done <= 0 or seconds <= 0:
        return ""
    per_second = done / seconds
    if per_second >= 1:
        return f"{_short(per_second)} {plural(unit)}/s"
    return f"{_short(1 / per_second)} s/{unit}"


def _short(x: float) -> str:
    """Three significant digits without an exponent: 1280, 12.5, 2.71."""
    return f"{x:.0f}" if x >= 100 else f"{x:.3g}"


def plural(unit: str) -> str:
    return unit + "s" if unit and not unit.endswith("s") else unit


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """Progress of `total` units of work (None: unknown), shown on stderr; see the module
    docstring. Use it as a context manager; `advance` and `update` move it, `note` prints a
    message the bar does not draw over. `enabled=False` shows nothing (`--quiet`).

    `clock` and `heartbeat` are for tests: a fake clock, and no background thread."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "item",
        enabled: bool = True,
        interval: float | None = None,
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: bool = True,
    ):
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled
        self.done = 0
        self.description = ""
        self.interval = interval_from_env() if interval is None else max(0.0, float(interval))
        self._console = console
        self._clock = clock
        self._heartbeat = heartbeat
        self._started = clock()
        self._last_line: float | None = None
        # Set together by `_start_bar`: the bar and its one task.
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._open = False

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = console(stderr=True)
        return self._console

    @property
    def live(self) -> bool:
        """True when drawn as a rich bar (a terminal), False for plain lines."""
        return self._bar is not None

    # -- the context ---------------------------------------------------------------------------

    def __enter__(self) -> Progress:
        self._started = self._clock()
        self._open = True
        if not self.enabled:
            return self
        if self.console.is_terminal:
            self._start_bar()
        elif self._heartbeat and self.interval > 0:
            self._thread = threading.Thread(target=self._beat, name=f"progress: {self.label}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._open = False
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
            self._bar = None
        elif self.enabled and self._last_line is not None:  # a log that showed the work shows its end
            self._line(final="done" if exc_type is None else "stopped")

    # -- moving it -----------------------------------------------------------------------------

    def advance(self, n: int = 1, note: str | None = None) -> None:
        self.update(completed=self.done + n, note=note)

    def update(self, *, completed: int | None = None, total: int | None = None, note: str | None = None) -> None:
        with self._lock:
            if completed is not None:
                self.done = completed
            if total is not None:
                self.total = total
            if note is not None:
                self.description = note
            if not self.enabled or not self._open:
                return
            bar, task = self._bar, self._task
            if bar is not None and task is not None:
                bar.update(task, completed=self.done, total=self.total, description=self.description)
            elif self._due():
                self._line()

    def note(self, message: str) -> None:
        """A line of its own (a warning, a phase starting), above the bar on a terminal."""
        if not self.enabled:
            return
        with self._lock:
            target = self._bar.console if self._bar is not None else self.console
            target.print(message, markup=False, highlight=False, soft_wrap=True)

    def tick(self) -> None:
        """Print a line if the interval has passed (what the heartbeat thread calls)."""
        with self._lock:
            if self.enabled and self._open and self._bar is None and self._due():
                self._line()

    # -- plain lines ---------------------------------------------------------------------------

    def line(self, final: str | None = None) -> str:
        """The plain progress line as it stands: `label: done/total units  rate  elapsed  ETA  note`."""
        elapsed = self._clock() - self._started
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        parts = [f"{self.label}: {count} {plural(self.unit)}"]
        rate = rate_text(self.done, elapsed, self.unit)
        if rate:
            parts.append(rate)
        if final is not None:
            parts.append(f"{final} in {duration(elapsed)}")
        else:
            parts.append(f"elapsed {duration(elapsed)}")
            if rate and self.total is not None and self.done < self.total:
                parts.append(f"ETA {duration((self.total - self.done) * elapsed / self.done)}")
        if self.description:
            parts.append(self.description)
        return "  ".join(parts)

    def _due(self) -> bool:
        since = self._last_line if self._last_line is not None else self._started
        return self._clock() - since >= self.interval

    def _line(self, final: str | None = None) -> None:
        with self._lock:
            self._last_line = self._clock()
            self.console.print(self.line(final), markup=False, highlight=False, soft_wrap=True)

    def _beat(self) -> None:
        while True:
            with self._lock:
                since = self._clock() - (self._last_line if self._last_line is not None else self._started)
            if self._stop.wait(max(0.05, self.interval - since)):
                return
            self.tick()

    # -- the bar -------------------------------------------------------------------------------

    def _start_bar(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        unit = self.unit

        class Rate(TextColumn):
            def __init__(self):
                super().__init__("")

            def render(self, task):
                from rich.text import Text

                return Text(rate_text(task.completed, task.elapsed or 0.0, unit), style="progress.data.speed")

        columns = [
            TextColumn(self.label, markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            Rate(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.description}", markup=False),
        ]
        bar = RichProgress(*columns, console=self.console, transient=False)
        self._task = bar.add_task(self.description, total=self.total, completed=self.done)
        self._bar = bar
        bar.__enter__()


def progress(label: str, total: int | None = None, **kwargs: Any) -> Progress:
    """A `Progress` (see its docstring); use it in a `with` block."""
    return Progress(label, total, **kwargs)


# -- tables --------------------------------------------------------------------------------------


def _is_number(cell: Any) -> bool:
    if isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)):
        return True
    text = str(cell).strip()
    if text in ("", "-", "–", "nan", "inf", "-inf"):
        return True
    try:
        float(text.split()[0])
    except (ValueError, IndexError):
        return False
    return True


def table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, justify: Sequence[JustifyMethod] | None = None
) -> Table:
    """A rich table in mentor's style. Cells are shown as text (str() of anything else).
    `justify` gives each column's alignment; by default a column whose cells are all
    numbers (or '-') is right-aligned, any other left-aligned. The first column and
    right-aligned ones keep each cell on one line; the others wrap to fit the width. A heading is a line of text
    printed before it (`echo("heading", table(...))`): a rich title would wrap at the
    table's width."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = [["" if c is None else str(c) for c in row] for row in rows]
    sides: Sequence[JustifyMethod] = (
        justify
        if justify is not None
        else [
            "right" if rows and all(_is_number(r[i]) for r in rows) and any(r[i].strip() for r in rows) else "left"
            for i in range(len(header))
        ]
    )
    out = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for i, (name, side) in enumerate(zip(header, sides)):
        # Names (the first column) and numbers are never broken across lines; text wraps.
        out.add_column(Text(name), justify=side, overflow="fold", no_wrap=i == 0 or side == "right")
    for row in rows:
        out.add_row(*(Text(cell) for cell in row))
    return out


def echo(*renderables: RenderableType | str, err: bool = False) -> None:
    """Print tables and text on stdout (or stderr): rich on a terminal, else the text
    `render` gives (no colour, no trailing spaces). A str is printed as written."""
    target = console(stderr=err)
    if target.is_terminal:
        from rich.text import Text

        for item in renderables:
            target.print(Text(item) if isinstance(item, str) else item, soft_wrap=isinstance(item, str))
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(render(*renderables, width=target.width) + "\n")
    stream.flush()


def render(*renderables: RenderableType | str, width: int | None = None) -> str:
    """Tables and text as drawn where there is no terminal: no colour, trailing spaces
    dropped, `width` characters per line (default: $COLUMNS, else 100)."""
    import io

    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    target = Console(file=buffer, width=width or line_width(), force_terminal=False, no_color=True, highlight=False)
    for item in renderables:
        target.print(Text(item) if isinstance(item, str) else item, soft_wrap=isinstance(item, str))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
