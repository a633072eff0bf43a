"""`mentor train --save-rollouts N`: what the student did, written to OUTPUT_DIR/rollouts.jsonl.

The first training step and every Nth after it (steps 1, N+1, 2N+1, ...) append one JSON
object per rollout of the step:

    {"step": 1, "id": "dates_train-00042", "prompt": "<|im_start|>system\\n...",
     "completion": "<tool_call>...</tool_call>\\n<tool_response>...</tool_response>\\n...",
     "finished": true,
     "turns": [{"text": "<tool_call>...</tool_call>",
                "calls": [{"name": "add_days", "arguments": {...}, "ok": true, "output": "2024-03-06"}]},
               {"text": "The answer is \\\\boxed{2024-03-06}.", "calls": []}],
     "reward": 0.72, "terms": {"finished": 1.0, "answer_correct": 1.0, ...}}

`prompt` is the rendered prompt text, `completion` the whole completion in mentor's
record layout (the model's text and the tool responses, as `mentor score` reads it),
`turns` the model's turns with the calls each made and what they returned (a failed
call has `ok: false`, `error` and `kind`), `reward` and `terms` what the reward gave it
(null for a term a guard skipped).

Like metrics.jsonl it is a run log, appended to as training goes (a step's rows at the end
of the step) and cut back to the checkpoint's step on `--resume`; it is not written through
`outputs.py`'s replace-at-the-end files, which would lose every step of a run that
crashes. In a run of several processes, each process's share of the batch is generated
and scored there; the main process writes its own share.

Trackers get the same rows as a table (`rollouts`), logged at the saved steps to the
wandb and trackio runs TRL logs to, as TRL's own completions table is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from .session import ROLLOUTS


class RolloutLog:
    """Collects a step's rollouts (from `TrainerRollout`) and their scores (from the
    reward's `on_score`), and writes them at the end of a saved step."""

    def __init__(self, out: Path | str, every: int, layout, *, eos: str = ""):
        if every < 1:
            raise ValueError("every must be at least 1")
        self.path = Path(out) / ROLLOUTS
        self.every = every
        self.layout = layout
        self.eos = eos
        self.pending: list[dict[str, Any]] = []
        self.scores: list[tuple[list[float], dict[str, list[float | None]], list | None]] = []
        #: The rows of the last saved step (what trackers were given).
        self.rows: list[dict[str, Any]] = []

    def saves(self, step: int) -> bool:
        """Whether training step `step` (1-based) is saved: 1, N+1, 2N+1, ..."""
        return step >= 1 and (step - 1) % self.every == 0

    # -- collecting ------------------------------------------------------------------------

    def rollouts(self, step: int, prompts: Sequence[str], rollouts: Sequence[Any]) -> None:
        """The rollouts of one generation batch of training step `step` (1-based)."""
        if not self.saves(step):
            return
        from ..rollouts.loop import record_text

        for prompt, rollout in zip(prompts, rollouts):
            self.pending.append(
                {
                    "step": step,
                    "id": None,  # from the dataset's `id` column, which reaches the reward
                    "prompt": prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False),
                    "completion": record_text(rollout, self.layout, self.eos),
                    "finished": bool(rollout.finished),
                    "turns": self._turns(rollout),
                }
            )

    def on_score(self, result, columns: dict[str, Any]) -> None:
        """`Reward.on_score`: the reward of one batch, in the order of its completions
        (TRL scores the rollouts in the order `rollouts` saw them)."""
        if not self.pending:
            return
        ids = columns.get("id")
        self.scores.append(
            (
                [float(r) for r in result.rewards],
                {k: [_plain(x) for x in values] for k, values in result.terms.items()},
                list(ids) if isinstance(ids, (list, tuple)) else None,
            )
        )

    def _turns(self, rollout) -> list[dict[str, Any]]:
        texts = self.layout.model_segments(rollout.completion_ids, rollout.model_spans)
        turns = []
        for k, text in enumerate(texts):
            calls = []
            if k < len(rollout.steps):
                made, results = rollout.steps[k]
                for n, result in enumerate(results):
                    call = made[n] if n < len(made) else None
                    entry: dict[str, Any] = {
                        "name": getattr(call, "name", None),
                        "arguments": getattr(call, "arguments", None),
                    }
                    entry.update(result.to_json())
                    calls.append(entry)
            turns.append({"text": text, "calls": calls})
        return turns

    # -- writing ---------------------------------------------------------------------------

    def end_step(self, step: int, *, main: bool = True, report_to: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Pair the step's rollouts with their scores and append them (main process only)."""
        rows, self.pending = self.pending, []
        scores, self.scores = self.scores, []
        if not rows:
            return []
        scored = [
            (reward, {k: v[i] for k, v in terms.items()}, ids[i] if ids else None)
            for rewards, terms, ids in scores
            for i, reward in enumerate(rewards)
        ]
        if len(scored) == len(rows):  # the reward scored exactly these completions, in order
            for row, (reward, terms, rid) in zip(rows, scored):
                row["id"] = rid
                row["reward"] = _plain(reward)
                row["terms"] = terms
        self.rows = rows
        if main:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows))
            log_table(rows, report_to)
        return rows

    def trim(self, step: int) -> None:
        """Keep the rows of steps up to `step` (a resumed run's checkpoint; 0: none)."""
        if not self.path.exists():
            return
        if step <= 0:
            self.path.unlink()
            return
        from ..outputs import write_text

        kept = [
            line
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        write_text(self.path, "".join(line + "\n" for line in kept))


class RolloutLogWriter(TrainerCallback):
    """Writes a `RolloutLog` at the end of each saved step; cuts it back on resume."""

    def __init__(self, log: RolloutLog):
        self.log = log

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:  # the trainer has loaded the checkpoint's state by now
            self.log.trim(state.global_step)

    def on_step_end(self, args, state, control, **kwargs):
        self.log.end_step(state.global_step, main=state.is_world_process_zero, report_to=args.report_to or ())


def _plain(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def table_columns(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The rows as the columns of a tracker table: step, id, prompt, completion, calls (as
    JSON), reward and one column per term."""
    keys = list(dict.fromkeys(k for row in rows for k in (row.get("terms") or {})))
    return {
        "step": [row["step"] for row in rows],
        "id": [row.get("id") for row in rows],
        "prompt": [row["prompt"] for row in rows],
        "completion": [row["completion"] for row in rows],
        "calls": [json.dumps([c for turn in row["turns"] for c in turn["calls"]], default=str) for row in rows],
        "reward": [row.get("reward") for row in rows],
        **{key: [(row.get("terms") or {}).get(key) for row in rows] for key in keys},
    }


def log_table(rows: Sequence[dict[str, Any]], report_to: Sequence[str]) -> None:
    """Log the rows as a `rollouts` table to the wandb and trackio runs that are open."""
    if not rows:
        return
    import sys

    backends = []
    wandb = sys.modules.get("wandb")
    if "wandb" in report_to and wandb is not None and getattr(wandb, "run", None) is not None:
        backends.append(wandb)
    trackio = sys.modules.get("trackio")
    if "trackio" in report_to and trackio is not None:
        backends.append(trackio)
    if not backends:
        return
    import pandas as pd

    frame = pd.DataFrame(table_columns(rows))
    for backend in backends:
        backend.log({"rollouts": backend.Table(dataframe=frame)})
