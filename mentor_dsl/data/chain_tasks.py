"""Out-of-domain chains: the twelve math tools composed in longer chains (4 to 6 calls).

Training tasks use at most four calls, and none of these compositions: the split measures
whether a student generalises to new orders and lengths of familiar tools. The split
builder also rejects any task whose sequence of tool names occurs in the train split.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

from . import words
from .math_tasks import TRIPLES, Family, _listing
from .numbers import arg, dsqrt, money, round_half_up, show, show_money
from .oracle import CallPlan, Draft, Ref


def _step_choices(value: Fraction, previous: str | None) -> list[str]:
    """Operations that keep a running integer value small and exact."""
    ops = ["add", "subtract"]
    if abs(value) <= 400:
        ops.append("multiply")
    if value.denominator == 1 and value != 0 and any(value % d == 0 for d in range(2, 13)):
        ops.append("divide")
    if value > 20:
        ops.append("modulo")
    if 1 < abs(value) <= 60:
        ops.append("square")
    if value > 1 and math.isqrt(int(value)) ** 2 == value:
        ops.append("sqrt")
    if value < 0:
        ops.append("abs")
    if value % 10 != 0 and abs(value) >= 10:
        ops.append("round_ten")
    return [op for op in ops if op != previous]


def instructions(rng: random.Random) -> Draft:
    start = rng.randint(10, 99)
    value = Fraction(start)
    handle: int | Ref = start  # the number itself, then the output of the call that computed it
    p = CallPlan()
    said: list[str] = []
    previous = None
    for _ in range(rng.randint(4, 6)):
        op = rng.choice(_step_choices(value, previous))
        previous = op
        if op == "add":
            n = rng.randint(3, 99)
            handle, value, text = p("add", a=handle, b=n), value + n, f"add {n}"
        elif op == "subtract":
            n = rng.randint(3, 99)
            handle, value, text = p("subtract", a=handle, b=n), value - n, f"subtract {n}"
        elif op == "multiply":
            n = rng.randint(2, 12)
            handle, value, text = p("multiply", a=handle, b=n), value * n, f"multiply by {n}"
        elif op == "divide":
            d = rng.choice([d for d in range(2, 13) if value % d == 0])
            handle, value, text = p("divide", a=handle, b=d), value / d, f"divide by {d}"
        elif op == "modulo":
            m = rng.randint(3, 19)
            handle, value, text = p("modulo", a=handle, b=m), value % m, f"take the remainder after dividing by {m}"
        elif op == "square":
            handle, value, text = p("power", base=handle, exponent=2), value**2, "raise the result to the power of 2"
        elif op == "sqrt":
            handle, value, text = p("sqrt", x=handle), Fraction(math.isqrt(int(value))), "take the square root"
        elif op == "abs":
            handle, value, text = p("abs_value", x=handle), abs(value), "take the absolute value"
        else:
            handle, value = p("round_number", x=handle, decimals=-1), Fraction(int(round_half_up(value, -1)))
            text = "round to the nearest ten"
        said.append(text)
    q = f"Start with {start}. Then {', then '.join(said[:-1])}, and finally {said[-1]}. What is the result?"
    return Draft(q, value, p, "instructions")


def split_change(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    (_, plural1, lo1, hi1), (_, plural2, lo2, hi2) = rng.sample(words.ITEMS, 2)
    n1, n2 = rng.randint(2, 6), rng.randint(2, 6)
    p1, p2 = money(rng, lo1, hi1), money(rng, lo2, hi2)
    spent = n1 * p1 + n2 * p2
    bill = next(b for b in (50, 100, 200, 500) if b > spent)
    k = rng.randint(2, 6)
    p = CallPlan()
    a = p("multiply", a=n1, b=arg(p1))
    b = p("multiply", a=n2, b=arg(p2))
    both = p("add", a=a, b=b)
    rest = p("subtract", a=bill, b=both)
    each = p("divide", a=rest, b=k)
    p("round_number", x=each, decimals=2)
    q = (
        f"{who} buys {n1} {plural1} at {show_money(p1)} each and {n2} {plural2} at {show_money(p2)} each, "
        f"and pays with a ${bill} bill. The change is shared equally among {k} friends. "
        f"How much does each friend get, in dollars, rounded to the nearest cent?"
    )
    return Draft(q, round_half_up(Fraction(bill - spent) / k, 2), p, "split_change")


def point_distance(rng: random.Random) -> Draft:
    a, b = rng.choice(TRIPLES[:6])
    c = int(dsqrt(a * a + b * b))
    k = rng.randint(1, max(1, 60 // c))
    dx, dy = a * k * rng.choice([1, -1]), b * k * rng.choice([1, -1])
    if rng.random() < 0.5:
        dx, dy = dy, dx
    x1, y1 = rng.randint(-20, 40), rng.randint(-20, 40)
    x2, y2 = x1 + dx, y1 + dy
    p = CallPlan()
    ddx = p("subtract", a=x2, b=x1)
    ddy = p("subtract", a=y2, b=y1)
    sx = p("power", base=ddx, exponent=2)
    sy = p("power", base=ddy, exponent=2)
    s = p("add", a=sx, b=sy)
    p("sqrt", x=s)
    q = f"What is the straight-line distance between the points ({x1}, {y1}) and ({x2}, {y2})?"
    return Draft(q, c * k, p, "point_distance")


def compound_interest(rng: random.Random) -> Draft:
    principal = rng.randrange(500, 5001, 100)
    pct = rng.choice([2, 3, 4, 5, 6, 8, 10])
    years = rng.choice([2, 3, 4])
    growth = 1 + Decimal(pct) / 100
    p = CallPlan()
    factor = p("power", base=arg(growth), exponent=years)
    final = p("multiply", a=principal, b=factor)
    interest = p("subtract", a=final, b=principal)
    p("round_number", x=interest, decimals=2)
    q = (
        f"${principal} is saved at {pct}% interest per year, compounded yearly, for {years} years. "
        f"How much interest is earned, in dollars, rounded to the nearest cent?"
    )
    return Draft(q, round_half_up(principal * (growth**years - 1), 2), p, "compound_interest")


def distance_from_mean(rng: random.Random) -> Draft:
    who = rng.choice(words.NAMES)
    n = rng.choice([4, 5])
    values = [rng.randint(40, 100) for _ in range(n)]
    x = rng.randint(30, 100)
    mean = Fraction(sum(values), n)
    p = CallPlan()
    s = p("sum_numbers", numbers=values)
    m = p("divide", a=s, b=n)
    d = p("subtract", a=x, b=m)
    p("abs_value", x=d)
    q = (
        f"The class scores were {_listing(values)}. {who} scored {x}. How far is {who}'s score from "
        f"the class average (the absolute difference)?"
    )
    return Draft(q, abs(x - mean), p, "distance_from_mean")


def tiling(rng: random.Random) -> Draft:
    length = Decimal(rng.randint(20, 90)) / 10
    width = Decimal(rng.randint(20, 60)) / 10
    cover = rng.choice([Decimal("1.5"), Decimal(2), Decimal("2.5"), Decimal(3)])
    price = money(rng, 12, 60, 50)
    p = CallPlan()
    area = p("multiply", a=arg(length), b=arg(width))
    boxes = p("divide", a=area, b=arg(cover))
    whole = p("ceil", x=boxes)
    p("multiply", a=whole, b=arg(price))
    q = (
        f"A floor measures {show(length)} m by {show(width)} m. A box of tiles covers {show(cover)} square metres "
        f"and costs {show_money(price)}. Only whole boxes are sold. How much do the tiles cost, in dollars?"
    )
    need = math.ceil(Fraction(length * width) / Fraction(cover))
    return Draft(q, need * price, p, "tiling")


def fuel_cost(rng: random.Random) -> Draft:
    place = rng.choice(words.PLACES)
    km = rng.randint(40, 400)
    usage = Decimal(rng.randint(10, 24)) / 2
    price = money(rng, 1.2, 2.5, 1)
    p = CallPlan()
    both = p("multiply", a=km, b=2)
    hundreds = p("divide", a=both, b=100)
    litres = p("multiply", a=hundreds, b=arg(usage))
    cost = p("multiply", a=litres, b=arg(price))
    p("round_number", x=cost, decimals=2)
    q = (
        f"A car uses {show(usage)} litres of fuel per 100 km. The drive to {place} is {km} km each way, and fuel "
        f"costs {show_money(price)} per litre. What does fuel for the round trip cost, in dollars, rounded to the "
        f"nearest cent?"
    )
    return Draft(q, round_half_up(Fraction(2 * km, 100) * Fraction(usage) * Fraction(price), 2), p, "fuel_cost")


def remainder_of_squares(rng: random.Random) -> Draft:
    a, b, m = rng.randint(10, 60), rng.randint(10, 60), rng.randint(7, 50)
    p = CallPlan()
    a2 = p("power", base=a, exponent=2)
    b2 = p("power", base=b, exponent=2)
    s = p("add", a=a2, b=b2)
    p("modulo", a=s, b=m)
    q = f"What is the remainder when {a} squared plus {b} squared is divided by {m}?"
    return Draft(q, (a * a + b * b) % m, p, "remainder_of_squares")


def average_speed(rng: random.Random) -> Draft:
    vehicle = rng.choice(words.VEHICLES)
    d1, d2 = rng.randint(20, 250), rng.randint(20, 250)
    t1, t2 = Decimal(rng.randint(2, 10)) / 2, Decimal(rng.randint(2, 10)) / 2
    p = CallPlan()
    dist = p("add", a=d1, b=d2)
    time = p("add", a=arg(t1), b=arg(t2))
    speed = p("divide", a=dist, b=time)
    p("round_number", x=speed, decimals=1)
    q = (
        f"A {vehicle} covers {d1} km in {show(t1)} hours and then {d2} km in {show(t2)} hours. What is its "
        f"average speed over the whole journey, in km per hour, rounded to one decimal place?"
    )
    return Draft(q, round_half_up(Fraction(d1 + d2) / Fraction(t1 + t2), 1), p, "average_speed")


FAMILIES: list[tuple[Family, float]] = [
    (instructions, 2.0),
    (split_change, 1.0),
    (point_distance, 1.0),
    (compound_interest, 1.0),
    (distance_from_mean, 1.0),
    (tiling, 1.0),
    (fuel_cost, 1.0),
    (remainder_of_squares, 0.8),
    (average_speed, 1.0),
]
