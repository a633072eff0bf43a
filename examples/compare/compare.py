"""Compare SFT, sparse, strict, mentor and mentor_f1 at the same budget and seeds.

    .venv/bin/python examples/compare/compare.py --tiny                  # a smoke run (CI: minutes)
    .venv/bin/python examples/compare/compare.py --steps 20 --limit 10   # CPU-sized, hours on 2 cores
    .venv/bin/python examples/compare/compare.py --steps 300 --seeds 0 1 2 --limit 0 --num-generations 8

For every method and seed it trains (`mentor train`), evaluates the trained student
(`mentor eval`), and then writes OUT/report.html (`mentor eval report`) and
OUT/summary.md: accuracy per split, mean and standard deviation over the seeds. The
untrained student is evaluated once, as the starting point.

Everything goes through the `mentor` command line, exactly as a user would run it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

METHODS = {
    "sft": ["--trainer", "sft"],
    "sparse": ["--reward", "sparse"],
    "strict": ["--reward", "strict"],
    "mentor": ["--reward", "mentor"],
    "mentor_f1": ["--reward", "mentor_f1"],
}


def mentor(*args: str) -> None:
    command = [sys.executable, "-m", "mentor_dsl", *args]
    print("$ mentor " + " ".join(args), flush=True)
    subprocess.run(command, check=True)


def tiny_data(path: Path, n: int) -> str:
    """A few training tasks with short prompts: only the tools each needs, plus `add`."""
    from mentor_dsl.data import load_split, save_jsonl

    tasks = load_split("train", n=n)
    for task in tasks:
        names = {call["name"] for call in task["teacher"]["tool_calls"]} | {"add"}
        task["tools"] = sorted(names)
    save_jsonl(tasks, path)
    return str(path)


def accuracy_table(evals: dict[str, list[dict]]) -> tuple[str, dict]:
    splits = sorted({s for runs in evals.values() for run in runs for s in run["metrics"]["splits"]})
    lines = ["| method | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
    numbers: dict = {}
    for method, runs in evals.items():
        cells = []
        for split in splits:
            values = [run["metrics"]["splits"][split]["accuracy"] for run in runs
                      if split in run["metrics"]["splits"] and run["metrics"]["splits"][split].get("accuracy") is not None]
            numbers.setdefault(method, {})[split] = values
            if not values:
                cells.append("-")
            elif len(values) == 1:
                cells.append(f"{values[0]:.3f}")
            else:
                cells.append(f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", numbers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/compare")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of " + ", ".join(METHODS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--data", default="builtin:train")
    parser.add_argument("--split", default="all", choices=["in_domain", "ood", "bfcl", "all"])
    parser.add_argument("--limit", type=int, default=10, help="eval tasks per source split (0: all)")
    parser.add_argument("--num-generations", type=int, default=4)
    parser.add_argument("--max-completion-length", type=int, default=96)
    parser.add_argument("--keep-checkpoints", type=int, default=1,
                        help="checkpoints kept per run (about 1.6 GB each; 0: only the final model)")
    parser.add_argument("--tiny", action="store_true",
                        help="1 step, short prompts, 2 eval tasks, no checkpoints: a smoke run")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s): {', '.join(unknown)}")
    data, eval_split, limit = args.data, args.split, args.limit
    train_extra = ["--num-generations", str(args.num_generations),
                   "--max-completion-length", str(args.max_completion_length)]
    eval_extra: list[str] = []
    steps, keep = args.steps, args.keep_checkpoints
    if args.tiny:
        data = tiny_data(out / "tiny_tasks.jsonl", 8)
        steps, eval_split, limit, keep = 1, "in_domain", 2, 0
        train_extra = ["--num-generations", "2", "--max-completion-length", "48"]
        eval_extra = ["--max-completion-length", "48"]

    def evaluate(model: str, run: Path, name: str) -> dict:
        mentor("eval", "--model", model, "--split", eval_split, "--limit", str(limit), "--name", name,
               "-o", str(run / "eval.json"), "-q", *eval_extra)
        return json.loads((run / "eval.json").read_text())

    evals: dict[str, list[dict]] = {}
    start = out / "untrained"
    start.mkdir(exist_ok=True)
    evals["untrained"] = [evaluate("default", start, "untrained")]
    for method in methods:
        for seed in args.seeds:
            run = out / f"{method}-s{seed}"
            mentor("train", *METHODS[method], "--data", data, "--max-steps", str(steps), "--seed", str(seed),
                   "--save-steps", str(steps), "--keep-checkpoints", str(keep), "--output-dir", str(run),
                   "--overwrite", *train_extra)
            evals.setdefault(method, []).append(evaluate(str(run / "model"), run, f"{method}-s{seed}"))
    mentor("eval", "report", *(str(out / name / "eval.json") for name in
                               ["untrained"] + [f"{m}-s{s}" for m in methods for s in args.seeds]),
           "-o", str(out / "report.html"), "--title", f"mentor: {', '.join(methods)} at {steps} steps")
    table, numbers = accuracy_table(evals)
    header = (f"# Accuracy after {steps} steps, seeds {args.seeds}, eval split {eval_split}, "
              f"limit {limit or 'all'} per source\n\n")
    (out / "summary.md").write_text(header + table)
    (out / "summary.json").write_text(json.dumps(numbers, indent=2) + "\n")
    print("\n" + header + table)
    print(f"report: {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
