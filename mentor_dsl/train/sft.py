"""The SFT baseline: TRL's SFTTrainer on the teacher's trajectories.

The student learns to reproduce the teacher's completion token by token, in the same
prompt, chat layout and call format as the GRPO rollouts. Prompt tokens and tool
responses are excluded from the loss: the student should learn to call tools and use
their results, not to predict what a tool returns.

Teacher records hold the trajectory in mentor's record layout (Hermes call blocks,
`<tool_response>` blocks, the final text, then the records' end marker, `--eos`). It is
rewritten for the student: the record's end marker is dropped and the student's own
end-of-turn token ends each turn; a student whose chat template supports tools gets the
conversation rendered by that template (calls as `tool_calls`, results as `tool` turns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TrainingError
from ..formats.hermes import HERMES
from ..trajectory import DEFAULT_EOS
from .config import TrainConfig
from .session import METRICS, Session, StepTimer, _Finish

_RESPONSE = re.compile(r"<tool_response>\n?(.*?)\n?</tool_response>\n?", re.DOTALL)


def teacher_text(record: dict[str, Any]) -> str | None:
    """The teacher's completion: the record's `completion` text (built-in task sets and
    `mentor teach` write it)."""
    text = record.get("completion")
    return text if isinstance(text, str) and text.strip() else None


@dataclass(frozen=True)
class Segment:
    """A model turn of a recorded trajectory and the tool responses that followed it."""

    text: str
    responses: tuple[str, ...] = ()


def segments(completion: str, end_marker: str = DEFAULT_EOS) -> list[Segment]:
    """A record's completion (mentor's record layout) as model turns and responses; the
    record's end marker is dropped (the student's own end-of-turn token replaces it)."""
    if end_marker and completion.endswith(end_marker):
        completion = completion[: -len(end_marker)]
    out: list[Segment] = []
    position = 0
    text = ""
    responses: list[str] = []
    for match in _RESPONSE.finditer(completion):
        between = completion[position : match.start()]
        if between.strip() or not responses:
            if responses or text:
                out.append(Segment(text, tuple(responses)))
            text, responses = between, []
        responses.append(match.group(1))
        position = match.end()
    if responses:
        out.append(Segment(text, tuple(responses)))
        text = ""
    out.append(Segment(text + completion[position:]))
    return out


def tokenize_example(
    layout,
    prompt_text: str,
    completion: str,
    *,
    end_marker: str = DEFAULT_EOS,
    tools: Sequence[Any] = (),
    prompt_messages: list[dict] | None = None,
    call_format=HERMES,
) -> dict[str, list[int]]:
    """input_ids and labels (-100 outside the model's own tokens) of one teacher
    trajectory; `call_format` is the format its calls are written in (the record's)."""
    parts = segments(completion, end_marker)
    if layout.native and prompt_messages is not None:
        return _native_example(layout, prompt_messages, tools, parts, call_format)
    ids = layout.encode(prompt_text)
    labels = [-100] * len(ids)
    end = layout.end_text
    for k, part in enumerate(parts):
        own_text = part.text
        if k == len(parts) - 1 and end and not own_text.endswith(end):
            own_text += end
        own = layout.encode(own_text)
        ids += own
        labels += own
        if part.responses:
            env = layout.encode("".join(f"<tool_response>\n{r}\n</tool_response>\n" for r in part.responses))
            ids += env
            labels += [-100] * len(env)
    return {"input_ids": ids, "labels": labels}


def _native_example(
    layout, prompt: list[dict], tools: Sequence[Any], parts: list[Segment], call_format
) -> dict[str, list[int]]:
    """The conversation rendered by the student's chat template; the assistant turns are
    labelled, each through its end-of-turn token."""
    messages = list(prompt)
    spans: list[tuple[int, int]] = []
    for k, part in enumerate(parts):
        calls = call_format.parse(part.text) if part.responses else []
        content = _without_calls(part.text, calls).strip()
        message: dict[str, Any] = {"role": "assistant", "content": content}
        ids = [f"call{k:02d}{i:03d}" for i in range(len(part.responses))]
        if part.responses:
            message["tool_calls"] = [
                {
                    "id": ids[i],
                    "type": "function",
                    "function": {
                        "name": c.name or "unknown",
                        "arguments": c.arguments if isinstance(c.arguments, dict) else {},
                    },
                }
                for i, c in enumerate(calls[: len(part.responses)])
            ]
        before = layout.render(messages, tools)
        messages.append(message)
        after = _render_plain(layout, messages, tools)
        stop = after.find(layout.end_text, len(before)) if layout.end_text else -1
        spans.append((len(before), stop + len(layout.end_text) if stop >= 0 else len(after)))
        for i, response in enumerate(part.responses):
            name = message["tool_calls"][i]["function"]["name"] if i < len(message.get("tool_calls", [])) else "unknown"
            messages.append({"role": "tool", "tool_call_id": ids[i], "name": name, "content": response})
    text = _render_plain(layout, messages, tools)
    encoded = layout.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    labels = [
        token if any(a <= start and end <= b for a, b in spans) else -100
        for token, (start, end) in zip(encoded["input_ids"], encoded["offset_mapping"])
    ]
    return {"input_ids": list(encoded["input_ids"]), "labels": labels}


def _without_calls(text: str, calls) -> str:
    """A turn's text with its call blocks removed (the template writes the calls)."""
    for call in calls:
        if call.raw and call.raw in text:
            text = text.replace(call.raw, "")
    return re.sub(r"<tool_call>\s*</tool_call>\s*", "", text)


def _render_plain(layout, messages: list[dict], tools: Sequence[Any]) -> str:
    from ..rollouts.layout import tool_schema

    return layout.tokenizer.apply_chat_template(messages, tools=[tool_schema(t) for t in tools], tokenize=False)


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
        if "tokens/shared_prefix" in logs:
            row["tokens/shared_prefix"] = logs["tokens/shared_prefix"]
        self.session.metrics.append(row)
        if not state.is_world_process_zero:
            return
        with open(self.session.out / METRICS, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        self.session.progress.update(row, state.max_steps)


#: The inputs the shared-prefix forward understands; a batch with anything else (images,
#: packed sequences' position ids) takes TRL's own forward.
_SHAREABLE = frozenset({"input_ids", "attention_mask", "labels", "use_cache", "fused_lm_head"})


class _SharedPrefixCall:
    """The model as TRL's `compute_loss` calls it, with the batch's shared prefix computed
    once (`prefix.forward_with_shared_prefix`). A batch of teacher trajectories shares its
    system prompt and tool list, most of every sequence. TRL keeps its loss, its token
    counts and its metrics: they are sums over the supervised tokens, which this forward
    scores exactly as the plain one does."""

    def __init__(self, model, trainer):
        self.model, self.trainer = model, trainer

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def __call__(self, **inputs):
        from .prefix import MIN_SHARED, forward_with_shared_prefix, sequence_prefix

        if (
            inputs.get("fused_lm_head")
            and "attention_mask" in inputs
            and "labels" in inputs
            and set(inputs) <= _SHAREABLE
        ):
            ids, mask, labels = inputs["input_ids"], inputs["attention_mask"], inputs["labels"]
            shared = sequence_prefix(ids, mask, labels)
            if shared >= MIN_SHARED:
                self.trainer.shared_tokens += shared * (ids.size(0) - 1)
                return forward_with_shared_prefix(self.model, ids, mask, labels, shared)
        return self.model(**inputs)


def make_sft_trainer_class(base, *, shared_prefix_forward: bool = True):
    """A subclass of TRL's SFTTrainer (`base`) whose loss forward computes the prompt prefix
    a batch shares once, when `shared_prefix_forward` (`--shared-prefix`) and nothing rules
    it out (gradient checkpointing, MoE auxiliary losses, a custom loss or label smoothing,
    which need TRL's own forward)."""

    class MentorSFTTrainer(base):
        shared_tokens = 0  # prompt tokens the loss's forwards did not recompute

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            from ..models import base_model

            plain = (
                not shared_prefix_forward
                or self.aux_loss_enabled
                or self.compute_loss_func is not None
                or self.label_smoother is not None
                or self.args.loss_type not in ("nll", "dft")  # per-token losses over the same tokens
                or getattr(base_model(model), "is_gradient_checkpointing", False)
            )
            if not plain:
                model = _SharedPrefixCall(model, self)
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            # A training step's log carries the prompt tokens its forwards did not recompute.
            if "loss" in logs and self.model.training:
                logs["tokens/shared_prefix"], self.shared_tokens = self.shared_tokens, 0
            super().log(logs, start_time)

    MentorSFTTrainer.__qualname__ = MentorSFTTrainer.__name__ = f"Mentor{base.__name__}"
    return MentorSFTTrainer


def sft_arguments(config: TrainConfig, model_kwargs: dict[str, Any]):
    """SFTConfig for a run, from its options and the model's `from_pretrained` arguments.
    The examples are tokenized here, so TRL truncates nothing (`max_length` None)."""
    from trl import SFTConfig

    from .trl_options import trl_arguments

    return trl_arguments(SFTConfig, config, model_kwargs, max_length=None)


def train_sft(config: TrainConfig) -> Path:
    from datasets import Dataset
    from trl import SFTTrainer

    from ..fewshot import record_examples

    if config.save_rollouts:
        raise TrainingError("--save-rollouts writes the rollouts of GRPO steps; SFT makes none")
    session = Session(config, needs_reward=False)
    layout = session.layout
    examples = []
    for record, tools in zip(session.records, session.tools):
        text = teacher_text(record)
        if text is None:
            continue
        fmt = session.registry.get("formats", record.get("format") or "hermes") or HERMES
        examples.append(
            tokenize_example(
                layout,
                layout.prompt_text(record["prompt"], tools, examples=record_examples(record)),
                text,
                tools=tools,
                prompt_messages=layout.messages(record["prompt"], tools),
                call_format=fmt,
            )
        )
    if not examples:
        raise TrainingError(
            f"no record of {config.data!r} has a teacher completion to imitate "
            "(the `completion` field); built-in splits and `mentor teach` output have one"
        )
    args = sft_arguments(config, session.model_kwargs)
    trainer = make_sft_trainer_class(SFTTrainer, shared_prefix_forward=config.shared_prefix)(
        model=session.model_id,
        args=args,
        train_dataset=Dataset.from_list(examples),
        processing_class=session.tokenizer,
        callbacks=[_LossMetrics(session), _Finish(session)],
        peft_config=session.peft_config(),
    )
    return session.run(trainer)
