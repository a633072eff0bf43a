"""Unit conversions with exact factors.

Each table maps a unit to its size in the SI unit of its dimension, as an exact Fraction.
Customary units use their legal definitions (the 1959 international yard and pound, the
US gallon of 231 cubic inches, the imperial gallon of 4.54609 litres), so converting is a
single exact multiplication and the result is rounded to a double once, if at all.

Units are case-sensitive names from a fixed list; the schemas list them as enums.
"""

from __future__ import annotations

from fractions import Fraction as F

from ._numbers import all_ints, exact, num, params, result

TOOLSET = "units"

# --- tables (size of one unit in the SI unit) ------------------------------------------------

_INCH = F("0.0254")
_FOOT = 12 * _INCH
_YARD = 3 * _FOOT
_MILE = 1760 * _YARD

#: metres
LENGTH = {
    "nm": F(1, 10**9), "um": F(1, 10**6), "mm": F(1, 1000), "cm": F(1, 100), "m": F(1), "km": F(1000),
    "in": _INCH, "ft": _FOOT, "yd": _YARD, "mi": _MILE, "nmi": F(1852),
}

_POUND = F("0.45359237")

#: kilograms
MASS = {
    "mg": F(1, 10**6), "g": F(1, 1000), "kg": F(1), "t": F(1000),
    "oz": _POUND / 16, "lb": _POUND, "st": 14 * _POUND, "ton_us": 2000 * _POUND, "ton_uk": 2240 * _POUND,
}

#: seconds. "year" is a common year of 365 days, what word problems usually mean;
#: "julian_year" (365.25 days) is the astronomers' year.
TIME = {
    "ns": F(1, 10**9), "us": F(1, 10**6), "ms": F(1, 1000), "s": F(1), "min": F(60), "h": F(3600),
    "day": F(86400), "week": F(7 * 86400), "year": F(365 * 86400), "julian_year": F(36525 * 864),
}

_LITRE = F(1, 1000)
_CUBIC_INCH = _INCH**3
_US_GALLON = 231 * _CUBIC_INCH
_US_FL_OZ = _US_GALLON / 128

#: cubic metres. Cups, pints, quarts, gallons, fluid ounces and spoons are US customary.
VOLUME = {
    "ml": _LITRE / 1000, "cl": _LITRE / 100, "dl": _LITRE / 10, "l": _LITRE, "m3": F(1),
    "cm3": F(1, 10**6), "in3": _CUBIC_INCH, "ft3": _FOOT**3,
    "tsp": _US_FL_OZ / 6, "tbsp": _US_FL_OZ / 2, "fl_oz": _US_FL_OZ, "cup": 8 * _US_FL_OZ,
    "pint": 16 * _US_FL_OZ, "quart": 32 * _US_FL_OZ, "gallon": _US_GALLON,
    "imp_gallon": F("4.54609") * _LITRE,
}

#: square metres
AREA = {
    "mm2": F(1, 10**6), "cm2": F(1, 10**4), "m2": F(1), "ha": F(10**4), "km2": F(10**6),
    "in2": _INCH**2, "ft2": _FOOT**2, "yd2": _YARD**2, "acre": 4840 * _YARD**2, "mi2": _MILE**2,
}

#: Temperature scales as (kelvin per degree, kelvin at the scale's zero).
TEMPERATURE = {
    "K": (F(1), F(0)),
    "C": (F(1), F("273.15")),
    "F": (F(5, 9), F("459.67") * F(5, 9)),
    "R": (F(5, 9), F(0)),
}


def _unit(value, table, name: str, dimension: str):
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"unknown {dimension} unit {value!r} for {name}; use one of: {', '.join(table)}")
    return table[value]


def _convert(value, from_unit, to_unit, table, dimension):
    x = exact(value, "value")
    factor = _unit(from_unit, table, "from_unit", dimension) / _unit(to_unit, table, "to_unit", dimension)
    return result(x * factor, all_ints(value))


def convert_length(value, from_unit, to_unit):
    return _convert(value, from_unit, to_unit, LENGTH, "length")


def convert_mass(value, from_unit, to_unit):
    return _convert(value, from_unit, to_unit, MASS, "mass")


def convert_time(value, from_unit, to_unit):
    return _convert(value, from_unit, to_unit, TIME, "time")


def convert_volume(value, from_unit, to_unit):
    return _convert(value, from_unit, to_unit, VOLUME, "volume")


def convert_area(value, from_unit, to_unit):
    return _convert(value, from_unit, to_unit, AREA, "area")


def convert_temperature(value, from_unit, to_unit):
    """Convert between C, F, K and R (Rankine); below absolute zero is an error."""
    x = exact(value, "value")
    scale, zero = _unit(from_unit, TEMPERATURE, "from_unit", "temperature")
    kelvin = x * scale + zero
    if kelvin < 0:
        raise ValueError("that temperature is below absolute zero")
    to_scale, to_zero = _unit(to_unit, TEMPERATURE, "to_unit", "temperature")
    return result((kelvin - to_zero) / to_scale, all_ints(value))


def _schema(table, dimension: str) -> dict:
    units = list(table)
    return params({
        "value": num(f"The {dimension} to convert."),
        "from_unit": {"type": "string", "enum": units, "description": f"The unit of value: one of {', '.join(units)}."},
        "to_unit": {"type": "string", "enum": units, "description": "The unit to convert to (same choices)."},
    })


SPECS = {
    "convert_length": (convert_length, "Convert a length between units (metric and US/imperial; in = inch, "
                                       "mi = statute mile, nmi = nautical mile).", _schema(LENGTH, "length")),
    "convert_mass": (convert_mass, "Convert a mass between units (t = metric tonne, st = stone, ton_us = short "
                                   "ton, ton_uk = long ton).", _schema(MASS, "mass")),
    "convert_time": (convert_time, "Convert a duration between units (year = 365 days, julian_year = 365.25 days).",
                     _schema(TIME, "duration")),
    "convert_volume": (convert_volume, "Convert a volume between units (cup, pint, quart, gallon, fl_oz, tbsp, "
                                       "tsp are US customary; imp_gallon is the imperial gallon).",
                       _schema(VOLUME, "volume")),
    "convert_area": (convert_area, "Convert an area between units (ha = hectare).", _schema(AREA, "area")),
    "convert_temperature": (convert_temperature, "Convert a temperature between Celsius (C), Fahrenheit (F), "
                                                 "Kelvin (K) and Rankine (R).", _schema(TEMPERATURE, "temperature")),
}
