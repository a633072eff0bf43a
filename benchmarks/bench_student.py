"""The embedded student: conversion, loading and generation, against their baselines in
the same run.

    .venv/bin/python benchmarks/bench_student.py [--tokens 64] [--batch 4]

- conversion: the one-time GGUF -> plain model conversion, into a fresh cache directory;
- loading: the converted model (what every run does) against reading the GGUF file with
  transformers' `gguf_file=` (what a run would do without the cache);
- generation: greedy tokens per second for one sequence, and for a batch, whose ratio is
  what batching the GRPO group buys.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging

    from mentor_dsl import student

    logging.disable_progress_bar()

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MENTOR_CACHE"] = cache
        started = time.perf_counter()
        directory = student.default_student_dir()
        convert_s = time.perf_counter() - started

        load_s, (model, tokenizer) = timed(lambda: student.load_student(directory), args.repeats)
        source = student.gguf_path()
        gguf_s, _ = timed(lambda: AutoModelForCausalLM.from_pretrained(
            str(source.parent), gguf_file=source.name, dtype=torch.float32, local_files_only=True), args.repeats)

    prompt = [{"role": "user", "content": "What is 17 * 23? Use the multiply tool."}]
    ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, return_tensors="pt", return_dict=True)

    def generate(batch: int) -> int:
        inputs = {k: v.repeat(batch, 1) for k, v in ids.items()}
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=args.tokens, min_new_tokens=args.tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        return (out.shape[1] - inputs["input_ids"].shape[1]) * batch

    generate(1)  # warm-up
    one_s, one_n = timed(lambda: generate(1), args.repeats)
    many_s, many_n = timed(lambda: generate(args.batch), args.repeats)

    print(f"conversion (once)                 {convert_s:8.1f} s")
    print(f"load: converted model              {load_s:8.2f} s")
    print(f"load: GGUF file (baseline)         {gguf_s:8.2f} s   {gguf_s / load_s:5.1f}x slower")
    print(f"greedy generation, 1 sequence      {one_n / one_s:8.1f} tokens/s")
    print(f"greedy generation, batch of {args.batch:<2}     {many_n / many_s:8.1f} tokens/s "
          f"  {(many_n / many_s) / (one_n / one_s):5.1f}x the single sequence")
    return 0


if __name__ == "__main__":
    sys.exit(main())
