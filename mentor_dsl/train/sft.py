"""The SFT baseline: TRL's SFTTrainer on the teacher's trajectories.

The student learns to reproduce the teacher's completion token by token, in the same
prompt and call format as the GRPO rollouts. Prompt tokens and `<tool_response>` blocks
are excluded from the loss: the student should learn to call tools and use their
results, not to predict what a tool returns.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

from ..errors import TrainingError
from .config import TrainConfig
from .session import METRICS, Session, _callback_base, _Finish

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


class _LossMetrics(_callback_base()):
    def __init__(self, session: Session):
        self.session = session
        self.started = 0.0
        self.seconds = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds += time.perf_counter() - self.started

    def on_log(self, args, state, control, logs=None, **kwargs):
        import json

        if not logs or "loss" not in logs:
            return
        row = {"step": state.global_step, "loss": logs["loss"], "time/step": self.seconds}
        self.seconds = 0.0
        with open(self.session.out / METRICS, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        self.session.metrics.append(row)
        self.session.progress.update(row, state.max_steps)


def train_sft(config: TrainConfig) -> Path:
    import torch
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
    cuda = torch.cuda.is_available()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*checkpointing.*")
        args = _sft_args(SFTConfig, config, cuda, cuda and torch.cuda.is_bf16_supported())
    trainer = SFTTrainer(
        model=session.model,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=session.tokenizer,
        callbacks=[_LossMetrics(session), _Finish(session)],
        peft_config=session.peft_config(),
    )
    return session.run(trainer)


def _sft_args(SFTConfig, config: TrainConfig, cuda: bool, bf16: bool):
    return SFTConfig(
        output_dir=str(config.output_dir),
        max_steps=config.max_steps,
        per_device_train_batch_size=config.per_device_batch_size or config.num_generations,
        learning_rate=config.learning_rate,
        use_cpu=not cuda,
        bf16=bf16,
        gradient_checkpointing=False,
        report_to="none",
        logging_steps=config.logging_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=True,
        dataloader_num_workers=0,
        max_length=None,
        **config.extra,
    )
