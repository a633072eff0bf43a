"""The multi-turn rollout loop: generate, run the calls, append the results, repeat.

One completion is the whole conversation after the prompt. Its tokens are the model's
(`env_mask` 1, trained) and the environment's (`env_mask` 0: tool responses and, in the
native chat layout, the template's turn headers around them):

    <tool_call>{"name": "multiply", ...}</tool_call>        model
    <tool_response>56</tool_response>                      environment
    The answer is \\boxed{56}.<end of turn>                 model

Each turn every active row generates until it ends its turn (an end-of-turn token) or,
in the inline layout, closes a call (the format's closing tag). The calls of every row are
parsed with the layout's call format and run together through the sandboxed executor;
the results are appended as token ids (the model's tokens are never re-tokenized), up to
`max_turns` model turns and `max_completion_length` tokens of model and tool text.

The loop is backend-agnostic: training (TRL's `rollout_func`), evaluation and the `hf`
teacher all drive it, with `hf.HFGenerator` (transformers, KV cache kept across turns)
or `vllm.VLLMGenerator`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..calls import Call
from ..hookspecs import CallFormat
from ..tools.base import ToolResult
from .layout import ChatLayout

# Decoded tail of each row, in tokens, searched for the stop text: longer than any tag.
WINDOW = 16


@dataclass
class Rollout:
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    #: Sampling log-probabilities of the completion tokens (vLLM), 0.0 for tool tokens.
    logprobs: list[float] | None = None
    calls: int = 0
    failed_calls: int = 0
    turns: int = 0
    finished: bool = False
    done: bool = False
    #: (start, end) token offsets of each model turn in `completion_ids`.
    model_spans: list[tuple[int, int]] = field(default_factory=list)
    #: Each executed turn's calls and results, for records (teachers, evaluation).
    steps: list[tuple[list[Call], list[ToolResult]]] = field(default_factory=list)

    def add(self, ids: Sequence[int], *, from_model: bool, logprobs: Sequence[float] | None = None) -> None:
        if from_model:
            self.model_spans.append((len(self.completion_ids), len(self.completion_ids) + len(ids)))
        self.completion_ids.extend(ids)
        self.env_mask.extend([1 if from_model else 0] * len(ids))
        if logprobs is not None or self.logprobs is not None:
            if self.logprobs is None:
                self.logprobs = [0.0] * (len(self.completion_ids) - len(ids))
            self.logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))


@dataclass
class RolloutStats:
    """Totals since the last `take()`: what the metrics of a logged step report."""

    completions: int = 0
    calls: int = 0
    failed_calls: int = 0
    finished: int = 0
    model_tokens: int = 0
    generation_seconds: float = 0.0
    tool_seconds: float = 0.0

    def take(self) -> RolloutStats:
        snapshot = copy.copy(self)
        vars(self).update(vars(RolloutStats()))  # reset in place: the trainer holds this object
        return snapshot


@dataclass
class Generated:
    """One row's new tokens from one turn (and their sampling log-probs, when known)."""

    ids: list[int]
    logprobs: list[float] | None = None


class Generator(Protocol):
    """One turn of generation for a batch of rows (see hf.py and vllm.py).

    `start(prompts)` opens a batch whose rows are numbered by position; each `turn(rows,
    contexts, budgets)` generates for some of them, given each row's whole context so far
    (prompt and completion), and returns the new tokens per row (possibly past the row's
    real end: the loop cuts them). `close()` ends the batch."""

    def start(self, prompts: Sequence[Sequence[int]]) -> None: ...

    def turn(
        self, rows: Sequence[int], contexts: Sequence[Sequence[int]], budgets: Sequence[int]
    ) -> list[Generated]: ...

    def close(self) -> None: ...


def cut(new_ids: Sequence[int], tokenizer, end_ids: set[int] | frozenset[int], stop: str | None) -> tuple[int, str]:
    """How many tokens a row really produced in one turn, and why it stopped: "eos" (an
    end-of-turn token, kept), "call" (the stop text closed a call) or "length". Rows that
    stopped early are padded with pad_token_id, which can equal the EOS id: scan."""
    for k, token in enumerate(new_ids):
        if token in end_ids:
            return k + 1, "eos"
        if stop and stop in tokenizer.decode(new_ids[max(0, k + 1 - WINDOW) : k + 1]):
            return k + 1, "call"
    return len(new_ids), "length"


class ToolRollout:
    """Runs batches of multi-turn rollouts: `run(generator, prompt_ids, limit)`."""

    def __init__(self, executor, layout: ChatLayout, *, max_turns: int = 3):
        self.executor = executor
        self.layout = layout
        self.max_turns = max_turns
        self.stats = RolloutStats()

    @property
    def format(self) -> CallFormat:
        return self.layout.format

    def run(
        self,
        generator: Generator,
        prompt_ids: Sequence[Sequence[int]],
        max_completion_length: int,
        end_ids: set[int] | frozenset[int] | None = None,
    ) -> list[Rollout]:
        """Batched multi-turn generation: every active rollout advances one turn per loop."""
        tokenizer = self.layout.tokenizer
        ends = frozenset(end_ids or ()) | self.layout.end_ids
        stop = self.layout.stop_text
        rollouts = [Rollout(list(p)) for p in prompt_ids]
        generator.start([r.prompt_ids for r in rollouts])
        try:
            for turn in range(self.max_turns):
                active = [i for i, r in enumerate(rollouts) if not r.done]
                if not active:
                    break
                budgets = [max_completion_length - len(rollouts[i].completion_ids) for i in active]
                started = time.perf_counter()
                generated = generator.turn(
                    active, [rollouts[i].prompt_ids + rollouts[i].completion_ids for i in active], budgets
                )
                self.stats.generation_seconds += time.perf_counter() - started
                pending: list[tuple[Rollout, list[Call]]] = []
                last = turn == self.max_turns - 1
                for i, new, budget in zip(active, generated, budgets):
                    rollout = rollouts[i]
                    kept, reason = cut(new.ids, tokenizer, ends, stop)
                    if kept > budget:  # the batch decodes to the largest budget
                        kept, reason = budget, "length"
                    segment = new.ids[:kept]
                    rollout.add(
                        segment, from_model=True, logprobs=None if new.logprobs is None else new.logprobs[:kept]
                    )
                    rollout.turns += 1
                    if reason == "length":
                        rollout.done = True  # out of tokens: truncated
                        continue
                    calls = self._calls(tokenizer.decode(segment)) if (reason == "call" or self.layout.native) else []
                    if reason == "eos" and not calls:
                        rollout.finished = rollout.done = True
                    elif last:
                        rollout.done = True  # a call with no turn left to read its result: truncated
                    else:
                        pending.append((rollout, calls))
                self._run_tools(pending, max_completion_length)
        finally:
            generator.close()
        for r in rollouts:
            r.done = True
            self.stats.completions += 1
            self.stats.finished += r.finished
            self.stats.calls += r.calls
            self.stats.failed_calls += r.failed_calls
            self.stats.model_tokens += sum(r.env_mask)
        return rollouts

    def _calls(self, text: str) -> list[Call]:
        try:
            return self.format.parse(text)
        except Exception as exc:  # a plugin format must not stop training
            return [Call(None, None, text[-200:], f"format failed: {exc}")]

    def _run_tools(self, pending: list[tuple[Rollout, list[Call]]], limit: int) -> None:
        """Run the calls of every row of this turn in one batch, then append the responses."""
        runnable = [(c.name, c.arguments) for _, calls in pending for c in calls if c.well_formed]
        rows = [row for row, (_, calls) in enumerate(pending) for c in calls if c.well_formed]
        started = time.perf_counter()
        # Each row's turn is a group: the executor's call cap holds per rollout turn.
        results = iter(self.executor.run_many(runnable, groups=rows) if runnable else [])
        self.stats.tool_seconds += time.perf_counter() - started
        for rollout, calls in pending:
            outcomes = [
                next(results) if c.well_formed else ToolResult.failure(c.error or "not a tool call") for c in calls
            ]
            if not outcomes:  # a stop text without a parsable call: say so, let it continue
                outcomes = [ToolResult.failure("no tool call found before the closing tag")]
            rollout.calls += len(calls)
            rollout.failed_calls += sum(not o.ok for o in outcomes[: len(calls)])
            rollout.steps.append((list(calls), outcomes))
            ids = self.layout.response_ids(calls, outcomes)
            if len(rollout.completion_ids) + len(ids) >= limit:
                rollout.done = True  # no room for the response and an answer: truncated
                continue
            rollout.add(ids, from_model=False)


def model_text(rollout: Rollout, tokenizer) -> list[str]:
    """The text of each model turn, special tokens included (what the model wrote)."""
    return [tokenizer.decode(rollout.completion_ids[a:b], skip_special_tokens=False) for a, b in rollout.model_spans]


def completion_text(rollout: Rollout, tokenizer) -> str:
    return tokenizer.decode(rollout.completion_ids, skip_special_tokens=False)


def greedy_config(model, tokenizer, end_ids: set[int] | frozenset[int]):
    """A generation config for greedy decoding: the model's own, sampling knobs unset
    (transformers warns about them otherwise), stopping at every end-of-turn id."""
    config = copy.deepcopy(model.generation_config)
    config.do_sample = False
    config.num_beams = 1
    config.temperature = config.top_p = config.top_k = None
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = sorted(end_ids)
    return config


def as_generated(rows: Sequence[Sequence[int]]) -> list[Generated]:
    return [Generated(list(r)) for r in rows]


def record_text(rollout: Rollout, layout: ChatLayout, end_marker: str) -> str:
    """The completion in mentor's record layout, whatever the student's chat layout: the
    model's text, `<tool_response>` blocks after each turn that made calls, and
    `end_marker` (the records' `--eos`) when the rollout finished. So `mentor score`,
    the verifier and SFT read any student's trajectories the same way."""
    from ..formats.responses import render_response

    tokenizer = layout.tokenizer
    ends = layout.end_ids
    if not layout.native:
        ids = rollout.completion_ids
        if rollout.finished and ids and ids[-1] in ends:
            ids = ids[:-1]
        return tokenizer.decode(ids, skip_special_tokens=False) + (end_marker if rollout.finished else "")
    parts = []
    for k, (a, b) in enumerate(rollout.model_spans):
        ids = rollout.completion_ids[a:b]
        if ids and ids[-1] in ends:
            ids = ids[:-1]
        parts.append(tokenizer.decode(ids, skip_special_tokens=False))
        if k < len(rollout.steps) and k < len(rollout.model_spans) - 1:
            parts.append("\n" + "".join(render_response(r) for r in rollout.steps[k][1]))
    return "".join(parts) + (end_marker if rollout.finished else "")
