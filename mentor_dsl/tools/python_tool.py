"""The built-in `python` tool: run a snippet in the sandbox and return what it printed.

Output is stdout and stderr as the snippet wrote them, followed by the repr of the last line
when that line is an expression with a value, the way a REPL shows it:

    {"code": "x = 6 * 7\\nprint('x is', x)\\nx / 2"}   ->   "x is 42\\n21.0\\n"

A snippet that raises fails the call with "ExceptionType: message (line N)". Each call is a
fresh process in a fresh scratch directory: nothing carries over between calls. The limits
(time, memory, output) are the executor's; see `sandbox` for everything else it may not do.
"""

from __future__ import annotations

from collections.abc import Callable

from ..plugins import hookimpl
from . import sandbox
from .base import Tool

NAME = "python"
TOOLSET = "code"

DESCRIPTION = (
    "Run a Python 3 snippet and return what it prints. If the last line is an expression, its "
    "value is shown too, as in a REPL. The standard library and installed packages such as "
    "sympy and numpy are available. There is no network, no subprocess, and no file access "
    "outside the current directory; each call starts fresh, with no state kept from earlier calls."
)

PARAMETERS = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "The Python source to run."},
    },
    "required": ["code"],
    "additionalProperties": False,
}


def python(code: str) -> str:
    """Run `code` in a sandboxed child process and return its output.

    The executor never calls this function in-process: it runs `sandbox.run_snippet` (named
    by `__sandbox_target__`) in the sandbox, under its own limits. Called directly, it
    sandboxes itself with the default limits and raises RuntimeError when the snippet fails.
    """
    result = sandbox.run_code(code)
    if not result.ok:
        raise RuntimeError(result.error)
    return result.output


python.__sandbox_target__ = sandbox.run_snippet  # type: ignore[attr-defined]


def build_tool() -> Tool:
    """A fresh Tool object for the `python` tool."""
    return Tool(NAME, DESCRIPTION, PARAMETERS, python, kind="code", toolset=TOOLSET)


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    register(build_tool())
