"""The progress and table helpers every command uses (mentor_dsl/display.py)."""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from mentor_dsl import display
from mentor_dsl.display import Progress, duration, rate_text, render, table


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=200), out


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def test_plain_lines_at_most_every_interval_with_rate_and_eta():
    clock, (console, out) = Clock(), plain_console()
    with Progress("eval", 40, unit="task", interval=10, console=console, clock=clock, heartbeat=False) as bar:
        clock.now += 4
        bar.advance(5)
        assert lines(out) == []  # within the first interval: nothing
        clock.now += 16
        bar.advance(5, note="test, ood_sci")
        # 10 tasks in 20 s: 2 s/task, 30 tasks left.
        assert lines(out) == ["eval: 10/40 tasks  2 s/task  elapsed 20s  ETA 1m00s  test, ood_sci"]
        clock.now += 1
        bar.advance(30)
        assert len(lines(out)) == 1  # 1 s after the last line
    assert lines(out)[-1] == "eval: 40/40 tasks  1.9 tasks/s  done in 21s  test, ood_sci"


def test_work_shorter_than_the_interval_prints_nothing():
    clock, (console, out) = Clock(), plain_console()
    with Progress("scoring", 3, interval=10, console=console, clock=clock, heartbeat=False) as bar:
        clock.now += 9.9
        bar.advance(3)
    assert out.getvalue() == ""


def test_a_heartbeat_line_while_work_is_held_up():
    clock, (console, out) = Clock(), plain_console()
    with Progress("teach", 8, unit="task", interval=10, console=console, clock=clock, heartbeat=False) as bar:
        clock.now += 9
        bar.tick()
        assert lines(out) == []
        clock.now += 1
        bar.tick()  # what the background thread does: no progress, a line anyway
        assert lines(out) == ["teach: 0/8 tasks  elapsed 10s"]
        clock.now += 5
        bar.tick()
        assert len(lines(out)) == 1


def test_the_heartbeat_thread_prints_without_updates():
    console, out = plain_console()
    printed = threading.Event()
    original = console.print

    def spy(*args, **kwargs):
        original(*args, **kwargs)
        if len(lines(out)) >= 2:
            printed.set()

    console.print = spy
    with Progress("train", 3, unit="step", interval=0.01, console=console):
        assert printed.wait(30), "no heartbeat line"
    assert lines(out)[0].startswith("train: 0/3 steps  elapsed ")


def test_unknown_total_interruption_and_interval_zero():
    clock, (console, out) = Clock(), plain_console()
    with pytest.raises(KeyboardInterrupt):
        with Progress("scoring", None, unit="record", interval=0, console=console, clock=clock,
                      heartbeat=False) as bar:
            clock.now += 2
            bar.advance(100)
            raise KeyboardInterrupt
    assert lines(out) == ["scoring: 100 records  50 records/s  elapsed 2.0s",
                          "scoring: 100 records  50 records/s  stopped in 2.0s"]


def test_disabled_progress_prints_nothing_but_counts():
    console, out = plain_console()
    with Progress("eval", 4, console=console, enabled=False) as bar:
        bar.advance(3)
        bar.note("warning: shown only when enabled")
    assert out.getvalue() == "" and bar.done == 3


def test_notes_go_between_the_lines():
    clock, (console, out) = Clock(), plain_console()
    with Progress("eval", 2, console=console, clock=clock, heartbeat=False) as bar:
        bar.note("warning: skipping bfcl:multiple: [not installed]")
    assert lines(out)[0] == "warning: skipping bfcl:multiple: [not installed]"  # no markup eaten


def test_interval_from_the_environment(monkeypatch):
    monkeypatch.setenv(display.INTERVAL_ENV, "2.5")
    assert Progress("x").interval == 2.5
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv(display.INTERVAL_ENV, bad)
        assert Progress("x").interval == display.DEFAULT_INTERVAL
    monkeypatch.delenv(display.INTERVAL_ENV)
    assert Progress("x").interval == display.DEFAULT_INTERVAL


def test_durations_and_rates():
    assert duration(3.25) == "3.2s" and duration(42) == "42s" and duration(125) == "2m05s"
    assert duration(3 * 3600 + 120) == "3h02m"
    assert rate_text(0, 10, "task") == ""
    assert rate_text(1280, 1, "task") == "1280 tasks/s" and rate_text(3, 10, "step") == "3.33 s/step"


def test_on_a_terminal_it_is_a_rich_bar():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with Progress("eval", 4, unit="task", console=console) as bar:
        assert bar.live
        bar.advance(4, note="done here")
    text = out.getvalue()
    assert "4/4" in text and "done here" in text and "eval:" not in text  # no plain line


# -- tables --------------------------------------------------------------------------------------

def test_tables_align_numbers_and_keep_text_as_written():
    shown = render(table(["term", "mean", "computed"],
                         [["[geometry] area", "0.25", 3], ["  ood_sci", "-", 12], ["tool_match", None, 1]]))
    assert shown.splitlines() == [
        "term              mean   computed",
        "─────────────────────────────────",
        "[geometry] area   0.25          3",
        "  ood_sci            -         12",
        "tool_match                      1",
    ]


def test_tables_fold_at_the_width_under_a_heading():
    heading = "a heading longer than the table is wide, on a line of its own"
    shown = render(heading, table(["plugin", "registered"], [["scitools", "word " * 30]]), width=70)
    assert shown.splitlines()[0] == heading
    assert max(len(line) for line in shown.splitlines()) <= 70 and shown.count("word") == 30
    assert len(shown.splitlines()) > 4  # the cell wrapped


def test_echo_without_a_terminal_prints_the_rendered_text(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    display.echo("a [b] line", table(["x"], [["1"]]))
    assert capsys.readouterr().out == "a [b] line\nx\n─\n1\n"
