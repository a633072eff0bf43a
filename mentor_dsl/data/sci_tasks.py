"""Out-of-domain science tasks over the mentor-scitools plugin's toolsets.

Geometry, physics, statistics, unit conversion and number theory: tools the student never
saw in training, offered together with the twelve math tools (some tasks round a result
with round_number). References are computed here from first principles: pi to 60
digits, unit factors from their legal definitions, statistics by hand.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

from . import words
from .math_tasks import TRIPLES, Family, _listing
from .numbers import PI, arg, dmul, dsqrt, round_half_up, show
from .oracle import MATH_TOOLSET, CallPlan, Draft

#: The plugin's toolsets, as `registry().toolset(...)` names them.
SCI_TOOLSETS = ("geometry", "physics", "statistics", "number_theory", "units")


def _draft(question: str, expected, plan: CallPlan, family: str, domain: str, *toolsets: str) -> Draft:
    return Draft(question, expected, plan, family, domain, (*(toolsets or (domain,)), MATH_TOOLSET))


def _length(rng: random.Random, low: int, high: int) -> Decimal:
    """A length: usually whole, sometimes with one decimal."""
    if rng.random() < 0.7:
        return Decimal(rng.randint(low, high))
    return Decimal(rng.randint(low * 10, high * 10)) / 10


# --- geometry -----------------------------------------------------------------------------


def rectangle(rng: random.Random) -> Draft:
    length, width = _length(rng, 3, 60), _length(rng, 2, 40)
    place = rng.choice(["garden", "room", "field", "poster", "car park", "swimming pool"])
    p = CallPlan()
    if rng.random() < 0.5:
        p("rectangle_area", length=arg(length), width=arg(width))
        q = (
            f"A rectangular {place} is {show(length)} m long and {show(width)} m wide. "
            f"What is its area, in square metres?"
        )
        return _draft(q, length * width, p, "rectangle", "geometry")
    p("rectangle_perimeter", length=arg(length), width=arg(width))
    q = f"A rectangular {place} is {show(length)} m long and {show(width)} m wide. What is its perimeter, in metres?"
    return _draft(q, 2 * (length + width), p, "rectangle", "geometry")


def triangle(rng: random.Random) -> Draft:
    base, height = _length(rng, 2, 50), _length(rng, 2, 40)
    p = CallPlan()
    p("triangle_area", base=arg(base), height=arg(height))
    q = f"A triangle has a base of {show(base)} cm and a height of {show(height)} cm. What is its area, in square cm?"
    return _draft(q, base * height / 2, p, "triangle", "geometry")


#: Integer-sided triangles with integer area (Heron triangles).
HERON = [
    (5, 5, 6),
    (5, 5, 8),
    (13, 14, 15),
    (10, 13, 13),
    (9, 10, 17),
    (7, 15, 20),
    (13, 20, 21),
    (11, 13, 20),
    (3, 4, 5),
    (6, 25, 29),
    (17, 25, 28),
    (20, 21, 29),
]


def heron(rng: random.Random) -> Draft:
    k = rng.randint(1, 4)
    a, b, c = (k * s for s in rng.choice(HERON))
    s = Fraction(a + b + c, 2)
    square = s * (s - a) * (s - b) * (s - c)
    area = math.isqrt(int(square))
    p = CallPlan()
    p("triangle_area_heron", a=a, b=b, c=c)
    q = f"A triangle has sides of {a} m, {b} m and {c} m. What is its area, in square metres?"
    return _draft(q, area, p, "heron", "geometry")


def circle(rng: random.Random) -> Draft:
    r = _length(rng, 1, 30)
    places = rng.choice([1, 2])
    word = {1: "one decimal place", 2: "two decimal places"}[places]
    p = CallPlan()
    kind = rng.randrange(4)
    if kind == 0:
        out = p("circle_area", radius=arg(r))
        exact, q = dmul(PI, r, r), f"What is the area of a circle with radius {show(r)} cm, in square cm"
    elif kind == 1:
        out = p("circle_circumference", radius=arg(r))
        exact, q = dmul(2, PI, r), f"What is the circumference of a circle with radius {show(r)} cm, in cm"
    elif kind == 2:
        h = _length(rng, 1, 40)
        out = p("cylinder_volume", radius=arg(r), height=arg(h))
        exact = dmul(PI, r, r, h)
        q = f"What is the volume of a cylinder with radius {show(r)} cm and height {show(h)} cm, in cubic cm"
    else:
        r = Decimal(rng.randint(1, 20))
        out = p("sphere_volume", radius=arg(r))
        exact = dmul(PI, Fraction(4, 3), r**3)
        q = f"What is the volume of a sphere with radius {show(r)} cm, in cubic cm"
    p("round_number", x=out, decimals=places)
    return _draft(f"{q}, rounded to {word}?", round_half_up(exact, places), p, "circle", "geometry")


def right_triangle(rng: random.Random) -> Draft:
    p = CallPlan()
    if rng.random() < 0.5:
        a, b = rng.choice(TRIPLES)
        k = rng.randint(1, max(1, 200 // (a + b)))
        a, b = a * k, b * k
        p("hypotenuse", a=a, b=b)
        q = f"A right triangle has legs of {a} m and {b} m. How long is its hypotenuse, in metres?"
        return _draft(q, dsqrt(a * a + b * b), p, "right_triangle", "geometry")
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    while math.isqrt(a * a + b * b) ** 2 == a * a + b * b:
        b += 1
    h = p("hypotenuse", a=a, b=b)
    p("round_number", x=h, decimals=2)
    q = (
        f"A right triangle has legs of {a} m and {b} m. How long is its hypotenuse, in metres, "
        f"rounded to two decimal places?"
    )
    return _draft(q, round_half_up(dsqrt(a * a + b * b), 2), p, "right_triangle", "geometry")


def points(rng: random.Random) -> Draft:
    a, b = rng.choice(TRIPLES[:6])
    k = rng.randint(1, max(1, 50 // (a + b)))
    x1, y1 = rng.randint(-20, 30), rng.randint(-20, 30)
    x2, y2 = x1 + a * k * rng.choice([1, -1]), y1 + b * k * rng.choice([1, -1])
    p = CallPlan()
    p("distance_2d", x1=x1, y1=y1, x2=x2, y2=y2)
    q = f"How far apart are the points ({x1}, {y1}) and ({x2}, {y2})?"
    return _draft(q, dsqrt((x2 - x1) ** 2 + (y2 - y1) ** 2), p, "points", "geometry")


# --- physics ------------------------------------------------------------------------------


def mechanics(rng: random.Random) -> Draft:
    p = CallPlan()
    m = rng.randint(1, 120)
    kind = rng.randrange(6)
    if kind == 0:
        v = rng.randint(1, 30)
        p("kinetic_energy", mass=m, velocity=v)
        q = f"An object of mass {m} kg moves at {v} m/s. What is its kinetic energy, in joules?"
        return _draft(q, Fraction(m * v * v, 2), p, "mechanics", "physics")
    if kind == 1:
        a = rng.randint(1, 15)
        p("force", mass=m, acceleration=a)
        q = f"What force, in newtons, accelerates a {m} kg mass at {a} m/s^2?"
        return _draft(q, m * a, p, "mechanics", "physics")
    if kind == 2:
        v = rng.randint(1, 40)
        p("momentum", mass=m, velocity=v)
        q = f"What is the momentum, in kg*m/s, of a {m} kg object moving at {v} m/s?"
        return _draft(q, m * v, p, "mechanics", "physics")
    if kind == 3:
        t = rng.choice([2, 4, 5, 8, 10, 20, 25])
        d = rng.randint(20, 2000)
        p("velocity", distance=d, time=t)
        q = f"A runner covers {d} m in {t} s. What is the average velocity, in m/s?"
        return _draft(q, Fraction(d, t), p, "mechanics", "physics")
    if kind == 4:
        v0, t = rng.randint(0, 20), rng.choice([2, 4, 5, 8, 10])
        v1 = v0 + rng.randint(1, 40)
        p("acceleration", initial_velocity=v0, final_velocity=v1, time=t)
        q = f"A car speeds up from {v0} m/s to {v1} m/s in {t} s. What is its average acceleration, in m/s^2?"
        return _draft(q, Fraction(v1 - v0, t), p, "mechanics", "physics")
    h = rng.randint(2, 50)
    energy = p("potential_energy", mass=m, height=h)
    p("round_number", x=energy, decimals=1)
    q = (
        f"A {m} kg crate is lifted {h} m. Using standard gravity (9.80665 m/s^2), what is its gravitational "
        f"potential energy, in joules, rounded to one decimal place?"
    )
    return _draft(q, round_half_up(Decimal("9.80665") * m * h, 1), p, "mechanics", "physics")


def energy_chain(rng: random.Random) -> Draft:
    p = CallPlan()
    m = rng.randint(2, 80)
    if rng.random() < 0.5:
        a, d = rng.randint(1, 10), rng.randint(2, 60)
        f = p("force", mass=m, acceleration=a)
        p("work", force=f, distance=d)
        q = (
            f"A {m} kg cart is pushed with an acceleration of {a} m/s^2 over {d} m. Find the force, then the work "
            f"done, in joules."
        )
        return _draft(q, m * a * d, p, "energy_chain", "physics")
    t = rng.choice([2, 4, 5, 10])
    v = rng.randint(1, 12)
    v_ = p("velocity", distance=v * t, time=t)
    p("kinetic_energy", mass=m, velocity=v_)
    q = (
        f"A {m} kg sled slides {v * t} m in {t} s at constant speed. Find its velocity, then its kinetic "
        f"energy, in joules."
    )
    return _draft(q, Fraction(m * v * v, 2), p, "energy_chain", "physics")


def materials(rng: random.Random) -> Draft:
    p = CallPlan()
    if rng.random() < 0.5:
        volume = rng.choice([2, 4, 5, 8, 10, 20, 25, 40, 50])
        mass = rng.randint(5, 900)
        p("density", mass=mass, volume=volume)
        q = (
            f"A block has a mass of {mass} kg and a volume of {volume} cubic metres. "
            f"What is its density, in kg per cubic metre?"
        )
        return _draft(q, Fraction(mass, volume), p, "materials", "physics")
    r = rng.choice([2, 4, 5, 8, 10, 20, 25, 50])
    if rng.random() < 0.5:
        v = rng.randint(3, 240)
        p("ohms_law", voltage=v, resistance=r)
        q = f"A {v} V battery drives a current through a {r} ohm resistor. What is the current, in amperes?"
        return _draft(q, Fraction(v, r), p, "materials", "physics")
    i = rng.randint(1, 20)
    p("ohms_law", current=i, resistance=r)
    q = f"A current of {i} A flows through a {r} ohm resistor. What is the voltage across it, in volts?"
    return _draft(q, i * r, p, "materials", "physics")


# --- statistics ---------------------------------------------------------------------------


def _data(rng: random.Random, n: int) -> list[int]:
    return [rng.randint(1, 99) for _ in range(n)]


def center(rng: random.Random) -> Draft:
    noun, unit = rng.choice(words.MEASURES)
    p = CallPlan()
    if rng.random() < 0.5:
        n = rng.choice([4, 5, 8])
        xs = _data(rng, n)
        p("mean", numbers=xs)
        q = f"The {noun} are {_listing(xs)} {unit}. What is their mean?"
        return _draft(q, Fraction(sum(xs), n), p, "center", "statistics")
    n = rng.randint(5, 9)
    xs = _data(rng, n)
    ys = sorted(xs)
    median = Fraction(ys[n // 2]) if n % 2 else Fraction(ys[n // 2 - 1] + ys[n // 2], 2)
    p("median", numbers=xs)
    q = f"The {noun} are {_listing(xs)} {unit}. What is their median?"
    return _draft(q, median, p, "center", "statistics")


def spread(rng: random.Random) -> Draft:
    n = rng.choice([4, 5, 8])
    xs = _data(rng, n)
    mean = Fraction(sum(xs), n)
    var = sum((x - mean) ** 2 for x in xs) / n
    p = CallPlan()
    if rng.random() < 0.5:
        p("variance", numbers=xs)
        q = f"What is the population variance of {_listing(xs)}?"
        return _draft(q, var, p, "spread", "statistics")
    sd = p("std_dev", numbers=xs)
    p("round_number", x=sd, decimals=2)
    q = f"What is the population standard deviation of {_listing(xs)}, rounded to two decimal places?"
    return _draft(q, round_half_up(dsqrt(var), 2), p, "spread", "statistics")


def percentile(rng: random.Random) -> Draft:
    n = rng.randint(5, 11)
    xs = _data(rng, n)
    pct = rng.choice([10, 25, 75, 90])
    ys = sorted(xs)
    rank = Fraction(pct, 100) * (n - 1)
    low = math.floor(rank)
    high = min(low + 1, n - 1)
    value = ys[low] + (ys[high] - ys[low]) * (rank - low)
    p = CallPlan()
    p("percentile", numbers=xs, p=pct)
    q = f"Using linear interpolation between ranks, what is the {pct}th percentile of {_listing(xs)}?"
    return _draft(q, value, p, "percentile", "statistics")


# --- units --------------------------------------------------------------------------------

_INCH = Fraction(254, 10000)
_LB = Fraction(45359237, 10**8)
_GALLON = 231 * _INCH**3
#: (tool, unit, word, factor to the base unit). Legal definitions, written out again here.
UNITS = {
    "length": (
        "convert_length",
        [
            ("km", "kilometres", Fraction(1000)),
            ("m", "metres", Fraction(1)),
            ("cm", "centimetres", Fraction(1, 100)),
            ("in", "inches", _INCH),
            ("ft", "feet", 12 * _INCH),
            ("yd", "yards", 36 * _INCH),
            ("mi", "miles", 63360 * _INCH),
        ],
    ),
    "mass": (
        "convert_mass",
        [
            ("kg", "kilograms", Fraction(1)),
            ("g", "grams", Fraction(1, 1000)),
            ("lb", "pounds", _LB),
            ("oz", "ounces", _LB / 16),
            ("t", "tonnes", Fraction(1000)),
        ],
    ),
    "time": (
        "convert_time",
        [
            ("s", "seconds", Fraction(1)),
            ("min", "minutes", Fraction(60)),
            ("h", "hours", Fraction(3600)),
            ("day", "days", Fraction(86400)),
            ("week", "weeks", Fraction(604800)),
        ],
    ),
    "volume": (
        "convert_volume",
        [
            ("l", "litres", Fraction(1, 1000)),
            ("ml", "millilitres", Fraction(1, 10**6)),
            ("gallon", "US gallons", _GALLON),
            ("cup", "US cups", _GALLON / 16),
        ],
    ),
    "area": (
        "convert_area",
        [
            ("m2", "square metres", Fraction(1)),
            ("ha", "hectares", Fraction(10**4)),
            ("km2", "square kilometres", Fraction(10**6)),
            ("ft2", "square feet", (12 * _INCH) ** 2),
            ("acre", "acres", 4840 * (36 * _INCH) ** 2),
        ],
    ),
}


def _short(value: Fraction) -> bool:
    """Whether a value prints with at most two decimals (else the task rounds it)."""
    return (value * 100).denominator == 1


def conversion(rng: random.Random) -> Draft:
    kind = rng.choice(list(UNITS))
    tool, table = UNITS[kind]
    (src, src_word, src_f), (dst, dst_word, dst_f) = rng.sample(table, 2)
    value = rng.randint(2, 500) if rng.random() < 0.8 else Decimal(rng.randint(11, 999)) / 10
    exact = Fraction(value) * src_f / dst_f
    p = CallPlan()
    out = p(tool, value=arg(value), from_unit=src, to_unit=dst)
    if _short(exact):
        q = f"How many {dst_word} are in {show(value)} {src_word}?"
        return _draft(q, exact, p, "conversion", "units")
    p("round_number", x=out, decimals=2)
    q = f"How many {dst_word} are in {show(value)} {src_word}? Round to two decimal places."
    return _draft(q, round_half_up(exact, 2), p, "conversion", "units")


def temperature(rng: random.Random) -> Draft:
    p = CallPlan()
    kind = rng.randrange(3)
    if kind == 0:
        c = rng.randint(-40, 120)
        p("convert_temperature", value=c, from_unit="C", to_unit="F")
        return _draft(
            f"What is {c} degrees Celsius in degrees Fahrenheit?", Fraction(9, 5) * c + 32, p, "temperature", "units"
        )
    if kind == 1:
        c = rng.randint(-50, 300)
        p("convert_temperature", value=c, from_unit="C", to_unit="K")
        return _draft(f"What is {c} degrees Celsius in kelvin?", c + Decimal("273.15"), p, "temperature", "units")
    f = rng.randint(-20, 220)
    out = p("convert_temperature", value=f, from_unit="F", to_unit="C")
    p("round_number", x=out, decimals=1)
    return _draft(
        f"What is {f} degrees Fahrenheit in degrees Celsius, rounded to one decimal place?",
        round_half_up((f - 32) * Fraction(5, 9), 1),
        p,
        "temperature",
        "units",
    )


def field_area(rng: random.Random) -> Draft:
    length, width = rng.randint(20, 400), rng.randint(20, 300)
    p = CallPlan()
    area = p("rectangle_area", length=length, width=width)
    out = p("convert_area", value=area, from_unit="m2", to_unit="acre")
    p("round_number", x=out, decimals=2)
    q = f"A field is {length} m long and {width} m wide. What is its area in acres, rounded to two decimal places?"
    acre = 4840 * (36 * _INCH) ** 2
    return _draft(q, round_half_up(Fraction(length * width) / acre, 2), p, "field_area", "units", "geometry", "units")


# --- number theory ------------------------------------------------------------------------


def divisibility(rng: random.Random) -> Draft:
    p = CallPlan()
    common = rng.randint(2, 15)
    a, b = common * rng.randint(2, 20), common * rng.randint(2, 20)
    if rng.random() < 0.5:
        p("gcd", numbers=[a, b])
        q = f"What is the greatest common divisor of {a} and {b}?"
        return _draft(q, math.gcd(a, b), p, "divisibility", "number_theory")
    a, b = rng.randint(2, 40), rng.randint(2, 40)
    p("lcm", numbers=[a, b])
    q = f"What is the least common multiple of {a} and {b}?"
    return _draft(q, math.lcm(a, b), p, "divisibility", "number_theory")


def counting(rng: random.Random) -> Draft:
    p = CallPlan()
    kind = rng.randrange(3)
    if kind == 0:
        n = rng.randint(3, 10)
        p("factorial", n=n)
        q = f"In how many different orders can {n} books be arranged on a shelf? (Compute {n} factorial.)"
        return _draft(q, math.factorial(n), p, "counting", "number_theory")
    if kind == 1:
        n, k = rng.randint(4, 20), 0
        k = rng.randint(2, min(6, n - 1))
        p("binomial", n=n, k=k)
        q = f"How many ways are there to choose {k} people from a group of {n}?"
        return _draft(q, math.comb(n, k), p, "counting", "number_theory")
    n = rng.randint(5, 40)
    p("fibonacci", n=n)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    q = f"What is the {n}th Fibonacci number, counting F(0) = 0 and F(1) = 1?"
    return _draft(q, a, p, "counting", "number_theory")


FAMILIES: list[tuple[Family, float]] = [
    (rectangle, 0.8),
    (triangle, 0.6),
    (heron, 0.5),
    (circle, 1.0),
    (right_triangle, 0.6),
    (points, 0.5),
    (mechanics, 1.5),
    (energy_chain, 0.8),
    (materials, 0.8),
    (center, 0.8),
    (spread, 0.8),
    (percentile, 0.5),
    (conversion, 1.6),
    (temperature, 0.8),
    (field_area, 0.4),
    (divisibility, 0.7),
    (counting, 0.7),
]
