"""The built-in splits: fixed seeds, fixed sizes, generated on first use and cached.

    from mentor_dsl.data import load_split, list_splits
    train = load_split("train")          # 2000 records, the same in every process
    probe = load_split("ood_sci", n=20)  # needs the mentor-scitools plugin

How the splits are kept apart:

* Every draft's plan (its calls before execution) hashes into one of ten buckets. The
  in-domain `test` split draws only from bucket 0, `ood_distractor` only from bucket 1,
  `train` from the other eight, so no parameter combination can be in two of them.
* On top of that, every other split rejects any task whose question text or executed
  (tools, arguments) signature occurs in `train`, and `ood_chain` rejects any task whose
  sequence of tool names occurs in `train`.
* Within a split, question texts and signatures are unique.

A draft whose oracle trajectory fails to execute or to reproduce the reference answer is
dropped and counted (`generation_report(name).dropped`); the generators are written so
that this never happens, and a test holds them to it.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataError, did_you_mean
from ..plugins import hookimpl
from ..tools.math import MENTOR_MATH_TOOLS
from . import chain_tasks, math_tasks, sci_tasks
from .numbers import format_answer
from .oracle import MATH_TOOLSET, Draft, OracleFailure, realise, render_completion, signature

_BUCKETS = 10
_SPLIT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_INSTALL_HINT = (
    "install the plugin with `pip install -e plugins/mentor-scitools` (from a mentor checkout; add "
    "--no-deps --no-build-isolation in an environment that already has mentor), and make sure "
    "MENTOR_PLUGINS does not exclude it (`mentor plugins` lists it as 'scitools')"
)


@dataclass(frozen=True)
class SplitSpec:
    """How a split is generated. Plugins register their own through `register_splits`.

    `families` are (draw, weight) pairs: `draw(rng)` returns a `Draft`. `bucket` keeps the
    drafts whose plan hashes into the chosen buckets (of ten), so splits of one generator
    never share a parameter combination. `exclude_from` names the split whose questions and
    call signatures this one must avoid (its training split); `None` avoids nothing.
    `answer_text` writes the reference and the oracle's last output the same way, so they
    can be compared (numbers by default; a date domain's `str`). `judge` is written into
    every record (`"judge": "date"`), so each command grades the tasks with it.
    `requires` are toolsets that must be registered, `provided_by` the distribution that
    registers them (for the error message). `reward` is the spec training on the split
    uses by default (`default_reward`)."""

    name: str
    size: int
    seed: int
    families: Sequence[tuple[Callable[[random.Random], Draft], float]]
    domains: tuple[str, ...]
    description: str
    bucket: Callable[[int], bool] | None = None
    requires: tuple[str, ...] = ()  # registry toolsets that must exist
    novel_names: bool = False  # reject tool-name sequences seen in `exclude_from`
    distractors: tuple[int, int] | None = None  # (min, max) extra tools from `requires`
    exclude_from: str | None = "train"
    answer_text: Callable[[Any], str] = format_answer
    judge: str | None = None
    provided_by: str | None = None
    #: The reward spec (a library name or a path) `mentor train --data builtin:NAME` uses
    #: when no --reward is given; None: mentor's default (`mentor`, the math reward).
    reward: str | None = None
    plugin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _SPLIT_NAME.match(self.name):
            raise DataError(f"split name {self.name!r} must be a lower-case identifier")
        if not isinstance(self.size, int) or self.size < 1:
            raise DataError(f"split {self.name!r}: size must be a positive integer")
        if not self.families or not all(callable(f) for f, _ in self.families):
            raise DataError(f"split {self.name!r}: families must be (draw, weight) pairs")
        if self.exclude_from == self.name:
            raise DataError(f"split {self.name!r} cannot exclude its own tasks")


@dataclass(frozen=True)
class SplitInfo:
    """What `list_splits` reports about a split."""

    name: str
    size: int
    domains: tuple[str, ...]
    description: str
    seed: int
    requires: str | None = None
    available: bool = True


@dataclass
class GenerationReport:
    """How a split came to be: drops must be zero, rejections are ordinary de-duplication."""

    name: str
    size: int
    seconds: float
    attempts: int
    dropped: list[tuple[str, str]] = field(default_factory=list)
    rejected: Counter = field(default_factory=Counter)
    families: Counter = field(default_factory=Counter)


SPLITS: dict[str, SplitSpec] = {
    spec.name: spec
    for spec in (
        SplitSpec(
            "train",
            2000,
            20251021,
            math_tasks.FAMILIES,
            ("math",),
            "in-domain word problems and expressions over the 12 math tools (1-4 calls)",
            bucket=lambda b: b >= 2,
            exclude_from=None,
        ),
        SplitSpec(
            "test",
            200,
            20251022,
            math_tasks.FAMILIES,
            ("math",),
            "held-out in-domain tasks, same families as train, disjoint parameters",
            bucket=lambda b: b == 0,
        ),
        SplitSpec(
            "ood_sci",
            200,
            20251023,
            sci_tasks.FAMILIES,
            ("geometry", "physics", "statistics", "units", "number_theory"),
            "geometry, physics, statistics, unit and number-theory tools from mentor-scitools",
            requires=sci_tasks.SCI_TOOLSETS,
            provided_by="mentor-scitools",
        ),
        SplitSpec(
            "ood_chain",
            200,
            20251024,
            chain_tasks.FAMILIES,
            ("math",),
            "math tools in longer unseen compositions (4-6 calls)",
            novel_names=True,
        ),
        SplitSpec(
            "ood_distractor",
            200,
            20251025,
            math_tasks.FAMILIES,
            ("math",),
            "in-domain tasks with 3-6 irrelevant scitools tools added to the tool list",
            bucket=lambda b: b == 1,
            requires=sci_tasks.SCI_TOOLSETS,
            distractors=(3, 6),
            provided_by="mentor-scitools",
        ),
    )
}


@hookimpl
def register_splits(register):
    for spec in SPLITS.values():
        register(spec)


_lock = threading.RLock()
_cache: dict[str, tuple[tuple[str, ...], GenerationReport]] = {}
_exclusions: dict[str, _Exclusions] = {}


def _registry():
    # Looked up through the module so tests can swap in a registry without the plugin.
    from .. import plugins

    return plugins.registry()


def registered() -> dict[str, SplitSpec]:
    """Every split: the built-in ones and those plugins register (`register_splits`)."""
    from .. import plugins

    return {name: entry.value for name, entry in plugins.registry().items["splits"].items()}


def is_split(name: str) -> bool:
    return name in registered()


def default_reward(data: str | None) -> str | None:
    """The reward spec a built-in split names for training on it (`SplitSpec.reward`), or
    None when `data` is not such a split."""
    if not isinstance(data, str):
        return None
    name = data[len("builtin:") :] if data.startswith("builtin:") else data
    spec = registered().get(name)
    return spec.reward if spec is not None and (data.startswith("builtin:") or not _exists(data)) else None


def _exists(path: str) -> bool:
    from pathlib import Path

    return Path(path).expanduser().exists()


def _spec(name: str) -> SplitSpec:
    if name.startswith("builtin:"):
        name = name[len("builtin:") :]
    specs = registered()
    spec = specs.get(name)
    if spec is None:
        raise DataError(f"unknown split {name!r} (built-in splits: {', '.join(specs)}){did_you_mean(name, specs)}")
    return spec


def _missing(spec: SplitSpec, reg) -> list[str]:
    return [ts for ts in spec.requires if not reg.toolset(ts)]


def _require(spec: SplitSpec, reg) -> None:
    missing = _missing(spec, reg)
    if missing:
        whose = f"the tools of the {spec.provided_by} plugin" if spec.provided_by else "tools"
        hint = _INSTALL_HINT if spec.provided_by == "mentor-scitools" else "see `mentor plugins`"
        raise DataError(
            f"split {spec.name!r} needs {whose} "
            f"(toolset{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} not registered); {hint}"
        )


def _bucket(draft: Draft) -> int:
    return zlib.crc32(draft.plan.key().encode()) % _BUCKETS


def _tool_names(toolsets: Sequence[str], reg) -> list[str]:
    """Tool names offered for a task: the math tools in the paper's order, others sorted."""
    out: list[str] = []
    for ts in toolsets:
        names = MENTOR_MATH_TOOLS if ts == MATH_TOOLSET else sorted(reg.toolset(ts) or ())
        if not names:
            raise DataError(f"toolset {ts!r} is not registered; {_INSTALL_HINT}")
        out.extend(n for n in names if n not in out)
    return out


@dataclass(frozen=True)
class _Exclusions:
    questions: frozenset[str] = frozenset()
    signatures: frozenset[str] = frozenset()
    name_sequences: frozenset[tuple[str, ...]] = frozenset()


def _exclusions_of(name: str | None) -> _Exclusions:
    """What a split must avoid: the questions, signatures and name sequences of `name`."""
    if name is None:
        return _Exclusions()
    if name not in _exclusions:
        records = [json.loads(line) for line in _generated(name)[0]]
        _exclusions[name] = _Exclusions(
            frozenset(r["prompt"][0]["content"] for r in records),
            frozenset(signature(r["teacher"]["tool_calls"]) for r in records),
            frozenset(tuple(c["name"] for c in r["teacher"]["tool_calls"]) for r in records),
        )
    return _exclusions[name]


def _generate(spec: SplitSpec, reg) -> tuple[tuple[str, ...], GenerationReport]:
    start = time.perf_counter()
    rng = random.Random(spec.seed)
    families = [f for f, _ in spec.families]
    weights = [w for _, w in spec.families]
    tools: Mapping[str, Any] = reg.tools
    exclude = _exclusions_of(spec.exclude_from)
    pool = sorted({n for ts in spec.requires for n in reg.toolset(ts)}) if spec.distractors else []
    questions: set[str] = set()
    signatures: set[str] = set()
    lines: list[str] = []
    report = GenerationReport(spec.name, spec.size, 0.0, 0)
    limit = 200 * spec.size
    while len(lines) < spec.size:
        report.attempts += 1
        if report.attempts > limit:
            raise DataError(
                f"could not generate {spec.size} distinct tasks for split {spec.name!r} "
                f"(got {len(lines)}); this is a bug in the generators"
            )
        draft = rng.choices(families, weights)[0](rng)
        if spec.bucket is not None and not spec.bucket(_bucket(draft)):
            report.rejected["bucket"] += 1
            continue
        if draft.question in questions or draft.question in exclude.questions:
            report.rejected["question"] += 1
            continue
        if spec.novel_names and draft.plan.names() in exclude.name_sequences:
            report.rejected["composition"] += 1
            continue
        try:
            calls, outputs, answer = realise(draft, tools, spec.answer_text)
        except OracleFailure as exc:
            report.dropped.append((draft.family, str(exc)))
            continue
        sig = signature(calls)
        if sig in signatures or sig in exclude.signatures:
            report.rejected["signature"] += 1
            continue
        questions.add(draft.question)
        signatures.add(sig)
        names = _tool_names(draft.toolsets, reg)
        if spec.distractors:
            extra = [n for n in pool if n not in names]
            names = names + rng.sample(extra, rng.randint(*spec.distractors))
            # Shuffled, so the position of a tool in the list says nothing about its relevance.
            rng.shuffle(names)
        record = {
            "id": f"{spec.name}-{len(lines):05d}",
            "split": spec.name,
            "domain": draft.domain,
            "family": draft.family,
            "prompt": [{"role": "user", "content": draft.question}],
            "tools": names,
            "answer": answer,
            "teacher": {"tool_calls": calls, "answer": answer},
            "completion": render_completion(calls, outputs, answer),
        }
        if spec.judge is not None:
            record["judge"] = spec.judge
        report.families[draft.family] += 1
        lines.append(json.dumps(record, ensure_ascii=False))
    report.seconds = time.perf_counter() - start
    return tuple(lines), report


def _generated(name: str) -> tuple[tuple[str, ...], GenerationReport]:
    spec = _spec(name)
    with _lock:
        reg = _registry()
        _require(spec, reg)
        if spec.name not in _cache:
            _cache[spec.name] = _generate(spec, reg)
        return _cache[spec.name]


def load_split(name: str, n: int | None = None) -> list[dict[str, Any]]:
    """The records of a built-in split (fresh copies; the first `n` when given).

    Raises DataError for an unknown split, an `n` larger than the split, or a split whose
    tools are not registered (ood_sci and ood_distractor need mentor-scitools). Plugin
    splits (`register_splits`) load the same way."""
    return [json.loads(line) for line in split_lines(name, n)]


def split_lines(name: str, n: int | None = None) -> tuple[str, ...]:
    """The split as JSON lines, exactly as `mentor data export` writes them."""
    lines, _ = _generated(name)
    if n is None:
        return lines
    if n < 0:
        raise DataError(f"n must not be negative, got {n}")
    if n > len(lines):
        raise DataError(f"split {_spec(name).name!r} has {len(lines)} tasks; asked for {n}")
    return lines[:n]


def generation_report(name: str) -> GenerationReport:
    """Drops, rejections, families and generation time of a split (generating it if needed)."""
    return _generated(name)[1]


def list_splits() -> list[SplitInfo]:
    """Every built-in split, with whether its tools are registered here."""
    reg = _registry()
    out = []
    for spec in registered().values():
        out.append(
            SplitInfo(
                spec.name,
                spec.size,
                spec.domains,
                spec.description,
                spec.seed,
                spec.provided_by if spec.requires else None,
                not _missing(spec, reg),
            )
        )
    return out


def clear_cache() -> None:
    """Forget generated splits (the next load regenerates them, identically)."""
    with _lock:
        _cache.clear()
        _exclusions.clear()
