"""The SFT baseline: TRL's SFTTrainer on the teacher's trajectories.

The student learns to reproduce the teacher's completion token by token, in the same
prompt and call format as the GRPO rollouts. Prompt tokens and `<tool_response>` blocks
are excluded from the loss: the student should learn to call tools and use their
results, not to predict what a tool returns.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import TrainingError
from .config import TrainConfig
from .session import METRICS, Session, StepTimer, _Finish, trainer_arguments

_RESPONSE = re.compile(r"<tool_response>.*?</tool_response>\n?", re.DOTALL)


def teacher_text(record: dict[str, Any]) -> str | None:
    """The teacher's completion: the record's `completion` text (built-in task sets and
    `mentor teach` write it)."""
    text = record.get("completion")
    return text if isinstance(text, str) and text.strip() else None


def tokenize_example(tokenizer, prompt_messages: list[dict], completion: str) -> dict[str, list[int]]:
    """input_ids and labels (-100 outside the model's own tokens)."""
    rendered = tokenizer.apply_chat_template(prompt_messages, add_generation_prompt=True, tokenize=True,
                                             return_dict=True)
    ids = list(rendered["input_ids"])
    labels = [-100] * len(ids)
    position = 0
    for match in _RESPONSE.finditer(completion):
        own = tokenizer(completion[position:match.start()], add_special_tokens=False)["input_ids"]
        tool = tokenizer(match.group(), add_special_tokens=False)["input_ids"]
        ids += own + tool
        labels += own + [-100] * len(tool)
        position = match.end()
    tail = completion[position:]
    if tokenizer.eos_token and not tail.endswith(tokenizer.eos_token):
        tail += tokenizer.eos_token
    own = tokenizer(tail, add_special_tokens=False)["input_ids"]
    ids += own
    labels += own
    return {"input_ids": ids, "labels": labels}


class _LossMetrics(StepTimer):
    """metrics.jsonl for SFT: the loss and the step time."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def on_log(self, args, state, control, logs=None, **kwargs):
        import json

        if not logs or "loss" not in logs:
            return
        row = {"step": state.global_step, "loss": logs["loss"], "time/step": self.take()}
        self.session.metrics.append(row)
        if not state.is_world_process_zero:
            return
        with open(self.session.out / METRICS, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        self.session.progress.update(row, state.max_steps)


def train_sft(config: TrainConfig) -> Path:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    session = Session(config, needs_reward=False)
    examples = []
    for record in session.records:
        text = teacher_text(record)
        if text is None:
            continue
        prompt = session.rows_for([record])[0]["prompt"]
        examples.append(tokenize_example(session.tokenizer, prompt, text))
    if not examples:
        raise TrainingError(f"no record of {config.data!r} has a teacher completion to imitate "
                            "(the `completion` field); built-in splits and `mentor teach` output have one")
    args = trainer_arguments(SFTConfig, config, max_length=None)
    trainer = SFTTrainer(
        model=session.model,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=session.tokenizer,
        callbacks=[_LossMetrics(session), _Finish(session)],
        peft_config=session.peft_config(),
    )
    return session.run(trainer)
