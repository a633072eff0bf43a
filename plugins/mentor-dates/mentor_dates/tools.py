"""The calendar tools: `add_days`, `days_between` and `weekday`, over ISO dates.

Dates go in and come out as `YYYY-MM-DD` strings, the form the schemas ask for and the
judge compares. The proleptic Gregorian calendar of Python's `datetime.date`, years 1 to
9999. A date that does not exist (`2025-02-30`) or a result outside those years is a
`ValueError` with a short message for the model.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from mentor_dsl.tools.base import Tool

TOOLSET = "dates"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: How far `add_days` may move a date: about 2,700 years either way, enough for any task,
#: small enough that no call can overflow `datetime`.
MAX_DAYS = 1_000_000

_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


def parse_date(text: Any, name: str = "date") -> datetime.date:
    """An ISO date `YYYY-MM-DD` that exists, or a ValueError naming the argument."""
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a date written YYYY-MM-DD, not {type(text).__name__}")
    match = _ISO.match(text.strip())
    if match is None:
        raise ValueError(f"{name} must be a date written YYYY-MM-DD, got {text[:40]!r}")
    try:
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"{name}: {text} is not a date in the calendar") from None


def add_days(date: str, days: int) -> str:
    """The date `days` days after `date` (before it, for a negative number)."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError("days must be a whole number")
    start = parse_date(date)
    try:
        return (start + datetime.timedelta(days=days)).isoformat()
    except OverflowError:
        raise ValueError(f"{days} days from {date} is outside the years 1 to 9999") from None


def days_between(start: str, end: str) -> int:
    """The number of days from `start` to `end`: negative when `end` comes first."""
    return (parse_date(end, "end") - parse_date(start, "start")).days


def weekday(date: str) -> str:
    """The day of the week of `date`, in English (`Monday` ... `Sunday`)."""
    return WEEKDAYS[parse_date(date).weekday()]


_DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
         "description": "A date, YYYY-MM-DD."}


def _params(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


SPECS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "add_days": (add_days, "The date `days` days after `date` (before it when days is negative). "
                           "Dates are written YYYY-MM-DD.",
                 _params({"date": _DATE,
                          "days": {"type": "integer", "minimum": -MAX_DAYS, "maximum": MAX_DAYS,
                                   "description": "Days to add; negative to go back."}})),
    "days_between": (days_between, "The number of days from `start` to `end` (negative when end is earlier). "
                                   "Dates are written YYYY-MM-DD.",
                     _params({"start": _DATE, "end": _DATE})),
    "weekday": (weekday, "The day of the week of `date` (YYYY-MM-DD): Monday, Tuesday, ... Sunday.",
                _params({"date": _DATE})),
}


def build_tools() -> tuple[Tool, ...]:
    """Fresh Tool objects for the three tools, in the toolset `dates`."""
    return tuple(Tool(name, description, parameters, fn, toolset=TOOLSET)
                 for name, (fn, description, parameters) in SPECS.items())
