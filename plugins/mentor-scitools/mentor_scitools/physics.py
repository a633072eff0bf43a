"""Classical mechanics and circuits, in SI units (kg, m, s, N, J, V, A, ohm).

All formulas are rational, so results are exact; see _numbers for the int/float rule.
"""

from __future__ import annotations

from ._numbers import all_ints, exact, non_negative, num, params, positive, result

TOOLSET = "physics"

#: Standard gravity in m/s^2, exact by definition (CGPM 1901).
STANDARD_GRAVITY = 9.80665


def kinetic_energy(mass, velocity):
    """1/2 * m * v^2, in joules."""
    v = exact(velocity, "velocity")
    return result(non_negative(mass, "mass") * v * v / 2, all_ints(mass, velocity))


def potential_energy(mass, height, gravity=STANDARD_GRAVITY):
    """m * g * h, in joules."""
    energy = non_negative(mass, "mass") * exact(height, "height") * positive(gravity, "gravity")
    return result(energy, all_ints(mass, height, gravity))


def velocity(distance, time):
    """distance / time, in m/s."""
    return result(exact(distance, "distance") / positive(time, "time"), all_ints(distance, time))


def acceleration(initial_velocity, final_velocity, time):
    """(final_velocity - initial_velocity) / time, in m/s^2."""
    change = exact(final_velocity, "final_velocity") - exact(initial_velocity, "initial_velocity")
    return result(change / positive(time, "time"), all_ints(initial_velocity, final_velocity, time))


def force(mass, acceleration):
    """m * a (Newton's second law), in newtons."""
    return result(non_negative(mass, "mass") * exact(acceleration, "acceleration"), all_ints(mass, acceleration))


def momentum(mass, velocity):
    """m * v, in kg*m/s."""
    return result(non_negative(mass, "mass") * exact(velocity, "velocity"), all_ints(mass, velocity))


def work(force, distance):
    """F * d for a constant force along the displacement, in joules."""
    return result(exact(force, "force") * exact(distance, "distance"), all_ints(force, distance))


def density(mass, volume):
    """m / V, in kg/m^3 (or whatever mass and volume units are given)."""
    return result(non_negative(mass, "mass") / positive(volume, "volume"), all_ints(mass, volume))


def ohms_law(voltage=None, current=None, resistance=None):
    """V = I * R: give exactly two of voltage, current and resistance; returns the third."""
    given = {k: v for k, v in (("voltage", voltage), ("current", current), ("resistance", resistance)) if v is not None}
    if len(given) != 2:
        raise ValueError("give exactly two of voltage, current and resistance")
    ints = all_ints(*given.values())
    if "voltage" not in given:
        return result(exact(current, "current") * positive(resistance, "resistance"), ints)
    v = exact(voltage, "voltage")
    if "current" not in given:
        return result(v / positive(resistance, "resistance"), ints)
    i = exact(current, "current")
    if i == 0:
        raise ValueError("current must not be 0 when solving for resistance")
    r = v / i
    if r <= 0:
        raise ValueError("voltage and current must have the same sign (resistance is positive)")
    return result(r, ints)


_OHMS_PARAMS = params(
    {"voltage": num("Voltage in volts."), "current": num("Current in amperes."),
     "resistance": num("Resistance in ohms (greater than 0).", exclusiveMinimum=0)},
    required=[],
)
# Exactly two of the three: with all three given, every branch matches and oneOf fails.
_OHMS_PARAMS["oneOf"] = [
    {"required": ["voltage", "current"]},
    {"required": ["voltage", "resistance"]},
    {"required": ["current", "resistance"]},
]

SPECS = {
    "kinetic_energy": (kinetic_energy, "Kinetic energy in joules: 1/2 * mass * velocity^2.",
                       params({"mass": num("Mass in kg.", minimum=0), "velocity": num("Speed in m/s.")})),
    "potential_energy": (potential_energy,
                         "Gravitational potential energy in joules: mass * gravity * height "
                         "(gravity defaults to standard gravity, 9.80665 m/s^2).",
                         params({"mass": num("Mass in kg.", minimum=0), "height": num("Height in m."),
                                 "gravity": num("Gravitational acceleration in m/s^2.", exclusiveMinimum=0,
                                                default=STANDARD_GRAVITY)},
                                required=["mass", "height"])),
    "velocity": (velocity, "Average velocity in m/s: distance / time.",
                 params({"distance": num("Distance in m."), "time": num("Time in s (greater than 0).",
                                                                         exclusiveMinimum=0)})),
    "acceleration": (acceleration, "Average acceleration in m/s^2: (final_velocity - initial_velocity) / time.",
                     params({"initial_velocity": num("Initial velocity in m/s."),
                             "final_velocity": num("Final velocity in m/s."),
                             "time": num("Elapsed time in s (greater than 0).", exclusiveMinimum=0)})),
    "force": (force, "Force in newtons: mass * acceleration.",
              params({"mass": num("Mass in kg.", minimum=0), "acceleration": num("Acceleration in m/s^2.")})),
    "momentum": (momentum, "Momentum in kg*m/s: mass * velocity.",
                 params({"mass": num("Mass in kg.", minimum=0), "velocity": num("Velocity in m/s.")})),
    "work": (work, "Work in joules done by a constant force along a distance: force * distance.",
             params({"force": num("Force in N."), "distance": num("Distance in m.")})),
    "density": (density, "Density: mass / volume (kg/m^3 for kg and m^3).",
                params({"mass": num("Mass.", minimum=0), "volume": num("Volume (greater than 0).",
                                                                         exclusiveMinimum=0)})),
    "ohms_law": (ohms_law, "Ohm's law, V = I * R. Give exactly two of voltage, current and resistance; "
                           "returns the missing one.", _OHMS_PARAMS),
}
