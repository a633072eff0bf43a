"""Run untrusted work in a throwaway, locked-down child process.

`run_function(fn, kwargs, limits)` runs `fn(**kwargs)` in a fresh Python interpreter and
returns a `SandboxResult`; it never raises. `run_code(code, limits)` runs a Python snippet
that way (the built-in `python` tool). `probe()` says which layers this machine allows.

The layers are independent, so losing one (no root, an old kernel, a container that forbids
namespaces) leaves the others standing. Parent side, always:

* a fresh interpreter (`-S -s -B`, environment replaced: no secrets, no PYTHON* settings of
  the caller) in its own session, so a timeout kills the whole process group;
* a fresh scratch directory as cwd, HOME and TMPDIR, removed afterwards;
* a wall-clock timeout that starts when the untrusted code starts, not while Python boots;
* a cap on every byte the child sends back (result, stdout, stderr).

Child side, before any untrusted code runs (`probe()` reports each as "on" or "off: why"):

* ``rlimits``: RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_CORE=0;
* ``netns``: a new network and IPC namespace (only a down loopback), via unshare(2) as root,
  or inside a new user namespace where unprivileged user namespaces are allowed;
* ``tmpfs``: scratch becomes a private tmpfs of `max_disk_mb` in a new mount namespace (same
  conditions), so a flood of files cannot fill the disk and vanishes with the process;
* ``uid``: as root, a switch to an otherwise unused uid, if Python's files are world-readable
  (the sandbox must still import the standard library);
* ``caps``: as root without the uid switch, every capability is dropped;
* ``nproc``: RLIMIT_NPROC, which stops thread and fork bombs; the kernel exempts uid 0;
* ``landlock`` (Linux >= 5.13, unprivileged): reads only under Python's directories and the
  system libraries, writes only in scratch, no TCP bind/connect (ABI >= 4), no signals or
  abstract unix sockets beyond the sandbox (ABI >= 6);
* ``seccomp`` (unprivileged, after PR_SET_NO_NEW_PRIVS): no fork/exec/socket/ptrace/
  namespaces/io_uring/bpf, signals only to itself;
* ``audit``: a `sys.addaudithook` policy, which cannot be removed once installed: no opens
  outside scratch and Python's directories, no subprocesses, fork, sockets, ctypes or
  signals, and none of the introspection that could reach the hook's own state.

The audit hook alone is not a security boundary (C code can sidestep it); it is the layer
that works everywhere and gives readable errors. The kernel layers are the boundary.

This module is also the child's program: the parent runs this file in a fresh interpreter,
so everything at module level must stay cheap and use only the standard library.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

_CHILD_NAME = "__mentor_sandbox_child__"
_IN_CHILD = __name__ == _CHILD_NAME

if not _IN_CHILD:
    from dataclasses import dataclass, field
else:  # importing dataclasses costs the child ~30 ms; it never needs these classes
    def dataclass(*args, **kwargs):  # type: ignore[no-redef]
        return args[0] if args else (lambda cls: cls)

    def field(**kwargs):  # type: ignore[no-redef]
        return None

from typing import Any, Callable, Mapping

__all__ = ["Limits", "SandboxResult", "run_function", "run_code", "run_snippet", "probe", "LAYERS"]

#: Every layer `probe()` reports; `Limits.disable` may name any of these but "rlimits".
LAYERS = ("rlimits", "netns", "tmpfs", "uid", "caps", "nproc", "landlock", "seccomp", "audit")

# How long the child may take to boot (interpreter, imports, confinement) before the timeout
# proper starts; generous because a loaded 2-core CI machine can be slow to start processes.
_STARTUP_TIMEOUT = 20.0
# Room for the result frame's own JSON around an output of max_output bytes.
_FRAME_SLACK = 16384
_SNIPPET_FILE = "<python>"


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
    callers can cache or measure it without encoding again). `stdout`/`stderr` are what the
    child wrote to its file descriptors 1 and 2, which is not the output. `layers` maps each
    layer to "on..." or "off: reason", as the child reported it. `internal` marks a failure
    of the sandbox itself (could not start, cancelled), not of the code: worth retrying.
    """

    ok: bool
    output: Any = None
    error: str | None = None
    output_json: str | None = None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    layers: Mapping[str, str] = field(default_factory=dict)
    duration: float = 0.0
    internal: bool = False


# --------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------

_STUB = (
    "import sys;del sys.path[0];p=sys.argv[1];g={'__name__':%r,'__file__':p};"
    "exec(compile(open(p,'rb').read(),p,'exec'),g);g['_child_main'](int(sys.argv[2]))" % _CHILD_NAME
)


def run_code(code: str, limits: Limits | None = None, *, cancel: Any = None) -> SandboxResult:
    """Run a Python snippet in the sandbox; see `run_snippet` for what comes back."""
    return run_function(run_snippet, {"code": code}, limits, cancel=cancel)


def run_function(fn: Callable[..., Any], kwargs: Mapping[str, Any], limits: Limits | None = None,
                 *, cancel: Any = None) -> SandboxResult:
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
        return SandboxResult(False, error=str(exc))
    try:
        return _run(target, dict(kwargs), limits, cancel, started)
    except Exception as exc:  # an internal failure must still come back as a failed call
        return SandboxResult(False, error=f"sandbox error: {type(exc).__name__}: {exc}",
                             duration=time.monotonic() - started, internal=True)


def probe(limits: Limits | None = None) -> dict[str, str]:
    """Which layers a sandboxed child gets on this machine, as the child saw them."""
    result = run_function(_noop, {}, limits)
    layers = dict(result.layers)
    if not result.ok:
        layers["error"] = result.error or "unknown"
    return layers


def _noop() -> None:
    return None


def _target_of(fn: Callable[..., Any]) -> list[str]:
    fn = getattr(fn, "__sandbox_target__", fn)
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if module == __name__ and qualname:
        return ["", qualname]  # one of ours: the child has it already, no import needed
    if not module or not qualname or "<locals>" in qualname or module == "__main__":
        raise ValueError(f"sandboxed function {qualname or fn!r} must be a module-level function "
                         "importable by name")
    return [module, qualname]


def _run(target: list[str], kwargs: dict, limits: Limits, cancel: Any, started: float) -> SandboxResult:
    import shutil
    import tempfile

    scratch = os.path.realpath(tempfile.mkdtemp(prefix="mentor-sandbox-"))
    try:
        uid, uid_note = _sandbox_uid(limits)
        if uid is not None:
            os.chown(scratch, uid, uid)
        job = {
            "target": target,
            "kwargs": kwargs,
            "sys_path": [os.path.abspath(p) for p in sys.path if p],
            "site_dirs": _site_dirs(),
            "scratch": scratch,
            "read_roots": _read_roots(),
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
            return SandboxResult(False, error=f"arguments are not JSON-serialisable: {exc}",
                                 duration=time.monotonic() - started)
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


def _spawn_and_wait(payload: bytes, scratch: str, limits: Limits, cancel: Any,
                    started: float) -> SandboxResult:
    import subprocess

    result_r, result_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-s", "-B", "-c", _STUB, os.path.abspath(__file__), str(result_w)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(result_w,), cwd=scratch, env=_child_env(scratch),
            start_new_session=True, close_fds=True,
        )
    except OSError as exc:
        os.close(result_r)
        return SandboxResult(False, error=f"cannot start the sandbox: {exc}",
                             duration=time.monotonic() - started, internal=True)
    finally:
        os.close(result_w)
    try:
        streams, error, timed_out = _pump(proc, payload, result_r, limits, cancel)
    finally:
        # The group dies with its leader's work done or abandoned: nothing may outlive the call.
        _kill_group(proc)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        os.close(result_r)
    return _interpret(proc, streams, error, timed_out, limits, time.monotonic() - started)


def _kill_group(proc: Any) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except Exception:
        pass


def _pump(proc: Any, payload: bytes, result_fd: int, limits: Limits,
          cancel: Any) -> tuple[dict[str, bytes], str | None, bool]:
    """Feed the job, collect the child's output, enforce caps and the deadline."""
    import selectors

    out_fd, err_fd, in_fd = proc.stdout.fileno(), proc.stderr.fileno(), proc.stdin.fileno()
    caps = {out_fd: limits.max_output, err_fd: limits.max_output, result_fd: limits.max_output + _FRAME_SLACK}
    bufs = {fd: bytearray() for fd in caps}
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
                return _named(bufs, out_fd, err_fd, result_fd), "cancelled", False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _named(bufs, out_fd, err_fd, result_fd), None, True
            wait = min(remaining, 0.1) if cancel is not None else remaining
            for key, _ in sel.select(wait):
                fd = key.fd
                if fd == in_fd:
                    try:
                        pending = pending[os.write(in_fd, pending):]
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
                    return _named(bufs, out_fd, err_fd, result_fd), f"output exceeds {limits.max_output} bytes", False
        return _named(bufs, out_fd, err_fd, result_fd), None, False
    finally:
        sel.close()


def _named(bufs: dict[int, bytearray], out_fd: int, err_fd: int, result_fd: int) -> dict[str, bytes]:
    return {"stdout": bytes(bufs[out_fd]), "stderr": bytes(bufs[err_fd]), "result": bytes(bufs[result_fd])}


def _interpret(proc: Any, streams: dict[str, bytes], error: str | None, timed_out: bool,
               limits: Limits, duration: float) -> SandboxResult:
    stdout = streams["stdout"].decode("utf-8", "replace")
    stderr = streams["stderr"].decode("utf-8", "replace")
    raw = streams["result"]
    frame: dict[str, Any] = {}
    body = raw[1:] if raw[:1] == b"R" else raw
    if body and not timed_out and error is None:
        try:
            frame = json.loads(body)
        except ValueError:
            error = "the sandboxed process sent a malformed result"
    layers = frame.get("layers") if isinstance(frame.get("layers"), dict) else {}

    def failed(reason: str, **kw: Any) -> SandboxResult:
        return SandboxResult(False, error=reason, stdout=stdout, stderr=stderr, layers=layers,
                             duration=duration, **kw)

    if timed_out:
        return failed(f"timed out after {limits.timeout:g}s", timed_out=True)
    if error is not None:
        return failed(error, internal=error == "cancelled")
    if not frame:
        return failed(_death_reason(proc.returncode, stderr, limits))
    if not frame.get("ok"):
        return failed(str(frame.get("error") or "failed"))
    text = frame.get("output")
    if not isinstance(text, str):
        return failed("the sandboxed process sent a malformed result")
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_output:
        return failed(f"output exceeds {limits.max_output} bytes")
    try:
        value = json.loads(text)
    except ValueError:
        return failed("the sandboxed process sent a malformed result")
    return SandboxResult(True, value, None, text, stdout, stderr, False, layers, duration)


def _death_reason(returncode: int | None, stderr: str, limits: Limits) -> str:
    tail = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            reason = "CPU time limit exceeded"
        elif sig == signal.SIGKILL:
            reason = f"killed by SIGKILL (memory limit of {limits.memory_mb} MB or CPU limit)"
        else:
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            reason = f"crashed with {name}"
    else:
        reason = f"the sandboxed process exited with status {returncode} without a result"
    return f"{reason} ({tail[:300]})" if tail else reason


# Files the sandbox may read besides its directories: the dynamic loader's cache (for
# extension modules' libraries), time zone, and the harmless character devices.
_READ_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
_SYSTEM_LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
_read_roots_cache: list[str] | None = None


def _read_roots() -> list[str]:
    """Directories sandboxed code may read: Python's own (stdlib, lib-dynload, site-packages)
    and the system library directories. Not the project, not /etc, not $HOME."""
    global _read_roots_cache
    if _read_roots_cache is None:
        import sysconfig

        prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                   sys.base_exec_prefix) if p}
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


def _site_dirs() -> list[str]:
    """The caller's site-packages, which `-S` leaves off the child's sys.path: sandboxed code
    may import installed libraries (sympy, numpy) but not the caller's own project."""
    import sysconfig

    paths = [sysconfig.get_paths().get(k) for k in ("purelib", "platlib")]
    paths += [p for p in sys.path if p and os.path.basename(p) in ("site-packages", "dist-packages")]
    roots = _read_roots()
    out: list[str] = []
    for p in paths:
        real = os.path.realpath(p) if p else ""
        if real and os.path.isdir(real) and p not in out and any(real == r or real.startswith(r + "/") for r in roots):
            out.append(p)
    return out


def _outermost(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out


_uid_lock: Any = None
_uid_counter = 0
_uid_range: tuple[int, int] | None = None
_uid_blocker: str | None = None


def _sandbox_uid(limits: Limits) -> tuple[int | None, str]:
    """As root: the uid to run as, or None and why not. Each call gets a uid of its own, so
    RLIMIT_NPROC counts only that call's threads and concurrent calls cannot touch each other."""
    global _uid_lock, _uid_counter, _uid_range, _uid_blocker
    if os.geteuid() != 0:
        return None, "off: not root"
    if "uid" in limits.disable:
        return None, "off: disabled"
    if _uid_lock is None:
        import threading

        _uid_lock = threading.Lock()
    with _uid_lock:
        if _uid_range is None:
            _uid_range, _uid_blocker = _pick_uid_range()
            # Start somewhere of our own, so two processes on one host rarely share uids.
            _uid_counter = int.from_bytes(os.urandom(2), "big")
        if _uid_blocker is not None:
            return None, _uid_blocker
        start, size = _uid_range
        _uid_counter += 1
        return start + _uid_counter % size, "on"


def _pick_uid_range() -> tuple[tuple[int, int], str | None]:
    for root in _read_roots():
        unreadable = _not_world_readable(root)
        if unreadable:
            return (0, 0), f"off: {unreadable} is not readable by other users"
    mapped = _mapped_uids()
    for start, size in ((1_879_048_192, 4096), (60_000, 512)):
        if any(lo <= start and start + size <= lo + n for lo, n in mapped):
            return (start, size), None
    return (0, 0), "off: no unused uid is mapped in this user namespace"


def _not_world_readable(path: str) -> str | None:
    import stat

    current = "/"
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return current
        need = stat.S_IXOTH | (stat.S_IROTH if i == len(parts) - 1 else 0)
        if mode & need != need:
            return current
    return None


def _mapped_uids() -> list[tuple[int, int]]:
    try:
        with open("/proc/self/uid_map") as f:
            return [(int(a), int(c)) for a, _, c in (line.split() for line in f if line.strip())]
    except (OSError, ValueError):
        return [(0, 4_294_967_295)]


# --------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------

_CONFINED = False  # set in the child once every layer is in place
_JOB_LIMITS: dict = {}


class _OutputLimit(Exception):
    """Raised into sandboxed code that prints more than the output cap."""

    plain = True


class _Capture:
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
            raise _OutputLimit(f"output exceeds {self.limit} bytes")
        self.parts.append(text)
        self.size += n
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
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
    if not (_IN_CHILD and _CONFINED):
        result = run_code(code)
        if not result.ok:
            raise RuntimeError(result.error)
        return result.output
    import ast
    import builtins

    tree = ast.parse(code, _SNIPPET_FILE, "exec")
    tail = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        tail = ast.Expression(tree.body.pop().value)
    out = _Capture(int(_JOB_LIMITS.get("max_output", 65536)))
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    sys.stdout = sys.stderr = out  # type: ignore[assignment]
    try:
        exec(compile(tree, _SNIPPET_FILE, "exec"), namespace)
        if tail is not None:
            value = eval(compile(tail, _SNIPPET_FILE, "eval"), namespace)
            if value is not None:
                out.write(repr(value) + "\n")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    return out.getvalue()


def _child_main(result_fd: int) -> None:
    """The child's whole life: read the job, confine itself, run the target, report, exit."""
    write, exit_ = os.write, os._exit  # user code may rebind the os module's attributes

    def send(frame: dict) -> None:
        data = json.dumps(frame, ensure_ascii=True).encode()
        while data:
            data = data[write(result_fd, data):]

    layers: dict[str, str] = {}
    try:
        job = json.loads(sys.stdin.buffer.read())
        devnull = os.open("/dev/null", os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        _JOB_LIMITS.update(job["limits"])
        _set_rlimits(job["limits"], layers)
        fn = _resolve(job)
        _confine(job, layers)
    except BaseException as exc:
        send({"ok": False, "error": f"sandbox setup failed: {_describe(exc)}", "layers": layers})
        exit_(0)
    global _CONFINED
    _CONFINED = True
    write(result_fd, b"R")
    frame = _call(fn, job["kwargs"], job["limits"])
    frame["layers"] = layers
    try:
        send(frame)
    except BaseException:
        exit_(3)
    exit_(0)


def _call(fn: Callable[..., Any], kwargs: dict, limits: dict) -> dict:
    dumps = json.dumps
    try:
        value = fn(**kwargs)
    except BaseException as exc:
        return {"ok": False, "error": _describe(exc, limits)}
    try:
        text = dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as exc:
        return {"ok": False, "error": f"output is not JSON-serialisable: {exc}"}
    if len(text.encode("utf-8")) > limits["max_output"]:
        return {"ok": False, "error": f"output exceeds {limits['max_output']} bytes"}
    return {"ok": True, "output": text}


def _describe(exc: BaseException, limits: Mapping[str, Any] | None = None) -> str:
    """'ExceptionType: message', plus the snippet's line number when it raised there."""
    if type(exc) is _OutputLimit:
        return str(exc)
    name = type(exc).__name__
    if isinstance(exc, MemoryError) and limits:
        return f"MemoryError: memory limit of {limits['memory_mb']} MB exceeded"
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    text = f"{name}: {message}" if message else name
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _SNIPPET_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is not None:
        text += f" (line {line})"
    return text if len(text) <= 2000 else text[:1997] + "..."


def _resolve(job: dict) -> Callable[..., Any]:
    """Import the target while the process can still read anything (it is trusted code)."""
    module_name, qualname = job["target"]
    if not module_name:
        obj: Any = globals()[qualname.split(".")[0]]
        rest = qualname.split(".")[1:]
        if obj is run_snippet:
            import ast  # noqa: F401  (run_snippet needs them; import while we can read anything)
            import builtins  # noqa: F401
        sys.path.extend(p for p in job["site_dirs"] if p not in sys.path)
    else:
        import importlib

        sys.path.extend(p for p in job["sys_path"] if p not in sys.path)
        obj = importlib.import_module(module_name)
        rest = qualname.split(".")
    for part in rest:
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{module_name}:{qualname} is not callable")
    return obj


def _set_rlimits(limits: dict, layers: dict[str, str]) -> None:
    import resource

    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    mb = 1024 * 1024
    cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * mb)
    cpu = int(limits["cpu_seconds"])
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    # soft -> SIGXCPU, which Python cannot catch before it dies; hard -> SIGKILL a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else min(cpu + 1, hard)))
    cap(resource.RLIMIT_FSIZE, int(limits["max_file_mb"]) * mb)
    cap(resource.RLIMIT_NOFILE, int(limits["max_open_files"]))
    cap(resource.RLIMIT_CORE, 0)
    # Writing past RLIMIT_FSIZE should be an OSError in the code, not a dead process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    layers["rlimits"] = (f"on: as={limits['memory_mb']}MB cpu={cpu}s fsize={limits['max_file_mb']}MB "
                         f"nofile={limits['max_open_files']}")


def _confine(job: dict, layers: dict[str, str]) -> None:
    """Apply the kernel layers in the one order that works, then the audit hook."""
    import ctypes

    disabled = set(job["disable"])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    euid = os.geteuid()
    # Count before any namespace changes how /proc shows owners.
    tasks_before = _count_tasks(os.getuid()) if euid != 0 and "nproc" not in disabled else 0

    # As root, plain unshares. The user-namespace fallback has to wait until after the uid
    # switch (a fresh user namespace would refuse it) and after RLIMIT_NPROC (whose value a
    # new user namespace records as the cap for the whole uid).
    scratch = job["scratch"]
    want_net, want_fs = "netns" not in disabled, "tmpfs" not in disabled
    netns = "off: disabled" if not want_net else _unshare_net(libc, user_ns=False) if euid == 0 else ""
    tmpfs = "off: disabled" if not want_fs else ""
    uid = job["uid"]
    if euid == 0 and want_fs:
        owner = uid if uid is not None else 0
        tmpfs = _private_tmpfs(libc, scratch, job["limits"], owner, user_ns=False)
    if euid != 0:
        layers["uid"] = "off: not root"
        layers["caps"] = "off: not root (no capabilities to drop)"
    else:
        _drop_bounding_set(libc)
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)  # from uid 0 to another: the kernel clears every capability
            layers["uid"] = f"on: uid {uid}"
            layers["caps"] = "on: all dropped with the uid switch"
        else:
            layers["uid"] = job["uid_note"]
            layers["caps"] = "off: disabled" if "caps" in disabled else _drop_caps(libc)
    layers["nproc"] = "off: disabled" if "nproc" in disabled else _limit_nproc(job, uid, euid, tasks_before)
    need_net = want_net and not netns.startswith("on")
    need_fs = want_fs and not tmpfs.startswith("on")
    if need_net or need_fs:
        note = _enter_user_ns(libc, net=need_net, mounts=need_fs)
        if need_net:
            # Without id maps the namespaces exist all the same; only the tmpfs needs them.
            netns = ("on: new network and IPC namespace (in a user namespace)"
                     if note is None or note.startswith("maps:")
                     else f"off: {note}" + (f"; as root: {netns[5:]}" if netns else ""))
        if need_fs:
            tmpfs = (_private_tmpfs(libc, scratch, job["limits"], os.getuid(), user_ns=True) if note is None
                     else f"off: {note}" + (f"; as root: {tmpfs[5:]}" if tmpfs else ""))
    layers["netns"] = netns
    layers["tmpfs"] = tmpfs

    # Die with the parent. Set after the uid switch, which clears it.
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != job["parent_pid"]:
        os._exit(1)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, needed by Landlock and seccomp
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")

    roots = list(job["read_roots"])
    files = list(job["read_files"])
    layers["landlock"] = "off: disabled" if "landlock" in disabled else _landlock(libc, roots, files, scratch)
    layers["seccomp"] = "off: disabled" if "seccomp" in disabled else _seccomp(libc)
    if "audit" in disabled:
        layers["audit"] = "off: disabled"
    else:
        import pathlib

        _defuse_fork_exec()

        sys.addaudithook(_make_audit_hook(scratch, tuple(roots), tuple(files),
                                          (pathlib.PurePosixPath, pathlib.PosixPath, pathlib.PurePath, pathlib.Path)))
        layers["audit"] = "on"


def _defuse_fork_exec() -> None:
    """subprocess's fork+exec primitive raises no audit event of its own. Libraries import
    subprocess at import time (sympy does), so the module must load, but must not work."""
    import _posixsubprocess

    def fork_exec(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError("sandbox: starting processes is not allowed")

    _posixsubprocess.fork_exec = fork_exec


def _errno_text(ctypes_mod: Any) -> str:
    err = ctypes_mod.get_errno()
    return f"{os.strerror(err)} (errno {err})"


def _unshare_net(libc: Any, *, user_ns: bool) -> str:
    import ctypes

    CLONE_NEWNET, CLONE_NEWIPC = 0x40000000, 0x08000000
    if libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0:
        return "on: new network and IPC namespace"
    return f"off: unshare failed ({_errno_text(ctypes)})"


def _enter_user_ns(libc: Any, *, net: bool, mounts: bool) -> str | None:
    """Unprivileged namespaces: a new user namespace that owns new network/IPC and mount
    namespaces, with this process's uid and gid mapped to themselves. None when it worked."""
    import ctypes

    CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWNS = 0x10000000, 0x40000000, 0x08000000, 0x00020000
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWUSER | (CLONE_NEWNET | CLONE_NEWIPC if net else 0) | (CLONE_NEWNS if mounts else 0)
    if libc.unshare(flags) != 0:
        return f"unshare(CLONE_NEWUSER) failed ({_errno_text(ctypes)})"
    # After a switch away from root the kernel marks the process non-dumpable, which hands its
    # /proc/self files to root: it could not write its own id maps. Core dumps stay off
    # (RLIMIT_CORE=0) and ptrace is refused by seccomp.
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    except OSError as exc:
        return f"maps: writing the user namespace's id maps failed ({exc})"
    return None


def _private_tmpfs(libc: Any, scratch: str, limits: dict, owner: int, *, user_ns: bool) -> str:
    """Mount a size-capped tmpfs over scratch in a mount namespace of our own."""
    import ctypes

    CLONE_NEWNS, MS_REC, MS_PRIVATE = 0x00020000, 0x4000, 0x40000
    MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
    if not user_ns and libc.unshare(CLONE_NEWNS) != 0:
        return f"off: unshare(CLONE_NEWNS) failed ({_errno_text(ctypes)})"
    # Nothing mounted here may propagate back to the caller's mount namespace.
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return f"off: making mounts private failed ({_errno_text(ctypes)})"
    mb = int(limits["max_disk_mb"])
    options = f"size={mb}m,nr_inodes=16384,mode=0700,uid={owner},gid={owner}".encode()
    if libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) != 0:
        return f"off: mounting tmpfs failed ({_errno_text(ctypes)})"
    os.chdir(scratch)  # the old cwd is the directory underneath the new mount
    return f"on: {mb} MB private tmpfs"


def _drop_bounding_set(libc: Any) -> None:
    for cap in range(64):  # PR_CAPBSET_DROP until the kernel says there is no such capability
        if libc.prctl(24, cap, 0, 0, 0) != 0 and cap > 40:
            break


def _drop_caps(libc: Any) -> str:
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    nr = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
    if nr is None:
        return f"off: unsupported architecture {os.uname().machine}"
    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    if libc.syscall(ctypes.c_long(nr), ctypes.byref(header), ctypes.byref(data)) != 0:
        return f"off: capset failed ({_errno_text(ctypes)})"
    return "on: every capability dropped (still uid 0)"


def _count_tasks(uid: int) -> int:
    """Threads owned by `uid` (what RLIMIT_NPROC counts), from /proc."""
    total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                owner = threads = None
                for line in f:
                    if line.startswith(b"Uid:"):
                        owner = int(line.split()[1])
                    elif line.startswith(b"Threads:"):
                        threads = int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
        if owner == uid and threads:
            total += threads
    return total


def _limit_nproc(job: dict, uid: int | None, euid: int, tasks_before: int) -> str:
    import resource

    extra = int(job["limits"]["max_threads"])
    if euid == 0 and uid is None:
        return "off: uid 0 is exempt from RLIMIT_NPROC"
    # With a uid of its own the count is just this process; otherwise the limit has to sit
    # above everything the user already runs, or the code could not even start a thread.
    value = 1 + extra if uid is not None else tasks_before + extra
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(resource.RLIMIT_NPROC, (value, value))
    return f"on: {value} tasks for uid {uid if uid is not None else os.getuid()}"


# Landlock access rights (include/uapi/linux/landlock.h).
_LL_EXECUTE, _LL_WRITE_FILE, _LL_READ_FILE, _LL_READ_DIR = 1, 2, 4, 8
_LL_MAKE_CHAR, _LL_MAKE_BLOCK, _LL_TRUNCATE, _LL_IOCTL_DEV = 1 << 6, 1 << 11, 1 << 14, 1 << 15
_LL_FILE_RIGHTS = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | _LL_TRUNCATE | _LL_IOCTL_DEV


def _landlock(libc: Any, roots: list[str], files: list[str], scratch: str) -> str:
    import ctypes
    import stat
    import struct

    abi = libc.syscall(ctypes.c_long(444), None, ctypes.c_long(0), ctypes.c_long(1))
    if abi < 1:
        return f"off: not available ({_errno_text(ctypes)})"
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= 1 << 13  # REFER
    if abi >= 3:
        handled |= _LL_TRUNCATE
    if abi >= 5:
        handled |= _LL_IOCTL_DEV
    net = 0b11 if abi >= 4 else 0  # BIND_TCP | CONNECT_TCP, with no port allowed
    scoped = 0b11 if abi >= 6 else 0  # ABSTRACT_UNIX_SOCKET | SIGNAL
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr = ctypes.create_string_buffer(struct.pack("=QQQ", handled, net, scoped)[:size], size)
    ruleset = libc.syscall(ctypes.c_long(444), attr, ctypes.c_long(size), ctypes.c_long(0))
    if ruleset < 0:
        return f"off: landlock_create_ruleset failed ({_errno_text(ctypes)})"
    read = _LL_READ_FILE | _LL_READ_DIR
    write = handled & ~(_LL_EXECUTE | _LL_MAKE_CHAR | _LL_MAKE_BLOCK | _LL_IOCTL_DEV)
    rules = [(p, read) for p in roots] + [(p, read) for p in files] + [("/dev/null", _LL_READ_FILE | _LL_WRITE_FILE),
                                                                        (scratch, write)]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= _LL_FILE_RIGHTS
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled, fd), 12)
                if libc.syscall(ctypes.c_long(445), ctypes.c_long(ruleset), ctypes.c_long(1), rule,
                                ctypes.c_long(0)) != 0:
                    return f"off: landlock_add_rule({path}) failed ({_errno_text(ctypes)})"
            finally:
                os.close(fd)
        if libc.syscall(ctypes.c_long(446), ctypes.c_long(ruleset), ctypes.c_long(0)) != 0:
            return f"off: landlock_restrict_self failed ({_errno_text(ctypes)})"
    finally:
        os.close(ruleset)
    what = ["fs"] + (["tcp"] if net else []) + (["signals", "abstract unix sockets"] if scoped else [])
    return f"on: ABI {abi} ({', '.join(what)})"


# System call numbers the seccomp filter refuses (EPERM unless noted), per architecture.
_SECCOMP_ARCH = {
    # machine: (AUDIT_ARCH_*, x32 syscall bit or 0, {name: nr})
    "x86_64": (0xC000003E, 0x40000000, {
        "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "socket": 41, "connect": 42,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "unshare": 272,
        "setns": 308, "mount": 165, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "keyctl": 250, "add_key": 248, "request_key": 249, "open_by_handle_at": 304,
        "io_uring_setup": 425, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
        "tkill": 200, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "clone": 56, "clone3": 435, "kill": 62, "tgkill": 234, "rt_sigqueueinfo": 129,
        "rt_tgsigqueueinfo": 297,
    }),
    "aarch64": (0xC00000B7, 0, {
        "execve": 221, "execveat": 281, "socket": 198, "connect": 203, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "unshare": 97, "setns": 268,
        "mount": 40, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219,
        "add_key": 217, "request_key": 218, "open_by_handle_at": 265, "io_uring_setup": 425,
        "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438, "tkill": 130,
        "init_module": 105, "finit_module": 273, "delete_module": 106,
        "clone": 220, "clone3": 435, "kill": 129, "tgkill": 131, "rt_sigqueueinfo": 138,
        "rt_tgsigqueueinfo": 240,
    }),
}
_SPECIAL_SYSCALLS = {"clone", "clone3", "kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"}


def _seccomp_program(machine: str, pid: int) -> list[tuple[int, int, int, int]] | None:
    """A classic-BPF seccomp filter as (code, jt, jf, k) tuples."""
    import errno

    if machine not in _SECCOMP_ARCH:
        return None
    arch, x32_bit, table = _SECCOMP_ARCH[machine]
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, ERRNO = 0x7FFF0000, 0x00050000
    deny = ERRNO | errno.EPERM
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, arch), (RET, 0, 0, deny), (LD, 0, 0, 0)]
    if x32_bit:
        prog += [(JGE, 0, 1, x32_bit), (RET, 0, 0, deny)]
    for name, nr in table.items():
        if name not in _SPECIAL_SYSCALLS:
            prog += [(JEQ, 0, 1, nr), (RET, 0, 0, deny)]
    # glibc tries clone3 first and falls back to clone when it is "not implemented".
    prog += [(JEQ, 0, 1, table["clone3"]), (RET, 0, 0, ERRNO | errno.ENOSYS)]
    # Signals: only to this process (pid, its group -pid, or 0 = own group).
    me = pid & 0xFFFFFFFF
    for name, allowed in (("kill", (me, (-pid) & 0xFFFFFFFF, 0)), ("tgkill", (me,)),
                          ("rt_sigqueueinfo", (me,)), ("rt_tgsigqueueinfo", (me,))):
        checks = [(JEQ, len(allowed) - i, 0, value) for i, value in enumerate(allowed)]
        prog += [(JEQ, 0, len(checks) + 3, table[name]), (LD, 0, 0, 16), *checks,
                 (RET, 0, 0, deny), (RET, 0, 0, ALLOW), (LD, 0, 0, 0)]
    # clone: threads (CLONE_THREAD) only; that is how fork, vfork and posix_spawn arrive.
    prog += [(JEQ, 0, 4, table["clone"]), (LD, 0, 0, 16), (JSET, 1, 0, 0x00010000),
             (RET, 0, 0, deny), (RET, 0, 0, ALLOW)]
    prog += [(RET, 0, 0, ALLOW)]
    return prog


def _seccomp(libc: Any) -> str:
    import ctypes

    machine = os.uname().machine
    prog = _seccomp_program(machine, os.getpid())
    if prog is None:
        return f"off: unsupported architecture {machine}"

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*insn) for insn in prog])
    fprog = SockFprog(len(prog), filters)
    # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
        return f"off: PR_SET_SECCOMP failed ({_errno_text(ctypes)})"
    return "on: no fork/exec/socket/ptrace/namespaces; signals to itself only"


#: Audit events that start a process; the executor's pure-tool workers refuse these too.
PROCESS_EVENTS = frozenset({"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                            "subprocess.Popen"})
# Audit events refused outright, and refused by prefix.
_DENY_EVENTS = PROCESS_EVENTS | frozenset({
    "os.kill", "os.killpg", "signal.pthread_kill", "os.link", "os.symlink",
    "resource.setrlimit", "resource.prlimit", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys._current_frames", "sys._current_exceptions",
    "cpython.PyInterpreterState_New", "urllib.Request", "webbrowser.open",
    "sqlite3.enable_load_extension", "sqlite3.load_extension",
})
_DENY_PREFIXES = ("socket.", "ctypes.", "syslog.", "_winapi.", "winreg.", "msvcrt.")
# numpy and sympy import ctypes, so importing it and loading libraries from Python's or the
# system's directories is allowed. Looking up a symbol (ctypes.dlsym, which every
# `CDLL(...).name` does) and raw memory access are not: they are the other "ctypes." events,
# refused by prefix. ctypes.memmove and ctypes.cast still exist and are memory-unsafe, which
# is one reason the kernel layers exist.
_ALLOW_CTYPES = frozenset({"ctypes.create_string_buffer", "ctypes.create_unicode_buffer",
                           "ctypes.get_errno", "ctypes.set_errno"})
# Modules that reach around the hook: foreign calls through cffi, fork+exec without the
# audited Python wrapper (imported and defused before the hook; this only stops a fresh
# copy), interpreters that do not inherit Python-level hooks, POSIX shared memory, CPython's
# test helpers (memory-unsafe by design).
_DENY_IMPORTS = frozenset({
    "cffi", "_cffi_backend", "_posixsubprocess", "_posixshmem",
    "_xxsubinterpreters", "_xxinterpchannels", "_interpreters", "_interpchannels",
    "_interpqueues", "_testcapi", "_testinternalcapi", "_testmultiphase", "_testsinglephase",
})
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


def _make_audit_hook(scratch: str, read_roots: tuple, read_files: tuple, path_types: tuple) -> Callable:
    """The audit policy as a closure over immutable values.

    Everything it calls is bound here, at install time: sandboxed code can rebind builtins
    and module attributes, but not these names. Nothing else refers to the hook.
    """
    getcwd = os.getcwd
    is_type, to_str, length = type, str, len
    str_type, bytes_type, int_type, none = str, bytes, int, None
    deny_error = PermissionError
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    deny_events, deny_prefixes, deny_imports, path_events = _DENY_EVENTS, _DENY_PREFIXES, _DENY_IMPORTS, _PATH_EVENTS
    allow_ctypes = _ALLOW_CTYPES
    libraries = tuple(read_roots)
    writable = (scratch,)
    readable = (scratch, *read_roots)
    write_files = ("/dev/null",)

    def absolute(path: Any) -> Any:
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

    def check(event: str, path: Any, write: bool) -> None:
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
        return (is_type(path) is str_type and not path.startswith("/")) or \
               (is_type(path) is bytes_type and not path.startswith(b"/"))

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
            if not (database in (":memory:", "", b":memory:", b"")):
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
