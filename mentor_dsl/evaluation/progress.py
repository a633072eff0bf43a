"""Progress of an evaluation: a rich bar on a terminal, one plain line per batch
otherwise (CI logs and pipes stay readable), nothing when disabled."""

from __future__ import annotations

import time


class EvalProgress:
    def __init__(self, total: int, enabled: bool = True, console=None):
        self.total = total
        self.enabled = enabled
        self.done = 0
        self.started = time.perf_counter()
        self._bar = None
        self._console = console

    @property
    def console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def __enter__(self) -> "EvalProgress":
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.description}"), console=self.console, transient=False)
            self._task = self._bar.add_task("", total=self.total)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
            self._bar = None

    def advance(self, n: int, note: str = "") -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, description=note)
        else:
            elapsed = time.perf_counter() - self.started
            self.console.print(f"eval: {self.done}/{self.total} tasks  {elapsed:.1f}s  {note}".rstrip(),
                               highlight=False, soft_wrap=True)

    def note(self, message: str) -> None:
        """A message that must not be drawn over by the bar (warnings)."""
        if self.enabled:
            self.console.print(message, highlight=False, soft_wrap=True)
