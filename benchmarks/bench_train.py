"""GRPO step time: mentor's trainer against bare TRL's, in the same run.

    .venv/bin/python benchmarks/bench_train.py [--steps 4] [--tools 4 12 40]

For each prompt size (records offering 4, 12 (the default data) or 40 tools), two runs on
the same student, data, seed, rollout loop and reward:

- mentor: `mentor train`'s trainer: the shared-prefix forward (train/prefix.py) and the
  cached generator (rollouts/hf.py: the prompt prefilled once per group, the cache kept
  across turns);
- bare TRL: TRL's GRPOTrainer as it is (every completion's forward runs its whole prompt)
  and generation the way `model.generate` is normally driven (every turn re-runs the whole
  conversation). Both runs time their phases with the same clock.

Printed per run: seconds per step (the median of the steps after the first, which pays
the warm-up), forward/backward tokens per second (the batch's real tokens over the
loss's forward and backward time), generated tokens per second, and each phase's share;
then the ratio of the step times. Then the FLOPs of one default step and this machine's
measured matmul throughput, to show how far a step is from the limit.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

PHASES = ("generation", "tools", "reward", "forward_backward", "optimizer", "other")


class RePrefill:
    """The usual way to drive `model.generate` turn by turn: every turn is a fresh,
    left-padded batch of the whole conversation so far (no cache kept, no prefix shared)."""

    def __init__(self, model, tokenizer, config, stop):
        from mentor_dsl.rollouts.hf import HFGenerator

        # An HFGenerator with sharing switched off: no shared prefix, a fresh start (so a
        # full prefill) at every turn, and transformers' own cache and linear layers.
        self.inner = HFGenerator(model, tokenizer, config, stop, min_prefix=10**9, fast_decode=False)

    def start(self, prompts):
        pass

    def close(self):
        self.inner.close()

    def turn(self, rows, contexts, budgets):
        self.inner.start(contexts)
        try:
            return self.inner.turn(list(range(len(contexts))), contexts, budgets)
        finally:
            self.inner.close()


def records_with_tools(n: int, count: int) -> list[dict]:
    """Built-in training tasks offering `n` tools: the default 12 math tools, cut to `n`
    (the task's own tools first), or extended with the science plugin's tools."""
    from mentor_dsl.data import resolve_data
    from mentor_dsl.plugins import registry

    records = resolve_data("builtin:train", count)
    extra = [t for t in sorted(registry().tools) if t not in records[0]["tools"] and t != "python"]
    out = []
    for r in records:
        own = [c["name"] for c in r["teacher"]["tool_calls"]]
        tools = list(dict.fromkeys(own + r["tools"] + extra))[:max(n, len(set(own)))]
        out.append({**r, "tools": tools})
    return out


def run(name: str, config, *, mentor: bool) -> dict:
    from mentor_dsl.train.grpo import build

    cfg = copy.deepcopy(config)
    cfg.shared_prefix = mentor
    session, trainer = build(cfg)
    if not mentor:  # generation as bare TRL would drive model.generate
        trainer.mentor_rollout.generator = RePrefill
    session.run(trainer)
    rows = session.metrics
    prompt_tokens = len(session.layout.encode(session.rows_for(session.records[:1])[0]["prompt"]))
    later = rows[1:] or rows
    step = statistics.median(r["time/step"] for r in later)
    total = sum(r["time/step"] for r in later)
    out = {"run": name, "step": step, "first": rows[0]["time/step"], "prompt_tokens": prompt_tokens,
           "fb_tokens_s": sum(r["tokens/forward"] for r in later) / max(sum(r["time/forward_backward"] for r in later), 1e-9),
           "gen_tokens": sum(r["completion_length"] for r in later)}
    for phase in PHASES:
        out[phase] = sum(r[f"time/{phase}"] for r in later) / total
    gen_s = sum(r["time/generation"] for r in later)
    out["gen_tokens_s"] = sum(r["completion_length"] * cfg.num_generations for r in later) / max(gen_s, 1e-9)
    out["completion_length"] = statistics.mean(r["completion_length"] for r in later)
    return out


def matmul_gflops() -> float:
    import torch

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    started, n = time.perf_counter(), 20
    for _ in range(n):
        a @ b
    return n * 2 * 1024 ** 3 / (time.perf_counter() - started) / 1e9


def step_flops(params: int, prompt: int, completion: float, generations: int) -> dict[str, float]:
    """Matmul FLOPs of one step (2 per parameter per token forward, 4 more backward)."""
    full = generations * (prompt + completion)
    shared = prompt + generations * completion
    return {"bare TRL": 6 * params * full + 2 * params * full,
            "mentor": 6 * params * shared + 2 * params * shared}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--tools", type=int, nargs="+", default=[12])
    parser.add_argument("--num-generations", type=int, default=4)
    parser.add_argument("--max-completion-length", type=int, default=96)
    parser.add_argument("--runs", nargs="+", choices=["bare", "mentor"], default=["bare", "mentor"],
                        help="which runs (bare TRL at 40 tools needs more than 24 GiB of memory)")
    args = parser.parse_args()

    import torch

    from mentor_dsl.data import save_jsonl
    from mentor_dsl.train.config import TrainConfig

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    print(f"GRPO steps on {device}: {args.steps} steps, {args.num_generations} generations, "
          f"{args.max_completion_length} tokens, 3 turns, reward mentor, {time.strftime('%Y-%m-%d')}")
    prompt_tokens = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.tools:
            data = Path(tmp) / f"tools{n}.jsonl"
            save_jsonl(records_with_tools(n, args.steps), data)
            config = TrainConfig(data=str(data), output_dir=str(Path(tmp) / f"run{n}"), max_steps=args.steps,
                                 num_generations=args.num_generations, keep_checkpoints=0, save_steps=10_000,
                                 max_completion_length=args.max_completion_length, seed=0)
            results = []
            for name, mentor in (("bare TRL", False), ("mentor", True)):
                if ("mentor" if mentor else "bare") not in args.runs:
                    continue
                config.output_dir = str(Path(tmp) / f"run{n}-{mentor}")
                results.append(run(name, config, mentor=mentor))
            prompt_tokens[n] = results[-1]["prompt_tokens"]
            print(f"\n{n} tools in the prompt ({prompt_tokens[n]} prompt tokens):")
            print(f"  {'run':9} {'s/step':>7} {'first':>6} {'fwd+bwd tok/s':>14} {'gen tok/s':>10} {'completion':>10}  "
                  + "  ".join(f"{p:>8.8}" for p in PHASES))
            for r in results:
                print(f"  {r['run']:9} {r['step']:7.1f} {r['first']:6.1f} {r['fb_tokens_s']:14.0f} "
                      f"{r['gen_tokens_s']:10.1f} {r['completion_length']:10.1f}  "
                      + "  ".join(f"{100 * r[p]:7.1f}%" for p in PHASES))
            if len(results) == 2:
                print(f"  bare TRL / mentor step time: {results[0]['step'] / results[1]['step']:.2f}x")
    from mentor_dsl.models import load_model, resolve_model

    model, _ = load_model(resolve_model("default"), dtype="float32")
    params = sum(p.numel() for p in model.parameters())
    default = prompt_tokens.get(12) or next(iter(prompt_tokens.values()))
    flops = step_flops(params, default, args.max_completion_length / 2, args.num_generations)
    gflops = matmul_gflops()
    print(f"\nOne default step, {default} prompt tokens, ~{args.max_completion_length // 2} completion tokens x "
          f"{args.num_generations}: {flops['bare TRL'] / 1e12:.2f} TFLOP without sharing, "
          f"{flops['mentor'] / 1e12:.2f} TFLOP with it; measured matmul throughput {gflops:.0f} GFLOP/s, "
          f"so at least {flops['mentor'] / gflops / 1e9:.1f} s a step at full speed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
