"""Integer functions: gcd, lcm, primality, factorisation, factorial, Fibonacci, binomials.

Every argument is an integer and every result is exact. Each tool caps its input so the
answer has at most 1000 digits and is found in well under a second.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ._numbers import MAX_LIST_LENGTH, describe, int_, integer, params, result

TOOLSET = "number_theory"

# The caps below are computed for MAX_INT_DIGITS = 1000; the tests check they are tight.

#: Largest n whose n! has at most MAX_INT_DIGITS digits.
MAX_FACTORIAL = 449
#: Largest n whose Fibonacci number has at most MAX_INT_DIGITS digits.
MAX_FIBONACCI = 4786
#: Largest n for binomial(n, k): C(n, k) <= 2**n, which has at most 904 digits here.
MAX_BINOMIAL_N = 3000
#: Largest n for prime_factors: trial division up to sqrt(n) = 10**6 stays fast.
MAX_FACTOR = 10**12
#: is_prime is exact below this bound: Miller-Rabin with the first 13 prime bases is
#: deterministic for n < 3,317,044,064,679,887,385,961,981.
MAX_PRIME_TEST = 3_317_044_064_679_887_385_961_980

_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def _integers(values, name: str) -> list[int]:
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name} must be a list of integers, got {describe(values)}")
    if not values:
        raise ValueError(f"{name} needs at least 1 integer")
    if len(values) > MAX_LIST_LENGTH:
        raise ValueError(f"{name} may hold at most {MAX_LIST_LENGTH} integers, got {len(values)}")
    return [integer(v, f"{name}[{i}]") for i, v in enumerate(values)]


def gcd(numbers):
    """The greatest common divisor (non-negative; gcd of only zeros is 0)."""
    return math.gcd(*_integers(numbers, "numbers"))


def lcm(numbers):
    """The least common multiple (non-negative; 0 if any number is 0)."""
    out = 1
    for n in _integers(numbers, "numbers"):
        out = math.lcm(out, n)
        # Check as we go so a long list cannot build a huge intermediate.
        result(Fraction(out), True)
    return out


def is_prime(n):
    """Whether n is a prime number (deterministic for n below MAX_PRIME_TEST)."""
    n = integer(n, "n", maximum=MAX_PRIME_TEST)
    if n < 2:
        return False
    for p in _BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def prime_factors(n):
    """The prime factors of n >= 1 in ascending order, repeated by multiplicity (12 -> [2, 2, 3])."""
    n = integer(n, "n", minimum=1, maximum=MAX_FACTOR)
    factors = []
    for p in (2, 3):
        while n % p == 0:
            factors.append(p)
            n //= p
    # Candidates 6k - 1 and 6k + 1: every prime above 3 has that form.
    k = 5
    while k * k <= n:
        for p in (k, k + 2):
            while n % p == 0:
                factors.append(p)
                n //= p
        k += 6
    if n > 1:
        factors.append(n)
    return factors


def factorial(n):
    """n! for 0 <= n <= MAX_FACTORIAL."""
    return math.factorial(integer(n, "n", minimum=0, maximum=MAX_FACTORIAL))


def fibonacci(n):
    """The n-th Fibonacci number, with F(0) = 0 and F(1) = 1, for 0 <= n <= MAX_FIBONACCI."""
    n = integer(n, "n", minimum=0, maximum=MAX_FIBONACCI)
    # Fast doubling: F(2k) = F(k)(2F(k+1) - F(k)), F(2k+1) = F(k)^2 + F(k+1)^2.
    a, b = 0, 1
    for bit in bin(n)[2:]:
        a, b = a * (2 * b - a), a * a + b * b
        if bit == "1":
            a, b = b, a + b
    return a


def binomial(n, k):
    """C(n, k), the number of ways to choose k of n items (0 when k > n)."""
    n = integer(n, "n", minimum=0, maximum=MAX_BINOMIAL_N)
    k = integer(k, "k", minimum=0)
    return math.comb(n, k)


_NON_NEG = "A non-negative integer."

SPECS = {
    "gcd": (gcd, "The greatest common divisor of a list of integers.",
            params({"numbers": {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                                "maxItems": MAX_LIST_LENGTH, "description": "The integers."}})),
    "lcm": (lcm, "The least common multiple of a list of integers.",
            params({"numbers": {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                                "maxItems": MAX_LIST_LENGTH, "description": "The integers."}})),
    "is_prime": (is_prime, "Whether an integer is a prime number (true or false).",
                 params({"n": int_("The integer to test.", maximum=MAX_PRIME_TEST)})),
    "prime_factors": (prime_factors, "The prime factorisation of a positive integer as an ascending list with "
                                     "repeats, e.g. 12 -> [2, 2, 3].",
                      params({"n": int_(f"A positive integer up to {MAX_FACTOR}.", minimum=1, maximum=MAX_FACTOR)})),
    "factorial": (factorial, "n! = 1 * 2 * ... * n (0! = 1).",
                  params({"n": int_(f"{_NON_NEG} At most {MAX_FACTORIAL}.", minimum=0, maximum=MAX_FACTORIAL)})),
    "fibonacci": (fibonacci, "The n-th Fibonacci number, with F(0) = 0, F(1) = 1, F(2) = 1.",
                  params({"n": int_(f"{_NON_NEG} At most {MAX_FIBONACCI}.", minimum=0, maximum=MAX_FIBONACCI)})),
    "binomial": (binomial, "The binomial coefficient C(n, k): the number of ways to choose k items from n.",
                 params({"n": int_(f"{_NON_NEG} At most {MAX_BINOMIAL_N}.", minimum=0, maximum=MAX_BINOMIAL_N),
                         "k": int_(_NON_NEG, minimum=0)})),
}
