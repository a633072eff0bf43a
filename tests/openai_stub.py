"""A scripted OpenAI-compatible chat-completions server for the teacher tests.

It runs `http.server` in a thread on 127.0.0.1 (a free port) and plays a teacher that
knows the built-in tasks' oracle plans: each request looks up the task by its user
message and answers with the next planned call, then with the final answer, so any
number of tasks can run through it concurrently. `mode` changes how it answers, and
`script` (a list of (status, body) pairs served first, in order) injects errors.

    with StubServer() as server:
        teacher = OpenAITeacher("stub", base_url=server.url, ...)
        server.requests    # every request: {"path", "headers" (lower-case names), "body"}
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubServer:
    """Modes: "calls" (one call per turn, arguments as a JSON string, the second call's
    double-encoded), "parallel" (every call in one message, arguments as objects),
    "hermes" (calls as <tool_call> text in content), "wrong" (a wrong final answer),
    "hallucinate" (calls a tool nobody has), "slow" (sleeps `delay` s first)."""

    def __init__(self, tasks: list[dict[str, Any]] | None = None, mode: str = "calls", delay: float = 0.0):
        self.plans = {self._question(t["prompt"]): t for t in tasks or []}
        self.mode = mode
        self.delay = delay
        self.script: list[tuple[int, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def _question(prompt: Any) -> str:
        if isinstance(prompt, str):
            return prompt
        return next(m["content"] for m in prompt if m["role"] == "user")

    # -- the scripted teacher ------------------------------------------------------------------

    def reply(self, body: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        messages = body["messages"]
        task = self.plans[self._question(messages)]
        plan = task["teacher"]["tool_calls"]
        done = sum(len(m.get("tool_calls") or []) for m in messages if m["role"] == "assistant")
        if self.mode == "hermes":
            done = sum(m["content"].count("<tool_call>") for m in messages if m["role"] == "assistant")
        if self.mode == "hallucinate":
            return 200, _message(None, [_entry("c0", "teleport", json.dumps({"to": "mars"}))])
        if done < len(plan):
            if self.mode == "parallel":
                entries = [_entry(f"p{i}", c["name"], c["arguments"]) for i, c in enumerate(plan)]
                return 200, _message(None, entries)
            call = plan[done]
            if self.mode == "hermes":
                block = json.dumps({"name": call["name"], "arguments": call["arguments"]})
                text = f"<tool_call>\n{block}\n</tool_call>"
                return 200, _message(text + "\n<tool_response>\n999\n</tool_response>")  # imagined: cut off
            arguments = json.dumps(call["arguments"])
            if done == 1:
                arguments = json.dumps(arguments)  # double-encoded, as some servers send
            return 200, _message(None, [_entry(f"call-{done}", call["name"], arguments)])
        answer = task["answer"] if self.mode != "wrong" else "-12345"
        return 200, _message(f"The answer is \\boxed{{{answer}}}")

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                with stub._lock:
                    # Header names are case-insensitive; clients differ in how they spell them.
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    stub.requests.append({"path": self.path, "headers": headers, "body": body})
                if stub.delay:
                    time.sleep(stub.delay)
                status, payload = stub.reply(body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (the timeout test)
                    pass

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        return Handler


def _entry(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _message(content: str | None, tool_calls: list | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"id": "chatcmpl-stub", "object": "chat.completion", "model": "stub",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}]}
