"""Plane and solid geometry: areas, perimeters, distances, volumes.

Lengths are plain numbers in any one unit; results are in that unit (squared, cubed).
Anything with pi is a float; everything else is exact.
"""

from __future__ import annotations

from fractions import Fraction

from ._numbers import all_ints, exact, non_negative, num, params, result, sqrt, times_pi

TOOLSET = "geometry"


def circle_area(radius):
    """pi * r^2."""
    r = non_negative(radius, "radius")
    return times_pi(r * r)


def circle_circumference(radius):
    """2 * pi * r."""
    return times_pi(2 * non_negative(radius, "radius"))


def rectangle_area(length, width):
    """length * width."""
    area = non_negative(length, "length") * non_negative(width, "width")
    return result(area, all_ints(length, width))


def rectangle_perimeter(length, width):
    """2 * (length + width)."""
    total = 2 * (non_negative(length, "length") + non_negative(width, "width"))
    return result(total, all_ints(length, width))


def triangle_area(base, height):
    """base * height / 2."""
    area = non_negative(base, "base") * non_negative(height, "height") / 2
    return result(area, all_ints(base, height))


def triangle_area_heron(a, b, c):
    """The area of a triangle from its three sides (Heron's formula)."""
    x, y, z = (non_negative(v, n) for v, n in ((a, "a"), (b, "b"), (c, "c")))
    # Equality is allowed: a degenerate (flat) triangle has area 0.
    if x > y + z or y > x + z or z > x + y:
        raise ValueError("these sides do not form a triangle: each side must be at most the sum of the other two")
    s = (x + y + z) / 2
    return sqrt(s * (s - x) * (s - y) * (s - z), all_ints(a, b, c))


def distance_2d(x1, y1, x2, y2):
    """The Euclidean distance between (x1, y1) and (x2, y2)."""
    dx = exact(x2, "x2") - exact(x1, "x1")
    dy = exact(y2, "y2") - exact(y1, "y1")
    return sqrt(dx * dx + dy * dy, all_ints(x1, y1, x2, y2))


def hypotenuse(a, b):
    """sqrt(a^2 + b^2) for a right triangle with legs a and b."""
    x, y = non_negative(a, "a"), non_negative(b, "b")
    return sqrt(x * x + y * y, all_ints(a, b))


def sphere_volume(radius):
    """4/3 * pi * r^3."""
    r = non_negative(radius, "radius")
    return times_pi(Fraction(4, 3) * r**3)


def cylinder_volume(radius, height):
    """pi * r^2 * h."""
    r = non_negative(radius, "radius")
    return times_pi(r * r * non_negative(height, "height"))


_LEN = "A length (not negative)."

SPECS = {
    "circle_area": (circle_area, "The area of a circle: pi * radius^2.",
                    params({"radius": num("The radius.", minimum=0)})),
    "circle_circumference": (circle_circumference, "The circumference of a circle: 2 * pi * radius.",
                             params({"radius": num("The radius.", minimum=0)})),
    "rectangle_area": (rectangle_area, "The area of a rectangle: length * width.",
                       params({"length": num(_LEN, minimum=0), "width": num(_LEN, minimum=0)})),
    "rectangle_perimeter": (rectangle_perimeter, "The perimeter of a rectangle: 2 * (length + width).",
                            params({"length": num(_LEN, minimum=0), "width": num(_LEN, minimum=0)})),
    "triangle_area": (triangle_area, "The area of a triangle from its base and height: base * height / 2.",
                      params({"base": num(_LEN, minimum=0), "height": num("The height (not negative).", minimum=0)})),
    "triangle_area_heron": (triangle_area_heron,
                            "The area of a triangle from its three side lengths (Heron's formula).",
                            params({"a": num("First side.", minimum=0), "b": num("Second side.", minimum=0),
                                    "c": num("Third side.", minimum=0)})),
    "distance_2d": (distance_2d, "The straight-line distance between two points (x1, y1) and (x2, y2).",
                    params({"x1": num("x of the first point."), "y1": num("y of the first point."),
                            "x2": num("x of the second point."), "y2": num("y of the second point.")})),
    "hypotenuse": (hypotenuse, "The hypotenuse of a right triangle with legs a and b: sqrt(a^2 + b^2).",
                   params({"a": num("One leg.", minimum=0), "b": num("The other leg.", minimum=0)})),
    "sphere_volume": (sphere_volume, "The volume of a sphere: 4/3 * pi * radius^3.",
                      params({"radius": num("The radius.", minimum=0)})),
    "cylinder_volume": (cylinder_volume, "The volume of a cylinder: pi * radius^2 * height.",
                        params({"radius": num("The radius.", minimum=0), "height": num("The height.", minimum=0)})),
}
