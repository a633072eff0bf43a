"""Compare SFT and GRPO with sparse, strict, mentor, mentor_f1 and mentor_robust rewards at
the same budget and seeds, and measure each reward's learning signal.

    .venv/bin/python examples/compare/compare.py --tiny                    # a smoke run (CI: minutes)
    .venv/bin/python examples/compare/compare.py --steps 40 --seeds 0 1 --limit 10 --results docs/results
    .venv/bin/python examples/compare/compare.py --report-only --results docs/results   # rebuild the report

For every method and seed it trains (`mentor train`), evaluates the trained student
(`mentor eval` on the in-domain test split, the OOD splits and BFCL, the same --limit for
all) and measures the learning signal of every reward on the student's own samples
(`mentor eval signal`). The untrained student is evaluated and measured once, as the
starting point. Everything goes through the `mentor` command line, as a user would run it.

It resumes: a run whose final model exists is not trained again, a run with a checkpoint
continues from it (`--resume`), and an evaluation or signal file that exists is kept. So a
budget larger than one sitting can be spread over several, committing the small result
files as each run finishes.

With --results DIR it copies each run's small files (metrics.jsonl, eval.json,
signal.json, mentor-run.json) to DIR/runs/, and writes DIR/summary.json, DIR/report.html
and DIR/report.png (`mentor eval report`) and the results page DIR/../results.md (tables
with 95% confidence intervals, the learning-signal table, the plots), into which the
hand-written DIR/reading.md is placed.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

METHODS = {
    "sft": ["--trainer", "sft"],
    "sparse": ["--reward", "sparse"],
    "strict": ["--reward", "strict"],
    "mentor": ["--reward", "mentor"],
    "mentor_f1": ["--reward", "mentor_f1"],
    "mentor_robust": ["--reward", "mentor_robust"],
}
SMALL_FILES = ("metrics.jsonl", "eval.json", "signal.json", "mentor-run.json")
SPLIT_ORDER = ("in_domain", "ood", "bfcl")


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


def trained(run: Path, steps: int) -> bool:
    """The run reached its last step and saved its final model."""
    metrics = run / "metrics.jsonl"
    if not (run / "model" / "config.json").exists() or not metrics.exists():
        return False
    rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    return bool(rows) and rows[-1]["step"] >= steps


def checkpointed(run: Path) -> bool:
    return any((p / "trainer_state.json").exists() for p in run.glob("checkpoint-*"))


# -- statistics -----------------------------------------------------------------------------------

def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of k successes in n (95% by default)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def pooled(evals: list[dict], split: str) -> tuple[float, int]:
    """Correct answers and tasks of a split, pooled over seeds (each seed's tasks count)."""
    k = n = 0
    for ev in evals:
        s = ev["metrics"]["splits"].get(split)
        if s and s.get("accuracy") is not None:
            k += s["accuracy"] * s["n"]
            n += s["n"]
    return k, n


def cell(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def accuracy_rows(evals: dict[str, list[dict]]) -> tuple[list[str], dict]:
    """Markdown rows: accuracy per split (pooled over seeds) with its 95% Wilson interval."""
    splits = [s for s in SPLIT_ORDER if any(s in ev["metrics"]["splits"] for runs in evals.values() for ev in runs)]
    lines = ["| method | seeds | " + " | ".join(f"{s} (95% CI)" for s in splits) + " |",
             "|---|---|" + "---|" * len(splits)]
    numbers: dict = {}
    for method, runs in evals.items():
        cells = []
        for split in splits:
            k, n = pooled(runs, split)
            if not n:
                cells.append("-")
                continue
            lo, hi = wilson(k, n)
            numbers.setdefault(method, {})[split] = {"accuracy": k / n, "n": n, "ci95": [lo, hi],
                                                     "per_seed": [ev["metrics"]["splits"][split]["accuracy"]
                                                                  for ev in runs if split in ev["metrics"]["splits"]]}
            cells.append(f"{k / n:.3f} [{lo:.2f}, {hi:.2f}] (n={n})")
        lines.append(f"| {method} | {len(runs)} | " + " | ".join(cells) + " |")
    return lines, numbers


def behaviour_rows(evals: dict[str, list[dict]]) -> list[str]:
    keys = ("call_validity", "hallucination_rate", "teacher_similarity", "calls_per_task")
    lines = ["| method | " + " | ".join(k.replace("_", " ") for k in keys) + " |", "|---|" + "---|" * len(keys)]
    for method, runs in evals.items():
        cells = [cell([ev["metrics"]["overall"].get(k) for ev in runs]) for k in keys]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def signal_rows(signals: dict[str, list[dict]]) -> list[str]:
    """Per spec: the share of groups with a signal, group std, corr. with correct, per student."""
    specs = list(next((s["specs"] for runs in signals.values() for s in runs), {}))
    if not specs:
        return []
    lines = ["| student | measure | " + " | ".join(specs) + " |", "|---|---|" + "---|" * len(specs)]
    for method, runs in signals.items():
        for key, label in (("varied", "groups with signal"), ("group_std", "group std"),
                           ("corr_correct", "corr. with correct")):
            cells = [cell([s["specs"][spec].get(key) for s in runs if spec in s["specs"]]) for spec in specs]
            lines.append(f"| {method} | {label} | " + " | ".join(cells) + " |")
    return lines


# -- the results page -----------------------------------------------------------------------------

def write_results(results: Path, evals: dict[str, list[dict]], signals: dict[str, list[dict]], args,
                  wall: float | None) -> None:
    import platform

    import torch
    import trl
    import transformers

    acc_lines, numbers = accuracy_rows(evals)
    page = results.parent / "results.md"
    meta = json.loads((results / "meta.json").read_text()) if (results / "meta.json").exists() else {}
    if wall is not None:
        meta.update({"command": " ".join(sys.argv), "steps": args.steps, "seeds": args.seeds, "limit": args.limit,
                     "num_generations": args.num_generations, "signal_tasks": args.signal_tasks,
                     "generations": args.generations, "wall_hours": round(wall / 3600, 2),
                     "versions": {"python": platform.python_version(), "torch": torch.__version__,
                                  "transformers": transformers.__version__, "trl": trl.__version__},
                     "machine": f"{platform.machine()}, {torch.get_num_threads()} CPU threads"
                                + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"),
                     "date": time.strftime("%Y-%m-%d")})
        (results / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (results / "summary.json").write_text(json.dumps(numbers, indent=2) + "\n")
    reading = (results / "reading.md").read_text() if (results / "reading.md").exists() else "(not written yet)\n"
    setup = "\n".join(f"- {k.replace('_', ' ')}: `{v}`" if k == "command" else f"- {k.replace('_', ' ')}: {v}"
                      for k, v in meta.items())
    text = f"""# Results: does the teacher-guided reward make a better student?

Produced by `examples/compare/compare.py` (the command below); rebuilt from the small
result files in [results/](results/) with
`.venv/bin/python examples/compare/compare.py --report-only --results docs/results`.
Every number here was measured by that script; nothing was edited by hand but the reading.

## Setup

{setup}

Students are trained from the untrained embedded student (SmolLM2-135M-Instruct) on
`builtin:train`, each method with the same steps, generations, decoding and seeds. SFT
imitates the oracle teacher's trajectories (the training split's `completion`). Accuracy is
pooled over seeds (every task of every seed counts); the interval is the 95% Wilson score
interval of that pooled proportion. `±` is the standard deviation over seeds.

## Accuracy

{chr(10).join(acc_lines)}

## Tool use

{chr(10).join(behaviour_rows(evals))}

## Learning signal

GRPO learns only from groups whose rewards differ. Each student's own rollouts
({meta.get('signal_tasks', '?')} training tasks x {meta.get('generations', '?')} samples at the training temperature), scored
by every library spec (`mentor eval signal`):

{chr(10).join(signal_rows(signals)) or '(no signal measured)'}

## Plots

`mentor eval report` over every run ([report.html](results/report.html)):

![report](results/report.png)

## Reading

{reading}"""
    page.write_text(text)
    print(f"wrote {page}")


def load_all(out: Path, names: list[str], file: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for name in names:
        for run in sorted(out.glob(f"{name}-s*")) if name != "untrained" else [out / "untrained"]:
            path = run / file
            if path.exists():
                found.setdefault(name, []).append(json.loads(path.read_text()))
    return found


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
    parser.add_argument("--signal-tasks", type=int, default=16, help="tasks sampled for the learning signal (0: none)")
    parser.add_argument("--generations", type=int, default=8, help="samples per task for the learning signal")
    parser.add_argument("--save-steps", type=int, default=10, help="a checkpoint every N steps (resume point)")
    parser.add_argument("--keep-checkpoints", type=int, default=1,
                        help="checkpoints kept per run (about 1.6 GB each; 0: only the final model, and a run "
                             "can then neither resume nor be extended to more --steps)")
    parser.add_argument("--results", help="copy the small result files here and write the results page")
    parser.add_argument("--report-only", action="store_true", help="rebuild the results page from --results only")
    parser.add_argument("--tiny", action="store_true",
                        help="1 step, short prompts, 2 eval tasks, no checkpoints, no signal: a smoke run")
    args = parser.parse_args()

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s): {', '.join(unknown)}")
    names = ["untrained", *methods]
    if args.report_only:
        if not args.results:
            parser.error("--report-only needs --results")
        results = Path(args.results)
        runs = results / "runs"
        write_results(results, load_all(runs, names, "eval.json"), load_all(runs, names, "signal.json"), args, None)
        return 0

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data, eval_split, limit = args.data, args.split, args.limit
    train_extra = ["--num-generations", str(args.num_generations),
                   "--max-completion-length", str(args.max_completion_length)]
    eval_extra: list[str] = []
    steps, keep, save_steps, signal_tasks = args.steps, args.keep_checkpoints, args.save_steps, args.signal_tasks
    if args.tiny:
        data = tiny_data(out / "tiny_tasks.jsonl", 8)
        steps, eval_split, limit, keep, signal_tasks = 1, "in_domain", 2, 0, 0
        train_extra = ["--num-generations", "2", "--max-completion-length", "48"]
        eval_extra = ["--max-completion-length", "48"]

    def evaluate(model: str, run: Path, name: str) -> None:
        if not (run / "eval.json").exists():
            mentor("eval", "--model", model, "--split", eval_split, "--limit", str(limit), "--name", name,
                   "-o", str(run / "eval.json"), "-q", *eval_extra)
        if signal_tasks and not (run / "signal.json").exists():
            mentor("eval", "signal", "--model", model, "--tasks", data, "--limit", str(signal_tasks),
                   "--generations", str(args.generations), "-o", str(run / "signal.json"))

    def keep_small_files(name: str) -> None:
        # Copied as each run finishes, so an interrupted comparison still leaves its
        # finished runs' results where they can be committed.
        if args.results:
            target = Path(args.results) / "runs" / name
            target.mkdir(parents=True, exist_ok=True)
            for file in SMALL_FILES:
                if (out / name / file).exists():
                    shutil.copy2(out / name / file, target / file)

    start = out / "untrained"
    start.mkdir(exist_ok=True)
    evaluate("default", start, "untrained")
    keep_small_files("untrained")
    # Seeds outermost: a budget cut short still has every method at the first seeds.
    for seed in args.seeds:
        for method in methods:
            run = out / f"{method}-s{seed}"
            if not trained(run, steps):
                resume = ["--resume"] if checkpointed(run) else ["--overwrite"]
                mentor("train", *METHODS[method], "--data", data, "--max-steps", str(steps), "--seed", str(seed),
                       "--save-steps", str(min(save_steps, steps)), "--keep-checkpoints", str(keep),
                       "--output-dir", str(run), *resume, *train_extra)
            evaluate(str(run), run, f"{method}-s{seed}")
            keep_small_files(run.name)
    run_names = ["untrained"] + [f"{m}-s{s}" for m in methods for s in args.seeds]
    mentor("eval", "report", *(str(out / name / "eval.json") for name in run_names),
           "-o", str(out / "report.html"), "--title", f"mentor: {', '.join(methods)} at {steps} steps")
    evals = load_all(out, names, "eval.json")
    table, numbers = accuracy_rows(evals)
    header = (f"# Accuracy after {steps} steps, seeds {args.seeds}, eval split {eval_split}, "
              f"limit {limit or 'all'} per source\n\n")
    (out / "summary.md").write_text(header + "\n".join(table) + "\n")
    (out / "summary.json").write_text(json.dumps(numbers, indent=2) + "\n")
    print("\n" + header + "\n".join(table))
    print(f"report: {out / 'report.html'}")
    if args.results:
        results = Path(args.results)
        shutil.copy2(out / "report.html", results / "report.html")
        mentor("eval", "report", *(str(results / "runs" / name / "eval.json") for name in run_names),
               "-o", str(results / "report.png"), "--title", f"mentor: {', '.join(methods)} at {steps} steps")
        write_results(results, load_all(results / "runs", names, "eval.json"),
                      load_all(results / "runs", names, "signal.json"), args, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
