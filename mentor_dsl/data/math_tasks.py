"""In-domain task families over the twelve MENTOR math tools (1 to 4 calls each).

Each family is `fn(rng) -> Draft`: a question, its exact reference answer computed here
with `int`/`Fraction`/`Decimal` arithmetic, and the oracle's plan of tool calls. Numbers
stay small (mostly 2-3 digit operands) so that a 135M-parameter student has a chance.
Where a question could be solved with different tools, the wording points at the tool the
plan uses ("rounded up", "to the power of", "the remainder"), because the MENTOR reward
pays for matching the teacher's tool set.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from . import words
from .numbers import arg, decimal_between, dsqrt, money, round_half_up, show, show_money
from .oracle import CallPlan, Draft, Ref

Family = Callable[[random.Random], Draft]


def _ask(rng: random.Random, text: str) -> str:
    return rng.choice([f"What is {text}?", f"Calculate {text}.", f"Compute {text}.", f"Evaluate {text}."])


# --- word problems ------------------------------------------------------------------------


def shopping(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    _, plural, lo, hi = rng.choice(words.ITEMS)
    n = rng.randint(2, 15)
    price = money(rng, lo, hi)
    extra, extra_price = rng.choice(words.EXTRAS), money(rng, 1, 20, 25)
    p = CallPlan()
    items = p("multiply", a=n, b=arg(price))
    p("add", a=items, b=arg(extra_price))
    q = (
        f"{who} buys {n} {plural} at {show_money(price)} each and {extra} for {show_money(extra_price)}. "
        f"How much does {who} spend in total, in dollars?"
    )
    return Draft(q, n * price + extra_price, p, "shopping")


def change(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    _, plural, lo, hi = rng.choice(words.ITEMS)
    price = money(rng, lo, hi)
    bill = rng.choice([20, 50, 100])
    n = rng.randint(2, max(2, min(12, int(bill / price) - 1)))
    if n * price >= bill:
        bill = 100 if n * price < 100 else 200
    p = CallPlan()
    cost = p("multiply", a=n, b=arg(price))
    p("subtract", a=bill, b=cost)
    q = (
        f"{who} buys {n} {plural} at {show_money(price)} each and pays with a ${bill} bill. "
        f"How much change does {who} get, in dollars?"
    )
    return Draft(q, bill - n * price, p, "change")


def sharing(rng: random.Random) -> Draft:
    p = CallPlan()
    if rng.random() < 0.6:
        k, each = rng.randint(2, 12), rng.randint(3, 60)
        things, people = rng.choice(words.SHARED), rng.choice(words.SHARERS)
        p("divide", a=k * each, b=k)
        q = f"{k * each} {things} are shared equally among {k} {people}. How many {things} does each get?"
        return Draft(q, each, p, "sharing")
    k = rng.randint(2, 8)
    share = money(rng, 4, 60)
    total = share * k
    p("divide", a=arg(total), b=k)
    q = (
        f"{k} {rng.choice(words.SHARERS)} split a bill of {show_money(total)} equally. "
        f"How much does each pay, in dollars?"
    )
    return Draft(q, share, p, "sharing")


def leftover(rng: random.Random) -> Draft:
    things, box, boxes = rng.choice(words.PACKING)
    k = rng.randint(3, 24)
    n = k * rng.randint(3, 40) + rng.randint(1, k - 1)
    who = rng.choice(words.NAMES)
    p = CallPlan()
    p("modulo", a=n, b=k)
    q = (
        f"{who} packs {n} {things} into {boxes} of {k}. How many {things} are left over after filling "
        f"as many {boxes} as possible?"
    )
    return Draft(q, n % k, p, "leftover")


def containers_needed(rng: random.Random) -> Draft:
    people, one, many = rng.choice(words.GROUPS)
    k = rng.randint(4, 60)
    n = k * rng.randint(2, 15) + rng.randint(1, k - 1)
    p = CallPlan()
    ratio = p("divide", a=n, b=k)
    p("ceil", x=ratio)
    q = f"{n} {people} need transport and each {one} holds {k}. How many {many} are needed (rounded up)?"
    return Draft(q, -(-n // k), p, "containers_needed")


def full_containers(rng: random.Random) -> Draft:
    things, one, many = rng.choice(words.PACKING)
    k = rng.randint(4, 36)
    n = k * rng.randint(2, 30) + rng.randint(1, k - 1)
    p = CallPlan()
    ratio = p("divide", a=n, b=k)
    p("floor", x=ratio)
    q = f"There are {n} {things} and each {one} takes {k}. How many {many} can be completely filled (rounded down)?"
    return Draft(q, n // k, p, "full_containers")


def rate(rng: random.Random) -> Draft:
    p = CallPlan()
    kind = rng.randrange(4)
    if kind == 0:
        vehicle, speed = rng.choice(words.VEHICLES), rng.randint(12, 120)
        duration = rng.choice([Decimal(h) for h in range(2, 9)] + [Decimal("1.5"), Decimal("2.5"), Decimal("3.5")])
        p("multiply", a=speed, b=arg(duration))
        q = f"A {vehicle} travels at {speed} km per hour for {show(duration)} hours. How many kilometres are covered?"
        return Draft(q, speed * duration, p, "rate")
    if kind == 1:
        machine, things = rng.choice(words.MACHINES)
        per, minutes = rng.randint(3, 90), rng.randint(2, 15)
        p("divide", a=per * minutes, b=minutes)
        q = (
            f"A {machine} makes {per * minutes} {things} in {minutes} minutes. "
            f"How many {things} does it make per minute?"
        )
        return Draft(q, per, p, "rate")
    if kind == 2:
        machine, things = rng.choice(words.MACHINES)
        per, hours = rng.randint(3, 40), rng.randint(2, 8)
        in_minutes = p("multiply", a=hours, b=60)
        p("multiply", a=in_minutes, b=per)
        q = f"A {machine} makes {per} {things} per minute. How many {things} does it make in {hours} hours?"
        return Draft(q, per * hours * 60, p, "rate")
    who, job = rng.choice(words.NAMES), rng.choice(words.JOBS)
    wage, hours, weeks = money(rng, 9, 30, 25), rng.randint(4, 30), rng.randint(2, 8)
    week = p("multiply", a=arg(wage), b=hours)
    p("multiply", a=week, b=weeks)
    q = (
        f"{who} works as a {job} for {hours} hours a week at {show_money(wage)} per hour. "
        f"How much does {who} earn in {weeks} weeks, in dollars?"
    )
    return Draft(q, wage * hours * weeks, p, "rate")


def unit_price(rng: random.Random) -> Draft:
    _, plural, lo, hi = rng.choice(words.ITEMS)
    n = rng.randint(3, 24)
    total = money(rng, max(2, lo * n * 0.8), max(3, hi * n * 0.6), 1)
    p = CallPlan()
    each = p("divide", a=arg(total), b=n)
    p("round_number", x=each, decimals=2)
    q = (
        f"A pack of {n} {plural} costs {show_money(total)}. What is the price of one, in dollars, "
        f"rounded to the nearest cent?"
    )
    return Draft(q, round_half_up(Fraction(total) / n, 2), p, "unit_price")


def discount(rng: random.Random) -> Draft:
    item = rng.choice(words.CLOTHES)
    # Whole-dollar prices keep every percentage of them to at most two decimals.
    price = Decimal(rng.randint(12, 400))
    p = CallPlan()
    if rng.random() < 0.65:
        pct = rng.choice([5, 10, 15, 20, 25, 30, 35, 40, 50, 60, 75])
        rate_ = Decimal(pct) / 100
        cut = p("multiply", a=arg(price), b=arg(rate_))
        p("subtract", a=arg(price), b=cut)
        q = f"A {item} costs {show_money(price)} and is on sale for {pct}% off. What is the sale price, in dollars?"
        return Draft(q, price * (1 - rate_), p, "discount")
    pct = rng.choice([5, 6, 8, 10, 12, 15, 20, 25])
    rate_ = Decimal(pct) / 100
    tax = p("multiply", a=arg(price), b=arg(rate_))
    p("add", a=arg(price), b=tax)
    q = f"A {item} costs {show_money(price)} before a {pct}% sales tax. What is the price including tax, in dollars?"
    return Draft(q, price * (1 + rate_), p, "discount")


def budget(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    _, plural, lo, hi = rng.choice(words.ITEMS)
    start = Decimal(rng.randint(30, 300))
    n, price = rng.randint(2, 8), money(rng, lo, hi)
    while n * price > start:
        n -= 1
    earned = money(rng, 5, 80, 25)
    job = rng.choice(words.JOBS)
    p = CallPlan()
    cost = p("multiply", a=n, b=arg(price))
    left = p("subtract", a=arg(start), b=cost)
    p("add", a=left, b=arg(earned))
    q = (
        f"{who} has {show_money(start)}, buys {n} {plural} at {show_money(price)} each, and then earns "
        f"{show_money(earned)} as a {job}. How much money does {who} have now, in dollars?"
    )
    return Draft(q, start - n * price + earned, p, "budget")


def total(rng: random.Random) -> Draft:
    things = rng.choice(words.SALES)
    days = rng.randint(3, 7)
    counts = [rng.randint(8, 160) for _ in range(days)]
    p = CallPlan()
    p("sum_numbers", numbers=counts)
    q = f"A shop sold {_listing(counts)} {things} on {days} consecutive days. How many {things} did it sell in total?"
    return Draft(q, sum(counts), p, "total")


def average(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    noun, unit = rng.choice(words.MEASURES)
    n = rng.choice([2, 3, 4, 4, 5, 5, 6])
    values = [rng.randint(10, 99) for _ in range(n)]
    # Thirds and sixths never terminate: nudge the last value so the mean has a short form.
    while Fraction(sum(values), n).denominator not in (1, 2, 4, 5, 10, 20, 25, 50, 100):
        values[-1] += 1
    p = CallPlan()
    s = p("sum_numbers", numbers=values)
    p("divide", a=s, b=n)
    q = f"{who} recorded these {noun}: {_listing(values)} {unit}. What is their average (mean)?"
    return Draft(q, Fraction(sum(values), n), p, "average")


def rounded_average(rng: random.Random) -> Draft:
    noun, unit = rng.choice(words.MEASURES)
    n = rng.choice([3, 6, 7])
    values = [rng.randint(10, 99) for _ in range(n)]
    places = rng.choice([0, 1, 1, 2])
    p = CallPlan()
    s = p("sum_numbers", numbers=values)
    mean = p("divide", a=s, b=n)
    p("round_number", x=mean, decimals=places)
    where = {0: "the nearest whole number", 1: "one decimal place", 2: "two decimal places"}[places]
    q = f"The {noun} are {_listing(values)} {unit}. What is their average, rounded to {where}?"
    return Draft(q, round_half_up(Fraction(sum(values), n), places), p, "rounded_average")


def abs_difference(rng: random.Random) -> Draft:
    a, b = rng.randint(-60, 150), rng.randint(-60, 150)
    while a >= b:
        a, b = rng.randint(-60, 150), rng.randint(-60, 150)
    p = CallPlan()
    d = p("subtract", a=a, b=b)
    p("abs_value", x=d)
    q = rng.choice(
        [
            f"What is the absolute value of {a} - ({b})?" if b < 0 else f"What is the absolute value of {a} - {b}?",
            f"How far apart are {a} and {b} on the number line? (Take the absolute value of {a} minus {b}.)",
        ]
    )
    return Draft(q, abs(a - b), p, "abs_difference")


def temperature_change(rng: random.Random) -> Draft:
    city = rng.choice(words.PLACES)
    first, second = rng.randint(-25, 20), rng.randint(-30, 35)
    while first == second:
        second = rng.randint(-30, 35)
    p = CallPlan()
    d = p("subtract", a=second, b=first)
    p("abs_value", x=d)
    q = (
        f"In {city} the temperature was {first} degrees in the morning and {second} degrees at night. "
        f"By how many degrees did it change (as an absolute value)?"
    )
    return Draft(q, abs(second - first), p, "temperature_change")


# --- direct computation -------------------------------------------------------------------


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}
_OP_TOOL = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
#: Exact arithmetic; a division's right operand is never 0 (`_operand` picks a divisor >= 2).
_APPLY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


class _Expr:
    """A sub-expression: its exact value, its text, its top operator and its plan handle."""

    def __init__(self, value: Fraction, text: str, op: str | None, handle: int | Ref):
        self.value, self.text, self.op, self.handle = value, text, op, handle


def _leaf(n: int) -> _Expr:
    return _Expr(Fraction(n), f"({n})" if n < 0 else str(n), None, n)


def _combine(p: CallPlan, op: str, left: _Expr, right: _Expr) -> _Expr:
    ltext = f"({left.text})" if left.op and _PREC[left.op] < _PREC[op] else left.text
    # A compound right operand always gets parentheses: the plan evaluates it as a unit.
    rtext = f"({right.text})" if right.op else right.text
    value = _APPLY[op](left.value, right.value)
    handle = p(_OP_TOOL[op], a=left.handle, b=right.handle)
    return _Expr(value, f"{ltext} {op} {rtext}", op, handle)


def _operand(rng: random.Random, op: str, left: Fraction) -> int | None:
    """A right operand for `op` that keeps the value a small integer, or None."""
    if op in "+-":
        return rng.randint(10, 999)
    if op == "*":
        return rng.randint(2, 30) if abs(left) <= 2000 else None
    divisors = [d for d in range(2, 31) if left % d == 0 and left != 0]
    return rng.choice(divisors) if divisors else None


def expression(rng: random.Random) -> Draft:
    steps = rng.choice([2, 2, 3, 3, 4])
    p = CallPlan()
    if steps == 3 and rng.random() < 0.4:
        # (a op b) op (c op d): the plan computes both halves before combining them.
        halves = []
        for _ in range(2):
            a = rng.randint(10, 99)
            op = rng.choice("+-*")
            b = rng.randint(2, 30) if op == "*" else rng.randint(10, 99)
            halves.append((a, op, b))
        outer = rng.choice("+-*")
        left = _combine(p, halves[0][1], _leaf(halves[0][0]), _leaf(halves[0][2]))
        right = _combine(p, halves[1][1], _leaf(halves[1][0]), _leaf(halves[1][2]))
        result = _combine(p, outer, left, right)
    else:
        result = _leaf(rng.randint(10, 999))
        for _ in range(steps):
            for _attempt in range(8):
                op = rng.choice("+-*/")
                n = _operand(rng, op, result.value)
                if n is not None:
                    break
            else:
                op, n = "+", rng.randint(10, 999)
            result = _combine(p, op, result, _leaf(n))
    return Draft(_ask(rng, result.text), result.value, p, "expression")


def rounding(rng: random.Random) -> Draft:
    p = CallPlan()
    places = rng.choice([2, 1, 1, 0, 0, -1, -2])
    if places >= 0:
        # One or two more decimals than are kept, so the rounding matters.
        x = decimal_between(rng, 0, 999, places + rng.randint(1, 2))
    else:
        # Rounding a number with decimals to tens reads oddly: whole numbers there.
        x = Decimal(rng.randint(100, 999 if places == -1 else 9999))
    if rng.random() < 0.15:
        x = -x
    where = {
        2: "the nearest hundredth",
        1: "the nearest tenth",
        0: "the nearest whole number",
        -1: "the nearest ten",
        -2: "the nearest hundred",
    }[places]
    p("round_number", x=arg(x), decimals=places)
    return Draft(f"Round {show(x)} to {where}.", round_half_up(x, places), p, "rounding")


def floor_ceil(rng: random.Random) -> Draft:
    x = decimal_between(rng, 1, 500, rng.choice([1, 1, 2]))
    if rng.random() < 0.2:
        x = -x
    p = CallPlan()
    if rng.random() < 0.5:
        p("floor", x=arg(x))
        q = f"What is {show(x)} rounded down to an integer (its floor)?"
        return Draft(q, int(x.to_integral_value(rounding="ROUND_FLOOR")), p, "floor_ceil")
    p("ceil", x=arg(x))
    q = f"What is {show(x)} rounded up to an integer (its ceiling)?"
    return Draft(q, int(x.to_integral_value(rounding="ROUND_CEILING")), p, "floor_ceil")


def remainder(rng: random.Random) -> Draft:
    a, b = rng.randint(100, 999), rng.randint(3, 40)
    p = CallPlan()
    p("modulo", a=a, b=b)
    q = rng.choice([f"What is the remainder when {a} is divided by {b}?", f"What is {a} modulo {b}?"])
    return Draft(q, a % b, p, "remainder")


def powers(rng: random.Random) -> Draft:
    p = CallPlan()
    e = rng.choice([2, 2, 2, 3, 3, 4, 5])
    top = {2: 99, 3: 30, 4: 12, 5: 9}[e]
    if rng.random() < 0.15 and e <= 3:
        base: Decimal | int = Decimal(rng.randint(11, 99)) / 10
    else:
        base = rng.randint(2, top)
    p("power", base=arg(base), exponent=e)
    b = show(base)
    q = rng.choice(
        [f"What is {b} to the power of {e}?", f"What is {b} raised to the power {e}?"]
        + ([f"What is {b} squared?"] if e == 2 else [f"What is {b} cubed?"] if e == 3 else [])
    )
    return Draft(q, Decimal(base) ** e if isinstance(base, Decimal) else base**e, p, "powers")


def square_root(rng: random.Random) -> Draft:
    p = CallPlan()
    if rng.random() < 0.7:
        k = rng.randint(2, 120)
        p("sqrt", x=k * k)
        q = rng.choice(
            [
                f"What is the square root of {k * k}?",
                f"A square has an area of {k * k} square metres. How long is each side, in metres?",
            ]
        )
        return Draft(q, k, p, "square_root")
    n = rng.randint(2, 999)
    while int(dsqrt(n)) ** 2 == n:
        n = rng.randint(2, 999)
    places = rng.choice([1, 2])
    root = p("sqrt", x=n)
    p("round_number", x=root, decimals=places)
    word = {1: "one decimal place", 2: "two decimal places"}[places]
    return Draft(
        f"What is the square root of {n}, rounded to {word}?", round_half_up(dsqrt(n), places), p, "square_root"
    )


#: Leg pairs of integer right triangles, scaled so the hypotenuse stays under 300.
TRIPLES = [(3, 4), (5, 12), (8, 15), (7, 24), (20, 21), (9, 40), (12, 35), (11, 60), (28, 45), (33, 56)]


def hypotenuse(rng: random.Random) -> Draft:
    a, b = rng.choice(TRIPLES)
    c = int(dsqrt(a * a + b * b))
    k = rng.randint(1, max(1, 300 // c))
    a, b = a * k, b * k
    if rng.random() < 0.5:
        a, b = b, a
    p = CallPlan()
    a2 = p("power", base=a, exponent=2)
    b2 = p("power", base=b, exponent=2)
    s = p("add", a=a2, b=b2)
    p("sqrt", x=s)
    q = (
        f"A right triangle has legs of {a} cm and {b} cm. Using the Pythagorean theorem, "
        f"how long is the hypotenuse, in cm?"
    )
    return Draft(q, c * k, p, "hypotenuse")


def _listing(values: list) -> str:
    shown = [show(v) for v in values]
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]


#: In-domain families and their sampling weights.
FAMILIES: list[tuple[Family, float]] = [
    (shopping, 1.2),
    (change, 1.0),
    (sharing, 1.0),
    (leftover, 0.8),
    (containers_needed, 0.8),
    (full_containers, 0.7),
    (rate, 1.2),
    (unit_price, 0.8),
    (discount, 1.0),
    (budget, 0.8),
    (total, 0.7),
    (average, 1.0),
    (rounded_average, 0.7),
    (abs_difference, 0.6),
    (temperature_change, 0.5),
    (expression, 2.0),
    (rounding, 1.0),
    (floor_ceil, 0.7),
    (remainder, 0.8),
    (powers, 0.8),
    (square_root, 0.8),
    (hypotenuse, 0.5),
]
