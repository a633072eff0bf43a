"""How a conversation with tools is written for one student: its chat layout.

Two layouts, chosen from the tokenizer's chat template:

* **native**: the template supports tools (Qwen2.5/3, Llama 3.1-3.3, Mistral, ...). The
  prompt is `apply_chat_template(messages, tools=...)`, so the student sees its tools the
  way it was trained to; a model turn ends at an end-of-turn token; when the turn made
  calls, the results go in as `tool` messages, and the tokens appended between turns are
  the template's own rendering of that tool turn. The call format is the template's:
  Hermes `<tool_call>` (Qwen), Llama's JSON calls, Mistral's `[TOOL_CALLS]`.
* **inline**: the template knows nothing of tools (SmolLM2, the embedded student). The
  tools are listed in the system message (see `train.prompts`), a call ends at the
  format's closing tag (`</tool_call>`), and the results are spliced into the assistant
  turn as `<tool_response>` blocks.

Either way the model's own tokens are never re-tokenized: the rollout appends token ids.
`--call-format` (or a spec's `option call_format`) overrides the template's format; a
format that is not the template's own runs in the inline layout, which needs a closing tag.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..calls import Call
from ..errors import MentorError
from ..formats.responses import render_response, render_value
from ..hookspecs import CallFormat
from ..tools.base import ToolResult

#: Which call format a chat template writes, by a marker its text contains. The first
#: match wins; a template that mentions none of them is used in the inline layout.
TEMPLATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("[TOOL_CALLS]", "mistral"),
    ("<tool_call>", "hermes"),
    ("<|python_tag|>", "llama_json"),
    ("ipython", "llama_json"),
)

#: The system message of task prompts in the native layout (the template adds the tools).
NATIVE_SYSTEM = "Solve the task, calling the tools when they help. Finish with the final answer in \\boxed{}."


class LayoutError(MentorError):
    exit_code = 7


def template_text(tokenizer) -> str:
    """The template used when tools are given (some tokenizers keep a separate one)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, Mapping):
        template = template.get("tool_use") or template.get("default") or next(iter(template.values()), None)
    return template if isinstance(template, str) else ""


def template_format(tokenizer) -> str | None:
    """The call format the chat template writes, or None when it has no tool support."""
    text = template_text(tokenizer)
    if "tools" not in text:
        return None
    return next((name for marker, name in TEMPLATE_FORMATS if marker in text), None)


def end_token_ids(tokenizer, generation_config=None) -> set[int]:
    """Every token id that ends a model turn: the tokenizer's EOS and the generation
    config's (Llama 3 lists `<|eot_id|>` and `<|eom_id|>` there)."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    configured = getattr(generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, (list, tuple)):
        ids.update(i for i in configured if isinstance(i, int))
    return ids


def stop_text(fmt: CallFormat) -> str | None:
    """The text that closes a call of this format (None: the call ends with the turn)."""
    return getattr(fmt, "stop_text", CallFormat.stop_text)


def tool_schema(tool) -> dict[str, Any]:
    """A tool as chat templates take it: OpenAI's function-tool object (compact schema)."""
    from ..train.prompts import compact_schema

    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": compact_schema(dict(tool.parameters)),
        },
    }


@dataclass(frozen=True)
class ChatLayout:
    """What a rollout, SFT and evaluation need to write one student's conversations."""

    tokenizer: Any
    format: CallFormat
    native: bool
    end_ids: frozenset[int]

    @classmethod
    def for_tokenizer(
        cls, tokenizer, registry, *, call_format: str | None = None, generation_config=None
    ) -> ChatLayout:
        """The layout for this tokenizer; `call_format` overrides the template's format."""
        own = template_format(tokenizer)
        name = call_format or own or "hermes"
        fmt = registry.get("formats", name)
        if fmt is None:
            raise LayoutError(f"unknown call format {name!r} (formats: {', '.join(registry.names('formats'))})")
        native = own is not None and name == own
        if not native and stop_text(fmt) is None:
            why = (
                ("the model's chat template writes " + repr(own))
                if own
                else "the model's chat template has no tool support"
            )
            raise LayoutError(
                f"call format {name!r} ends a call with the model's turn, so it needs a chat template "
                f"written for it; {why}. Use --call-format {own or 'hermes'}"
            )
        ends = end_token_ids(tokenizer, generation_config)
        if native:  # end tokens the format itself names, where the tokenizer has them
            vocab = tokenizer.get_vocab()
            ends |= {vocab[t] for t in getattr(fmt, "end_tokens", CallFormat.end_tokens) if t in vocab}
        if not ends:
            raise LayoutError("the tokenizer has no end-of-sequence token, so a model turn can never end")
        return cls(tokenizer, fmt, native, frozenset(ends))

    # -- the prompt ------------------------------------------------------------------------

    @property
    def stop_text(self) -> str | None:
        """Where a model turn stops besides an end-of-turn token (inline calls only)."""
        return None if self.native else stop_text(self.format)

    @property
    def end_text(self) -> str:
        """The text of the tokenizer's end-of-turn token, as records end a finished turn."""
        return self.tokenizer.eos_token or ""

    def messages(
        self, task_prompt: Any, tools: Sequence[Any], *, example: bool = True, examples: Sequence[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The conversation a task starts with (the tools themselves go in `render`): the
        system message, the few-shot exchanges (`fewshot.examples_for`: `examples`, e.g. a
        record's own, else the registered ones for these tools), the task."""
        from ..fewshot import examples_for
        from ..train.prompts import build_prompt, task_messages

        if not self.native:
            return build_prompt(task_prompt, tools, self.format, example=example, examples=examples)
        messages = task_messages(task_prompt)
        system = NATIVE_SYSTEM
        if messages and messages[0].get("role") == "system":
            system = f"{system}\n\n{messages[0]['content']}"
            messages = messages[1:]
        shots = [m for e in examples_for(tools, examples) for m in e.native_messages()] if example else []
        return [{"role": "system", "content": system}, *shots, *messages]

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any]) -> str:
        """The prompt text, ending with the generation prompt of an assistant turn."""
        kwargs: dict[str, Any] = {"tools": [tool_schema(t) for t in tools]} if self.native else {}
        return self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False, **kwargs)

    def prompt_text(
        self, task_prompt: Any, tools: Sequence[Any], *, example: bool = True, examples: Sequence[Any] | None = None
    ) -> str:
        return self.render(self.messages(task_prompt, tools, example=example, examples=examples), tools)

    def encode(self, text: str) -> list[int]:
        """Token ids of rendered text (templates write their special tokens as text)."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def model_segments(self, completion_ids: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[str]:
        """The text of each model turn, which the reward reads calls and answers from
        (`views.py`). End-of-turn tokens are left out (the reward puts EOS back on a
        finished completion). The inline layout decodes as TRL decodes a completion
        (special tokens skipped); the native one keeps the template's markers, such as
        Mistral's `[TOOL_CALLS]`, which its call format needs."""
        out = []
        for a, b in spans:
            ids = [t for t in completion_ids[a:b] if t not in self.end_ids]
            out.append(self.tokenizer.decode(ids, skip_special_tokens=not self.native))
        return out

    # -- between turns ---------------------------------------------------------------------

    def response_text(self, calls: Sequence[Call], results: Sequence[ToolResult]) -> str:
        """What follows a model turn that made calls, up to the next assistant turn."""
        if not self.native:
            return "\n" + "".join(render_response(r) for r in results)
        return self._tool_turn(tuple(_call_key(c) for c in calls), tuple(_result_text(r) for r in results))

    def response_ids(self, calls: Sequence[Call], results: Sequence[ToolResult]) -> list[int]:
        return self.encode(self.response_text(calls, results))

    def _tool_turn(self, calls: tuple[tuple[str, str], ...], outputs: tuple[str, ...]) -> str:
        """The template's rendering of a tool turn: render a conversation up to the
        assistant's calls and again with the tool messages and the next generation
        prompt; the difference is the tool turn. The text the template writes after the
        assistant's end-of-turn token (a newline in ChatML) belongs to it too, since the
        model stopped at that token."""
        ids = [f"call{i:05d}" for i in range(len(outputs))]  # 9 characters: Mistral's rule
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": ids[i], "type": "function", "function": {"name": name, "arguments": json.loads(arguments)}}
                for i, (name, arguments) in enumerate(calls[: len(outputs)])
            ],
        }
        while len(assistant["tool_calls"]) < len(outputs):  # a response for a block that was not a call
            i = len(assistant["tool_calls"])
            assistant["tool_calls"].append(
                {"id": ids[i], "type": "function", "function": {"name": "unknown", "arguments": {}}}
            )
        tool_messages = [
            {
                "role": "tool",
                "tool_call_id": ids[i],
                "name": assistant["tool_calls"][i]["function"]["name"],
                "content": out,
            }
            for i, out in enumerate(outputs)
        ]
        base = [{"role": "user", "content": "."}, assistant]
        before = self.tokenizer.apply_chat_template(base, tokenize=False)
        after = self.tokenizer.apply_chat_template(base + tool_messages, add_generation_prompt=True, tokenize=False)
        if not after.startswith(before):
            raise LayoutError(
                "the chat template does not render a conversation as a prefix of its continuation, "
                "so tool turns cannot be appended; use --call-format hermes (inline layout)"
            )
        end = self.end_text
        cut = before.rfind(end) + len(end) if end and end in before else len(before)
        return before[cut:] + after[len(before) :]


def _call_key(call: Call) -> tuple[str, str]:
    name = call.name if isinstance(call.name, str) else "unknown"
    arguments = call.arguments if isinstance(call.arguments, dict) else {}
    return name, json.dumps(arguments, ensure_ascii=False, default=str)


def _result_text(result: ToolResult) -> str:
    return render_value(result.output) if result.ok else f"error: {result.error}"
