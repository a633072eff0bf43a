"""Compile time against spec size: it must grow linearly.

    .venv/bin/python benchmarks/bench_compile.py [--sizes 1000 10000 100000]

Generates specs of about 1k, 10k and 100k expression nodes. Each is a chain of bindings
that reuse earlier ones twice (`b5 = 0.5 * b4 + min(b3, finished) ...`), so every
analysis meets shared bindings, with term uses, constants, conditions and guards. For
each size it prints the time to parse and to compile (check and lower), in CPU seconds,
and the ratio of times next to the ratio of sizes. Then the two large inputs of the
issue: a 5 MB string literal and 200,000 bindings.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentor_dsl import compile, nodes, parse  # noqa: E402
from mentor_dsl.plugins import registry  # noqa: E402


def spec_text(bindings: int) -> str:
    lines = ["param w = 0.3", "reward r:", "    require finished else 0", "    b0 = tool_match(teacher)",
             "    b1 = answer_correct"]
    for i in range(2, bindings):
        kind = i % 4
        if kind == 0:
            lines.append(f"    b{i} = 0.5 * b{i - 1} + min(b{i - 2}, finished)")
        elif kind == 1:
            lines.append(f"    b{i} = if b{i - 1} > 0.5 then b{i - 2} else w * b{i - 1}")
        elif kind == 2:
            lines.append(f"    b{i} = clip(b{i - 1} - b{i - 2} / 3, 0, 1)")
        else:
            lines.append(f"    b{i} = b{i - 1} + b{i - 1} * step")
    lines.append(f"    b{bindings - 1} + no_hallucination")
    return "\n".join(lines) + "\n"


def node_count(spec) -> int:
    return sum(1 for e in nodes.expressions(spec) for _ in nodes.walk(e))


def timed(fn):
    gc.collect()
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000],
                        help="target numbers of expression nodes")
    args = parser.parse_args()
    reg = registry()
    compile("reward warm_up:\n    finished\n", reg)  # plugin loading is not compile time
    print(f"{'nodes':>9} {'bindings':>9} {'parse s':>9} {'compile s':>10} {'total s':>9} "
          f"{'size ratio':>11} {'time ratio':>11}")
    previous = None
    for target in args.sizes:
        bindings = max(3, target // 7)  # about 7 nodes a binding
        text = spec_text(bindings)
        spec, parse_s = timed(lambda: parse(text, "bench.mdsl"))
        plan, compile_s = timed(lambda: compile(spec, reg))
        assert plan.reward().name == "r"
        size, total = node_count(spec), parse_s + compile_s
        ratios = ("", "")
        if previous is not None:
            ratios = (f"{size / previous[0]:.1f}x", f"{total / previous[1]:.1f}x")
        print(f"{size:>9,} {bindings:>9,} {parse_s:>9.3f} {compile_s:>10.3f} {total:>9.3f} "
              f"{ratios[0]:>11} {ratios[1]:>11}")
        previous = (size, total)

    literal = 'reward r:\n    x = format(regex="<think>")\n    x\nparam p = "' + "a" * 5_000_000 + '"\n'
    _, seconds = timed(lambda: compile(parse(literal, "literal.mdsl"), reg))
    print(f"a 5 MB string literal: {seconds:.3f} s")
    chain = "reward r:\n    b0 = finished\n" + "".join(f"    b{i} = b{i - 1} + {i % 7}\n" for i in range(1, 200_000)) \
        + "    b199999\n"
    spec, parse_s = timed(lambda: parse(chain, "chain.mdsl"))
    _, compile_s = timed(lambda: compile(spec, reg))
    print(f"200,000 bindings: parse {parse_s:.1f} s, compile {compile_s:.1f} s")


if __name__ == "__main__":
    main()
