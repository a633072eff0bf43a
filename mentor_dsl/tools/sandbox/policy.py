"""The `audit` layer: the sandbox's policy, as a `sys.addaudithook` hook.

CPython raises an audit event before opening a file, starting a process, opening a socket,
loading a library through ctypes and much more. `install` adds a hook, which cannot be
removed once added, that refuses (`Denied`, a PermissionError with a readable reason):

* opens and path operations outside the scratch directory, Python's own directories and a
  few harmless files; writes anywhere but the scratch directory and /dev/null;
* starting a process in any way (`PROCESS_EVENTS`), sockets, signals, ctypes beyond
  loading Python's or the system's libraries, and resource limit changes;
* the introspection that could reach the hook's own state (gc referrers, frames of other
  threads) and the modules that reach around the hook (cffi, subinterpreters, test helpers).

The hook alone is not a security boundary: C code can sidestep it. It is the layer that
works everywhere and gives readable errors; the kernel layers (landlock, seccomp,
namespaces, rlimits) are the boundary. The executor's pure-tool workers use
`refuse_processes`, the process part of this policy, on trusted tools. Standard library only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn


class Denied(PermissionError):
    """Something the sandbox policy does not allow; `FailureKind.FORBIDDEN` when a call
    fails with it."""


#: Audit events that start a process; the executor's pure-tool workers refuse these too
#: (`refuse_processes`).
PROCESS_EVENTS = frozenset(
    {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen"}
)
# Audit events refused outright, and refused by prefix.
_DENY_EVENTS = PROCESS_EVENTS | frozenset(
    {
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "os.link",
        "os.symlink",
        "resource.setrlimit",
        "resource.prlimit",
        "gc.get_objects",
        "gc.get_referrers",
        "gc.get_referents",
        "sys._current_frames",
        "sys._current_exceptions",
        "cpython.PyInterpreterState_New",
        "urllib.Request",
        "webbrowser.open",
        "sqlite3.enable_load_extension",
        "sqlite3.load_extension",
    }
)
_DENY_PREFIXES = ("socket.", "ctypes.", "syslog.", "_winapi.", "winreg.", "msvcrt.")
# numpy and sympy import ctypes, so importing it and loading libraries from Python's or the
# system's directories is allowed. Looking up a symbol (ctypes.dlsym, which every
# `CDLL(...).name` does) and raw memory access are not: they are the other "ctypes." events,
# refused by prefix. ctypes.memmove and ctypes.cast still exist and are memory-unsafe, which
# is one reason the kernel layers exist.
_ALLOW_CTYPES = frozenset(
    {"ctypes.create_string_buffer", "ctypes.create_unicode_buffer", "ctypes.get_errno", "ctypes.set_errno"}
)
# Modules that reach around the hook: foreign calls through cffi, fork+exec without the
# audited Python wrapper (imported and defused before the hook; this only stops a fresh
# copy), interpreters that do not inherit Python-level hooks, POSIX shared memory, CPython's
# test helpers (memory-unsafe by design).
_DENY_IMPORTS = frozenset(
    {
        "cffi",
        "_cffi_backend",
        "_posixsubprocess",
        "_posixshmem",
        "_xxsubinterpreters",
        "_xxinterpchannels",
        "_interpreters",
        "_interpchannels",
        "_interpqueues",
        "_testcapi",
        "_testinternalcapi",
        "_testmultiphase",
        "_testsinglephase",
    }
)
# Events whose arguments include paths: (indexes written, indexes read, indexes of dir_fd).
_PATH_EVENTS = {
    "os.listdir": ((), (0,), ()),
    "os.scandir": ((), (0,), ()),
    "os.getxattr": ((), (0,), ()),
    "os.listxattr": ((), (0,), ()),
    "os.mkdir": ((0,), (), (2,)),
    "os.remove": ((0,), (), (1,)),
    "os.rmdir": ((0,), (), (1,)),
    "os.rename": ((0, 1), (), (2, 3)),
    "os.truncate": ((0,), (), ()),
    "os.chmod": ((0,), (), (2,)),
    "os.chown": ((0,), (), (3,)),
    "os.utime": ((0,), (), (3,)),
    "os.chflags": ((0,), (), ()),
    "os.lchflags": ((0,), (), ()),
    "os.setxattr": ((0,), (), ()),
    "os.removexattr": ((0,), (), ()),
}


def make_audit_hook(scratch: str, read_roots: tuple, read_files: tuple, path_types: tuple) -> Callable:
    """The audit policy as a closure over immutable values.

    Everything it calls is bound here, at install time: sandboxed code can rebind builtins
    and module attributes, but not these names. Nothing else refers to the hook.
    """
    getcwd = os.getcwd
    is_type, to_str, length = type, str, len
    str_type, bytes_type, int_type, none = str, bytes, int, None
    deny_error = Denied
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    deny_events, deny_prefixes, deny_imports, path_events = _DENY_EVENTS, _DENY_PREFIXES, _DENY_IMPORTS, _PATH_EVENTS
    allow_ctypes = _ALLOW_CTYPES
    libraries = tuple(read_roots)
    writable = (scratch,)
    readable = (scratch, *read_roots)
    write_files = ("/dev/null",)

    # An event's arguments are whatever the caller passed (Any); `absolute` and `relative`
    # narrow them by exact type through the bound `is_type`, which the type checker cannot
    # follow (an isinstance check would let a str subclass answer for itself).
    def absolute(path: Any) -> str | None:
        """The normalised absolute path, or None when it cannot be checked safely."""
        if path is none:
            text = getcwd()
        elif is_type(path) is str_type:
            text = path
        elif is_type(path) is bytes_type:
            text = path.decode("utf-8", "surrogateescape")
        elif is_type(path) in path_types:
            text = to_str(path)  # pathlib's own __str__, which the hook keeps from being patched
        else:
            return none  # an arbitrary __fspath__ could answer differently the second time
        if "\x00" in text:
            return none
        if not text.startswith("/"):
            text = getcwd() + "/" + text
        parts: list = []
        for seg in text.split("/"):
            if seg == "" or seg == ".":
                continue
            if seg == "..":
                if parts:
                    parts.pop()
                continue
            parts.append(seg)
        return "/" + "/".join(parts)

    def inside(path: str, roots: tuple) -> bool:
        for root in roots:
            if path == root or path.startswith(root + "/"):
                return True
        return False

    def check(event: str, path: object, write: bool) -> None:
        if is_type(path) is int_type:
            return  # a descriptor: opening it was checked
        full = absolute(path)
        if full is none:
            raise deny_error(f"sandbox: {event} needs a str path")
        if write:
            if inside(full, writable) or full in write_files:
                return
            raise deny_error(f"sandbox: writing {full!r} is not allowed (only the scratch directory)")
        if inside(full, readable) or full in read_files:
            return
        raise deny_error(f"sandbox: reading {full!r} is not allowed (only the scratch directory)")

    def relative(path: Any) -> bool:
        return (is_type(path) is str_type and not path.startswith("/")) or (
            is_type(path) is bytes_type and not path.startswith(b"/")
        )

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if mode is none and relative(path):
                # os.open may carry a dir_fd the event does not show; a relative path would
                # then be judged against the wrong directory.
                raise deny_error("sandbox: os.open needs an absolute path")
            check("open", path, is_type(flags) is int_type and flags & write_flags != 0)
            return
        if event in path_events:
            writes, reads, dir_fds = path_events[event]
            for i in dir_fds:
                if i < length(args) and args[i] not in (none, -1):
                    for j in writes + reads:
                        if j < length(args) and relative(args[j]):
                            raise deny_error(f"sandbox: {event} with dir_fd needs an absolute path")
            for i in writes:
                if i < length(args):
                    check(event, args[i], True)
            for i in reads:
                if i < length(args):
                    check(event, args[i], False)
            return
        if event == "os.chdir":
            path = args[0]
            if is_type(path) is not int_type:
                full = absolute(path)
                if full is none or not inside(full, writable):
                    raise deny_error("sandbox: os.chdir is only allowed within the scratch directory")
            return
        if event == "import":
            name = args[0]
            if is_type(name) is str_type and (name in deny_imports or name.split(".")[0] in deny_imports):
                raise deny_error(f"sandbox: importing {name!r} is not allowed")
            return
        if event == "ctypes.dlopen":
            # A library by bare name comes from the loader's system path; by path, only from
            # Python's or the system's directories: a library written to scratch would run its
            # constructors natively, around this hook.
            name = args[0]
            if name is none or (is_type(name) is str_type and "/" not in name):
                return
            full = absolute(name)
            if full is none or not inside(full, libraries):
                raise deny_error(f"sandbox: loading {name!r} is not allowed")
            return
        if event in allow_ctypes:
            return
        if event in deny_events or event.startswith(deny_prefixes):
            raise deny_error(f"sandbox: {event} is not allowed")
        if event == "sqlite3.connect":
            database = args[0]
            if database not in (":memory:", "", b":memory:", b""):
                check(event, database, True)
            return
        if event == "object.__setattr__" or event == "object.__delattr__":
            # pathlib's classes are trusted by `absolute`; keep them as they are.
            obj = args[0]
            for cls in path_types:
                if obj is cls:
                    raise deny_error(f"sandbox: changing {cls.__name__} is not allowed")
            return

    return hook


def refuse_processes(event: str, args: tuple) -> None:
    """The executor's pure-tool workers' audit hook. Starting a process from a pure tool
    would leave a copy of the worker (or a stray program) behind the executor's back."""
    if event in PROCESS_EVENTS:
        raise Denied(f"tools may not start processes ({event} is not allowed)")


def defuse_fork_exec() -> None:
    """subprocess's fork+exec primitive raises no audit event of its own. Libraries import
    subprocess at import time (sympy does), so the module must load, but must not work."""
    import _posixsubprocess

    def fork_exec(*args: object, **kwargs: object) -> NoReturn:
        raise Denied("sandbox: starting processes is not allowed")

    _posixsubprocess.fork_exec = fork_exec


def install(scratch: str, read_roots: list[str], read_files: list[str]) -> None:
    """Defuse fork+exec and add the hook. From here on, this process is under the policy."""
    import pathlib

    defuse_fork_exec()
    path_types = (pathlib.PurePosixPath, pathlib.PosixPath, pathlib.PurePath, pathlib.Path)
    sys.addaudithook(make_audit_hook(scratch, tuple(read_roots), tuple(read_files), path_types))
