"""Date task families and the three splits built from them.

Each family is `fn(rng) -> Draft`, as mentor's own math families: a question, the
reference answer computed here with `datetime` (independently of the tools), and the
oracle's plan of calls. mentor's split machinery executes every plan with the registered
tools and keeps a task only when the plan reproduces the reference.

* `dates_train` (1000) and `dates_test` (200): one call each (`add_days`, `days_between`
  or `weekday`); the plans hash into ten buckets, test takes bucket 0 and train buckets
  2-9, so no call is in both, and test also avoids train's questions and signatures.
* `dates_ood` (200): two calls chained, the second using the first's result (the weekday
  of a shifted date, the days to a shifted date, a date shifted twice): compositions that
  train never shows (`novel_names`).
"""

from __future__ import annotations

import datetime
import random
from typing import Any, Callable

from mentor_dsl.data.oracle import CallPlan, Draft
from mentor_dsl.data.splits import SplitSpec

from . import REWARD
from .tools import TOOLSET, WEEKDAYS

Family = Callable[[random.Random], Draft]

_FIRST = datetime.date(1950, 1, 1).toordinal()
_LAST = datetime.date(2060, 12, 31).toordinal()
_EVENTS = ("the project started", "the lease began", "the festival opened", "the ship left port",
           "the library opened", "the contract was signed", "the trial began", "the bridge reopened")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _day(rng: random.Random) -> datetime.date:
    return datetime.date.fromordinal(rng.randint(_FIRST, _LAST))


def _write(day: datetime.date, rng: random.Random) -> str:
    """A date as a question writes it: usually ISO, sometimes in words."""
    if rng.random() < 0.7:
        return day.isoformat()
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _draft(question: str, expected: Any, plan: CallPlan, family: str) -> Draft:
    return Draft(question, expected, plan, family, domain="dates", toolsets=(TOOLSET,))


# --- one call (train, test) -------------------------------------------------------------------


def shift(rng: random.Random) -> Draft:
    start, days = _day(rng), rng.randint(1, 1500)
    if rng.random() < 0.3:
        days = -days
    p = CallPlan()
    p("add_days", date=start.isoformat(), days=days)
    when = _write(start, rng)
    if days > 0:
        q = rng.choice([f"What date is {days} days after {when}?",
                        f"A subscription starts on {when} and runs for {days} days. On what date does it end?",
                        f"Count {days} days forward from {when}. Which date do you reach?"])
    else:
        q = rng.choice([f"What date is {-days} days before {when}?",
                        f"A payment is due on {when}. Which date is {-days} days earlier?"])
    q += " Answer with the date as YYYY-MM-DD."
    return _draft(q, (start + datetime.timedelta(days=days)).isoformat(), p, "shift")


def span(rng: random.Random) -> Draft:
    start = _day(rng)
    end = start + datetime.timedelta(days=rng.randint(1, 3000))
    p = CallPlan()
    p("days_between", start=start.isoformat(), end=end.isoformat())
    a, b = _write(start, rng), _write(end, rng)
    q = rng.choice([f"How many days are there from {a} to {b}?",
                    f"{rng.choice(_EVENTS).capitalize()} on {a} and ended on {b}. How many days passed?",
                    f"How many days separate {a} and the later date {b}?"])
    return _draft(q, (end - start).days, p, "span")


def day_of_week(rng: random.Random) -> Draft:
    day = _day(rng)
    p = CallPlan()
    p("weekday", date=day.isoformat())
    when = _write(day, rng)
    q = rng.choice([f"What day of the week was {when}?", f"On which weekday does {when} fall?",
                    f"{rng.choice(_EVENTS).capitalize()} on {when}. What day of the week was it?"])
    return _draft(q, WEEKDAYS[day.weekday()], p, "day_of_week")


# --- two calls (ood) --------------------------------------------------------------------------


def weekday_after(rng: random.Random) -> Draft:
    start, days = _day(rng), rng.randint(2, 900)
    p = CallPlan()
    moved = p("add_days", date=start.isoformat(), days=days)
    p("weekday", date=moved)
    q = f"What day of the week is it {days} days after {_write(start, rng)}?"
    return _draft(q, WEEKDAYS[(start + datetime.timedelta(days=days)).weekday()], p, "weekday_after")


def days_until_shifted(rng: random.Random) -> Draft:
    start, days, gap = _day(rng), rng.randint(10, 600), rng.randint(10, 900)
    origin = start - datetime.timedelta(days=gap)
    p = CallPlan()
    moved = p("add_days", date=start.isoformat(), days=days)
    p("days_between", start=origin.isoformat(), end=moved)
    q = (f"A deadline is {days} days after {_write(start, rng)}. How many days are there from "
         f"{_write(origin, rng)} to the deadline?")
    return _draft(q, gap + days, p, "days_until_shifted")


def shift_twice(rng: random.Random) -> Draft:
    start, first, second = _day(rng), rng.randint(5, 400), rng.randint(5, 400)
    p = CallPlan()
    moved = p("add_days", date=start.isoformat(), days=first)
    p("add_days", date=moved, days=-second)
    q = (f"Go {first} days forward from {_write(start, rng)}, then {second} days back. "
         "Which date is it? Answer with the date as YYYY-MM-DD.")
    return _draft(q, (start + datetime.timedelta(days=first - second)).isoformat(), p, "shift_twice")


SINGLE: list[tuple[Family, float]] = [(shift, 1.0), (span, 1.0), (day_of_week, 1.0)]
CHAINS: list[tuple[Family, float]] = [(weekday_after, 1.0), (days_until_shifted, 1.0), (shift_twice, 1.0)]


def answer_text(value: Any) -> str:
    """How a reference and the oracle's last output are written: dates and weekdays as
    they are, day counts as integers."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"a date answer is a date, a weekday or a whole number, not {value!r}")
    return str(value)


def build_splits() -> tuple[SplitSpec, ...]:
    common: dict[str, Any] = dict(domains=("dates",), requires=(TOOLSET,), answer_text=answer_text, judge="date",
                                  provided_by="mentor-dates", reward=REWARD)
    return (
        SplitSpec("dates_train", 1000, 20260301, SINGLE, description="date arithmetic with the calendar tools "
                  "(one call: add_days, days_between or weekday)", bucket=lambda b: b >= 2, exclude_from=None,
                  **common),
        SplitSpec("dates_test", 200, 20260302, SINGLE, description="held-out date tasks, same families as "
                  "dates_train, disjoint calls", bucket=lambda b: b == 0, exclude_from="dates_train", **common),
        SplitSpec("dates_ood", 200, 20260303, CHAINS, description="two chained calendar calls, compositions "
                  "dates_train never shows", exclude_from="dates_train", novel_names=True, **common),
    )
