"""A multi-turn rollout's generation cost against one uninterrupted generation.

    .venv/bin/python benchmarks/bench_rollout.py [--rows 4] [--turn 32] [--tool 24] [--repeats 3]

The embedded student, a real training prompt (the 12 math tool schemas), `--rows`
completions of it. Three ways to produce the same completion length:

- single: one uninterrupted `generate` of 3 x turn + 2 x tool tokens;
- mentor, 1 turn: the same uninterrupted generation through `HFGenerator` (the prompt
  prefilled once for the rows), the like-for-like baseline of the 3-turn rollout;
- mentor: a 3-turn rollout with `rollouts.hf.HFGenerator` (the prompt prefilled once for
  the rows, each row's cache kept across turns, only the tool tokens prefilled between
  turns), `--tool` tokens appended after each of the first two turns;
- mentor, plain decode: the same, with `fast_decode=False` (transformers' concatenating
  cache and PyTorch's default linear layers), to show what the decode kernels add;
- re-prefill: the same 3 turns, each a fresh `generate` over the whole conversation.

Every turn generates exactly `--turn` tokens (EOS is suppressed by min_new_tokens), so all
do the same work apart from what each recomputes. Printed: seconds (best of `--repeats`),
the ratio to `single`, and the 3-turn rollout's ratio to the 1-turn one (goal <= 1.2x).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--turn", type=int, default=32)
    parser.add_argument("--tool", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from mentor_dsl.data import resolve_data
    from mentor_dsl.models import load_model, resolve_model
    from mentor_dsl.plugins import registry
    from mentor_dsl.rollouts.hf import HFGenerator
    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.rollouts.loop import greedy_config
    from mentor_dsl.toolsets import resolve_tools

    model, tokenizer = load_model(resolve_model("default"), dtype="float32")
    layout = ChatLayout.for_tokenizer(tokenizer, registry(), generation_config=model.generation_config)
    record = resolve_data("builtin:train", 1)[0]
    prompt = layout.encode(layout.prompt_text(record["prompt"], resolve_tools(record["tools"], registry())))
    tool = layout.encode("\n<tool_response>\n" + "1234567 " * 40)[: args.tool]
    config = greedy_config(model, tokenizer, layout.end_ids)
    config.min_new_tokens = args.turn
    total = 3 * args.turn + 2 * args.tool

    def single():
        one = copy.deepcopy(config)
        one.min_new_tokens = one.max_new_tokens = total
        ids = torch.tensor([prompt] * args.rows)
        with torch.no_grad():
            model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=one)

    def mentor_single():
        one = copy.deepcopy(config)
        one.min_new_tokens = total
        generator = HFGenerator(model, tokenizer, one, None)
        contexts = [list(prompt) for _ in range(args.rows)]
        generator.start(contexts)
        generator.turn(range(args.rows), contexts, [total] * args.rows)
        generator.close()

    def turns(generator, fresh: bool):
        contexts = [list(prompt) for _ in range(args.rows)]
        generator.start(contexts)
        for turn in range(3):
            if fresh:
                generator.close()
                generator.start(contexts)
            out = generator.turn(range(args.rows), contexts, [args.turn] * args.rows)
            for context, new in zip(contexts, out):
                context.extend(new.ids[: args.turn])
                if turn < 2:
                    context.extend(tool)
        generator.close()

    def mentor():
        turns(HFGenerator(model, tokenizer, config, None), fresh=False)

    def plain_decode():
        turns(HFGenerator(model, tokenizer, config, None, fast_decode=False), fresh=False)

    def reprefill():
        turns(HFGenerator(model, tokenizer, config, None, min_prefix=10**9, fast_decode=False), fresh=True)

    results = {}
    runs = (
        ("single", single),
        ("mentor, 1 turn", mentor_single),
        ("mentor", mentor),
        ("mentor, plain decode", plain_decode),
        ("re-prefill", reprefill),
    )
    for name, fn in runs:
        fn()  # warm-up
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        results[name] = min(times)
    print(f"{args.rows} rows, a {len(prompt)}-token prompt, {total} completion tokens "
          f"(3 turns of {args.turn}, {args.tool} tool tokens after the first two), "
          f"CPU {torch.get_num_threads()} threads:")
    for name, seconds in results.items():
        print(f"  {name:21} {seconds:6.2f} s   {seconds / results['single']:.2f}x single")
    print(f"mentor's 3 turns against its own 1 turn: {results['mentor'] / results['mentor, 1 turn']:.2f}x (goal <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
