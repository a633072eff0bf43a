"""`openai`: a teacher behind an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
SGLang, llama.cpp's server, Ollama, LiteLLM, ...), reached through the `openai` client
library. That library is an optional dependency (`pip install "mentor[openai]"`), imported
only when an openai teacher is built, so no other command loads it; without it, building
the teacher is a `TeacherError`.

For each task the teacher holds a conversation:

1. POST `{base_url}/chat/completions` with the task's prompt (after a short system
   message asking for a `\\boxed{}` answer) and the task's tools as OpenAI function
   `tools` (their JSON Schemas from the registry);
2. if the assistant message has `tool_calls` (arguments as a JSON string, an object or a
   double-encoded string), run them with the sandboxed `Executor` and append one
   `role: "tool"` message per call, with its `tool_call_id`; servers that return calls as
   Hermes `<tool_call>` blocks in `content` are understood too, and get the results back
   as `<tool_response>` blocks in a user message;
3. repeat, up to `max_turns` assistant turns, until a message without calls: its content
   is the final answer.

The conversation becomes one Hermes completion (each call block, its `<tool_response>`,
..., the final text, the records' end marker) and `teacher.tool_calls`, like every teacher's record.

Failures are per task and never raise: HTTP errors, timeouts, connection errors,
malformed responses, a call that is malformed, names a tool the task does not offer or
fails (the trajectory could never verify, so the conversation stops there), or no final
answer within `max_turns`. Retrying is the library's: a request that times out, loses its
connection or gets 408, 409, 429 or 5xx is retried `retries` times, with exponential
backoff or the server's `Retry-After`. The endpoint refusing the credentials or the URL
(401, 403, 404) is the same for every task, so it stops the run with a `TeacherError`
instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..answers import boxed
from ..calls import Call
from ..formats.hermes import HERMES
from ..formats.openai import call_from_entry
from ..formats.responses import render_response, render_value
from ..tools.base import ToolResult
from ..trajectory import DEFAULT_EOS
from .base import Failure, TaskFailed, TeacherError, ToolAccess
from .records import (
    Turn,
    as_float,
    as_int,
    as_str,
    cut_after_last_call,
    make_record,
    prompt_messages,
    render_trajectory,
    task_id,
    task_tools,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "EMPTY"  # the key sent to a server when none is configured (vLLM's and SGLang's convention)
SYSTEM = (
    "Solve the task. Use the provided tools for the computations; call them as often as needed and "
    "use their results. Finish with the final answer in \\boxed{}."
)
_FATAL = {
    401: "the endpoint refused the credentials (check api_key / OPENAI_API_KEY)",
    403: "the endpoint refused access (check api_key / OPENAI_API_KEY and the model's permissions)",
    404: "not found (check base_url / OPENAI_BASE_URL, which usually ends in /v1, and the model name)",
}
_SNIPPET = 300


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def _content_text(content: Any) -> str:
    """Message content as text: a string, or OpenAI content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    raise TaskFailed("malformed_response", f"message content is a {type(content).__name__}")


class OpenAITeacher(ToolAccess):
    """Options (each also settable through the environment where noted): `model` (required;
    env OPENAI_MODEL), `base_url` (env OPENAI_BASE_URL, default OpenAI's), `api_key` (env
    OPENAI_API_KEY; optional for local servers), `max_turns` (8), `timeout` (60 s per
    request), `temperature` (0; 'none' leaves it to the server), `max_tokens`, `retries`
    (2, the library's retries of one request), `concurrency` (4 tasks at a time), `system`
    (the system message), `tool_timeout` (5 s per tool call)."""

    name = "openai"

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_turns: Any = 8,
        timeout: Any = 60.0,
        temperature: Any = 0.0,
        max_tokens: Any = None,
        retries: Any = 2,
        concurrency: Any = 4,
        system: str | None = None,
        tool_timeout: Any = 5.0,
        eos: str = DEFAULT_EOS,
        registry=None,
        executor=None,
    ):
        self.eos = eos if isinstance(eos, str) else DEFAULT_EOS
        self.model = as_str("model", model) or os.environ.get("OPENAI_MODEL") or None
        if not self.model:
            raise TeacherError("the openai teacher needs a model: --option model=NAME (or OPENAI_MODEL)")
        self.base_url = as_str("base_url", base_url) or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        if not self.base_url.startswith(("http://", "https://")):
            raise TeacherError(f"option base_url={self.base_url!r}: expected an http:// or https:// URL")
        self.base_url = self.base_url.rstrip("/")
        self.api_key = as_str("api_key", api_key) or os.environ.get("OPENAI_API_KEY") or None
        if self.api_key is None and self.base_url == DEFAULT_BASE_URL:
            raise TeacherError(
                "the OpenAI API needs a key: set OPENAI_API_KEY or --option api_key=...; "
                "for a local server, set base_url"
            )
        self.max_turns = as_int("max_turns", max_turns, minimum=1)
        self.timeout = as_float("timeout", timeout, minimum=0.001)
        self.temperature = as_float("temperature", temperature, minimum=0.0, optional=True)
        self.max_tokens = None if max_tokens in (None, "", "none") else as_int("max_tokens", max_tokens, minimum=1)
        self.retries = as_int("retries", retries, minimum=0)
        self.concurrency = as_int("concurrency", concurrency, minimum=1)
        self.system = SYSTEM if system is None else system
        self.tool_timeout = as_float("tool_timeout", tool_timeout, minimum=0.001)
        ToolAccess.__init__(self, tool_timeout=self.tool_timeout, registry=registry, executor=executor)
        self.failures: list[Failure] = []
        self._api = _openai_library()
        # One client for every task: it pools connections and is safe to share between the
        # worker threads. A local server needs no key, but the library sends one on every
        # request: the placeholder local servers document for "no key".
        self._client = self._api.OpenAI(
            base_url=self.base_url, api_key=self.api_key or NO_KEY, timeout=self.timeout, max_retries=self.retries
        )
        self._url = f"{self.base_url}/chat/completions"

    @property
    def label(self) -> str:
        return f"openai:{self.model}"

    # -- the run -------------------------------------------------------------------------------

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        self.failures = []
        outcomes: list[dict[str, Any] | Failure] = []
        if self.concurrency == 1 or len(tasks) <= 1:
            outcomes = [self._attempt(task, i) for i, task in enumerate(tasks)]
        else:
            pool = ThreadPoolExecutor(min(self.concurrency, len(tasks)), thread_name_prefix="mentor-teacher")
            try:
                futures = [pool.submit(self._attempt, task, i) for i, task in enumerate(tasks)]
                outcomes = [f.result() for f in futures]
            finally:
                # A TeacherError (bad credentials) stops the run: drop the tasks not started.
                pool.shutdown(wait=True, cancel_futures=True)
        records = []
        for outcome in outcomes:
            if isinstance(outcome, Failure):
                self.failures.append(outcome)
            else:
                records.append(outcome)
        return records

    def _attempt(self, task: dict[str, Any], index: int) -> dict[str, Any] | Failure:
        try:
            return self.solve(task)
        except TaskFailed as exc:
            return Failure(task_id(task, index), exc.kind, exc.detail)
        except TeacherError:
            raise
        except Exception as exc:  # whatever a server sends must fail one task, not the run
            return Failure(task_id(task, index), "error", f"{type(exc).__name__}: {exc}")

    def solve(self, task: dict[str, Any]) -> dict[str, Any]:
        """One task's conversation, as a record; TaskFailed when it cannot produce one."""
        tools = task_tools(task, self.registry)
        offered = {t.name for t in tools}
        messages = self._initial_messages(task)
        schemas = [t.schema() for t in tools]
        turns: list[Turn] = []
        for turn_number in range(self.max_turns):
            message = self._complete(messages, schemas)
            content = _content_text(message.get("content"))
            entries = message.get("tool_calls")
            if entries:
                if not isinstance(entries, list):
                    raise TaskFailed("malformed_response", "'tool_calls' is not a list")
                calls = [call_from_entry(e) for e in entries]
                results = self._run(calls, offered)
                ids = [
                    e["id"]
                    if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]
                    else f"call_{turn_number}_{i}"
                    for i, e in enumerate(entries)
                ]
                messages.append(
                    {
                        "role": "assistant",
                        "content": content or None,
                        "tool_calls": [
                            {
                                "id": call_id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
                            }
                            for call_id, c in zip(ids, calls)
                        ],
                    }
                )
                messages.extend(
                    {"role": "tool", "tool_call_id": call_id, "content": render_value(r.output)}
                    for call_id, r in zip(ids, results)
                )
                turns.append(Turn(content, list(zip(calls, results))))
                continue
            inline = [c for c in HERMES.parse(content) if c.is_call or c.error]
            if inline:
                text = cut_after_last_call(content)
                results = self._run(inline, offered)
                messages.append({"role": "assistant", "content": text})
                messages.append({"role": "user", "content": "".join(render_response(r) for r in results)})
                turns.append(Turn(text, list(zip(inline, results)), inline=True))
                continue
            if not content.strip():
                raise TaskFailed("no_answer", f"the final message (turn {turn_number + 1}) is empty")
            calls = [c for turn in turns for c, _ in turn.steps]
            results = [r for turn in turns for _, r in turn.steps]
            return make_record(
                task,
                tools=[t.name for t in tools],
                calls=calls,
                results=results,
                completion=render_trajectory(turns, content, self.eos),
                answer=boxed(content),
                model=self.label,
            )
        raise TaskFailed("max_turns", f"still calling tools after {self.max_turns} turns")

    def _initial_messages(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        messages = prompt_messages(task)
        if not self.system:
            return messages
        if messages[0].get("role") == "system":  # keep the task's own instructions, after ours
            return [
                {"role": "system", "content": f"{self.system}\n\n{messages[0].get('content') or ''}"},
                *messages[1:],
            ]
        return [{"role": "system", "content": self.system}, *messages]

    def _run(self, calls: list[Call], offered: set[str]) -> list[ToolResult]:
        """Execute one turn's calls. The first bad one ends the task: a trajectory with a
        failed call is never kept, so asking the teacher to recover only costs requests."""
        for call in calls:
            if not call.well_formed:
                raise TaskFailed("invalid_call", f"{call.name or 'a call'}: {call.error or 'not a tool call'}")
            if call.name not in offered:
                raise TaskFailed("hallucinated_tool", f"{call.name!r} is not offered by the task")
        results = self.executor.run_many([(c.name, c.arguments) for c in calls])
        for call, result in zip(calls, results):
            if not result.ok:
                raise TaskFailed("call_failed", f"{call.name}: {result.error}")
        return results

    # -- HTTP (the openai client library) -------------------------------------------------------

    def _payload(self, messages: list[dict[str, Any]], schemas: list[dict[str, Any]]) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "messages": messages}
        if schemas:
            payload["tools"] = schemas
        if self.temperature is not None:
            payload["temperature"] = self.temperature
        if self.max_tokens is not None:
            payload["max_tokens"] = self.max_tokens
        return payload

    def _complete(self, messages: list[dict[str, Any]], schemas: list[dict[str, Any]]) -> dict[str, Any]:
        """The assistant message of one chat completion."""
        body = self._post(self._payload(messages, schemas))
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise TaskFailed("malformed_response", f"the response is not JSON: {_snippet(body)!r}") from None
        if not isinstance(data, dict):
            raise TaskFailed("malformed_response", f"the response is a JSON {type(data).__name__}, not an object")
        if data.get("error"):
            raise TaskFailed("api_error", _snippet(json.dumps(data["error"], default=str)))
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise TaskFailed("malformed_response", f"no 'choices' in the response: {_snippet(body)!r}")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise TaskFailed("malformed_response", "the first choice has no 'message' object")
        return message

    def _post(self, payload: dict[str, Any]) -> str:
        """The body of one chat-completions response, after the library's retries.

        The raw response, not the library's parsed model: servers that are only nearly
        compatible (arguments as objects, content as parts, no `choices`) must fail one
        task with a reason, or be understood, rather than fail inside the library."""
        api = self._api
        try:
            raw = self._client.chat.completions.with_raw_response.create(**payload)
        except api.APITimeoutError as exc:
            raise TaskFailed("timeout", f"no response within {self.timeout:g} s{_retried(exc.request)}") from None
        except api.APIConnectionError as exc:
            reason = exc.__cause__ or exc
            raise TaskFailed("connection_error", f"{self._url}: {reason}{_retried(exc.request)}") from None
        except api.APIStatusError as exc:
            status, detail = exc.status_code, _snippet(_body(exc.response))
            if status in _FATAL:
                raise TeacherError(
                    f"openai teacher: {self._url} answered HTTP {status}: {_FATAL[status]}"
                    + (f"; the server said: {detail}" if detail else "")
                ) from None
            reason = f" {exc.response.reason_phrase}" if exc.response.reason_phrase else ""
            raise TaskFailed("http_error", f"HTTP {status}{reason}{_retried(exc.request)}: {detail}") from None
        return raw.http_response.text

    def close(self) -> None:
        self._client.close()
        ToolAccess.close(self)


def _openai_library():
    """The `openai` package, imported only when an openai teacher is built."""
    try:
        import openai
    except ImportError:
        raise TeacherError(
            'the openai teacher needs the openai client library: pip install "mentor[openai]" (or pip install openai)'
        ) from None
    return openai


def _retried(request: Any) -> str:
    """How often the library retried a request: it numbers each attempt in a request header."""
    try:
        count = int(request.headers.get("x-stainless-retry-count", 0))
    except (AttributeError, TypeError, ValueError):
        return ""
    return f" (after {count} {'retry' if count == 1 else 'retries'})" if count else ""


def _body(response: Any) -> str:
    try:
        return response.text or ""
    except Exception:  # the error body is a courtesy; a broken one must not hide the status
        return ""
