"""Learning signal: what each reward gives GRPO to learn from, on a student's own samples.

GRPO's advantage is a completion's reward minus its group's mean: a group whose
completions all score the same teaches nothing. `measure` samples G rollouts of each of N
tasks (the training rollouts: tools really run, the training temperature), scores every
rollout with every reward spec, and reports per spec:

- `varied`: the fraction of groups whose rewards are not all equal (groups that give a
  gradient at all);
- `group_std`: the mean within-group standard deviation (the size of the advantages
  before normalisation);
- `corr_correct`: the Pearson correlation, over all rollouts, of the reward with
  `answer_correct` (does the signal point at the outcome?); None when either is constant.

    from mentor_dsl.evaluation.signal import measure
    table = measure("runs/f1/model", tasks="builtin:train", limit=16, generations=8)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

#: The library specs measured by default: every one that scores the built-in tasks.
DEFAULT_SPECS = (
    "sparse",
    "strict",
    "mentor",
    "mentor_f1",
    "mentor_overlap",
    "mentor_nomatch",
    "mentor_robust",
    "mentor_args",
    "toolrl",
    "tool_n1",
)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy)


def group_stats(rewards: Sequence[float], groups: Sequence[int], correct: Sequence[float]) -> dict[str, Any]:
    """The three numbers of the module docstring for one spec's rewards."""
    by_group: dict[int, list[float]] = {}
    for value, group in zip(rewards, groups):
        by_group.setdefault(group, []).append(value)
    stds = [statistics.pstdev(v) for v in by_group.values() if len(v) > 1]
    return {
        "varied": sum(s > 0 for s in stds) / len(stds) if stds else None,
        "group_std": statistics.fmean(stds) if stds else None,
        "corr_correct": pearson(list(rewards), list(correct)),
        "mean": statistics.fmean(rewards) if rewards else None,
    }


def score_groups(
    rows: Sequence[dict[str, Any]], groups: Sequence[int], specs: Sequence[str] = DEFAULT_SPECS, executor=None
) -> dict[str, dict[str, Any]]:
    """Score trajectory rows (records) with each spec; rows a spec cannot score are left
    out of that spec's numbers."""
    from ..reward import load

    accuracy = load("sparse")  # the same answer_correct(judge="math") the specs use
    correct_all = [float(v) for v in accuracy.score(list(rows), on_error="skip").terms["answer_correct"]]
    out: dict[str, dict[str, Any]] = {}
    for name in specs:
        reward = load(name)
        if executor is not None:
            reward.use_executor(executor)
        result = reward.score(list(rows), on_error="skip")
        keep = [i for i in range(len(rows)) if i not in result.errors and math.isfinite(float(result.rewards[i]))]
        correct = [0.0 if math.isnan(correct_all[i]) else correct_all[i] for i in keep]
        stats = group_stats([float(result.rewards[i]) for i in keep], [groups[i] for i in keep], correct)
        stats["scored"] = len(keep)
        out[name] = stats
    return out


def measure(
    model: str = "default",
    *,
    tasks: str = "builtin:train",
    limit: int = 16,
    generations: int = 8,
    temperature: float = 0.7,
    max_turns: int = 3,
    max_completion_length: int = 96,
    batch_size: int = 8,
    seed: int = 0,
    specs: Sequence[str] = DEFAULT_SPECS,
    progress: bool = False,
) -> dict[str, Any]:
    """Sample `generations` rollouts of the first `limit` tasks and measure every spec.
    `progress`: show the sampling's progress on stderr (the shared display)."""
    import copy

    import torch
    from transformers import set_seed

    from ..data import resolve_data
    from ..display import Progress
    from ..models import load_model, resolve_model
    from ..plugins import registry as get_registry
    from ..rollouts.hf import HFGenerator
    from ..rollouts.layout import ChatLayout
    from ..rollouts.loop import ToolRollout, record_text
    from ..tools.executor import Executor
    from ..toolsets import executable, resolve_tools
    from ..trajectory import DEFAULT_EOS

    set_seed(seed)
    registry = get_registry()
    records = resolve_data(tasks, limit)
    shown = Progress("signal", len(records), unit="task", enabled=progress)
    # Said at once: loading the model and sampling the first batch take a while.
    shown.note(f"signal: {generations} rollouts of each of {len(records)} tasks; loading {model}")
    model_, tokenizer = load_model(resolve_model(model), dtype="float32")
    layout = ChatLayout.for_tokenizer(tokenizer, registry, generation_config=model_.generation_config)
    config = copy.deepcopy(model_.generation_config)
    config.do_sample, config.temperature, config.top_p, config.top_k = True, temperature, 1.0, None
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = sorted(layout.end_ids)
    offered = [resolve_tools(r.get("tools"), registry) for r in records]
    rows: list[dict[str, Any]] = []
    groups: list[int] = []
    with Executor(executable([t for ts in offered for t in ts], registry)) as executor, shown:
        loop = ToolRollout(executor, layout, max_turns=max_turns)
        generator = HFGenerator(model_, tokenizer, config, layout.stop_text)
        per_batch = max(1, batch_size // generations)
        for start in range(0, len(records), per_batch):
            batch = list(range(start, min(start + per_batch, len(records))))
            prompts = [
                layout.encode(layout.prompt_text(records[i]["prompt"], offered[i]))
                for i in batch
                for _ in range(generations)
            ]
            with torch.no_grad():
                done = loop.run(generator, prompts, max_completion_length)
            for k, rollout in enumerate(done):
                i = batch[k // generations]
                record = records[i]
                rows.append(
                    {
                        "id": f"{record.get('id', i)}#{k % generations}",
                        "prompt": record["prompt"],
                        "completion": record_text(rollout, layout, DEFAULT_EOS),
                        "finished": rollout.finished,
                        "answer": record.get("answer"),
                        "teacher": record.get("teacher"),
                        "tools": [t.name for t in offered[i]],
                        "format": layout.format.name,
                    }
                )
                groups.append(i)
            shown.advance(len(batch))
        shown.update(note=f"scoring with {len(specs)} specs")
        table = score_groups(rows, groups, specs, executor)
    return {
        "model": str(model),
        "tasks": tasks,
        "limit": limit,
        "generations": generations,
        "temperature": temperature,
        "seed": seed,
        "rollouts": len(rows),
        "specs": table,
    }
