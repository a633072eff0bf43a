"""bf16 autocast on the CPU: is it faster, and does training stay the same?

    .venv/bin/python benchmarks/bench_bf16.py [--steps 20] [--seeds 0 1]
    .venv/bin/python benchmarks/bench_bf16.py --from-runs FP32_S0 FP32_S1 BF16_S0


Trains the default configuration (the embedded student, the built-in tasks) for
`--steps` steps in float32 with every seed, and with bf16 autocast
(`--mixed-precision bf16`) with the first seed. Prints each run's seconds per step and
per-phase times, the per-step loss and reward, and the comparison the default rests on:
the largest gap between the bf16 run and the float32 run of the same seed, against the
largest gap between float32 runs of different seeds (the seed-to-seed spread). bf16 can
only be the CPU default if its gap is within that spread.

`--from-runs` makes the same comparison from finished run folders (their metrics.jsonl)
instead of training: two float32 runs of different seeds, then a bf16 run with the first
one's seed and configuration (for example the `mentor` runs of examples/compare and a
`mentor train ... --mixed-precision bf16` run beside them). Steps beyond the shortest run
are not compared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def train(out: Path, seed: int, mixed: str, steps: int) -> list[dict]:
    from mentor_dsl.train.config import TrainConfig
    from mentor_dsl.train.grpo import build

    config = TrainConfig(output_dir=str(out), max_steps=steps, seed=seed, mixed_precision=mixed, keep_checkpoints=0,
                         save_steps=10_000)
    session, trainer = build(config)
    session.run(trainer)
    return session.metrics


def read_metrics(run: Path) -> list[dict]:
    import json

    path = run / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def gap(a: list[dict], b: list[dict], key: str) -> float:
    return max(abs(x[key] - y[key]) for x, y in zip(a, b) if x.get(key) is not None and y.get(key) is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--from-runs", nargs=3, type=Path, metavar=("FP32_A", "FP32_B", "BF16_A"),
                        help="compare these finished runs' metrics.jsonl instead of training")
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {}
    if args.from_runs:
        finished = [read_metrics(run) for run in args.from_runs]
        args.steps = min(len(rows) for rows in finished)
        for name, rows in zip(("fp32 A", "fp32 B", "bf16 A"), finished):
            runs[name] = rows[: args.steps]
        print("runs: " + ", ".join(f"{name} = {path}" for name, path in zip(runs, args.from_runs)))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for seed in args.seeds:
                runs[f"fp32 s{seed}"] = train(Path(tmp) / f"fp32-{seed}", seed, "no", args.steps)
            runs[f"bf16 s{args.seeds[0]}"] = train(Path(tmp) / "bf16", args.seeds[0], "bf16", args.steps)
    print(f"\n{args.steps} GRPO steps, CPU")
    for name, rows in runs.items():
        later = rows[1:] or rows
        phases = {k: statistics.mean(r[f"time/{k}"] for r in later) for k in ("generation", "forward_backward")}
        print(f"  {name:8} {statistics.median(r['time/step'] for r in later):6.1f} s/step  generation "
              f"{phases['generation']:5.1f} s  forward+backward {phases['forward_backward']:5.1f} s  "
              f"mean reward {statistics.mean(r['reward'] for r in rows):.3f}")
    names = list(runs)
    for key in ("loss", "reward"):
        print(f"  {key} per step:")
        for name in names:
            print(f"    {name:8} " + " ".join(f"{r[key]:.3f}" if r.get(key) is not None else "-" for r in runs[name]))
    base, other, bf16 = runs[names[0]], runs[names[1]] if len(names) > 2 else None, runs[names[-1]]
    for key in ("loss", "reward"):
        spread = gap(base, other, key) if other else float("nan")
        print(f"  largest {key} gap: bf16 vs fp32 (same seed) {gap(base, bf16, key):.4f}; "
              f"fp32 seed vs seed {spread:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
