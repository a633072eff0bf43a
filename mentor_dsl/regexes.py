"""What the checker accepts as a regular expression in a spec.

A spec's regexes are searched in every completion of every training step, so a pattern
must compile, and its cost must be bounded. Three rules bound it:

- at most `MAX_LENGTH` characters (compiling a megabyte pattern takes seconds);
- counted repeats `{m,n}` of at most `MAX_REPEAT`;
- no quantifier that can repeat a variable number of times inside another that can
  repeat: `(a+)+`, `(\\s*,)*` or `(a{1,3}){2,}` take exponential time on some inputs. A
  possessive quantifier (`a++`) or an atomic group (`(?>...)`) gives nothing back, so
  inside one of them, or in a lookaround, the rule starts afresh.

The rules catch the classic exponential patterns, not every slow one (`(a|a)*` still
backtracks). The pattern is read with `re._parser`, the parser `re.compile` itself uses,
so the rules see exactly what will run; no maintained library exposes that tree.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser

MAX_LENGTH = 10_000
MAX_REPEAT = 1_000

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_FRESH = {_c.ASSERT, _c.ASSERT_NOT}


class InvalidRegex(ValueError):
    """The pattern does not compile."""


class CostlyRegex(InvalidRegex):
    """The pattern compiles, but its cost is not bounded."""


def check(pattern: str, flags: int = 0) -> None:
    """Raise `InvalidRegex` or `CostlyRegex` (with the reason) unless `pattern` passes."""
    if len(pattern) > MAX_LENGTH:
        raise CostlyRegex(f"it is {len(pattern):,} characters long; the limit is {MAX_LENGTH:,}")
    try:
        tree = _parser.parse(pattern, flags)
    except (re.error, OverflowError, ValueError) as exc:
        raise InvalidRegex(str(exc)) from None
    except RecursionError:
        raise InvalidRegex("groups are nested too deeply") from None
    _check_cost(tree)
    try:
        re.compile(pattern, flags)
    except (re.error, OverflowError, ValueError, RecursionError) as exc:
        raise InvalidRegex(str(exc) or type(exc).__name__) from None


def _check_cost(tree) -> None:
    # (items, inside a variable repeat?); iterative, as the parser allows deep nesting.
    stack = [(tree, False)]
    while stack:
        items, inside = stack.pop()
        for op, av in items:
            if op in _REPEATS or op == _c.POSSESSIVE_REPEAT:
                low, high, body = av
                for count in (low, high):
                    if count != _c.MAXREPEAT and count > MAX_REPEAT:
                        raise CostlyRegex(f"it repeats {count:,} times; the limit is {MAX_REPEAT:,}")
                variable = high > low and high > 1
                if op == _c.POSSESSIVE_REPEAT:
                    stack.append((body, False))
                    continue
                if variable and inside:
                    raise CostlyRegex(
                        "it nests a repeat inside a repeat, as in '(a+)+', which can backtrack "
                        "for a very long time; make the inner one possessive ('a++') or atomic "
                        "('(?>...)')"
                    )
                stack.append((body, inside or high > 1))
            elif op == _c.SUBPATTERN:
                stack.append((av[-1], inside))
            elif op == _c.BRANCH:
                stack.extend((branch, inside) for branch in av[1])
            elif op in _FRESH:
                stack.append((av[1], False))
            elif op == _c.ATOMIC_GROUP:
                stack.append((av, False))
            elif op == _c.GROUPREF_EXISTS:
                stack.extend((branch, inside) for branch in av[1:] if branch is not None)
