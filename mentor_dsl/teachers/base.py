"""What a teacher is: something that produces reference trajectories for tasks."""

from __future__ import annotations

from typing import Any, Protocol, Sequence


class Teacher(Protocol):
    """Built by a factory registered through `register_teachers`:
    `factory(**options) -> Teacher`.

    `generate(tasks)` receives task records (`id`, `prompt`, `answer`, `tools`, ...) and
    returns one trajectory record per task it could solve, with `teacher.tool_calls` and
    `completion` filled in. `mentor teach` executes and verifies them before keeping any.
    """

    name: str

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]: ...
