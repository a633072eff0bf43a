"""Spec tests: examples that a spec ships with, and checking them.

A spec `NAME.mdsl` keeps its examples beside it in `NAME.tests.jsonl`, one JSON object a
line: a trajectory record (the fields `mentor score` reads) plus

    "test":   the example's name (default: "line N")
    "expect": {"reward": 0.1}                 the reward
              {"reward": 0.1, "terms": {"answer_present": 0, "correct": null}}
                                              and some terms or bindings (null: not computed,
                                              the record was retired before them)
              {"error": "missing field 'answer'"}
                                              the record cannot be scored, for this reason
                                              (the text must occur in the message)
              "tolerance": 1e-9               how far a value may be from its expectation
    "reward_name": which reward of a file with several (default: the first)

A sibling JSON Lines file, rather than examples inside the spec, because examples are
records: they are written, copied and generated like any data file (`mentor eval
--save-rollouts` gives some), every tool that reads records reads them, and `--update`
can rewrite an expectation without touching the spec or its comments.

`run_spec` scores a spec's examples in one batch; `mentor test` and the pytest plugin
(mentor_dsl/pytest_plugin.py) report them. Loading a spec or an examples file fails with
the ordinary `SpecError` / `DataError`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError, MentorError

SUFFIX = ".tests.jsonl"
SPEC_SUFFIX = ".mdsl"
#: Keys of an example line that are not part of the record.
RESERVED = ("test", "expect", "reward_name")
DEFAULT_TOLERANCE = 1e-9
#: Directories a search for specs never enters.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages"})


def examples_path(spec: str | os.PathLike) -> Path:
    """`rewards/mentor.mdsl` -> `rewards/mentor.tests.jsonl`."""
    spec = Path(spec)
    stem = spec.name[: -len(SPEC_SUFFIX)] if spec.name.endswith(SPEC_SUFFIX) else spec.name
    return spec.with_name(stem + SUFFIX)


@dataclass
class Example:
    """One example line. `record` is the line without the reserved keys."""

    path: Path
    line: int
    name: str
    record: dict[str, Any]
    expect: dict[str, Any]
    reward_name: str | None
    raw: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def tolerance(self) -> float:
        return float(self.expect.get("tolerance", DEFAULT_TOLERANCE))


@dataclass
class Mismatch:
    what: str  # "reward", "error", or a term's or binding's name
    expected: Any
    actual: Any


@dataclass
class Outcome:
    example: Example
    reward: float | None = None
    terms: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None  # why the record could not be scored
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def _number(value: Any, where: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataError(f"{where}: {what} must be a number or null, not {json.dumps(value)[:40]}")
    return float(value)


def load_examples(path: str | os.PathLike) -> list[Example]:
    """The examples of one file, checked. A broken line is a `DataError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    examples: list[Example] = []
    names: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{where}: not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise DataError(f'{where}: an example is a JSON object (a record with "expect")')
        expect = raw.get("expect")
        if not isinstance(expect, dict) or not ({"reward", "error"} & set(expect)):
            raise DataError(f'{where}: "expect" must be an object with "reward" (and optionally "terms") or "error"')
        unknown = set(expect) - {"reward", "terms", "error", "tolerance"}
        if unknown:
            raise DataError(
                f'{where}: unknown key(s) in "expect": {", ".join(sorted(unknown))} '
                "(expected reward, terms, error, tolerance)"
            )
        if "reward" in expect and "error" in expect:
            raise DataError(f'{where}: "expect" has both "reward" and "error"; an example either scores or not')
        if "reward" in expect and _number(expect["reward"], where, "expect.reward") is None:
            raise DataError(f"{where}: expect.reward must be a number")
        if "error" in expect and not isinstance(expect["error"], str):
            raise DataError(f"{where}: expect.error must be text found in the record's error")
        terms = expect.get("terms", {})
        if not isinstance(terms, dict):
            raise DataError(f"{where}: expect.terms must be an object of term or binding names")
        for key, value in terms.items():
            _number(value, where, f"expect.terms[{key!r}]")
        tolerance = _number(expect.get("tolerance", DEFAULT_TOLERANCE), where, "expect.tolerance")
        if tolerance is None or tolerance < 0:
            raise DataError(f"{where}: expect.tolerance must be a number >= 0")
        name = raw.get("test", f"line {number}")
        if not isinstance(name, str) or not name.strip():
            raise DataError(f'{where}: "test" is the example\'s name, a non-empty string')
        if name in names:
            raise DataError(f"{where}: another example is called {name!r} (line {names[name]})")
        names[name] = number
        selected = raw.get("reward_name")
        if selected is not None and not isinstance(selected, str):
            raise DataError(f'{where}: "reward_name" names one reward of the spec')
        record = {k: v for k, v in raw.items() if k not in RESERVED}
        record.setdefault("id", name)
        examples.append(Example(path, number, name, record, expect, selected, raw))
    return examples


# -- finding specs ---------------------------------------------------------------------------


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Spec files to test: each path that is a spec file or a library name, and the
    `*.mdsl` files below each directory (hidden directories and `node_modules` and the
    like are skipped), in sorted order without repeats."""
    from . import library

    found: dict[Path, None] = {}
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
                for name in sorted(files):
                    if name.endswith(SPEC_SUFFIX):
                        found.setdefault(Path(root) / name, None)
        else:
            found.setdefault(library.resolve(str(entry)), None)
    return list(found)


# -- running -----------------------------------------------------------------------------------


def _check(example: Example, outcome: Outcome) -> None:
    expect, tol = example.expect, example.tolerance
    if "error" in expect:
        if outcome.error is None:
            outcome.mismatches.append(Mismatch("error", expect["error"], f"scored {show(outcome.reward)}"))
        elif expect["error"] not in outcome.error:
            outcome.mismatches.append(Mismatch("error", expect["error"], outcome.error))
        return
    if outcome.error is not None:
        outcome.mismatches.append(Mismatch("reward", expect.get("reward"), f"error: {outcome.error}"))
        return
    if not _close(expect.get("reward"), outcome.reward, tol):
        outcome.mismatches.append(Mismatch("reward", expect.get("reward"), outcome.reward))
    for key, value in (expect.get("terms") or {}).items():
        if key not in outcome.terms:
            known = ", ".join(outcome.terms) or "none"
            outcome.mismatches.append(
                Mismatch(key, value, f"no term or binding of that name (the reward has: {known})")
            )
        elif not _close(value, outcome.terms[key], tol):
            outcome.mismatches.append(Mismatch(key, value, outcome.terms[key]))


def _close(expected: float | None, actual: float | None, tolerance: float) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return abs(expected - actual) <= tolerance


def show(value: Any) -> str:
    """An expected or actual value, as reports print it (exactly: 0.7999999999999999)."""
    if value is None:
        return "null (not computed)"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def run_spec(spec: Path, examples: list[Example], *, eos: str | None = None, registry=None) -> list[Outcome]:
    """Score `examples` with the spec (one batch per selected reward). Raises `SpecError`
    when the spec does not compile."""
    from .reward import load

    outcomes: dict[int, Outcome] = {}
    groups: dict[str | None, list[Example]] = {}
    for example in examples:
        groups.setdefault(example.reward_name, []).append(example)
    for selected, group in groups.items():
        reward = load(spec, reward=selected, eos=eos, registry=registry)
        result = reward.score([e.record for e in group], on_error="skip")
        for i, example in enumerate(group):
            outcome = Outcome(example)
            error = result.errors.get(i)
            if error is not None:
                outcome.error = error.message
            else:
                outcome.reward = _plain(result.rewards[i])
                outcome.terms = {k: _plain(v[i]) for k, v in result.terms.items()}
            _check(example, outcome)
            outcomes[id(example)] = outcome
    return [outcomes[id(e)] for e in examples]


def _plain(x) -> float | None:
    value = float(x)
    return None if math.isnan(value) else value


def explain_failure(spec: Path, outcome: Outcome, *, eos: str | None = None):
    """The explain trace of a failed example, or None when its record cannot be scored."""
    from .reward import load

    if outcome.error is not None:
        return None
    reward = load(spec, reward=outcome.example.reward_name, eos=eos)
    try:
        return reward.explain(outcome.example.record, position=outcome.example.where)
    except MentorError:
        return None


def failure_text(outcome: Outcome) -> str:
    """What differs, one line each: `reward: expected 0.1, got 1.1`."""
    lines = []
    for m in outcome.mismatches:
        actual = m.actual if isinstance(m.actual, str) else show(m.actual)
        lines.append(f"{m.what}: expected {show(m.expected)}, got {actual}")
    return "\n".join(lines)


# -- --update ------------------------------------------------------------------------------------


def updated_expectation(outcome: Outcome) -> dict[str, Any]:
    """The example's `expect` made to hold what the spec now gives: the reward, the terms
    it lists (no others), or the error."""
    old = outcome.example.expect
    keep = {"tolerance": old["tolerance"]} if "tolerance" in old else {}
    if outcome.error is not None:
        return {"error": outcome.error, **keep}
    new: dict[str, Any] = {"reward": outcome.reward}
    listed = old.get("terms") or {}
    if listed:
        new["terms"] = {k: outcome.terms.get(k) for k in listed if k in outcome.terms}
    return {**new, **keep}


def update_file(path: Path, outcomes: list[Outcome]) -> int:
    """Rewrite the expectations of the failed examples of one file (atomically); every
    other line is kept byte for byte. Returns how many examples changed."""
    from .outputs import write_text

    failed = {o.example.line: o for o in outcomes if o.example.path == path and not o.passed}
    if not failed:
        return 0
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, outcome in failed.items():
        raw = dict(outcome.example.raw)
        raw["expect"] = updated_expectation(outcome)
        lines[number - 1] = json.dumps(raw, ensure_ascii=False)
    write_text(path, "\n".join(lines))
    return len(failed)


def iter_spec_examples(specs: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(spec, its examples file) for the specs that have one."""
    for spec in specs:
        tests = examples_path(spec)
        if tests.is_file():
            yield spec, tests
