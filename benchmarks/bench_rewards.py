"""Reward throughput: rewards/mentor.mdsl against a per-record implementation of the
paper's reward, on GRPO-shaped batches, in the same run.

    .venv/bin/python benchmarks/bench_rewards.py [--prompts 256] [--group 8] [--batch 64]

The baseline (tests/paper_reference.py) does what the paper's code does for every record:
extract, run all three judges (math-verify metric, math-verify parse/verify, mathruler),
no cache. Both start with cold caches (math-verify's and sympy's included). The script checks
that the two give identical values and exits non-zero if they do not.

Two workloads:
- `grpo`: groups of completions per prompt that share the gold, as a small student
  produces them (repeated answers, wrong integers, LaTeX forms, truncations, tool calls);
- `distinct`: every answer a different expression of a form no shortcut covers (roots,
  percentages, sums), so nothing is cached or skipped: the floor of the speed-up.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import paper_reference as ref  # noqa: E402

import mentor_dsl  # noqa: E402
from mentor_dsl import math_judge  # noqa: E402

EOS = "<|im_end|>"
TOOLS = ["add", "subtract", "multiply", "divide", "sum_numbers", "floor", "ceil", "round_number", "power", "sqrt",
         "abs_value", "modulo"]


def _call(name: str) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": {"a": 3, "b": 4}})}\n</tool_call>\n' \
           f"<tool_response>\n7\n</tool_response>\n"


def _gold(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """(gold, equivalent spellings, plausible wrong answers)."""
    kind = rng.random()
    if kind < 0.7:
        n = rng.randint(-500, 5000)
        return str(n), [f"{n}.0", f"{n}"], [str(n + 1), str(n - 1), str(n * 2), str(n + 10)]
    if kind < 0.85:
        a = rng.randint(1, 999) / 4
        return str(a), [f"{a:.2f}", str(a)], [str(a + 0.5), str(round(a)), str(a * 2)]
    p, q = rng.randint(1, 9), rng.randint(11, 19)
    return f"\\frac{{{p}}}{{{q}}}", [f"{p}/{q}", f"\\dfrac{{{p}}}{{{q}}}"], [f"\\frac{{{q}}}{{{p}}}", f"{p + 1}/{q}"]


def grpo_records(prompts: int, group: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(prompts):
        gold, same, wrong = _gold(rng)
        teacher = rng.sample(TOOLS, rng.randint(1, 3))
        favourite = rng.choice(wrong)  # small students repeat their mistakes
        for j in range(group):
            r = rng.random()
            if r < 0.45:
                answer = gold
            elif r < 0.55:
                answer = rng.choice(same)
            elif r < 0.75:
                answer = favourite
            elif r < 0.85:
                answer = rng.choice(wrong)
            else:
                answer = None
            t = rng.random()
            tools = teacher if t < 0.5 else teacher[:1] if t < 0.7 else [] if t < 0.85 else ["calculator"]
            text = "<think>Let me work it out.</think>\n" + "".join(_call(n) for n in tools)
            if answer is not None:
                text += f"The answer is \\boxed{{{answer}}}"
            else:
                text += "I am not sure."
            if rng.random() > 0.05:
                text += EOS
            out.append({"id": f"p{i}-{j}", "completion": text, "answer": gold, "teacher": {"tool_calls": teacher}})
    return out


def distinct_records(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        p, q = rng.randint(1, 99), rng.randint(101, 199)
        answer = rng.choice([f"\\sqrt{{{p}}}", f"{p}\\%", f"\\frac{{{p}}}{{{q}}} + 1", f"{p}\\pi"])
        text = _call("divide") + f"\\boxed{{{answer}}}" + EOS
        out.append({"id": f"d{i}", "completion": text, "answer": f"\\frac{{{q}}}{{{p}}}",
                    "teacher": {"tool_calls": ["divide"]}})
    return out


def _cold_caches() -> None:
    math_judge.cache_clear()
    import math_verify.parser as mv
    from sympy.core.cache import clear_cache

    clear_cache()  # sympy's own memo, warmed by whichever run went first

    for name in dir(mv):  # math-verify's own parse caches
        fn = getattr(mv, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


def baseline(records: list[dict]) -> tuple[list[float], float]:
    _cold_caches()
    start = time.perf_counter()
    values = [ref.mentor(r["completion"], r["answer"], r["teacher"]["tool_calls"]) for r in records]
    return values, time.perf_counter() - start


def ours(records: list[dict], batch: int) -> tuple[list[float], float]:
    reward = mentor_dsl.load("mentor")
    _cold_caches()
    start = time.perf_counter()
    values: list[float] = []
    for i in range(0, len(records), batch):
        values.extend(reward.score(records[i:i + batch]).rewards.tolist())
    return values, time.perf_counter() - start


def report(name: str, records: list[dict], batch: int) -> bool:
    # Import the libraries and let them build their parsers outside the timings.
    math_judge.warm_up()
    for text, gold in (("\\boxed{1}", "1"), ("\\boxed{\\frac{1}{2}}", "0.5"), ("\\boxed{x}", "2")):
        ref.mentor(text + EOS, gold, ["add"])
    base_values, base_time = baseline(records)
    our_values, our_time = ours(records, batch)
    same = sum(a == b for a, b in zip(base_values, our_values))
    n = len(records)
    print(f"\n{name}: {n} records, batches of {batch}")
    print(f"  {'':28}{'seconds':>9}{'records/s':>11}{'ms/record':>11}")
    for label, t in (("paper code, per record", base_time), ("mentor_dsl (mentor.mdsl)", our_time)):
        print(f"  {label:28}{t:9.2f}{n / t:11.0f}{1000 * t / n:11.3f}")
    print(f"  speed-up: {base_time / our_time:.1f}x; identical values: {same}/{n}")
    info = math_judge.judge.cache_info()
    print(f"  judge calls: {info.hits + info.misses} ({info.hits} cache hits)")
    return same == n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--group", type=int, default=8, help="completions per prompt (GRPO num_generations)")
    parser.add_argument("--batch", type=int, default=64, help="records per reward call")
    parser.add_argument("--distinct", type=int, default=256, help="records in the no-shortcut workload")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ok = report("grpo", grpo_records(args.prompts, args.group, args.seed), args.batch)
    if args.distinct:
        ok &= report("distinct", distinct_records(args.distinct, args.seed), args.batch)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
