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
signal.json, mentor-run.json) to DIR/runs/, and writes DIR/summary.json, the results page
DIR/../results.md (tables with 95% confidence intervals, the learning-signal table, the
plots), into which the hand-written DIR/reading.md is placed, and its plots. Every plot is
drawn by `mentor eval report` from the run folders in DIR/runs/, the runs of a method pooled
over its seeds: DIR/report.html (every chart and table) and DIR/plots/NAME.png (each chart
on its own, as the page shows them). --report-only redraws both from DIR alone.
"""

from __future__ import annotations

import argparse
import json
import shlex
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
#: Runs are named METHOD-sSEED; `mentor eval report --seed-pattern` pools a method's seeds.
SEED_PATTERN = "-s[0-9]+$"
#: The plots of the results page, in its order: (chart name in `mentor eval report`, heading).
PLOTS = (("training", "Reward and each term per training step"),
         ("ood", "Out-of-domain accuracy per method"),
         ("similarity", "Accuracy against teacher similarity"),
         ("accuracy", "Accuracy per split"))


def mentor(*args: str) -> None:
    command = [sys.executable, "-m", "mentor_dsl", *args]
    print("$ " + shlex.join(["mentor", *args]), flush=True)
    subprocess.run(command, check=True)


def report_args(run_dirs: list[Path], title: str, *outputs: str) -> list[str]:
    """`mentor eval report` over run folders (eval.json and metrics.jsonl each), a method's
    seeds pooled."""
    return ["eval", "report", *map(str, run_dirs), "--seed-pattern", SEED_PATTERN, "--title", title, *outputs]


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

def cell(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def accuracy_rows(evals: dict[str, list[dict]]) -> tuple[list[str], dict]:
    """Markdown rows: accuracy per split, pooled over seeds (every task of every seed
    counts), with its 95% Wilson interval: the same pooling as the plots
    (`mentor_dsl.evaluation.methods.pool_entries`, what `mentor eval report --seed-pattern`
    draws)."""
    from mentor_dsl.evaluation.methods import pool_entries

    splits = [s for s in SPLIT_ORDER if any(s in ev["metrics"]["splits"] for runs in evals.values() for ev in runs)]
    lines = ["| method | seeds | " + " | ".join(f"{s} (95% CI)" for s in splits) + " |",
             "|---|---|" + "---|" * len(splits)]
    numbers: dict = {}
    for method, runs in evals.items():
        cells = []
        for split in splits:
            entries = [ev["metrics"]["splits"][split] for ev in runs if split in ev["metrics"]["splits"]]
            pooled = pool_entries(entries) if entries else None
            if not pooled or pooled["accuracy"] is None:
                cells.append("-")
                continue
            (lo, hi), accuracy, n = pooled["accuracy_ci"], pooled["accuracy"], pooled["n"]
            numbers.setdefault(method, {})[split] = {"accuracy": accuracy, "n": n, "ci95": [lo, hi],
                                                     "per_seed": [e["accuracy"] for e in entries]}
            cells.append(f"{accuracy:.3f} [{lo:.2f}, {hi:.2f}] (n={n})")
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

def draw_plots(results: Path, run_dirs: list[Path], title: str) -> tuple[str, dict[str, Path]]:
    """Draw the page's plots with `mentor eval report` from the run folders under
    DIR/runs/: DIR/report.html and DIR/plots/NAME.png. Returns the command and the plots
    drawn; a plot the runs have no data for (no OOD split evaluated, say) is not drawn, and
    an old file of that name is removed so the page never shows a stale one."""
    from mentor_dsl.evaluation.report import CHARTS

    plots = results / "plots"
    for name in CHARTS:
        (plots / f"{name}.png").unlink(missing_ok=True)
    args = report_args(run_dirs, title, "-o", str(results / "report.html"), "--charts-dir", str(plots))
    mentor(*args)
    return shlex.join(["mentor", *args]), {name: plots / f"{name}.png" for name in CHARTS
                                           if (plots / f"{name}.png").exists()}


def plots_section(results: Path, command: str, drawn: dict[str, Path]) -> str:
    from mentor_dsl.evaluation.report import CHARTS

    parts = [f"""Drawn by `mentor eval report` from the run folders in [results/runs/](results/runs/) (each
run's eval.json and training metrics.jsonl), the runs of a method pooled over its seeds:
accuracy counts every task of every seed, with the 95% Wilson interval of that pooled
proportion; training curves are the mean over seeds with their range shaded. The full
report, with every table and example trajectories, is [report.html](results/report.html).

```console
$ {command}
```"""]
    for name, heading in PLOTS:
        parts.append(f"### {heading}")
        if name in drawn:
            parts.append(f"![{heading}](results/{drawn[name].relative_to(results).as_posix()})")
        else:
            parts.append(f"(not drawn: no run has {CHARTS[name]})")
    return "\n\n".join(parts)


def write_results(results: Path, names: list[str], args, wall: float | None) -> None:
    """The results page from the run folders under DIR/runs/ (`names`: untrained and the
    methods); `wall`: the seconds this invocation took, None when only rebuilding. The
    page's wall time is the sum over the invocations that wrote it: a comparison spread
    over several sittings (or run as one process per seed) reports all of its time."""
    evals, signals = load_all(results / "runs", names, "eval.json"), load_all(results / "runs", names, "signal.json")
    acc_lines, numbers = accuracy_rows(evals)
    page = results.parent / "results.md"
    meta = json.loads((results / "meta.json").read_text()) if (results / "meta.json").exists() else {}
    if wall is not None:
        import platform

        import torch
        import trl
        import transformers

        meta.update({"command": " ".join(sys.argv), "steps": args.steps, "seeds": args.seeds, "limit": args.limit,
                     "num_generations": args.num_generations, "signal_tasks": args.signal_tasks,
                     "generations": args.generations,
                     "wall_hours": round(meta.get("wall_hours", 0) + wall / 3600, 2),
                     "versions": {"python": platform.python_version(), "torch": torch.__version__,
                                  "transformers": transformers.__version__, "trl": trl.__version__},
                     "machine": f"{platform.machine()}, {torch.get_num_threads()} CPU threads"
                                + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ", no GPU"),
                     "date": time.strftime("%Y-%m-%d")})
        (results / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (results / "summary.json").write_text(json.dumps(numbers, indent=2) + "\n")
    steps = meta.get("steps", args.steps)
    title = f"mentor: {', '.join(m for m in evals if m != 'untrained')} at {steps} steps"
    command, drawn = draw_plots(results, run_dirs(results / "runs", names), title)
    reading = (results / "reading.md").read_text() if (results / "reading.md").exists() else "(not written yet)\n"
    setup = "\n".join(f"- {k.replace('_', ' ')}: `{v}`" if k == "command" else f"- {k.replace('_', ' ')}: {v}"
                      for k, v in meta.items())
    # The rebuild command names the methods when their order is not the default one, so
    # the rebuilt page lists them in the same order.
    methods = names[1:]
    rebuild = ".venv/bin/python examples/compare/compare.py --report-only --results docs/results" + (
        "" if methods == list(METHODS) else f" --methods {','.join(methods)}")
    text = f"""# Results: does the teacher-guided reward make a better student?

Produced by `examples/compare/compare.py` (the command below); rebuilt from the small
result files in [results/](results/) with
`{rebuild}`.
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
({meta.get('signal_tasks', '?')} training tasks x {meta.get('generations', '?')} samples at the training
temperature), scored by every library spec (`mentor eval signal`):

{chr(10).join(signal_rows(signals)) or '(no signal measured)'}

## Plots

{plots_section(results, command, drawn)}

## Reading

{reading}"""
    page.write_text(text)
    print(f"wrote {page}")


def run_dirs(root: Path, names: list[str]) -> list[Path]:
    """The run folders of `names` under root, in that order: untrained, then METHOD-sSEED."""
    found: list[Path] = []
    for name in names:
        found += sorted(root.glob(f"{name}-s*")) if name != "untrained" else [root / "untrained"]
    return [run for run in found if run.is_dir()]


def load_all(out: Path, names: list[str], file: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for run in run_dirs(out, names):
        name = "untrained" if run.name == "untrained" else run.name.rsplit("-s", 1)[0]
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
        write_results(Path(args.results), names, args, None)
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
                # A run trained further (a larger --steps) is a new student: its old
                # evaluation and signal measured the one before.
                for stale in ("eval.json", "signal.json"):
                    (run / stale).unlink(missing_ok=True)
                resume = ["--resume"] if checkpointed(run) else ["--overwrite"]
                mentor("train", *METHODS[method], "--data", data, "--max-steps", str(steps), "--seed", str(seed),
                       "--save-steps", str(min(save_steps, steps)), "--keep-checkpoints", str(keep),
                       "--output-dir", str(run), *resume, *train_extra)
            evaluate(str(run), run, f"{method}-s{seed}")
            keep_small_files(run.name)
    run_names = ["untrained"] + [f"{m}-s{s}" for m in methods for s in args.seeds]
    mentor(*report_args([out / name for name in run_names], f"mentor: {', '.join(methods)} at {steps} steps",
                        "-o", str(out / "report.html")))
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
        write_results(results, names, args, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
