"""What a teacher is: something that produces reference trajectories for tasks."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import MentorError


class Teacher(Protocol):
    """Built by a factory registered through `register_teachers`:
    `factory(**options) -> Teacher`.

    `generate(tasks)` receives task records (`id`, `prompt`, `answer`, `tools`, ...) and
    returns one trajectory record per task it could solve, with `teacher.tool_calls` and
    `completion` filled in. `mentor teach` executes and verifies them before keeping any.

    Two optional members make a teacher nicer to run (the built-in ones have both):

    - `failures`: a list of `Failure`, one per task of the *last* `generate` call that
      produced no record, saying why. `mentor teach` counts them by `kind`; a task that
      is neither returned nor listed is counted as "no trajectory".
    - `close()`: releases what the teacher holds (tool workers, a model); called once
      when `mentor teach` is done with the teacher.
    """

    name: str

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Failure:
    """Why a teacher produced no trajectory for one task.

    `kind` is a short stable label that summaries count by ("http_error", "timeout",
    "no_plan", ...); `detail` is the human-readable specifics."""

    task_id: Any
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


class TeacherError(MentorError):
    """A teacher that cannot run at all: unknown name, bad option, unusable model or
    endpoint. (A task the teacher fails on is a `Failure`, not an error.)"""

    exit_code = 8


class TaskFailed(Exception):
    """Raised inside a teacher to give up on one task; becomes a `Failure`."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class ToolAccess:
    """The registry and a lazily started executor (closed by `close()` when we started
    it). Shared by the teachers and the verifier; safe to use from several threads."""

    def __init__(self, *, tool_timeout: float, registry=None, executor=None):
        self._tool_timeout = tool_timeout
        self._registry = registry
        self._executor = executor
        self._owns_executor = executor is None
        self._tools_lock = threading.Lock()

    @property
    def registry(self):
        if self._registry is None:
            from ..plugins import registry

            self._registry = registry()
        return self._registry

    @property
    def executor(self):
        with self._tools_lock:
            if self._executor is None:
                from ..tools.executor import Executor

                self._executor = Executor(self.registry.tools, timeout=self._tool_timeout)
            return self._executor

    def close(self) -> None:
        with self._tools_lock:
            if self._owns_executor and self._executor is not None:
                self._executor.close()
                self._executor = None
