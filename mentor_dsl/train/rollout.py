"""Multi-turn rollouts with tools, as a TRL `rollout_func`.

One completion is a whole conversation with the tools inside one assistant message:

    <tool_call>{"name": "multiply", ...}</tool_call>        model tokens (trained)
    <tool_response>56</tool_response>                      tool tokens (env_mask 0: no loss)
    The answer is \\boxed{56}.<|im_end|>                   model tokens (trained)

Each turn the student generates until it closes a tool call (the format's `stop_text`) or
ends with EOS. The calls of every row in the batch are parsed with the spec's call format
and run together through the sandboxed executor; the responses are appended as token ids
(the model's own tokens are never re-tokenized) and generation continues, up to
`max_turns` model turns and `max_completion_length` tokens (model and tool tokens).

Why `rollout_func` and not TRL's `tools=`: SmolLM2's chat template has no tool support,
so TRL refuses it; and TRL runs tools in-process with no timeout, ends a turn only at EOS
(so a student that imagines its own `<tool_response>` is trained on it), and cannot use
mentor's JSON-Schema tools. With `rollout_func` TRL still does rewards, advantages, the
loss (masked by `env_mask`), the optimiser and logging.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

from ..calls import Call
from ..errors import TrainingError
from ..formats.responses import render_response
from ..tools.base import ToolResult
from ..views import model_segments

# Decoded tail of each row, in tokens, searched for the stop text: longer than any tag.
_WINDOW = 16


@dataclass
class Rollout:
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    calls: int = 0
    failed_calls: int = 0
    turns: int = 0
    finished: bool = False
    done: bool = False

    def add(self, ids: Sequence[int], *, from_model: bool) -> None:
        self.completion_ids.extend(ids)
        self.env_mask.extend([1 if from_model else 0] * len(ids))


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

    def take(self) -> "RolloutStats":
        snapshot = copy.copy(self)
        self.__init__()
        return snapshot


def eos_ids(model, tokenizer) -> set[int]:
    """Every token id that ends a completion: the tokenizer's EOS and the model's."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    configured = model.generation_config.eos_token_id
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, (list, tuple)):
        ids.update(i for i in configured if isinstance(i, int))
    return ids


class StopAfter(StoppingCriteria):
    """Stops a row once the text it generated in this call contains `stop` (the prompt and
    earlier turns contain it too, so only new tokens are looked at)."""

    def __init__(self, tokenizer, start: int, stop: str):
        self.tokenizer, self.start, self.stop = tokenizer, start, stop

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        tails = input_ids[:, self.start:][:, -_WINDOW:].tolist()
        hits = [self.stop in self.tokenizer.decode(row) for row in tails]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


def _cut(new_ids: Sequence[int], tokenizer, eos_ids: set[int], stop: str | None) -> tuple[list[int], str]:
    """The tokens a row really produced in one `generate` call, and why it stopped. Rows
    that stopped early are padded with pad_token_id, which can equal the EOS id: scan."""
    for k, token in enumerate(new_ids):
        if token in eos_ids:
            return list(new_ids[: k + 1]), "eos"
        if stop and stop in tokenizer.decode(new_ids[max(0, k + 1 - _WINDOW): k + 1]):
            return list(new_ids[: k + 1]), "call"
    return list(new_ids), "length"


def _left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids, mask


class ToolRollout:
    """A `rollout_func` for `GRPOTrainer`: `rollout(prompts, trainer) -> dict`."""

    def __init__(self, executor, fmt, *, max_turns: int = 3):
        stop = getattr(fmt, "stop_text", None)
        if stop is None:
            raise TrainingError(f"call format {fmt.name!r} has no stop text, so a rollout cannot tell when a "
                                "call is complete; use 'hermes', 'json_lines' or 'json_list'")
        self.executor = executor
        self.format = fmt
        self.stop = stop
        self.max_turns = max_turns
        self.stats = RolloutStats()

    def __call__(self, prompts: list, trainer) -> dict[str, Any]:
        from trl.models.utils import unwrap_model_for_generation

        tokenizer = trainer.processing_class
        prompt_ids = [self._prompt_ids(tokenizer, p) for p in prompts]
        eos = set(trainer.eos_token_ids)
        if getattr(trainer, "use_vllm", False):
            # TRL keeps the vLLM engine's weights in sync before calling us.
            backend = _VLLMBackend(trainer)
            rollouts = self.run(backend, tokenizer, prompt_ids, trainer.max_completion_length, eos)
        else:
            # TRL's own generation uses this context: it unwraps DDP/DeepSpeed and switches
            # gradient checkpointing off while generating.
            with unwrap_model_for_generation(
                trainer.model_wrapped, trainer.accelerator,
                gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
                generation_kwargs=trainer.generation_kwargs,
                gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
            ) as model:
                rollouts = self.generate(model, tokenizer, prompt_ids, trainer.generation_config,
                                         trainer.max_completion_length, eos)
        return {
            "prompt_ids": [r.prompt_ids for r in rollouts],
            "completion_ids": [r.completion_ids for r in rollouts],
            "logprobs": None,
            "env_mask": [r.env_mask for r in rollouts],
            # Reaches the reward as a column: TRL strips EOS from the completion text.
            "finished": [r.finished for r in rollouts],
            # Also a column: the reward reads calls and answers only from what the model wrote.
            "model_segments": [model_segments(tokenizer, r.completion_ids, r.env_mask) for r in rollouts],
        }

    @staticmethod
    def _prompt_ids(tokenizer, prompt) -> list[int]:
        if isinstance(prompt, str):
            return list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        rendered = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)
        return list(rendered["input_ids"])

    def generate(self, model, tokenizer, prompt_ids: Sequence[Sequence[int]], generation_config,
                 max_completion_length: int, eos_ids: set[int]) -> list[Rollout]:
        """Multi-turn rollouts with a transformers model (training on CPU/GPU, eval, teachers)."""
        backend = _HFBackend(model, tokenizer, generation_config, self.stop)
        return self.run(backend, tokenizer, prompt_ids, max_completion_length, eos_ids)

    def run(self, backend, tokenizer, prompt_ids: Sequence[Sequence[int]], max_completion_length: int,
            eos_ids: set[int]) -> list[Rollout]:
        """Batched multi-turn generation: every active rollout advances one turn per loop."""
        rollouts = [Rollout(list(p)) for p in prompt_ids]
        for turn in range(self.max_turns):
            active = [r for r in rollouts if not r.done]
            if not active:
                break
            contexts = [r.prompt_ids + r.completion_ids for r in active]
            budgets = [max_completion_length - len(r.completion_ids) for r in active]
            started = time.perf_counter()
            generated = backend(contexts, budgets)
            self.stats.generation_seconds += time.perf_counter() - started
            pending: list[tuple[Rollout, list[Call]]] = []
            for rollout, new, budget in zip(active, generated, budgets):
                segment, reason = _cut(new, tokenizer, eos_ids, self.stop)
                if len(segment) > budget:  # the batch decodes to the largest budget
                    segment, reason = segment[:budget], "length"
                rollout.add(segment, from_model=True)
                rollout.turns += 1
                if reason == "eos":
                    rollout.finished = rollout.done = True
                elif reason == "length" or turn == self.max_turns - 1:
                    rollout.done = True  # truncated: out of tokens, or no turn left to read a response
                else:
                    pending.append((rollout, self._calls(tokenizer.decode(segment))))
            self._run_tools(tokenizer, pending, max_completion_length)
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

    def _run_tools(self, tokenizer, pending: list[tuple[Rollout, list[Call]]], limit: int) -> None:
        """Run the calls of every row of this turn in one batch, then append the responses."""
        runnable = [(c.name, c.arguments) for _, calls in pending for c in calls if c.well_formed]
        rows = [row for row, (_, calls) in enumerate(pending) for c in calls if c.well_formed]
        started = time.perf_counter()
        # Each row's turn is a group: the executor's call cap holds per rollout turn.
        results = iter(self.executor.run_many(runnable, groups=rows) if runnable else [])
        self.stats.tool_seconds += time.perf_counter() - started
        for rollout, calls in pending:
            outcomes = [next(results) if c.well_formed else ToolResult.failure(c.error or "not a tool call")
                        for c in calls]
            if not outcomes:  # a stop text without a parsable call: say so, let it continue
                outcomes = [ToolResult.failure("no tool call found before the closing tag")]
            rollout.calls += len(calls)
            rollout.failed_calls += sum(not o.ok for o in outcomes[: len(calls)])
            text = "\n" + "".join(render_response(o) for o in outcomes)
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(rollout.completion_ids) + len(ids) >= limit:
                rollout.done = True  # no room for the response and an answer: truncated
                continue
            rollout.add(ids, from_model=False)


class _HFBackend:
    """One turn of generation for a batch with `model.generate`, stopping each row at the
    end of a call. Returns the new tokens of each row (rows that stopped early are padded;
    `_cut` finds their real end)."""

    def __init__(self, model, tokenizer, generation_config, stop: str):
        self.model, self.tokenizer, self.config, self.stop = model, tokenizer, generation_config, stop

    @torch.no_grad()
    def __call__(self, contexts: list[list[int]], budgets: list[int]) -> list[list[int]]:
        device = next(self.model.parameters()).device
        input_ids, attention = _left_pad(contexts, self.tokenizer.pad_token_id)
        config = copy.deepcopy(self.config)
        config.max_new_tokens = max(budgets)
        out = self.model.generate(
            input_ids=input_ids.to(device), attention_mask=attention.to(device), generation_config=config,
            stopping_criteria=StoppingCriteriaList([StopAfter(self.tokenizer, input_ids.shape[1], self.stop)]),
        )
        return out[:, input_ids.shape[1]:].tolist()


class _VLLMBackend:
    """One turn of generation through TRL's vLLM engine (`--use-vllm`, GPU only): the
    colocated engine, or a `trl vllm-serve` server. vLLM stops at the stop text itself."""

    def __init__(self, trainer):
        self.generation = trainer.vllm_generation
        if self.generation.mode == "server" and trainer.accelerator.num_processes > 1:
            # Rows finish their turns at different times on different processes, so the
            # gather-to-the-server collectives TRL uses would not line up.
            raise TrainingError("multi-turn rollouts with several processes need vllm_mode='colocate'")
        self.stop = trainer.mentor_rollout.stop if hasattr(trainer, "mentor_rollout") else "</tool_call>"
        # The same sampling settings TRL gives vLLM for single-turn generation.
        self.sampling = {"temperature": trainer.temperature, "top_p": trainer.top_p, "top_k": trainer.top_k}

    def __call__(self, contexts: list[list[int]], budgets: list[int]) -> list[list[int]]:
        if self.generation.mode == "colocate":
            from vllm import SamplingParams

            params = [SamplingParams(n=1, max_tokens=b, stop=[self.stop], include_stop_str_in_output=True,
                                     **self.sampling) for b in budgets]
            outputs = self.generation.llm.generate([{"prompt_token_ids": c} for c in contexts], params,
                                                   use_tqdm=False)
            return [list(o.outputs[0].token_ids) for o in outputs]
        output = self.generation.vllm_client.generate(
            prompts=contexts, n=1, max_tokens=max(budgets), **self.sampling,
            generation_kwargs={"stop": [self.stop], "include_stop_str_in_output": True})
        return [list(ids) for ids in output["completion_ids"]]
