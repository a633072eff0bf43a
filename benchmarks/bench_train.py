"""Seconds per GRPO step, and the shares of the reward and the tools, in the same run as a
bare-TRL baseline.

    .venv/bin/python benchmarks/bench_train.py [--steps 3] [--reward mentor] [--data builtin:train]

Both runs use the same student, data, prompts, rollout function (so the same generation
and tool execution) and GRPO settings. They differ only in the reward:

- mentor: the compiled spec (`mentor_dsl.load(REWARD)`) with its metrics callback;
- baseline: a plain Python reward function doing the paper's computation per record
  (tests/paper_reference.py), what a user would write for bare TRL.

The first step of each run includes one-time warm-up (imports, first generation) and is
reported separately. On a GPU the same script compares the two on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def mentor_run(config) -> list[dict]:
    from mentor_dsl.train.grpo import build

    session, trainer = build(config)
    session.run(trainer)
    return session.metrics


def baseline_run(config) -> list[dict]:
    """The same trainer setup, but the reward is a plain function and nothing else is ours."""
    import paper_reference as ref
    from trl import GRPOTrainer
    from transformers import TrainerCallback

    from mentor_dsl.train.grpo import build

    session, built = build(config)
    eos = session.tokenizer.eos_token

    def paper_reward(completions, answer, teacher, finished, **kwargs):
        out = []
        for completion, gold, teach, done in zip(completions, answer, teacher, finished):
            text = completion[-1]["content"] if isinstance(completion, list) else completion
            tools = [c["name"] for c in json.loads(teach)["tool_calls"]]
            out.append(ref.mentor(text + (eos if done else ""), gold, tools))
        return out

    steps: list[dict] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            steps.append({"step": state.global_step, "time/step": time.perf_counter() - self.started})

    trainer = GRPOTrainer(model=session.model, reward_funcs=[paper_reward], args=built.args,
                          train_dataset=built.train_dataset, processing_class=session.tokenizer,
                          rollout_func=built.mentor_rollout, callbacks=[Timer()])
    trainer.train()
    session.executor.close()
    return steps


def summarise(name: str, rows: list[dict]) -> dict:
    later = rows[1:] or rows
    out = {"run": name, "first step (s)": rows[0]["time/step"],
           "later steps (s)": statistics.mean(r["time/step"] for r in later)}
    if "time/reward" in rows[0]:
        total = sum(r["time/step"] for r in later)
        out["reward share"] = sum(r["time/reward"] for r in later) / total
        out["tool share"] = sum(r["time/tools"] for r in later) / total
        out["generation share"] = sum(r["time/generation"] for r in later) / total
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--reward", default="mentor")
    parser.add_argument("--data", default="builtin:train")
    parser.add_argument("--num-generations", type=int, default=4)
    parser.add_argument("--max-completion-length", type=int, default=96)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()

    import torch

    from mentor_dsl.train.config import TrainConfig

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        def config(name):
            return TrainConfig(reward=args.reward, data=args.data, output_dir=str(Path(tmp) / name),
                               max_steps=args.steps, save_steps=10_000, num_generations=args.num_generations,
                               max_completion_length=args.max_completion_length, seed=0)

        results.append(summarise("mentor", mentor_run(config("mentor"))))
        if not args.skip_baseline:
            results.append(summarise("bare TRL + Python reward", baseline_run(config("baseline"))))
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({torch.get_num_threads()} threads)"
    print(f"\nGRPO steps on {device}: {args.steps} steps, {args.num_generations} generations, "
          f"{args.max_completion_length} tokens, reward {args.reward}, data {args.data}")
    for r in results:
        line = f"  {r['run']:26} first step {r['first step (s)']:6.1f} s   later steps {r['later steps (s)']:6.1f} s"
        if "reward share" in r:
            line += (f"   reward {100 * r['reward share']:.2f}%  tools {100 * r['tool share']:.2f}%"
                     f"  generation {100 * r['generation share']:.0f}%")
        print(line)
    if len(results) == 2:
        print(f"  mentor / bare TRL step time: {results[0]['later steps (s)'] / results[1]['later steps (s)']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
