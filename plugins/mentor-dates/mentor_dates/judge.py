"""The `date` judge: an answer is right when it means the same date, weekday or count.

The gold decides what is compared:

* a date (`2025-02-23`): the answer must be that date, written `2025-02-23`,
  `2025/02/23`, `February 23, 2025`, `23 February 2025` or `Feb 23 2025`, with or without
  a weekday in front (`Sunday, February 23, 2025`);
* a weekday (`Sunday`): the answer must be that day, in full or as its first three letters;
* a whole number (`14`): the answer must be that number, optionally with `days` after it
  and thousands separators (`1,461 days`).

Case, surrounding `$`, `\\text{...}` and a final period do not matter. Anything else, and
any answer that holds two readings (`2025-02-23 or 2025-02-24`), is wrong: unlike the math
judge, this one never reads part of an answer.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .tools import WEEKDAYS

_MONTHS = {name.lower(): i for i, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"), start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_DAYS = {d.lower(): d for d in WEEKDAYS} | {d[:3].lower(): d for d in WEEKDAYS}

_TEXT = re.compile(r"\\(?:text|mathrm|textrm)\{([^{}]*)\}")
_NUMERIC = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_MONTH_FIRST = re.compile(r"^([a-z]+)\.? ([0-9]{1,2})(?:st|nd|rd|th)?,? ([0-9]{4})$")
_DAY_FIRST = re.compile(r"^([0-9]{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)\.?,? ([0-9]{4})$")
_COUNT = re.compile(r"^(-?[0-9]{1,3}(?:,[0-9]{3})+|-?[0-9]+)(?: days?)?$")


def normalize(text: str) -> str:
    """Lower case, `\\text{}` unwrapped, `$`, spaces and a final period trimmed."""
    text = _TEXT.sub(r"\1", text).replace("\\,", "").replace("~", " ")
    text = " ".join(text.replace("$", " ").split()).strip().lower()
    return text[:-1].rstrip() if text.endswith(".") else text


def _date(y: str, m: int | None, d: str) -> datetime.date | None:
    if m is None:
        return None
    try:
        return datetime.date(int(y), m, int(d))
    except ValueError:
        return None


def read_date(text: str) -> datetime.date | None:
    """The date a normalised answer writes, in one of the forms of the module docstring."""
    head, sep, rest = text.partition(", ")
    if sep and head in _DAYS:  # "sunday, february 23, 2025": the weekday must be right too
        day = read_date(rest)
        return day if day is not None and WEEKDAYS[day.weekday()] == _DAYS[head] else None
    match = _NUMERIC.match(text)
    if match:
        return _date(match.group(1), int(match.group(2)), match.group(3))
    match = _MONTH_FIRST.match(text)
    if match:
        return _date(match.group(3), _MONTHS.get(match.group(1)), match.group(2))
    match = _DAY_FIRST.match(text)
    if match:
        return _date(match.group(3), _MONTHS.get(match.group(2)), match.group(1))
    return None


def read_count(text: str) -> int | None:
    match = _COUNT.match(text)
    return int(match.group(1).replace(",", "")) if match else None


def _same(prediction: str, gold: str) -> bool:
    gold_text, answer = normalize(gold), normalize(prediction)
    day = read_date(gold_text)
    if day is not None:
        return read_date(answer) == day
    if gold_text in _DAYS:
        return _DAYS.get(answer) == _DAYS[gold_text]
    count = read_count(gold_text)
    if count is not None:
        return read_count(answer) == count
    return answer == gold_text


def date_judge(prediction: str, gold: Any) -> float:
    """1.0 when the prediction matches any accepted gold (see the module docstring)."""
    golds = [gold] if isinstance(gold, str) else [str(g) for g in gold]
    return 1.0 if isinstance(prediction, str) and any(_same(prediction, g) for g in golds) else 0.0
