"""Per-call overhead and throughput of the tool executor.

    .venv/bin/python benchmarks/bench_executor.py [--quick]

Measures, in one run on this machine: calling a pure tool's function directly (the
baseline), the pieces of work the executor adds (argument validation, the cache key, a
thread hand-off as the alternative to a worker process), `Executor.run` uncached (a round
trip to a worker process) and cached, `run_many` throughput on a batch of 1000 calls, and
the sandboxed `python` tool. Prints one table; ratios are against the direct call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentor_dsl.tools.base import Tool  # noqa: E402
from mentor_dsl.tools.executor import Executor  # noqa: E402
from mentor_dsl.tools.python_tool import build_tool  # noqa: E402


def add(a: float, b: float) -> float:
    return a + b


ADD = Tool("add", "Add two numbers.", {
    "type": "object",
    "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
    "required": ["a", "b"],
    "additionalProperties": False,
}, add)


def per_call(fn: Callable[[int], object], n: int, repeats: int = 5) -> float:
    """Median over `repeats` runs of the mean seconds per call of fn(i) for i in range(n)."""
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            fn(r * n + i)
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    opts = parser.parse_args()
    n = 2000 if opts.quick else 20000
    batch = 1000
    rows: list[tuple[str, float, str]] = []  # (what, seconds per call, note)

    direct = per_call(lambda i: add(a=i, b=1), n)
    rows.append(("direct call add(a=i, b=1)", direct, "baseline"))
    validate = per_call(lambda i: ADD.validate_arguments({"a": i, "b": 1}), n)
    rows.append(("  validate_arguments (jsonschema)", validate, "part of a miss"))
    key = per_call(lambda i: json.dumps({"a": i, "b": 1}, sort_keys=True, separators=(",", ":")), n)
    rows.append(("  cache key (arguments as sorted JSON)", key, "part of every call"))
    with ThreadPoolExecutor(1) as pool:
        pool.submit(add, a=1, b=1).result()
        handoff = per_call(lambda i: pool.submit(add, a=i, b=1).result(), n // 4)
        rows.append(("  thread hand-off (pool.submit().result())", handoff, "the alternative to a worker process"))

    with Executor({"add": ADD}, cache_size=0) as ex:
        ex.run("add", {"a": 0, "b": 1})  # fork the worker outside the timing
        uncached = per_call(lambda i: ex.run("add", {"a": i, "b": 1}), n // 4)
        rows.append(("Executor.run, uncached (worker process)", uncached, "cache_size=0"))
    with Executor({"add": ADD}) as ex:
        for i in range(100):
            ex.run("add", {"a": i, "b": 1})
        cached = per_call(lambda i: ex.run("add", {"a": i % 100, "b": 1}), n)
        rows.append(("Executor.run, cached", cached, "100 distinct calls, all hits"))

    # A batch here stands for many records' calls: the per-record call cap is lifted to the
    # batch size, since the executor's throughput is what is measured.
    throughput: list[tuple[str, float]] = []
    for workers in (1, 2, 8):
        with Executor({"add": ADD}, max_concurrency=workers, cache_size=0, max_calls=batch) as ex:
            ex.run_many([("add", {"a": -i, "b": 1}) for i in range(workers * 4)])  # warm every worker
            calls = [("add", {"a": i, "b": 1}) for i in range(batch)]
            start = time.perf_counter()
            results = ex.run_many(calls)
            elapsed = time.perf_counter() - start
            assert all(r.ok for r in results)
            throughput.append((f"run_many({batch} distinct), max_concurrency={workers}", elapsed))
    with Executor({"add": ADD}, max_calls=batch) as ex:
        calls = [("add", {"a": i % 100, "b": 1}) for i in range(batch)]
        ex.run_many(calls)
        start = time.perf_counter()
        ex.run_many(calls)
        throughput.append((f"run_many({batch}), all cached", time.perf_counter() - start))
    with Executor({"add": ADD}, cache_size=0) as ex:
        ex.run("add", {"a": 0, "b": 1})
        start = time.perf_counter()
        for i in range(batch):
            ex.run("add", {"a": i, "b": 1})
        throughput.append((f"{batch} x run() one by one", time.perf_counter() - start))

    sandbox_rows: list[tuple[str, float]] = []
    with Executor({"python": build_tool()}, cache_size=0) as ex:
        k = 5 if opts.quick else 20
        ex.run("python", {"code": "1"})
        start = time.perf_counter()
        for i in range(k):
            assert ex.run("python", {"code": f"print({i})"}).ok
        sandbox_rows.append(("python tool, one call (fresh sandboxed process)", (time.perf_counter() - start) / k))
        calls = [("python", {"code": f"print({i})"}) for i in range(16)]
        start = time.perf_counter()
        assert all(r.ok for r in ex.run_many(calls))
        sandbox_rows.append(("python tool, run_many(16), max_concurrency=8", time.perf_counter() - start))

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print(f"{'per call':50s} {'time':>10s} {'x direct':>10s}  note")
    for what, seconds, note in rows:
        print(f"{what:50s} {_fmt(seconds):>10s} {seconds / direct:>10.1f}  {note}")
    print(f"\n{'batch':50s} {'total':>10s} {'calls/s':>10s} {'per call':>10s}")
    for what, seconds in throughput:
        print(f"{what:50s} {_fmt(seconds):>10s} {batch / seconds:>10.0f} {_fmt(seconds / batch):>10s}")
    print(f"\n{'sandbox':50s} {'time':>10s}")
    for what, seconds in sandbox_rows:
        print(f"{what:50s} {_fmt(seconds):>10s}")


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e9:.0f} ns"


if __name__ == "__main__":
    main()
