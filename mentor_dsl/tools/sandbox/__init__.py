"""Run untrusted work in a throwaway, locked-down child process.

`run_function(fn, kwargs, limits)` runs `fn(**kwargs)` in a fresh Python interpreter and
returns a `SandboxResult`; it never raises. `run_code(code, limits)` runs a Python snippet
that way (the built-in `python` tool). `probe()` says which layers this machine allows.

The layers are independent, so losing one (no root, an old kernel, a container that forbids
namespaces) leaves the others standing. Each has a module of its own:

| layer | module | what it does |
|---|---|---|
| `rlimits`, `nproc` | rlimits.py | memory, CPU, file size, open files, no core; threads and processes |
| `netns`, `tmpfs` | namespaces.py | no network; a private, size-capped tmpfs as scratch |
| `uid`, `caps` | privileges.py | as root: a uid of its own, or every capability dropped |
| `landlock` | landlock.py | reads under Python's and the system's directories, writes in scratch, no TCP |
| `seccomp` | seccomp.py | no fork/exec/socket/ptrace/namespaces; signals to itself only |
| `audit` | policy.py | the readable policy: opens, processes, sockets, ctypes, introspection |

parent.py is the caller's side (start, feed, watch, kill, interpret); child.py is the
child's program, which applies the layers in order and runs the target with `call`, the
call code the executor's pure-tool workers share. failures.py names why a call failed
(`FailureKind`). The child imports only this folder and the standard library.

The audit hook alone is not a security boundary (C code can sidestep it); it is the layer
that works everywhere and gives readable errors. The kernel layers are the boundary.
"""

from __future__ import annotations

from .child import run_snippet
from .failures import FailureKind
from .parent import LAYERS, Limits, SandboxResult, probe, run_code, run_function
from .policy import PROCESS_EVENTS

__all__ = [
    "FailureKind",
    "LAYERS",
    "Limits",
    "PROCESS_EVENTS",
    "SandboxResult",
    "probe",
    "run_code",
    "run_function",
    "run_snippet",
]
