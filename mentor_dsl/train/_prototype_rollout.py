"""PROTOTYPE: multi-turn tool-use GRPO with TRL's `rollout_func`, on CPU, with transformers generation.

This is a draft for the real trainer, not a public API. It shows the whole mechanism end to
end on the embedded student (SmolLM2-135M-Instruct) with two toy tools, `add` and `multiply`.

What one GRPO "completion" is here
----------------------------------
A completion is a whole multi-turn rollout inside ONE assistant message ("inline
continuation", Hermes tags):

    <prompt: system (tool schemas) + few-shot + user>  <|im_start|>assistant\\n
    I'll use the tool.<tool_call>                      \\
    {"name": "multiply", "arguments": {"a": 7, "b": 8}} |  model tokens   (env_mask = 1)
    </tool_call>                                        /
    \\n<tool_response>\\n56\\n</tool_response>\\n          -- tool tokens    (env_mask = 0, no loss)
    The answer is \\boxed{56}.<|im_end|>                -- model tokens   (env_mask = 1)

Generation stops at `</tool_call>` (a stopping criterion on the text generated in the
current turn) or at EOS. After a tool call we parse it, run the tool, append the
`<tool_response>` block as token ids and continue generating from the concatenated ids
(never re-tokenizing the model's own tokens), up to `max_turns` model turns and
`max_completion_length` tokens in total (model + tool tokens).

Why `rollout_func` (and not `tools=` / `environment_factory=`)
-----------------------------------------------------------------
TRL 1.16 offers three ways to do multi-turn tool use in `GRPOTrainer`:

* `tools=[fn, ...]`: TRL renders the tool schemas with the chat template, generates until
  EOS, parses tool calls with `tokenizer.parse_response`, calls the Python functions and
  appends tool turns rendered by the chat template, masking them with `tool_mask`.
  It *refuses SmolLM2* at construction: `supports_tool_calling()` renders a
  user -> assistant(tool_calls) -> tool conversation and SmolLM2's ChatML template drops
  both the tool calls and the tool message ("The provided chat template does not support
  tool calling"). Swapping in a Qwen2.5 template would get past that (same <|im_*|>
  tokens; tried: it constructs and trains), but then (a) tools must be Python callables
  with type hints + Google docstrings (mentor's tools are JSON-schema `Tool` objects run
  in a sandbox with a timeout), (b) a tool-call turn only ends at EOS: there is no
  stop-string hook, so a student that keeps writing after `</tool_call>` produces its own
  fake `<tool_response>` (SmolLM2 does write such blocks) which is then trained on as
  model text, (c) tools run in-process with no timeout, (d) the Qwen template's default
  system prompt ("You are Qwen, created by Alibaba Cloud...") leaks into every prompt, and
  tool results come back as a new `<|im_start|>user` turn, a format mentor does not control.
* `environment_factory=`: the same machinery with tools bound to per-rollout environment
  objects (+ optional `get_reward`); same template requirement, same limits.
* `rollout_func=fn(prompts, trainer) -> dict`: we own prompt rendering, generation, tool
  parsing/execution and masking; TRL does everything else (rewards, group advantages,
  loss, optimizer, logging). It is documented as experimental and its docstring talks
  about vLLM, but the trainer does not care how the ids were produced: calling
  `trainer.model` (unwrapped) `.generate()` under `torch.no_grad()` works on CPU. This is
  the mechanism used here.

The `rollout_func` contract (TRL 1.16, read from grpo_trainer.py `_generate`)
----------------------------------------------------------------------------
`rollout_func(prompts: list, trainer: GRPOTrainer) -> dict`

* `prompts`: the `prompt` column of the per-process generation batch, ALREADY repeated
  `num_generations` times by TRL's RepeatSampler (p0, p0, p0, p0, p1, ...). Return exactly
  one completion per entry, in order. (The docstring says "no duplication"; the code and
  the reward/advantage bookkeeping, `len(prompts)` rows grouped by `view(-1, G)`, say
  otherwise; verified in the test.) Conversational prompts arrive as message lists,
  untemplated: templating is the rollout_func's job.
* Required keys: `prompt_ids: list[list[int]]`, `completion_ids: list[list[int]]`,
  `logprobs: list[list[float]] | None`. With `logprobs=None` there is no importance-sampling
  correction; fine when generation and the update use the same weights
  (`num_iterations == 1`, `steps_per_generation == gradient_accumulation_steps`, no vLLM).
  Unpadded: TRL left-pads prompts and right-pads completions with `pad_token_id`.
* `env_mask: list[list[int]]` (optional, same lengths as `completion_ids`): 1 = model token,
  0 = environment token. TRL pops it and uses it as `tool_mask`: the loss mask is
  `completion_mask * tool_mask` (also used for the token count that normalizes the dapo
  loss and for `completions/*_length` metrics). Only honoured when `tools` is not set.
* Any other key is an extra per-completion field: `values[i]` is put on input row `i` and
  reaches every reward function as a keyword argument (lists of per-completion values,
  like dataset columns). Only `list` values are split per row; any other value (a tuple,
  a tensor) is given whole to every row. Names to avoid: a dataset column name is silently
  overwritten; `prompts`, `completions`, `trainer_state`, `log_extra`, `log_metric`,
  `environments` make every reward call fail with "got multiple values for keyword
  argument"; `prompt`/`completion` are dropped.

What reward functions receive on this path: `completions` decoded by TRL itself with
`batch_decode(completion_ids, skip_special_tokens=True)` (wrapped as
`[{"role": "assistant", "content": text}]` for conversational prompts): the tool-response
text is INCLUDED (it is part of completion_ids) and `<|im_end|>` / `<|im_start|>` are
STRIPPED, so "finished" cannot be read from the text. `completion_ids` is the unpadded
list we returned, so `ids[-1] in eos_ids` is exact there. Prefer the structured extra
fields below (`finished`, `tool_calls`, `final_text`, ...). (Were the tokenizer to carry a
`response_template`/`response_schema`, e.g. a Qwen student, TRL would instead run
`tokenizer.parse_response` and the completion messages would hold parsed `tool_calls`.)

Other things learnt on the way
------------------------------
* pad id == eos id for SmolLM2 (`<|im_end|>`, 2). `generate` pads rows that stopped early
  with it, and TRL right-pads `completion_ids` with it: "finished" must come from the
  unpadded ids or from the last position where `completion_mask` is 1, never by searching
  the padded tensor for EOS.
* `tool_mask` is right-padded with 1 by TRL, harmless because `completion_mask` is 0 there.
* TRL's own truncation metric (`completions/clipped_ratio`) and `mask_truncated_completions`
  use "last id not in eos/pad": a rollout cut at `max_turns` right after `</tool_call>`
  counts as truncated, as it should. Consider `mask_truncated_completions=True`.
* GRPOConfig defaults that hurt on CPU: `bf16=True` (set False), `gradient_checkpointing=True`
  (set False: it doubles the backward of a 135M model that fits in memory anyway).
* On 2 cores the cost of a step is dominated by the prompt, not the completion: the loss
  forward/backward runs over prompt + completion for every generation. The few-shot system
  prompt here (~275 tokens) is most of the sequence; keep training prompts short.
* A weak student writes `<tool_response>` blocks itself without calling a tool. Those are
  model tokens (trained on); a reward term should penalise them.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
_TOOL_CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
_BOXED_RE = re.compile(r"\\boxed\{([^{}]*)\}")
# Generated tokens decoded when looking for `</tool_call>`: the tag is 5 SmolLM2 tokens, so a
# window of 16 always contains it the moment it completes.
_STOP_WINDOW = 16


# =====================================================================================
# Toy tools. The real trainer will use mentor_dsl.tools.Tool (JSON schema + sandboxed fn).
# =====================================================================================


@dataclass(frozen=True)
class ToyTool:
    name: str
    description: str
    parameters: Mapping[str, Any]
    fn: Callable[..., Any]

    def schema(self) -> dict[str, Any]:
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": dict(self.parameters)}}


_TWO_NUMBERS = {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"]}

PROTOTYPE_TOOLS: dict[str, ToyTool] = {
    "add": ToyTool("add", "Add two numbers.", _TWO_NUMBERS, lambda a, b: a + b),
    "multiply": ToyTool("multiply", "Multiply two numbers.", _TWO_NUMBERS, lambda a, b: a * b),
}


# =====================================================================================
# The text format: system prompt, few-shot example, tool-call parsing, tool responses.
# =====================================================================================

# Kept short on purpose: on 2 CPU cores every prompt token costs prefill time in each turn
# and forward+backward time in the loss (~330 tokens with Hermes' wording, ~250 with this).
SYSTEM_TEMPLATE = """Solve the arithmetic problem. You can call these tools:
<tools>
{tools}
</tools>
To call a tool write <tool_call>{{"name": ..., "arguments": {{...}}}}</tool_call>; the result comes back \
in <tool_response></tool_response>. End with the answer in \\boxed{{}}."""

# One worked example, shown as a previous chat exchange: it teaches the inline format.
FEW_SHOT: list[dict[str, str]] = [
    {"role": "user", "content": "What is 12 + 30?"},
    {"role": "assistant", "content": '<tool_call>\n{"name": "add", "arguments": {"a": 12, "b": 30}}\n</tool_call>\n'
                                     "<tool_response>\n42\n</tool_response>\nThe answer is \\boxed{42}."},
]


def system_prompt(tools: Mapping[str, ToyTool]) -> str:
    # One compact JSON schema per line (the OpenAI "function" object without its wrapper).
    lines = (json.dumps(t.schema()["function"], separators=(",", ":")) for t in tools.values())
    return SYSTEM_TEMPLATE.format(tools="\n".join(lines))


def render_prompt_ids(tokenizer, prompt: str | list[dict[str, Any]], tools: Mapping[str, ToyTool],
                      few_shot: Sequence[dict[str, str]] = FEW_SHOT) -> list[int]:
    """Token ids of system + few-shot + the user's messages + the assistant header.

    SmolLM2's template would inject its own default system prompt when the first message is
    not a system message; we always supply one. A system message in the dataset prompt is
    appended to ours.
    """
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    system = system_prompt(tools)
    if messages and messages[0]["role"] == "system":
        system = f"{system}\n\n{messages[0]['content']}"
        messages = messages[1:]
    conversation = [{"role": "system", "content": system}, *few_shot, *messages]
    ids = tokenizer.apply_chat_template(conversation, add_generation_prompt=True, tokenize=True, return_dict=True)
    return list(ids["input_ids"])


@dataclass
class ToolCall:
    """One parsed `<tool_call>` block and what running it gave."""

    raw: str
    name: str | None = None
    arguments: dict[str, Any] | None = None
    ok: bool = False
    output: Any = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "ok": self.ok, "output": self.output,
                "error": self.error}


def parse_tool_calls(text: str) -> list[ToolCall]:
    """The complete `<tool_call>{json}</tool_call>` blocks in `text` (malformed ones carry `error`)."""
    calls = []
    for match in _TOOL_CALL_RE.finditer(text):
        call = ToolCall(raw=match.group(1))
        try:
            payload = json.loads(call.raw)
        except json.JSONDecodeError as exc:
            call.error = f"invalid JSON in tool call: {exc.msg}"
        else:
            if not isinstance(payload, dict) or not isinstance(payload.get("name"), str):
                call.error = 'a tool call must be {"name": ..., "arguments": {...}}'
            else:
                call.name = payload["name"]
                arguments = payload.get("arguments", {})
                if isinstance(arguments, dict):
                    call.arguments = arguments
                else:
                    call.error = "tool call arguments must be a JSON object"
        calls.append(call)
    return calls


def execute_tool_call(call: ToolCall, tools: Mapping[str, ToyTool]) -> ToolCall:
    """Run one call in-process. The real trainer goes through mentor's sandboxed executor."""
    if call.error is None:
        tool = tools.get(call.name or "")
        if tool is None:
            call.error = f"unknown tool {call.name!r}"
        else:
            try:
                call.output = tool.fn(**call.arguments)
                call.ok = True
            except Exception as exc:  # a tool failure is an observation for the model, not a crash
                call.error = f"{type(exc).__name__}: {exc}"
    return call


def render_tool_response(calls: Sequence[ToolCall]) -> str:
    """The environment text appended after a tool-call turn (one block per call)."""
    blocks = []
    for call in calls:
        body = json.dumps(call.output) if call.ok else json.dumps({"error": call.error})
        blocks.append(f"<tool_response>\n{body}\n</tool_response>")
    return "\n" + "\n".join(blocks) + "\n"


# =====================================================================================
# The multi-turn rollout (pure transformers; no TRL needed here).
# =====================================================================================


@dataclass
class Rollout:
    """One completion under construction: ids + which of them the model produced."""

    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)  # 1 = model token (trained), 0 = tool token
    tool_calls: list[ToolCall] = field(default_factory=list)  # every call that was executed
    tool_responses: list[str] = field(default_factory=list)  # the env texts appended, in order
    model_turns: int = 0
    finished: bool = False   # the model ended with EOS
    stop_reason: str = ""    # "eos" | "length" | "max_turns"
    done: bool = False

    def add(self, ids: Sequence[int], *, from_model: bool) -> None:
        self.completion_ids.extend(ids)
        self.env_mask.extend([1 if from_model else 0] * len(ids))


class StopAtToolCall(StoppingCriteria):
    """Stops a row once the text it generated in THIS `generate` call contains `</tool_call>`.

    Only generated tokens are looked at: the prompt (few-shot example, earlier turns) holds
    `</tool_call>` too. EOS is handled by `generate` itself.
    """

    def __init__(self, tokenizer, prompt_length: int):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        generated = input_ids[:, self.prompt_length:]
        window = generated[:, -_STOP_WINDOW:].tolist()
        hits = [TOOL_CALL_CLOSE in self.tokenizer.decode(row) for row in window]
        return torch.tensor(hits, dtype=torch.bool, device=input_ids.device)


def cut_turn(new_ids: Sequence[int], tokenizer, eos_token_ids: Sequence[int]) -> tuple[list[int], str]:
    """The tokens this row really generated in one `generate` call, and why it stopped.

    Rows that stopped early are padded by `generate` with pad_token_id, which for SmolLM2 IS
    the EOS id, so padding cannot be told from a real EOS by value: scan left to right and
    stop at the first EOS or at the token that completes `</tool_call>`.
    """
    eos = set(eos_token_ids)
    for k, token in enumerate(new_ids):
        if token in eos:
            return list(new_ids[: k + 1]), "eos"
        if TOOL_CALL_CLOSE in tokenizer.decode(new_ids[max(0, k + 1 - _STOP_WINDOW): k + 1]):
            return list(new_ids[: k + 1]), "tool_call"
    return list(new_ids), "length"


def _left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids, mask


@torch.no_grad()
def generate_rollouts(model, tokenizer, prompt_ids: Sequence[Sequence[int]], *, tools: Mapping[str, ToyTool],
                      generation_config: GenerationConfig, max_completion_length: int, max_turns: int,
                      eos_token_ids: Sequence[int]) -> list[Rollout]:
    """Batched multi-turn generation: every still-active rollout advances one model turn per loop.

    Each turn re-encodes prompt + completion-so-far from scratch (no KV cache kept across
    turns). Simple and always consistent with what the loss sees, but every extra turn pays
    one more prefill of the whole context (~1-2 s for 4 x 300 tokens on 2 cores); reusing
    `past_key_values` across turns is the obvious optimisation for the real trainer.
    The batch decodes until its largest remaining budget; rows over their own budget are
    cut afterwards (a per-row length criterion would save a few wasted steps).
    """
    rollouts = [Rollout(prompt_ids=list(p)) for p in prompt_ids]
    pad_id = tokenizer.pad_token_id
    device = next(model.parameters()).device
    for turn in range(max_turns):
        active = [r for r in rollouts if not r.done]
        if not active:
            break
        contexts = [r.prompt_ids + r.completion_ids for r in active]
        budgets = [max_completion_length - len(r.completion_ids) for r in active]
        input_ids, attention_mask = _left_pad(contexts, pad_id)
        config = copy.deepcopy(generation_config)
        config.max_new_tokens = max(budgets)
        out = model.generate(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), generation_config=config,
            stopping_criteria=StoppingCriteriaList([StopAtToolCall(tokenizer, input_ids.shape[1])]),
        )
        new_tokens = out[:, input_ids.shape[1]:].tolist()
        for rollout, new, budget in zip(active, new_tokens, budgets):
            segment, reason = cut_turn(new, tokenizer, eos_token_ids)
            if len(segment) > budget:  # the batch ran to the largest budget
                segment, reason = segment[:budget], "length"
            rollout.add(segment, from_model=True)
            rollout.model_turns += 1
            if reason == "eos":
                rollout.finished, rollout.stop_reason, rollout.done = True, "eos", True
                continue
            if reason == "length":
                rollout.stop_reason, rollout.done = "length", True
                continue
            # reason == "tool_call": run the call(s) of this turn and append the responses.
            if turn == max_turns - 1:  # no turn left to read the response in
                rollout.stop_reason, rollout.done = "max_turns", True
                continue
            calls = [execute_tool_call(c, tools) for c in parse_tool_calls(tokenizer.decode(segment))]
            rollout.tool_calls.extend(calls)
            text = render_tool_response(calls)
            # Tokenized on its own and appended as ids: the model's tokens are never re-tokenized.
            response = tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(rollout.completion_ids) + len(response) >= max_completion_length:
                # No room for the response plus at least one model token: stop here (truncated).
                rollout.stop_reason, rollout.done = "length", True
                continue
            rollout.add(response, from_model=False)
            rollout.tool_responses.append(text)
    for rollout in rollouts:
        rollout.done = True
    return rollouts


def is_finished(completion_ids: Sequence[int], eos_token_ids: Sequence[int]) -> bool:
    """Whether an UNPADDED completion ended with EOS (i.e. was not truncated).

    On padded tensors (inside the trainer) use the last position where completion_mask is 1:
    pad id == eos id for SmolLM2.
    """
    return bool(completion_ids) and completion_ids[-1] in set(eos_token_ids)


# =====================================================================================
# TRL glue: the rollout_func, an example reward, a probe trainer, the 2-step run.
# =====================================================================================


@dataclass
class RolloutStats:
    """What the rollout_func saw and did, per call (for tests and timing)."""

    generation_seconds: list[float] = field(default_factory=list)
    prompts: list[list] = field(default_factory=list)      # the `prompts` argument of each call
    rollouts: list[list[Rollout]] = field(default_factory=list)

    @property
    def last(self) -> list[Rollout]:
        return self.rollouts[-1] if self.rollouts else []


def make_rollout_func(tools: Mapping[str, ToyTool] = PROTOTYPE_TOOLS, *, max_turns: int = 3,
                      few_shot: Sequence[dict[str, str]] = FEW_SHOT, stats: RolloutStats | None = None):
    """Build the `rollout_func` for `GRPOTrainer(rollout_func=...)`."""
    from trl.models.utils import unwrap_model_for_generation

    def rollout_func(prompts: list, trainer) -> dict[str, list]:
        tokenizer = trainer.processing_class
        prompt_ids = [render_prompt_ids(tokenizer, p, tools, few_shot) for p in prompts]
        started = time.perf_counter()
        # Same context manager TRL's own generation uses: unwraps DDP/DeepSpeed, turns gradient
        # checkpointing off for generation (and back on after). `trainer.generation_config`
        # carries the GRPOConfig sampling settings (temperature, top_p, eos ids, pad id, ...).
        # Like TRL, we generate with the model in train mode (SmolLM2 has no dropout). FSDP
        # would also need TRL's private `trainer._dist.summon_full_params(...)` here.
        with unwrap_model_for_generation(
            trainer.model_wrapped, trainer.accelerator,
            gather_deepspeed3_params=trainer.args.ds3_gather_for_generation,
            generation_kwargs=trainer.generation_kwargs,
            gradient_checkpointing_kwargs=trainer.args.gradient_checkpointing_kwargs,
        ) as model:
            rollouts = generate_rollouts(
                model, tokenizer, prompt_ids, tools=tools, generation_config=trainer.generation_config,
                max_completion_length=trainer.max_completion_length, max_turns=max_turns,
                eos_token_ids=trainer.eos_token_ids,
            )
        if stats is not None:
            stats.generation_seconds.append(time.perf_counter() - started)
            stats.prompts.append(copy.deepcopy(prompts))
            stats.rollouts.append(rollouts)
        return {
            "prompt_ids": [r.prompt_ids for r in rollouts],
            "completion_ids": [r.completion_ids for r in rollouts],
            "logprobs": None,
            "env_mask": [r.env_mask for r in rollouts],
            # Extra fields: forwarded to every reward function as keyword arguments.
            "finished": [r.finished for r in rollouts],
            "stop_reason": [r.stop_reason for r in rollouts],
            "tool_calls": [[c.to_dict() for c in r.tool_calls] for r in rollouts],
            "model_turns": [r.model_turns for r in rollouts],
            # The whole completion (tool responses included) with special tokens kept;
            # TRL's `completions` have <|im_end|> stripped.
            "final_text": [tokenizer.decode(r.completion_ids) for r in rollouts],
        }

    return rollout_func


def boxed_answer(text: str) -> str | None:
    matches = _BOXED_RE.findall(text)
    return matches[-1].strip() if matches else None


def _same_number(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return a == b


def answer_reward(completions, answer, finished, **kwargs) -> list[float]:
    """1 for a finished completion whose last \\boxed{} equals the answer, else 0."""
    rewards = []
    for completion, truth, done in zip(completions, answer, finished):
        text = completion[-1]["content"] if isinstance(completion, list) else completion
        got = boxed_answer(text)
        rewards.append(1.0 if done and got is not None and _same_number(got, str(truth)) else 0.0)
    return rewards


def tool_use_reward(tool_calls, **kwargs) -> list[float]:
    """A small shaping term: 0.2 when at least one tool call ran successfully."""
    return [0.2 if any(c["ok"] for c in calls) else 0.0 for calls in tool_calls]


def arithmetic_dataset(n: int = 8, seed: int = 0):
    """Conversational prompts with an `answer` column (reward functions receive it)."""
    import random

    from datasets import Dataset

    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        if rng.random() < 0.5:
            question, truth = f"What is {a} * {b}?", a * b
        else:
            question, truth = f"What is {a} + {b}?", a + b
        rows.append({"prompt": [{"role": "user", "content": question}], "answer": str(truth)})
    return Dataset.from_list(rows)


def _probe_trainer_class():
    """GRPOTrainer + instrumentation: records what `_compute_loss` receives and step timings."""
    from trl import GRPOTrainer

    class ProbeGRPOTrainer(GRPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_inputs: list[dict[str, torch.Tensor]] = []
            self.timings: list[dict[str, float]] = []
            self._timing: dict[str, float] = {}

        def training_step(self, model, inputs, num_items_in_batch=None):
            self._timing = {}
            started = time.perf_counter()
            loss = super().training_step(model, inputs, num_items_in_batch)
            total = time.perf_counter() - started
            t = self._timing
            # training_step = _prepare_inputs (rollout + rewards) + compute_loss (forward) + backward.
            t["training_step"] = total
            t["backward"] = total - t.get("prepare_inputs", 0.0) - t.get("loss_forward", 0.0)
            self.timings.append(t)
            return loss

        def _prepare_inputs(self, generation_batch):
            started = time.perf_counter()
            out = super()._prepare_inputs(generation_batch)
            self._timing["prepare_inputs"] = time.perf_counter() - started
            return out

        def _compute_loss(self, model, inputs):
            self.loss_inputs.append({k: v.detach().clone() for k, v in inputs.items()
                                     if k in ("completion_ids", "completion_mask", "tool_mask", "advantages")})
            started = time.perf_counter()
            loss = super()._compute_loss(model, inputs)
            self._timing["loss_forward"] = time.perf_counter() - started
            return loss

    return ProbeGRPOTrainer


def build_trainer(model_dir: str | Path, output_dir: str | Path, *, max_steps: int = 2, num_generations: int = 4,
                  max_completion_length: int = 64, max_turns: int = 3, seed: int = 0, temperature: float = 0.7,
                  gradient_checkpointing: bool = False, few_shot: Sequence[dict[str, str]] = FEW_SHOT,
                  dataset=None, reward_funcs=None, **config_overrides):
    """A probe GRPOTrainer for the CPU prototype run (no training started)."""
    from trl import GRPOConfig

    from mentor_dsl.student import load_student

    model, tokenizer = load_student(model_dir)
    stats = RolloutStats()
    config = GRPOConfig(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=num_generations,  # one prompt group per step
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        learning_rate=1e-6,
        temperature=temperature,  # 0.7: the 135M student calls tools far more reliably than at 1.0
        beta=0.0,
        use_cpu=True,
        bf16=False,
        fp16=False,
        gradient_checkpointing=gradient_checkpointing,  # TRL defaults to True; off is faster on CPU
        report_to="none",
        logging_steps=1,
        save_strategy="no",
        seed=seed,
        dataloader_num_workers=0,
        disable_tqdm=True,
        **config_overrides,
    )
    trainer = _probe_trainer_class()(
        model=model,
        reward_funcs=reward_funcs if reward_funcs is not None else [answer_reward, tool_use_reward],
        args=config,
        train_dataset=dataset if dataset is not None else arithmetic_dataset(max(8, max_steps), seed=seed),
        processing_class=tokenizer,
        rollout_func=make_rollout_func(max_turns=max_turns, few_shot=few_shot, stats=stats),
    )
    trainer.rollout_stats = stats
    return trainer


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m mentor_dsl.train._prototype_rollout [--steps N] [--tokens T]`: run and time it."""
    import argparse
    import os
    import tempfile

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=64, help="max_completion_length")
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--no-few-shot", action="store_true", help="drop the worked example (shorter prompt)")
    args = parser.parse_args(argv)

    from mentor_dsl.student import default_student_dir

    with tempfile.TemporaryDirectory() as out:
        trainer = build_trainer(default_student_dir(), out, max_steps=args.steps, num_generations=args.generations,
                                max_completion_length=args.tokens,
                                gradient_checkpointing=args.gradient_checkpointing,
                                few_shot=() if args.no_few_shot else FEW_SHOT)
        started = time.perf_counter()
        trainer.train()
        wall = time.perf_counter() - started
    for step, (t, gen) in enumerate(zip(trainer.timings, trainer.rollout_stats.generation_seconds), 1):
        print(f"step {step}: training_step {t['training_step']:.2f}s = rollout {gen:.2f}s"
              f" + rewards/advantages {t['prepare_inputs'] - gen:.2f}s + loss forward {t['loss_forward']:.2f}s"
              f" + backward {t['backward']:.2f}s")
    print(f"train() wall time {wall:.1f}s for {args.steps} steps; prompt length "
          f"{len(trainer.rollout_stats.last[0].prompt_ids)} tokens")
    for r in trainer.rollout_stats.last:
        print(f"--- finished={r.finished} stop={r.stop_reason} turns={r.model_turns} "
              f"tool_calls={[c.to_dict() for c in r.tool_calls]}")
        print(trainer.processing_class.decode(r.completion_ids))


if __name__ == "__main__":
    main()
