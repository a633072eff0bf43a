"""Descriptive statistics over a list of numbers, computed exactly.

(The module is not called `statistics` so it never shadows the standard library's.)
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from ._numbers import all_ints, exact, num, number_list, numbers, params, result, sqrt

TOOLSET = "statistics"


def mean(numbers):
    """The arithmetic mean."""
    xs = number_list(numbers, "numbers")
    return result(sum(xs, Fraction(0)) / len(xs), all_ints(numbers))


def median(numbers):
    """The middle value; the mean of the two middle values for an even count."""
    xs = sorted(number_list(numbers, "numbers"))
    mid = len(xs) // 2
    value = xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2
    return result(value, all_ints(numbers))


def mode(numbers):
    """Every most frequent value, ascending: a list even when there is one mode."""
    xs = number_list(numbers, "numbers")
    counts = Counter(xs)
    top = max(counts.values())
    ints = all_ints(numbers)
    return [result(x, ints) for x in sorted(x for x, c in counts.items() if c == top)]


def _variance(xs: list[Fraction], sample: bool) -> Fraction:
    if sample and len(xs) < 2:
        raise ValueError("the sample variance needs at least 2 numbers")
    m = sum(xs, Fraction(0)) / len(xs)
    squares = sum(((x - m) ** 2 for x in xs), Fraction(0))
    return squares / (len(xs) - 1 if sample else len(xs))


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def variance(numbers, sample=False):
    """Population variance (divide by n), or sample variance (n - 1) when sample is true."""
    xs = number_list(numbers, "numbers")
    return result(_variance(xs, _flag(sample, "sample")), all_ints(numbers))


def std_dev(numbers, sample=False):
    """Population standard deviation, or sample standard deviation when sample is true."""
    xs = number_list(numbers, "numbers")
    return sqrt(_variance(xs, _flag(sample, "sample")), all_ints(numbers))


def percentile(numbers, p):
    """The p-th percentile with linear interpolation between closest ranks.

    The rank is p/100 * (n - 1) into the sorted list, as numpy's default ("linear") and
    Excel's PERCENTILE.INC compute it: p = 50 is the median, 0 the minimum, 100 the maximum.
    """
    xs = sorted(number_list(numbers, "numbers"))
    q = exact(p, "p")
    if not 0 <= q <= 100:
        raise ValueError("p must be between 0 and 100")
    rank = q / 100 * (len(xs) - 1)
    low = int(rank)  # rank >= 0, so int() is floor
    high = min(low + 1, len(xs) - 1)
    value = xs[low] + (xs[high] - xs[low]) * (rank - low)
    return result(value, all_ints(numbers, p))


_NUMBERS = numbers("The data: a non-empty list of numbers.")
_SAMPLE = {"type": "boolean", "default": False,
           "description": "true for the sample statistic (divide by n - 1), false for the population (divide by n)."}

SPECS = {
    "mean": (mean, "The arithmetic mean (average) of a list of numbers.", params({"numbers": _NUMBERS})),
    "median": (median, "The median of a list of numbers (the mean of the two middle values for an even count).",
               params({"numbers": _NUMBERS})),
    "mode": (mode, "The most frequent value(s) of a list of numbers, as an ascending list (ties give several).",
             params({"numbers": _NUMBERS})),
    "variance": (variance, "The variance of a list of numbers: population by default, sample if sample is true.",
                 params({"numbers": _NUMBERS, "sample": _SAMPLE}, required=["numbers"])),
    "std_dev": (std_dev, "The standard deviation of a list of numbers: population by default, sample if sample "
                         "is true.", params({"numbers": _NUMBERS, "sample": _SAMPLE}, required=["numbers"])),
    "percentile": (percentile, "The p-th percentile (0-100) of a list of numbers, interpolating linearly between "
                               "ranks (p=50 is the median).",
                   params({"numbers": _NUMBERS, "p": num("The percentile, from 0 to 100.", minimum=0, maximum=100)})),
}
