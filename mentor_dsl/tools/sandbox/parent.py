"""The caller's side of the sandbox: start a child, feed it a job, watch it, read its answer.

Always, whatever the kernel allows:

* a fresh interpreter (`-S -s -B`, environment replaced: no secrets, no PYTHON* settings of
  the caller) in its own session, so a timeout kills the whole process group;
* a fresh scratch directory as cwd, HOME and TMPDIR, removed afterwards;
* a wall-clock timeout that starts when the untrusted code starts, not while Python boots;
* a cap on every byte the child sends back (result, stdout, stderr).

The child's side (child.py) confines itself with the layers before it runs the target.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# kernel, landlock, namespaces, rlimits and seccomp are the child's: imported here only so
# their bytecode lands in __pycache__ (the child may not write it) and each call loads them
# compiled.
from . import child, kernel, landlock, namespaces, privileges, rlimits, seccomp  # noqa: F401
from .failures import FailureKind, exit_text

#: Every layer `probe()` reports; `Limits.disable` may name any of these but "rlimits".
LAYERS = ("rlimits", "netns", "tmpfs", "uid", "caps", "nproc", "landlock", "seccomp", "audit")

# How long the child may take to boot (interpreter, imports, confinement) before the timeout
# proper starts; generous because a loaded 2-core CI machine can be slow to start processes.
_STARTUP_TIMEOUT = 20.0
# Room for the result frame's own JSON around an output of max_output bytes.
_FRAME_SLACK = 16384
_HERE = os.path.dirname(os.path.abspath(__file__))

#: The child's command line after `python -S -s -B -c`: it imports this folder as the package
#: `child.PACKAGE` (never as mentor_dsl, which would import the project) and runs `child.main`.
STUB = (
    "import sys;del sys.path[0];p=type(sys)(%r);p.__path__=[sys.argv[1]];sys.modules[%r]=p;"  # noqa: UP031 (a %r template reads as the code it builds)
    "__import__(%r,fromlist=['main']).main(int(sys.argv[2]))" % (child.PACKAGE, child.PACKAGE, child.PACKAGE + ".child")
)


@dataclass(frozen=True)
class Limits:
    """What one sandboxed call may use.

    `cpu_seconds` defaults to the timeout rounded up plus one: a backstop in case the parent
    cannot kill the child in time. `max_threads` is how many threads or processes the code
    may add (RLIMIT_NPROC headroom; forks are refused outright by seccomp and the audit hook).
    `disable` turns layers off by name; it exists for tests that prove each layer alone.
    """

    timeout: float = 5.0
    memory_mb: int = 512
    cpu_seconds: int | None = None
    max_output: int = 65536
    max_file_mb: int = 16
    max_open_files: int = 64
    max_threads: int = 16
    max_disk_mb: int = 64
    disable: frozenset = frozenset()


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed call.

    `output` is the JSON value `fn` returned and `output_json` its compact serialisation (so
    callers can cache or measure it without encoding again). `kind` says why a failed call
    failed. `stdout`/`stderr` are what the child wrote to its file descriptors 1 and 2, which
    is not the output. `layers` maps each layer to "on..." or "off: reason", as the child
    reported it.
    """

    ok: bool
    output: Any = None
    error: str | None = None
    output_json: str | None = None
    stdout: str = ""
    stderr: str = ""
    kind: FailureKind | None = None
    layers: Mapping[str, str] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def timed_out(self) -> bool:
        return self.kind is FailureKind.TIMEOUT

    @property
    def internal(self) -> bool:
        """A failure of the sandbox itself (could not start, cancelled), not of the code."""
        return self.kind is not None and not self.kind.cacheable


def run_code(code: str, limits: Limits | None = None, *, cancel: Any = None) -> SandboxResult:
    """Run a Python snippet in the sandbox; see `child.run_snippet` for what comes back."""
    return run_function(child.run_snippet, {"code": code}, limits, cancel=cancel)


def run_function(
    fn: Callable[..., Any], kwargs: Mapping[str, Any], limits: Limits | None = None, *, cancel: Any = None
) -> SandboxResult:
    """Run `fn(**kwargs)` in a sandboxed child and return what happened. Never raises.

    `fn` must be importable by name (a module-level function), or carry a
    `__sandbox_target__` attribute naming the function to run instead. Its module is
    imported in the child before the sandbox closes, so it may live anywhere; imports it
    makes later, while running, must come from the standard library or site-packages.
    `cancel` is an optional `threading.Event`: once set, the child is killed.
    """
    started = time.monotonic()
    limits = limits or Limits()
    try:
        target = _target_of(fn)
    except ValueError as exc:
        return SandboxResult(False, error=str(exc), kind=FailureKind.NO_IMPLEMENTATION)
    try:
        return _run(target, dict(kwargs), limits, cancel, started)
    except Exception as exc:  # an internal failure must still come back as a failed call
        return SandboxResult(
            False,
            error=f"sandbox error: {type(exc).__name__}: {exc}",
            kind=FailureKind.INTERNAL,
            duration=time.monotonic() - started,
        )


def probe(limits: Limits | None = None) -> dict[str, str]:
    """Which layers a sandboxed child gets on this machine, as the child saw them."""
    result = run_function(child.noop, {}, limits)
    layers = dict(result.layers)
    if not result.ok:
        layers["error"] = result.error or "unknown"
    return layers


def _target_of(fn: Callable[..., Any]) -> list[str]:
    """[module, qualname] as the child imports it."""
    fn = getattr(fn, "__sandbox_target__", fn)
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if module and module.startswith(__package__ + ".") and qualname:
        return [child.PACKAGE + module[len(__package__) :], qualname]  # the child has this package already
    if not module or not qualname or "<locals>" in qualname or module == "__main__":
        raise ValueError(f"sandboxed function {qualname or fn!r} must be a module-level function importable by name")
    return [module, qualname]


def _run(target: list[str], kwargs: dict, limits: Limits, cancel: Any, started: float) -> SandboxResult:
    import shutil
    import tempfile

    scratch = os.path.realpath(tempfile.mkdtemp(prefix="mentor-sandbox-"))
    try:
        roots = read_roots()
        uid, uid_note = privileges.allocate_uid("uid" in limits.disable, roots)
        if uid is not None:
            os.chown(scratch, uid, uid)
        job = {
            "target": target,
            "kwargs": kwargs,
            "sys_path": [os.path.abspath(p) for p in sys.path if p],
            "site_dirs": site_dirs(),
            "scratch": scratch,
            "read_roots": roots,
            "read_files": [p for p in _READ_FILES if os.path.exists(p)],
            "uid": uid,
            "uid_note": uid_note,
            "parent_pid": os.getpid(),
            "limits": {
                "timeout": limits.timeout,
                "memory_mb": limits.memory_mb,
                "cpu_seconds": limits.cpu_seconds or int(limits.timeout + 0.999) + 1,
                "max_output": limits.max_output,
                "max_file_mb": limits.max_file_mb,
                "max_open_files": limits.max_open_files,
                "max_threads": limits.max_threads,
                "max_disk_mb": limits.max_disk_mb,
            },
            "disable": sorted(limits.disable),
        }
        try:
            payload = json.dumps(job, allow_nan=False).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as exc:
            return SandboxResult(
                False,
                error=f"arguments are not JSON-serialisable: {exc}",
                kind=FailureKind.SCHEMA,
                duration=time.monotonic() - started,
            )
        return _spawn_and_wait(payload, scratch, limits, cancel, started)
    finally:
        shutil.rmtree(scratch, onerror=_force_remove)


def _force_remove(func: Callable, path: str, exc_info: Any) -> None:
    """Sandboxed code may chmod its own files to 000; take them back and try again."""
    try:
        os.chmod(os.path.dirname(path) or ".", 0o700)
        os.chmod(path, 0o700)
        func(path)
    except OSError:
        pass


def _child_env(scratch: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        # Same code, same output: set and dict-of-str orders are part of what code prints.
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        # Thread pools in numeric libraries would trip RLIMIT_NPROC and RLIMIT_AS.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }


def _spawn_and_wait(payload: bytes, scratch: str, limits: Limits, cancel: Any, started: float) -> SandboxResult:
    import subprocess

    result_r, result_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-s", "-B", "-c", STUB, _HERE, str(result_w)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(result_w,),
            cwd=scratch,
            env=_child_env(scratch),
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        os.close(result_r)
        return SandboxResult(
            False,
            error=f"cannot start the sandbox: {exc}",
            kind=FailureKind.INTERNAL,
            duration=time.monotonic() - started,
        )
    finally:
        os.close(result_w)
    try:
        streams, failure = _pump(proc, payload, result_r, limits, cancel)
    finally:
        # The group dies with its leader's work done or abandoned: nothing may outlive the call.
        _kill_group(proc)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                if f is not None:  # always: all three are pipes
                    f.close()
            except OSError:
                pass
        os.close(result_r)
    return _interpret(proc, streams, failure, limits, time.monotonic() - started)


def _kill_group(proc: Any) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except Exception:
        pass


def _pump(
    proc: Any, payload: bytes, result_fd: int, limits: Limits, cancel: Any
) -> tuple[dict[str, bytes], tuple[FailureKind, str] | None]:
    """Feed the job, collect the child's output, enforce caps and the deadline. Returns the
    streams and, when the parent stopped the call, why."""
    import selectors

    out_fd, err_fd, in_fd = proc.stdout.fileno(), proc.stderr.fileno(), proc.stdin.fileno()
    caps = {out_fd: limits.max_output, err_fd: limits.max_output, result_fd: limits.max_output + _FRAME_SLACK}
    bufs = {fd: bytearray() for fd in caps}

    def named() -> dict[str, bytes]:
        return {"stdout": bytes(bufs[out_fd]), "stderr": bytes(bufs[err_fd]), "result": bytes(bufs[result_fd])}

    sel = selectors.DefaultSelector()
    try:
        for fd in caps:
            sel.register(fd, selectors.EVENT_READ)
        os.set_blocking(in_fd, False)
        sel.register(in_fd, selectors.EVENT_WRITE)
        pending = memoryview(payload)
        deadline = time.monotonic() + _STARTUP_TIMEOUT + limits.timeout
        ready = False
        open_fds = set(caps)
        while open_fds:
            if cancel is not None and cancel.is_set():
                return named(), (FailureKind.CLOSED, "cancelled")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return named(), (FailureKind.TIMEOUT, f"timed out after {limits.timeout:g}s")
            wait = min(remaining, 0.1) if cancel is not None else remaining
            for key, _ in sel.select(wait):
                fd = key.fd
                if fd == in_fd:
                    try:
                        pending = pending[os.write(in_fd, pending) :]
                    except BlockingIOError:
                        continue
                    except OSError:  # the child died before reading its job; its exit says why
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(in_fd)
                        proc.stdin.close()
                    continue
                data = os.read(fd, 65536)
                if not data:
                    sel.unregister(fd)
                    open_fds.discard(fd)
                    continue
                buf = bufs[fd]
                buf += data
                if fd == result_fd and not ready and buf[:1] == b"R":
                    # User code starts now; the timeout is about it, not about booting Python.
                    ready = True
                    deadline = time.monotonic() + limits.timeout
                if len(buf) > caps[fd]:
                    return named(), (FailureKind.OUTPUT_CAP, f"output exceeds {limits.max_output} bytes")
        return named(), None
    finally:
        sel.close()


def _interpret(
    proc: Any, streams: dict[str, bytes], failure: tuple[FailureKind, str] | None, limits: Limits, duration: float
) -> SandboxResult:
    stdout = streams["stdout"].decode("utf-8", "replace")
    stderr = streams["stderr"].decode("utf-8", "replace")
    raw = streams["result"]
    frame: dict[str, Any] = {}
    body = raw[1:] if raw[:1] == b"R" else raw
    if body and failure is None:
        try:
            frame = json.loads(body)
        except ValueError:
            failure = (FailureKind.CRASHED, "the sandboxed process sent a malformed result")
    reported = frame.get("layers")
    layers: dict[str, str] = reported if isinstance(reported, dict) else {}

    def failed(kind: FailureKind, reason: str) -> SandboxResult:
        return SandboxResult(
            False, error=reason, stdout=stdout, stderr=stderr, kind=kind, layers=layers, duration=duration
        )

    if failure is not None:
        return failed(*failure)
    if not frame:
        return failed(*_death_reason(proc.returncode, stderr, limits))
    if not frame.get("ok"):
        named = frame.get("kind")
        try:
            kind = FailureKind(named) if isinstance(named, str) else FailureKind.CRASHED
        except ValueError:
            kind = FailureKind.CRASHED
        return failed(kind, str(frame.get("error") or "failed"))
    text = frame.get("output")
    if not isinstance(text, str):
        return failed(FailureKind.CRASHED, "the sandboxed process sent a malformed result")
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_output:
        return failed(FailureKind.OUTPUT_CAP, f"output exceeds {limits.max_output} bytes")
    try:
        value = json.loads(text)
    except ValueError:
        return failed(FailureKind.CRASHED, "the sandboxed process sent a malformed result")
    return SandboxResult(True, value, None, text, stdout, stderr, None, layers, duration)


def _death_reason(returncode: int | None, stderr: str, limits: Limits) -> tuple[FailureKind, str]:
    """Why a child that sent no result ended, from its return code and its last words."""
    tail = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    kind = FailureKind.CRASHED
    if returncode == -signal.SIGXCPU:
        kind, reason = FailureKind.TIMEOUT, "CPU time limit exceeded"
    elif returncode == -signal.SIGKILL:
        reason = f"killed by SIGKILL (memory limit of {limits.memory_mb} MB or CPU limit)"
    elif returncode is not None and returncode < 0:
        reason = f"crashed ({exit_text(returncode)})"
    else:
        reason = f"the sandboxed process ended with no result ({exit_text(returncode or 0)})"
    return kind, f"{reason} ({tail[:300]})" if tail else reason


# Files the sandbox may read besides its directories: the dynamic loader's cache (for
# extension modules' libraries), time zone, and the harmless character devices.
_READ_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
_SYSTEM_LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_read_roots_cache: list[str] | None = None


def read_roots() -> list[str]:
    """Directories sandboxed code may read: Python's own (stdlib, lib-dynload, site-packages)
    and the system library directories. Not the project, not /etc, not $HOME."""
    global _read_roots_cache
    if _read_roots_cache is None:
        import sysconfig

        prefixes = {
            os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix) if p
        }
        prefixes.discard("/")
        candidates = [sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
        roots: list[str] = []
        for path in [*candidates, *sys.path]:
            if not path:
                continue
            real = os.path.realpath(path)
            if os.path.isdir(real) and any(real == p or real.startswith(p + "/") for p in prefixes):
                roots.append(real)
        for path in _SYSTEM_LIB_DIRS:
            if os.path.isdir(path):
                roots.append(os.path.realpath(path))
        _read_roots_cache = _outermost(roots)
    return list(_read_roots_cache)


def site_dirs() -> list[str]:
    """The caller's site-packages, which `-S` leaves off the child's sys.path: sandboxed code
    may import installed libraries (sympy, numpy) but not the caller's own project."""
    import sysconfig

    paths = [sysconfig.get_paths().get(k) for k in ("purelib", "platlib")]
    paths += [p for p in sys.path if p and os.path.basename(p) in ("site-packages", "dist-packages")]
    roots = read_roots()
    out: list[str] = []
    for p in paths:
        if not p:
            continue
        real = os.path.realpath(p)
        if os.path.isdir(real) and p not in out and any(real == r or real.startswith(r + "/") for r in roots):
            out.append(p)
    return out


def _outermost(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out
