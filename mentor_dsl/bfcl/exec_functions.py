"""Offline implementations of the pure functions behind BFCL's executable categories.

BFCL grades its `exec_*` categories by running the ground-truth call and the model's call
through the same Python functions and comparing the results. The functions that only do
arithmetic are re-implemented here so that grading needs no network and no `bfcl_eval`
import. Each one follows the published formula and the order of floating-point operations
of BFCL's version (so `exact_match` compares the same numbers BFCL would), including its
quirks: `math_lcm` returns a float, `calculate_permutations` divides factorials,
`get_prime_factors` divides with `/`, `estimate_derivative` uses a forward difference with
h = 1e-10.

Differences from BFCL, on purpose:
  * inputs that would make a function run for a long time or build enormous numbers raise
    `ExecutionLimitError` (BFCL would just compute);
  * `estimate_derivative` does not `eval` its `function` string: it accepts only
    `lambda x: <arithmetic in x>` (numbers, + - * / // % **, math functions) and evaluates
    that tree itself;
  * `polygon_area` does not append to the caller's list.

Functions that call web APIs (weather, currency, stock prices, ...) are listed in
`NETWORK_FUNCTIONS` and are not implemented; records that need them are not importable.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

__all__ = [
    "EXEC_FUNCTIONS",
    "NETWORK_FUNCTIONS",
    "ExecutionLimitError",
    "UnavailableFunctionError",
    "execute",
]


class ExecutionLimitError(ValueError):
    """An input too large to evaluate offline in bounded time."""


class UnavailableFunctionError(LookupError):
    """A function BFCL implements with a web API (or one it does not have at all)."""


_MAX_FACTORIAL = 5_000
_MAX_SEQUENCE = 10_000
_MAX_PRIME_INPUT = 10**7
_MAX_ITEMS = 100_000
_MAX_MATRIX_OPS = 2_000_000
_MAX_POINTS = 3_000
_MAX_YEARS = 100_000
_MAX_INT_POW_BITS = 1 << 16


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ExecutionLimitError(message)


def _int_pow(base: Any, exponent: Any) -> Any:
    """base ** exponent, refusing integer powers that would build huge numbers."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        _require(base.bit_length() * exponent <= _MAX_INT_POW_BITS, "integer power too large")
    return base**exponent


def _len_limit(seq: Any, limit: int = _MAX_ITEMS) -> None:
    try:
        n = len(seq)
    except TypeError:
        return  # let the arithmetic below raise the natural TypeError
    _require(n <= limit, f"input too long ({n} > {limit})")


# ---------------------------------------------------------------------------------------
# Geometry and physics


def calculate_triangle_area(base, height):
    return base * height / 2


def get_distance(pointA, pointB):
    dx = pointA[0] - pointB[0]
    dy = pointA[1] - pointB[1]
    return (_int_pow(dx, 2) + _int_pow(dy, 2)) ** 0.5


def geometry_area_circle(radius):
    return math.pi * _int_pow(radius, 2)


def polygon_area(vertices):
    count = len(vertices)
    if count < 3:
        raise ValueError("A polygon must have at least 3 vertices.")
    _len_limit(vertices)
    twice_area = 0
    for i in range(count):
        here, there = vertices[i], vertices[(i + 1) % count]
        twice_area += (here[0] * there[1]) - (there[0] * here[1])
    return abs(twice_area) / 2.0


def calculate_final_velocity(initial_velocity, acceleration, time):
    return initial_velocity + acceleration * time


def calculate_displacement(initial_velocity, acceleration, time):
    return initial_velocity * time + 0.5 * acceleration * _int_pow(time, 2)


def calculate_electrostatic_potential_energy(charge, voltage):
    return charge * voltage


def calculate_density(mass, volume):
    return mass / volume


# ---------------------------------------------------------------------------------------
# Number theory and combinatorics


def math_factorial(n):
    if isinstance(n, int):
        _require(n <= _MAX_FACTORIAL, f"factorial argument too large ({n} > {_MAX_FACTORIAL})")
    product = 1
    for factor in range(1, n + 1):  # a float n raises TypeError here, as in BFCL
        product *= factor
    return product


def math_gcd(a, b):
    # Euclid with Python's `%`, iteratively (same results as BFCL's recursion, including
    # for negative and float inputs).
    steps = 0
    while b != 0:
        a, b = b, a % b
        steps += 1
        _require(steps < 10_000, "gcd did not converge")
    return a


def math_lcm(a, b):
    return a * b / math_gcd(a, b)


def get_prime_factors(number):
    _require(
        not isinstance(number, (int, float)) or number <= _MAX_PRIME_INPUT,
        f"number too large to factor offline (> {_MAX_PRIME_INPUT})",
    )
    factors = []
    divisor = 2
    while number > 1:
        while number % divisor == 0:
            factors.append(divisor)
            number /= divisor  # true division: BFCL's factors loop runs on floats
        divisor += 1
    return factors


def calc_binomial_probability(n, k, p):
    ways = math_factorial(n) / (math_factorial(k) * math_factorial(n - k))
    return ways * (_int_pow(p, k) * _int_pow(1 - p, n - k))


def calculate_permutations(n, k):
    return math_factorial(n) / math_factorial(n - k)


def get_fibonacci_sequence(n):
    if isinstance(n, int):
        _require(n <= _MAX_SEQUENCE, f"sequence too long ({n} > {_MAX_SEQUENCE})")
    sequence = [0, 1]
    for i in range(2, n):
        sequence.append(sequence[i - 1] + sequence[i - 2])
    return sequence


def get_fibonacci_number(n):
    if n <= 0:
        return "Input should be a positive integer."
    if n == 1:
        return 0
    if n == 2:
        return 1
    if isinstance(n, int):
        _require(n <= _MAX_SEQUENCE, f"index too large ({n} > {_MAX_SEQUENCE})")
    previous, current = 0, 1
    for _ in range(2, n):
        previous, current = current, previous + current
    return current


def add_binary_numbers(a, b):
    return bin(int(a, 2) + int(b, 2))[2:]


def maxPoints(points):  # noqa: N802 - BFCL's name
    if len(points) < 2:
        return 1
    _len_limit(points, _MAX_POINTS)
    best = 1
    for i in range(len(points)):
        slopes: dict[Any, int] = {}
        for j in range(i + 1, len(points)):
            rise = points[j][1] - points[i][1]
            run = points[j][0] - points[i][0]
            key = rise / run if run != 0 else "inf"
            slopes[key] = slopes.get(key, 0) + 1
        for seen in slopes.values():
            best = max(best, seen)
    return best + 1


def quadratic_roots(a, b, c):
    discriminant = _int_pow(b, 2) - 4 * a * c
    if discriminant >= 0:
        root = discriminant**0.5
        return [(-b + root) / (2 * a), (-b - root) / (2 * a)]
    real = -b / (2 * a)
    imaginary = (abs(discriminant) ** 0.5) / (2 * a)
    return [{"real": real, "imaginary": imaginary}, {"real": real, "imaginary": -imaginary}]


# ---------------------------------------------------------------------------------------
# Statistics and linear algebra


def calculate_mean(numbers):
    return sum(numbers) / len(numbers)


def calculate_standard_deviation(numbers):
    mean = calculate_mean(numbers)
    variance = sum((value - mean) ** 2 for value in numbers) / len(numbers)
    return variance**0.5


def calculate_cosine_similarity(vectorA, vectorB):
    n = len(vectorA)
    dot = sum(vectorA[i] * vectorB[i] for i in range(n))
    norm_a = sum(vectorA[i] ** 2 for i in range(n)) ** 0.5
    norm_b = sum(vectorB[i] ** 2 for i in range(len(vectorB))) ** 0.5
    return dot / (norm_a * norm_b)


def mat_mul(matA, matB):
    rows, inner, cols = len(matA), len(matB), len(matB[0])
    _require(rows * inner * cols <= _MAX_MATRIX_OPS, "matrices too large")
    product = []
    for i in range(rows):
        row = []
        for j in range(cols):
            cell = 0
            for k in range(inner):
                cell += matA[i][k] * matB[k][j]
            row.append(cell)
        product.append(row)
    return product


def linear_regression(x, y, point):
    n = len(x)
    sum_x, sum_y = sum(x), sum(y)
    sum_xx = sum(v**2 for v in x)
    sum_xy = sum(x[i] * y[i] for i in range(n))
    slope = (n * sum_xy - sum_x * sum_y) / (n * sum_xx - sum_x**2)
    intercept = (sum_y - slope * sum_x) / n
    return slope * point + intercept


def sort_array(array, reverse=False):
    _len_limit(array)
    return sorted(array, reverse=reverse)


def estimate_derivative(function, x):
    f = _compile_lambda(function)
    h = 0.0000000001
    return (f(x + h) - f(x)) / h


# ---------------------------------------------------------------------------------------
# Finance, health and ordering


def mortgage_calculator(loan_amount, interest_rate, loan_period):
    monthly_rate = interest_rate / 12
    payments = loan_period * 12
    growth = _int_pow(1 + monthly_rate, payments)
    return loan_amount * monthly_rate * growth / (_int_pow(1 + monthly_rate, payments) - 1)


def calculate_future_value(present_value, interest_rate, periods):
    return present_value * _int_pow(1 + interest_rate, periods)


def calculate_investment_value(
    initial_investment, annual_contribution, years, annual_return, inflation_rate, adjust_for_inflation=True
):
    if isinstance(years, int):
        _require(years <= _MAX_YEARS, "too many years")
    nominal = initial_investment
    real = initial_investment
    for year in range(1, years + 1):
        nominal = nominal * (1 + annual_return) + annual_contribution
        if adjust_for_inflation:
            # BFCL computes a fallback for years past the list, then indexes the list anyway
            # (an IndexError once `years` exceeds it); both are kept.
            rate_for_contribution = inflation_rate[year - 1] if year <= len(inflation_rate) else inflation_rate[-1]
            real = real * (1 + annual_return - inflation_rate[year - 1]) + annual_contribution * (
                1 - rate_for_contribution
            )
        else:
            real = nominal
    return real if adjust_for_inflation else nominal


_ACTIVITY_MULTIPLIERS = [1.2, 1.375, 1.55, 1.725, 1.9]


def calculate_nutritional_needs(weight, height, age, gender, activity_level, goal):
    if gender == "male":
        bmr = 88.362 + (13.397 * weight) + (4.799 * height) - (5.677 * age)
    else:
        bmr = 447.593 + (9.247 * weight) + (3.098 * height) - (4.330 * age)
    calories = bmr * _ACTIVITY_MULTIPLIERS[activity_level - 1]
    if goal == "lose":
        calories -= 500
    elif goal == "gain":
        calories += 500
    return {
        "calories": calories,
        "proteins_g": (calories * 0.30) / 4,
        "fats_g": (calories * 0.25) / 9,
        "carbohydrates_g": (calories * 0.45) / 4,
    }


def book_room(room_type, price, check_in_date, check_out_date, customer_id, discount_code=None):
    if discount_code and discount_code == "DISCOUNT10":
        price *= 0.9
    return {
        "customer_id": customer_id,
        "room_number": room_type,
        "check_in_date": check_in_date,
        "check_out_date": check_out_date,
        "total_price": price,
    }


def order_food(item, quantity, price):
    _len_limit(item)
    return sum([quantity[i] * price[i] for i in range(len(item))])


# ---------------------------------------------------------------------------------------
# A safe stand-in for eval("lambda x: ...")

_LAMBDA_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _int_pow,
}
_MATH_NAMES = {
    name: getattr(math, name)
    for name in (
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "log10",
        "log2",
        "sqrt",
        "fabs",
        "pi",
        "e",
        "tau",
    )
}
_BUILTIN_NAMES = {"abs": abs, "pow": _int_pow, "min": min, "max": max}
_MAX_LAMBDA_CHARS = 2_000
_MAX_LAMBDA_NODES = 500


def _compile_lambda(source: Any) -> Callable[[Any], Any]:
    if not isinstance(source, str):
        raise TypeError("function must be a string such as 'lambda x: x**2'")
    _require(len(source) <= _MAX_LAMBDA_CHARS, "function text too long")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SyntaxError(f"invalid function {source!r}: {exc}") from None
    _require(sum(1 for _ in ast.walk(tree)) <= _MAX_LAMBDA_NODES, "function too complex")
    lam = tree.body
    if not (
        isinstance(lam, ast.Lambda)
        and len(lam.args.args) == 1
        and not lam.args.vararg
        and not lam.args.kwarg
        and not lam.args.kwonlyargs
        and not lam.args.defaults
    ):
        raise ValueError("function must be a one-argument lambda, e.g. 'lambda x: 3*x**2'")
    var = lam.args.args[0].arg
    body = lam.body

    def ev(node: ast.AST, x: Any) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == var:
                return x
            if node.id in _MATH_NAMES:
                return _MATH_NAMES[node.id]
            if node.id in _BUILTIN_NAMES:
                return _BUILTIN_NAMES[node.id]
            raise NameError(f"name {node.id!r} is not defined")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "math"
            and node.attr in _MATH_NAMES
        ):
            return _MATH_NAMES[node.attr]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = ev(node.operand, x)
            return -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.BinOp) and type(node.op) in _LAMBDA_BINOPS:
            return _LAMBDA_BINOPS[type(node.op)](ev(node.left, x), ev(node.right, x))
        if isinstance(node, ast.Call) and not node.keywords:
            fn = ev(node.func, x)
            if fn not in _MATH_NAMES.values() and fn not in _BUILTIN_NAMES.values():
                raise TypeError("only math functions can be called")
            return fn(*(ev(a, x) for a in node.args))
        raise ValueError(f"unsupported expression in function: {ast.dump(node)[:80]}")

    return lambda x: ev(body, x)


# ---------------------------------------------------------------------------------------
# Registry
EXEC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        calculate_triangle_area,
        get_distance,
        geometry_area_circle,
        polygon_area,
        calculate_final_velocity,
        calculate_displacement,
        calculate_electrostatic_potential_energy,
        calculate_density,
        math_factorial,
        math_gcd,
        math_lcm,
        get_prime_factors,
        calc_binomial_probability,
        calculate_permutations,
        get_fibonacci_sequence,
        get_fibonacci_number,
        add_binary_numbers,
        maxPoints,
        quadratic_roots,
        calculate_mean,
        calculate_standard_deviation,
        calculate_cosine_similarity,
        mat_mul,
        linear_regression,
        sort_array,
        estimate_derivative,
        mortgage_calculator,
        calculate_future_value,
        calculate_investment_value,
        calculate_nutritional_needs,
        book_room,
        order_food,
    )
}

# BFCL's executable functions that call web APIs; not available offline.
NETWORK_FUNCTIONS = frozenset(
    {
        "get_weather_data",
        "get_coordinates_from_city",
        "convert_currency",
        "find_term_on_urban_dictionary",
        "get_coordinate_by_ip_address",
        "get_zipcode_by_ip_address",
        "get_covid_death_by_country",
        "get_active_covid_case_by_country",
        "get_rating_by_amazon_ASIN",
        "get_price_by_amazon_ASIN",
        "get_product_name_by_amazon_ASIN",
        "get_company_name_by_stock_name",
        "get_stock_price_by_stock_name",
        "get_stock_history",
        "retrieve_city_based_on_zipcode",
        "retrieve_holiday_by_year",
        "get_time_zone_by_coord",
        "get_movie_rating",
        "get_movie_director",
    }
)


def execute(name: str, arguments: dict[str, Any], positional: tuple[Any, ...] = ()) -> Any:
    """Run one of the offline functions. Raises UnavailableFunctionError for a network or
    unknown function, and whatever the function raises (TypeError for a wrong argument,
    ExecutionLimitError for an input too large, ...). A tuple result becomes a list, as
    BFCL's checker does."""
    fn = EXEC_FUNCTIONS.get(name)
    if fn is None:
        if name in NETWORK_FUNCTIONS:
            raise UnavailableFunctionError(f"{name} calls a web API and cannot run offline")
        raise UnavailableFunctionError(f"no executable function named {name!r}")
    result = fn(*positional, **arguments)
    if isinstance(result, tuple):
        result = list(result)
    return result
