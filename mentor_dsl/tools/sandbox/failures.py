"""Why a tool call failed, as a type: `ToolResult.kind` and `SandboxResult.kind`.

One value per outcome that the executor, its workers and the sandbox tell apart, so callers
branch on a kind instead of matching message text. Standard library only: the sandboxed
child (which names most of these first) imports this module before it runs anything.
"""

from __future__ import annotations

import signal
from enum import StrEnum


class FailureKind(StrEnum):
    """The reason a tool call failed. The message (`ToolResult.error`) says the details."""

    #: No tool of that name is registered.
    UNKNOWN_TOOL = "unknown_tool"
    #: The arguments are not an object, are not JSON, or do not fit the tool's JSON Schema.
    SCHEMA = "schema"
    #: The record (or rollout turn) made more calls than the executor's `max_calls`.
    CAP_EXCEEDED = "cap_exceeded"
    #: The tool raised an exception (its type and message are the error).
    RAISED = "raised"
    #: The call ran past its time limit (wall clock, or the CPU-time backstop).
    TIMEOUT = "timeout"
    #: The call ran out of its memory limit.
    MEMORY = "memory"
    #: The output (or, for code, what it printed) is larger than the output limit.
    OUTPUT_CAP = "output_cap"
    #: The tool returned something that is not JSON (an object, NaN, a set).
    NOT_JSON = "not_json"
    #: The tool did something tools may not do: start a process, or break the sandbox policy.
    FORBIDDEN = "forbidden"
    #: The process running the tool died, or answered with something unreadable.
    CRASHED = "crashed"
    #: The tool's function cannot be found where it has to run (not importable by name).
    NO_IMPLEMENTATION = "no_implementation"
    #: The executor was closed, or the call cancelled, before it finished.
    CLOSED = "closed"
    #: The machinery failed (no process could be started): not the call's fault.
    INTERNAL = "internal"
    #: A failure decided outside the executor (`ToolResult.failure`'s default), such as a
    #: call the format could not parse.
    ERROR = "error"

    @property
    def cacheable(self) -> bool:
        """Whether the same call would fail the same way again. Failures of the machinery
        (closed, internal) would not, so they are never cached."""
        return self not in (FailureKind.CLOSED, FailureKind.INTERNAL)


def exit_text(returncode: int) -> str:
    """How a process ended, from a return code in `subprocess`'s convention (a negative
    number is the signal that killed it)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"
