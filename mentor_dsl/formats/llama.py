"""Llama 3.1-3.3 JSON tool calls: the assistant's message *is* the call.

    {"name": "multiply", "parameters": {"a": 17, "b": 23}}

Meta's documented layout for custom tools: one JSON object with `name` and `parameters`
(`arguments` is accepted too), optionally after the `<|python_tag|>` marker, and the turn
ends at an end-of-turn token (`<|eot_id|>`, or `<|eom_id|>` when the model expects a
tool result). Several calls may follow one another, separated by `;` or newlines. The
tool result comes back as an `ipython` turn, which the model's chat template renders.

A turn that holds no such object is text: the final answer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..calls import Call, decode_arguments
from ..hookspecs import CallFormat
from .scan import json_objects

_PYTHON_TAG = "<|python_tag|>"


class LlamaJsonFormat(CallFormat):
    name = "llama_json"
    #: No closing tag: a call ends with the model's turn (native chat layout only).
    stop_text = None
    #: Tokens that end a turn in this format besides the tokenizer's EOS: Llama ends a
    #: call with end-of-message when it expects the tool's result.
    end_tokens = ("<|eom_id|>", "<|eot_id|>")

    def parse(self, text: str) -> list[Call]:
        calls = []
        for raw, obj in json_objects(text.replace(_PYTHON_TAG, " ")):
            name = obj.get("name")
            if not isinstance(name, str) or not name or not ("parameters" in obj or "arguments" in obj):
                continue  # JSON in prose is not a call
            arguments, error = decode_arguments(obj.get("parameters", obj.get("arguments")))
            calls.append(Call(name, arguments, raw, error))
        return calls

    def render(self, calls: Sequence[Call]) -> str:
        return "\n".join(
            json.dumps({"name": c.name, "parameters": c.arguments or {}}, ensure_ascii=False) for c in calls
        )

    def instructions(self) -> str:
        return (
            'To call a tool, answer with only a JSON object: {"name": <tool-name>, "parameters": '
            "{<arguments>}}. The result comes back in the next message."
        )


LLAMA_JSON = LlamaJsonFormat()
