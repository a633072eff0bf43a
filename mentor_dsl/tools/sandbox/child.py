"""The sandboxed child's program, and the call code every tool process shares.

The parent (parent.py) starts a fresh interpreter (`-S -s -B`, see `parent.STUB`) that
imports this package under the name `__mentor_sandbox_child__` instead of
`mentor_dsl.tools.sandbox`, which would import the whole project and its dependencies,
and calls `main`. Everything here and in the layer modules it imports uses only the
standard library and is cheap at import: it is paid on every sandboxed call.

`call` runs a function, serialises what it returned and names a failure (`describe`). The
executor's pure-tool workers run tools with the same `call`, so a tool fails the same way,
with the same words and the same `FailureKind`, whichever process runs it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

from . import policy
from .failures import FailureKind

#: The name the child imports this package under.
PACKAGE = "__mentor_sandbox_child__"
#: Whether this module is the child's copy (imported by the stub) rather than the caller's.
IN_CHILD = __name__.startswith(PACKAGE + ".")
SNIPPET_FILE = "<python>"

_confined = False  # set in the child once every layer is in place
_job_limits: dict = {}


# ------------------------------------------------------------------------------------------
# Shared call code
# ------------------------------------------------------------------------------------------


def call(
    fn: Callable[..., object], kwargs: dict, max_output: int, memory_mb: int | None = None
) -> tuple[FailureKind | None, str]:
    """Run `fn(**kwargs)`: (None, the value as compact JSON) or (kind, message). Never raises."""
    dumps = json.dumps  # bound before the tool runs: it may rebind module attributes
    try:
        value = fn(**kwargs)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from a tool are its failure too
        return describe(exc, memory_mb)
    try:
        text = dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: keep them, escaped
        text = dumps(value, allow_nan=False, separators=(",", ":"))
        size = len(text)
    except (TypeError, ValueError, RecursionError) as exc:
        return FailureKind.NOT_JSON, f"output is not JSON-serialisable: {exc}"
    except MemoryError:
        return FailureKind.MEMORY, _memory_text(memory_mb)
    if size > max_output:
        return FailureKind.OUTPUT_CAP, f"output exceeds {max_output} bytes"
    return None, text


def describe(exc: BaseException, memory_mb: int | None = None) -> tuple[FailureKind, str]:
    """The kind and the message of a call that raised: 'ExceptionType: message', plus the
    snippet's line number when it raised there."""
    if type(exc) is OutputLimit:
        return FailureKind.OUTPUT_CAP, str(exc)
    if isinstance(exc, MemoryError):
        return FailureKind.MEMORY, _memory_text(memory_mb)
    denied = isinstance(exc, policy.Denied)
    kind = FailureKind.FORBIDDEN if denied else FailureKind.RAISED
    name = "PermissionError" if denied else type(exc).__name__  # the built-in the model knows
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    text = f"{name}: {message}" if message else name
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SNIPPET_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is not None:
        text += f" (line {line})"
    return kind, text if len(text) <= 2000 else text[:1997] + "..."


def _memory_text(memory_mb: int | None) -> str:
    return f"MemoryError: memory limit of {memory_mb} MB exceeded" if memory_mb else "MemoryError"


# ------------------------------------------------------------------------------------------
# The python tool's snippet runner
# ------------------------------------------------------------------------------------------


class OutputLimit(Exception):
    """Raised into sandboxed code that prints more than the output cap."""


class Capture:
    """A text stream that keeps at most `limit` bytes and then refuses to take more."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, limit: int):
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        n = len(text.encode("utf-8", "surrogatepass"))
        if self.size + n > self.limit:
            raise OutputLimit(f"output exceeds {self.limit} bytes")
        self.parts.append(text)
        self.size += n
        return len(text)

    def writelines(self, lines: object) -> None:
        for line in lines:  # type: ignore[attr-defined]
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def getvalue(self) -> str:
        return "".join(self.parts)


def run_snippet(code: str) -> str:
    """Run `code` as a script and return what it printed (stdout and stderr together), then
    the repr of its last line when that is an expression with a value, as a REPL shows it.

    Only runs inside a sandbox child: untrusted code must never run in the caller's process.
    Called anywhere else, it runs itself in a sandbox and returns that call's output.
    """
    if not (IN_CHILD and _confined):
        from .parent import run_code

        result = run_code(code)
        if not result.ok:
            raise RuntimeError(result.error)
        return result.output
    import ast
    import builtins

    tree = ast.parse(code, SNIPPET_FILE, "exec")
    tail = None
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
        tail = ast.Expression(last.value)
    out = Capture(int(_job_limits.get("max_output", 65536)))
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    sys.stdout = sys.stderr = out
    try:
        exec(compile(tree, SNIPPET_FILE, "exec"), namespace)
        if tail is not None:
            value = eval(compile(tail, SNIPPET_FILE, "eval"), namespace)
            if value is not None:
                out.write(repr(value) + "\n")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    return out.getvalue()


def noop() -> None:
    """The target `probe` runs: it shows which layers a child gets, and nothing else."""
    return None


# ------------------------------------------------------------------------------------------
# The child's life
# ------------------------------------------------------------------------------------------


def main(result_fd: int) -> None:
    """Read the job, confine this process, run the target, report on `result_fd`, exit."""
    write, exit_ = os.write, os._exit  # user code may rebind the os module's attributes

    def send(frame: dict) -> None:
        data = json.dumps(frame, ensure_ascii=True).encode()
        while data:
            data = data[write(result_fd, data) :]

    layers: dict[str, str] = {}
    stage = FailureKind.INTERNAL
    try:
        job = json.loads(sys.stdin.buffer.read())
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        limits = job["limits"]
        _job_limits.update(limits)
        from . import rlimits

        rlimits.apply(limits, layers)
        stage = FailureKind.NO_IMPLEMENTATION
        fn = _resolve(job)
        stage = FailureKind.INTERNAL
        confine(job, layers)
    except BaseException as exc:
        send({"ok": False, "kind": stage.value, "error": f"sandbox setup failed: {describe(exc)[1]}", "layers": layers})
        exit_(0)
    global _confined
    _confined = True
    write(result_fd, b"R")  # the parent's timeout starts now
    kind, text = call(fn, job["kwargs"], int(limits["max_output"]), int(limits["memory_mb"]))
    frame: dict[str, object] = (
        {"ok": True, "output": text} if kind is None else {"ok": False, "kind": kind.value, "error": text}
    )
    frame["layers"] = layers
    try:
        send(frame)
    except BaseException:
        exit_(3)
    exit_(0)


def _resolve(job: dict) -> Callable[..., object]:
    """Import the target while the process can still read anything (it is trusted code)."""
    import importlib

    module_name, qualname = job["target"]
    if module_name.startswith(PACKAGE + "."):
        # One of this package's own functions: only installed libraries are needed besides.
        sys.path.extend(p for p in job["site_dirs"] if p not in sys.path)
        if qualname == run_snippet.__qualname__:
            import ast  # noqa: F401  (run_snippet needs them; import while we can read anything)
            import builtins  # noqa: F401
    else:
        sys.path.extend(p for p in job["sys_path"] if p not in sys.path)
    obj: object = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{module_name}:{qualname} is not callable")
    return obj


def confine(job: dict, layers: dict[str, str]) -> None:
    """Apply the kernel layers in the one order that works, then the audit hook.

    As root, plain unshares come first. The user-namespace fallback has to wait until after
    the uid switch (a fresh user namespace would refuse it) and after RLIMIT_NPROC (whose
    value a new user namespace records as the cap for the whole uid). Landlock and seccomp
    need PR_SET_NO_NEW_PRIVS; the audit hook comes last, since it would refuse the ctypes
    calls that install the others.
    """
    from . import kernel, landlock, namespaces, privileges, rlimits, seccomp

    disabled = set(job["disable"])
    libc = kernel.libc()
    euid = os.geteuid()
    limits = job["limits"]
    # Count before any namespace changes how /proc shows owners.
    tasks_before = rlimits.count_tasks(os.getuid()) if euid != 0 and "nproc" not in disabled else 0

    scratch = job["scratch"]
    want_net, want_fs = "netns" not in disabled, "tmpfs" not in disabled
    netns = "off: disabled" if not want_net else namespaces.unshare_net(libc) if euid == 0 else ""
    tmpfs = "off: disabled" if not want_fs else ""
    uid = job["uid"]
    if euid == 0 and want_fs:
        tmpfs = namespaces.private_tmpfs(
            libc, scratch, int(limits["max_disk_mb"]), uid if uid is not None else 0, user_ns=False
        )
    if euid != 0:
        layers["uid"] = "off: not root"
        layers["caps"] = "off: not root (no capabilities to drop)"
    else:
        privileges.drop_bounding_set(libc)
        if uid is not None:
            layers["uid"] = privileges.switch_uid(uid)
            layers["caps"] = "on: all dropped with the uid switch"
        else:
            layers["uid"] = job["uid_note"]
            layers["caps"] = "off: disabled" if "caps" in disabled else privileges.drop_caps(libc)
    layers["nproc"] = (
        "off: disabled"
        if "nproc" in disabled
        else rlimits.limit_nproc(int(limits["max_threads"]), uid, euid, tasks_before)
    )
    need_net = want_net and not netns.startswith("on")
    need_fs = want_fs and not tmpfs.startswith("on")
    if need_net or need_fs:
        made, note = namespaces.enter_user_ns(libc, net=need_net, mounts=need_fs)
        if need_net:
            # Without id maps the namespaces exist all the same; only the tmpfs needs them.
            netns = (
                "on: new network and IPC namespace (in a user namespace)"
                if made
                else f"off: {note}" + (f"; as root: {netns[5:]}" if netns else "")
            )
        if need_fs:
            tmpfs = (
                namespaces.private_tmpfs(libc, scratch, int(limits["max_disk_mb"]), os.getuid(), user_ns=True)
                if note is None
                else f"off: {note}" + (f"; as root: {tmpfs[5:]}" if tmpfs else "")
            )
    layers["netns"] = netns
    layers["tmpfs"] = tmpfs

    # Die with the parent. Set after the uid switch, which clears it.
    kernel.die_with_parent(libc)
    if os.getppid() != job["parent_pid"]:
        os._exit(1)
    kernel.no_new_privs(libc)

    roots, files = list(job["read_roots"]), list(job["read_files"])
    layers["landlock"] = "off: disabled" if "landlock" in disabled else landlock.restrict(libc, roots, files, scratch)
    layers["seccomp"] = "off: disabled" if "seccomp" in disabled else seccomp.install(libc)
    if "audit" in disabled:
        layers["audit"] = "off: disabled"
    else:
        policy.install(scratch, roots, files)
        layers["audit"] = "on"
