"""mentor-scitools: exact values, errors, schemas, registration and the entry point."""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
import sys
from fractions import Fraction
from pathlib import Path

import jsonschema
import pluggy
import pytest

try:
    import mentor_scitools  # noqa: F401
except ImportError:  # not installed: test the source tree next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentor_dsl import hookspecs
from mentor_dsl.tools.base import Tool
from mentor_dsl.tools.math import MENTOR_MATH_TOOLS
from mentor_scitools import number_theory, plugin, units

TOOLS = {t.name: t for t in plugin.build_tools()}
DOMAINS = {"geometry", "physics", "statistics", "number_theory", "units"}


def call(name: str, **arguments):
    """Validate against the schema, as the executor does, then call."""
    problem = TOOLS[name].validate_arguments(arguments)
    assert problem is None, f"{name}({arguments}): {problem}"
    return TOOLS[name].fn(**arguments)


def same(got, expected) -> bool:
    """Equal in value and in JSON type (5 is not 5.0; lists compared element by element)."""
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(same, got, expected))
    return type(got) is type(expected) and got == expected


# --- exact values: at least one per tool ----------------------------------------------------

EXAMPLES = [
    # geometry
    ("circle_area", {"radius": 1}, math.pi),
    ("circle_area", {"radius": 2}, 4 * math.pi),
    ("circle_area", {"radius": 0}, 0.0),
    ("circle_circumference", {"radius": 0.5}, math.pi),
    ("rectangle_area", {"length": 3, "width": 4}, 12),
    ("rectangle_area", {"length": 3, "width": 4.5}, 13.5),
    ("rectangle_area", {"length": 0.1, "width": 0.2}, 0.02),
    ("rectangle_perimeter", {"length": 3, "width": 4}, 14),
    ("triangle_area", {"base": 3, "height": 5}, 7.5),
    ("triangle_area", {"base": 4, "height": 5}, 10),
    ("triangle_area_heron", {"a": 3, "b": 4, "c": 5}, 6),
    ("triangle_area_heron", {"a": 2, "b": 3, "c": 4}, math.sqrt(135) / 4),
    ("triangle_area_heron", {"a": 1, "b": 2, "c": 3}, 0),
    ("distance_2d", {"x1": 0, "y1": 0, "x2": 3, "y2": 4}, 5),
    ("distance_2d", {"x1": 1, "y1": 1, "x2": 2, "y2": 2}, math.sqrt(2)),
    ("distance_2d", {"x1": -1.5, "y1": 0, "x2": 1.5, "y2": 4}, 5.0),
    ("hypotenuse", {"a": 5, "b": 12}, 13),
    ("hypotenuse", {"a": 1, "b": 1}, math.sqrt(2)),
    ("sphere_volume", {"radius": 3}, 36 * math.pi),
    ("cylinder_volume", {"radius": 1, "height": 2}, 2 * math.pi),
    # physics
    ("kinetic_energy", {"mass": 2, "velocity": 3}, 9),
    ("kinetic_energy", {"mass": 1, "velocity": 3}, 4.5),
    ("kinetic_energy", {"mass": 2, "velocity": -3}, 9),
    ("potential_energy", {"mass": 2, "height": 10}, 196.133),
    ("potential_energy", {"mass": 2, "height": 10, "gravity": 10}, 200),
    ("velocity", {"distance": 100, "time": 8}, 12.5),
    ("velocity", {"distance": 100, "time": 4}, 25),
    ("acceleration", {"initial_velocity": 0, "final_velocity": 20, "time": 4}, 5),
    ("acceleration", {"initial_velocity": 10, "final_velocity": 0, "time": 4}, -2.5),
    ("force", {"mass": 2, "acceleration": 9.8}, 19.6),
    ("force", {"mass": 3, "acceleration": 4}, 12),
    ("momentum", {"mass": 3, "velocity": 4}, 12),
    ("work", {"force": 10, "distance": 5}, 50),
    ("density", {"mass": 10, "volume": 4}, 2.5),
    ("ohms_law", {"voltage": 12, "current": 2}, 6),
    ("ohms_law", {"current": 2, "resistance": 6}, 12),
    ("ohms_law", {"voltage": 12, "resistance": 4}, 3),
    ("ohms_law", {"voltage": 9, "resistance": 2}, 4.5),
    # statistics
    ("mean", {"numbers": [1, 2, 3, 4]}, 2.5),
    ("mean", {"numbers": [2, 4, 6]}, 4),
    ("mean", {"numbers": [0.1, 0.2]}, 0.15),
    ("median", {"numbers": [3, 1, 2]}, 2),
    ("median", {"numbers": [4, 1, 3, 2]}, 2.5),
    ("mode", {"numbers": [1, 2, 2, 3]}, [2]),
    ("mode", {"numbers": [3, 3, 1, 2, 2]}, [2, 3]),
    ("variance", {"numbers": [2, 4, 4, 4, 5, 5, 7, 9]}, 4),
    ("variance", {"numbers": [1, 2, 3, 4], "sample": True}, 5 / 3),
    ("variance", {"numbers": [1, 2, 3, 4], "sample": False}, 1.25),
    ("std_dev", {"numbers": [2, 4, 4, 4, 5, 5, 7, 9]}, 2),
    ("std_dev", {"numbers": [1, 2, 3, 4], "sample": True}, math.sqrt(5 / 3)),
    ("percentile", {"numbers": [1, 2, 3, 4, 5], "p": 25}, 2),
    ("percentile", {"numbers": [1, 2, 3, 4], "p": 50}, 2.5),
    ("percentile", {"numbers": [10, 20, 30, 40], "p": 90}, 37),
    ("percentile", {"numbers": [5, 1, 3], "p": 0}, 1),
    ("percentile", {"numbers": [5, 1, 3], "p": 100}, 5),
    # number theory
    ("gcd", {"numbers": [12, 18, 24]}, 6),
    ("gcd", {"numbers": [-4, 6]}, 2),
    ("gcd", {"numbers": [0, 0]}, 0),
    ("lcm", {"numbers": [4, 6, 10]}, 60),
    ("lcm", {"numbers": [3, 0]}, 0),
    ("is_prime", {"n": 97}, True),
    ("is_prime", {"n": 1}, False),
    ("is_prime", {"n": 2}, True),
    ("is_prime", {"n": 561}, False),  # a Carmichael number
    ("is_prime", {"n": 2**61 - 1}, True),
    ("is_prime", {"n": 3825123056546413051}, False),  # a strong pseudoprime to bases 2..23
    ("prime_factors", {"n": 360}, [2, 2, 2, 3, 3, 5]),
    ("prime_factors", {"n": 1}, []),
    ("prime_factors", {"n": 97}, [97]),
    ("prime_factors", {"n": 999999999989}, [999999999989]),
    ("factorial", {"n": 0}, 1),
    ("factorial", {"n": 10}, 3628800),
    ("fibonacci", {"n": 0}, 0),
    ("fibonacci", {"n": 1}, 1),
    ("fibonacci", {"n": 10}, 55),
    ("fibonacci", {"n": 90}, 2880067194370816120),
    ("binomial", {"n": 10, "k": 3}, 120),
    ("binomial", {"n": 3, "k": 5}, 0),
    ("binomial", {"n": 5.0, "k": 2}, 10),
    # units
    ("convert_length", {"value": 1, "from_unit": "km", "to_unit": "m"}, 1000),
    ("convert_length", {"value": 1, "from_unit": "in", "to_unit": "cm"}, 2.54),
    ("convert_length", {"value": 1, "from_unit": "mi", "to_unit": "km"}, 1.609344),
    ("convert_length", {"value": 3, "from_unit": "ft", "to_unit": "yd"}, 1),
    ("convert_mass", {"value": 1, "from_unit": "lb", "to_unit": "kg"}, 0.45359237),
    ("convert_mass", {"value": 16, "from_unit": "oz", "to_unit": "lb"}, 1),
    ("convert_mass", {"value": 2.5, "from_unit": "kg", "to_unit": "g"}, 2500.0),
    ("convert_time", {"value": 2, "from_unit": "h", "to_unit": "s"}, 7200),
    ("convert_time", {"value": 1, "from_unit": "year", "to_unit": "day"}, 365),
    ("convert_time", {"value": 1, "from_unit": "julian_year", "to_unit": "day"}, 365.25),
    ("convert_time", {"value": 90, "from_unit": "min", "to_unit": "h"}, 1.5),
    ("convert_volume", {"value": 1, "from_unit": "gallon", "to_unit": "l"}, 3.785411784),
    ("convert_volume", {"value": 3, "from_unit": "tsp", "to_unit": "tbsp"}, 1),
    ("convert_volume", {"value": 1, "from_unit": "l", "to_unit": "ml"}, 1000),
    ("convert_area", {"value": 1, "from_unit": "acre", "to_unit": "m2"}, 4046.8564224),
    ("convert_area", {"value": 1, "from_unit": "ha", "to_unit": "m2"}, 10000),
    ("convert_temperature", {"value": 100, "from_unit": "C", "to_unit": "F"}, 212),
    ("convert_temperature", {"value": 98.6, "from_unit": "F", "to_unit": "C"}, 37.0),
    ("convert_temperature", {"value": 0, "from_unit": "C", "to_unit": "K"}, 273.15),
    ("convert_temperature", {"value": -40, "from_unit": "F", "to_unit": "C"}, -40),
    ("convert_temperature", {"value": 0, "from_unit": "K", "to_unit": "R"}, 0),
]


@pytest.mark.parametrize(("name", "arguments", "expected"), EXAMPLES)
def test_exact_values(name, arguments, expected):
    got = call(name, **arguments)
    assert same(got, expected), f"{name}({arguments}) = {got!r}, expected {expected!r}"
    assert same(json.loads(json.dumps(got, allow_nan=False)), expected)


def test_every_tool_has_an_example():
    assert {name for name, _, _ in EXAMPLES} == set(TOOLS)


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("circle_area", {"radius": -1}, "must not be negative"),
    ("circle_area", {"radius": math.inf}, "finite"),
    ("circle_area", {"radius": 1e200}, "too large"),
    ("rectangle_area", {"length": True, "width": 2}, "boolean"),
    ("triangle_area_heron", {"a": 1, "b": 2, "c": 4}, "do not form a triangle"),
    ("distance_2d", {"x1": "0", "y1": 0, "x2": 1, "y2": 1}, "string"),
    ("velocity", {"distance": 10, "time": 0}, "greater than 0"),
    ("acceleration", {"initial_velocity": 0, "final_velocity": 1, "time": -1}, "greater than 0"),
    ("density", {"mass": 1, "volume": 0}, "greater than 0"),
    ("kinetic_energy", {"mass": -1, "velocity": 1}, "must not be negative"),
    ("ohms_law", {"voltage": 12}, "exactly two"),
    ("ohms_law", {"voltage": 12, "current": 2, "resistance": 6}, "exactly two"),
    ("ohms_law", {"voltage": 12, "current": 0}, "current must not be 0"),
    ("ohms_law", {"current": 2, "resistance": 0}, "greater than 0"),
    ("ohms_law", {"voltage": -12, "current": 2}, "same sign"),
    ("mean", {"numbers": []}, "at least 1"),
    ("median", {"numbers": [1, None]}, "numbers[1]"),
    ("variance", {"numbers": [1], "sample": True}, "at least 2"),
    ("std_dev", {"numbers": [1, 2], "sample": "yes"}, "true or false"),
    ("percentile", {"numbers": [1, 2], "p": 101}, "between 0 and 100"),
    ("mode", {"numbers": [math.nan]}, "finite"),
    ("gcd", {"numbers": []}, "at least 1"),
    ("gcd", {"numbers": [1.5, 2]}, "integer"),
    ("lcm", {"numbers": [10**600, 10**600 + 1]}, "1000 digits"),
    ("is_prime", {"n": number_theory.MAX_PRIME_TEST + 1}, "at most"),
    ("prime_factors", {"n": 0}, "at least 1"),
    ("prime_factors", {"n": 10**12 + 1}, "at most"),
    ("factorial", {"n": -1}, "at least 0"),
    ("factorial", {"n": 450}, "at most 449"),
    ("fibonacci", {"n": 4787}, "at most 4786"),
    ("binomial", {"n": 3001, "k": 2}, "at most 3000"),
    ("binomial", {"n": 5, "k": -1}, "at least 0"),
    ("convert_length", {"value": 1, "from_unit": "furlong", "to_unit": "m"}, "unknown length unit"),
    ("convert_mass", {"value": 1, "from_unit": "kg", "to_unit": "KG"}, "unknown mass unit"),
    ("convert_temperature", {"value": -300, "from_unit": "C", "to_unit": "K"}, "absolute zero"),
    ("convert_temperature", {"value": -1, "from_unit": "K", "to_unit": "C"}, "absolute zero"),
    ("convert_volume", {"value": math.nan, "from_unit": "l", "to_unit": "ml"}, "finite"),
]


@pytest.mark.parametrize(("name", "arguments", "message"), ERRORS)
def test_errors_raise_value_error(name, arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        TOOLS[name].fn(**arguments)


def test_every_error_case_names_a_real_tool():
    assert {name for name, _, _ in ERRORS} <= set(TOOLS)


@pytest.mark.parametrize(("name", "arguments"), [
    ("circle_area", {"radius": -1}),
    ("circle_area", {}),
    ("rectangle_area", {"length": 1, "width": 2, "depth": 3}),
    ("ohms_law", {"voltage": 1}),
    ("ohms_law", {"voltage": 1, "current": 2, "resistance": 3}),
    ("convert_length", {"value": 1, "from_unit": "furlong", "to_unit": "m"}),
    ("factorial", {"n": 1.5}),
    ("gcd", {"numbers": [1.5]}),
    ("mean", {"numbers": []}),
])
def test_schema_rejects_malformed_arguments(name, arguments):
    assert TOOLS[name].validate_arguments(arguments) is not None


# --- schemas, toolsets, registration ---------------------------------------------------------


def test_every_schema_is_valid_json_schema():
    for tool in TOOLS.values():
        assert isinstance(tool, Tool) and tool.kind == "pure"
        jsonschema.Draft202012Validator.check_schema(dict(tool.parameters))
        assert tool.parameters["type"] == "object"
        assert tool.parameters["additionalProperties"] is False
        assert tool.description
        json.dumps(tool.schema())


def test_every_example_call_validates_against_its_schema():
    for name, arguments, _ in EXAMPLES:
        assert TOOLS[name].validate_arguments(arguments) is None, (name, arguments)


def test_toolsets_are_the_five_domains_with_at_least_five_tools_each():
    by_domain: dict[str, list[str]] = {}
    for tool in TOOLS.values():
        by_domain.setdefault(tool.toolset, []).append(tool.name)
    assert set(by_domain) == DOMAINS
    for domain, names in by_domain.items():
        assert len(names) >= 5, (domain, names)


def test_names_are_unique_and_do_not_clash_with_the_math_tools():
    names = [t.name for t in plugin.build_tools()]
    assert len(names) == len(set(names))
    assert not set(names) & set(MENTOR_MATH_TOOLS)


def test_register_tools_hook_registers_every_tool():
    pm = pluggy.PluginManager("mentor")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, name="scitools")
    seen: list[Tool] = []
    pm.hook.register_tools(register=seen.append)
    assert [t.name for t in seen] == list(TOOLS)


def test_entry_point_is_listed_when_installed():
    try:
        dist = importlib.metadata.distribution("mentor-scitools")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mentor-scitools is not installed (pip install -e plugins/mentor-scitools)")
    eps = importlib.metadata.entry_points(group="mentor")
    ours = [ep for ep in eps if ep.name == "scitools"]
    assert len(ours) == 1
    assert ours[0].value == "mentor_scitools.plugin"
    assert ours[0].load() is plugin
    assert dist.version == "0.1.0"


# --- caps and tables ---------------------------------------------------------------------------


def test_size_caps_are_tight_for_1000_digits():
    assert len(str(math.factorial(number_theory.MAX_FACTORIAL))) <= 1000
    assert len(str(math.factorial(number_theory.MAX_FACTORIAL + 1))) > 1000
    assert len(str(number_theory.fibonacci(number_theory.MAX_FIBONACCI))) <= 1000
    a, b = number_theory.fibonacci(number_theory.MAX_FIBONACCI - 1), number_theory.fibonacci(number_theory.MAX_FIBONACCI)
    assert len(str(a + b)) > 1000
    assert len(str(math.comb(number_theory.MAX_BINOMIAL_N, number_theory.MAX_BINOMIAL_N // 2))) <= 1000


def test_unit_tables_hold_the_legal_definitions():
    F = Fraction
    assert units.LENGTH["mi"] == F("1609.344")
    assert units.LENGTH["ft"] == F("0.3048")
    assert units.MASS["oz"] == F("0.028349523125")
    assert units.MASS["st"] == F("6.35029318")
    assert units.VOLUME["gallon"] == F("0.003785411784")
    assert units.VOLUME["fl_oz"] == F("0.0000295735295625")
    assert units.VOLUME["imp_gallon"] == F("0.00454609")
    assert units.AREA["acre"] == F("4046.8564224")
    assert units.TIME["julian_year"] == 31557600


def test_unit_enums_match_the_tables():
    for tool_name, table in [("convert_length", units.LENGTH), ("convert_mass", units.MASS),
                             ("convert_time", units.TIME), ("convert_volume", units.VOLUME),
                             ("convert_area", units.AREA), ("convert_temperature", units.TEMPERATURE)]:
        props = TOOLS[tool_name].parameters["properties"]
        assert props["from_unit"]["enum"] == list(table) == props["to_unit"]["enum"]


def test_conversions_round_trip_exactly_for_integers():
    # Every unit to every other and back, on exact values: the factors are inverses.
    for table in (units.LENGTH, units.MASS, units.TIME, units.VOLUME, units.AREA):
        for a in table:
            for b in table:
                assert table[a] / table[b] * (table[b] / table[a]) == 1
    for a in units.TEMPERATURE:
        for b in units.TEMPERATURE:
            there = units.convert_temperature(100, a, b)
            back = units.convert_temperature(there, b, a)
            assert math.isclose(back, 100, rel_tol=1e-15)
