"""Run tool calls: validated, cached, concurrent, and unable to take the caller down.

    with Executor(registry().tools, timeout=5.0) as ex:
        ex.run("calculator", {"expression": "2+2"})           # ToolResult(ok=True, output=4)
        ex.run_many([("calculator", {...}), ("python", {...})])

Every failure comes back as `ToolResult(ok=False, error=...)`; nothing the tool does
raises into the caller, and a failure is never reported as a success.

Pure tools (`kind="pure"`) are trusted Python and run in persistent worker processes forked
from the caller. A thread cannot be stopped: a tool stuck in C code that holds the GIL
(`pow(3, 10**9)`, a catastrophic regex) would freeze the caller's every thread, the timeout
included. A process can be killed, and a new one forked in a few ms. The round trip costs
tens of microseconds (see benchmarks/bench_executor.py); cache hits never leave the caller.
Workers run with RLIMIT_AS at their inherited size plus `memory_mb`. A worker forked from
the caller inherits its memory, not its descriptors (they are pointed at /dev/null), and
what a tool changes in a worker's globals stays in that worker. A pure tool may not start
processes: an audit hook refuses fork, exec and subprocess, and a child made around it
is killed and fails the call.

Code tools (`kind="code"`) always run in a fresh sandboxed process (see `sandbox`).

Caching: results are cached by (tool name, the arguments as JSON with sorted keys), so key
order does not matter. 3 and 3.0 are different calls: a tool may answer them differently
(the math tools keep integers integers). Successes are cached, and so are failures that the same call
would produce again: the tool raised, bad arguments, oversized or non-JSON output, a crash,
and timeouts. Caching timeouts is a choice: in GRPO a whole group of rollouts tends to make
the same call, and a call that hung once would cost the full timeout for each of them;
caching also keeps the reward for a repeated call the same within a run. The price is that
a timeout caused by a briefly overloaded machine sticks until the entry is evicted. Not
cached: failures of the machinery itself (no worker could be started, executor closed).
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import sys
import threading
import time
import warnings
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from . import sandbox
from .base import Tool, ToolResult

__all__ = ["Executor"]

# The caller is usually multi-threaded; forking it is deliberate (see the module docstring).
# Python 3.12+ warns about exactly that on every fork.
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork\(\)", category=DeprecationWarning,
                        module=__name__)

_HEADER = struct.Struct(">I")
_Key = tuple  # (tool name, JSON of the arguments with sorted keys)


@dataclass(eq=False)
class _Job:
    """One distinct call being computed, and what came of it."""

    key: _Key
    tool: Tool
    arguments: dict
    timeout: float
    result: ToolResult | None = None
    output_json: str | None = None
    cacheable: bool = True
    tries: int = 0

    def finish(self, result: ToolResult, output_json: str | None = None, *, cacheable: bool = True) -> None:
        self.result, self.output_json, self.cacheable = result, output_json, cacheable


class Executor:
    """Runs tool calls by name; see the module docstring for the rules.

    `timeout` is the per-call limit unless a tool sets its own. `max_output` caps the
    serialised output in bytes. `memory_mb` is the memory a call may add. At most
    `max_concurrency` pure workers and `max_concurrency` sandboxes run at once.
    `cache_size` is the number of cached results (LRU; 0 turns the cache off).
    """

    def __init__(self, tools: Mapping[str, Tool], *, timeout: float = 5.0, max_output: int = 65536,
                 memory_mb: int = 512, max_concurrency: int = 8, cache_size: int = 65536):
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._tools = dict(tools)
        self.timeout = float(timeout)
        self.max_output = int(max_output)
        self.memory_mb = int(memory_mb)
        self.max_concurrency = int(max_concurrency)
        self.cache_size = int(cache_size)
        self._lock = threading.Lock()
        self._cache: OrderedDict[_Key, tuple[bool, str | None, Any]] = OrderedDict()
        self._inflight: dict[_Key, Future] = {}
        self._stats = {"calls": 0, "cache_hits": 0, "executed": 0, "timeouts": 0}
        self._closed = False
        self._cancel = threading.Event()
        self._threads: ThreadPoolExecutor | None = None
        self._sandbox_slots = threading.BoundedSemaphore(self.max_concurrency)
        self._pid = os.getpid()
        pure = {n: t.fn for n, t in self._tools.items() if t.kind == "pure"}
        self._pool = _WorkerPool(pure, self.max_concurrency, self.memory_mb, self.max_output)
        self._finalizer = _finalize(self, self._pool, self._cancel)

    # ---------------------------------------------------------------- public API

    def run(self, name: str, arguments: Any) -> ToolResult:
        """Run one call. Never raises."""
        return self.run_many([(name, arguments)])[0]

    def run_many(self, calls: Sequence[tuple[str, Any]]) -> list[ToolResult]:
        """Run a batch, up to `max_concurrency` at a time; results come in input order.
        Equal calls in the batch (or already running in another thread) run once."""
        calls = list(calls)
        try:
            return self._run_many(calls)
        except Exception as exc:  # a bug here must not become the caller's crash
            return [ToolResult.failure(f"internal executor error: {type(exc).__name__}: {exc}")
                    for _ in range(len(calls))]

    def cache_info(self) -> dict[str, int]:
        """Counters: calls asked for, served from the cache, actually executed, timed out."""
        with self._lock:
            return {**self._stats, "cached": len(self._cache)}

    def close(self) -> None:
        """Stop every worker and sandbox; later calls fail with "executor is closed"."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._cancel.set()
        self._pool.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)  # sandboxes notice the cancel within 0.1 s
        self._finalizer.detach()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- batch logic

    def _run_many(self, calls: Sequence[tuple[str, Any]]) -> list[ToolResult]:
        self._check_fork()
        results: list[ToolResult | None] = [None] * len(calls)
        positions: dict[_Key, list[int]] = {}
        prepared: dict[_Key, tuple[Tool, dict]] = {}
        hits = 0
        for i, call in enumerate(calls):
            try:
                name, arguments = call
            except (TypeError, ValueError):
                results[i] = ToolResult.failure("a call must be a (name, arguments) pair")
                continue
            early = self._prepare(name, arguments)
            if isinstance(early, ToolResult):
                results[i] = early
                continue
            key, tool = early
            if key in positions:
                positions[key].append(i)
                continue
            hit = self._cache_get(key)
            if hit is not None:
                results[i] = hit
                hits += 1
                continue
            positions[key] = [i]
            prepared[key] = (tool, arguments)
        with self._lock:
            self._stats["calls"] += len(calls)
            self._stats["cache_hits"] += hits

        own, foreign = self._claim(prepared)
        try:
            self._execute(own)
        finally:
            self._settle(own)
        for job in own:
            for i in positions[job.key]:
                results[i] = job.result
        for key, future in foreign:
            result = future.result()
            for i in positions[key]:
                results[i] = result
        return [r if r is not None else ToolResult.failure("internal executor error: no result") for r in results]

    def _prepare(self, name: Any, arguments: Any) -> ToolResult | tuple[_Key, Tool]:
        """The cache key, or the failure that needs no tool at all (not cached: cheap)."""
        if self._closed:
            return ToolResult.failure("executor is closed")
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is None:
            return ToolResult.failure(f"unknown tool {name!r}")
        if not isinstance(arguments, dict):
            return ToolResult.failure(f"arguments must be an object, got {type(arguments).__name__}")
        try:
            key = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return (name, key), tool
        except (TypeError, ValueError, RecursionError) as exc:
            return ToolResult.failure(f"arguments are not JSON-serialisable: {exc}")

    def _claim(self, prepared: dict[_Key, tuple[Tool, dict]]) -> tuple[list[_Job], list[tuple[_Key, Future]]]:
        """Take ownership of each key nobody is computing yet; wait on the others."""
        own: list[_Job] = []
        foreign: list[tuple[_Key, Future]] = []
        with self._lock:
            for key, (tool, arguments) in prepared.items():
                if key in self._inflight:
                    foreign.append((key, self._inflight[key]))
                    continue
                self._inflight[key] = Future()
                timeout = tool.timeout if tool.timeout is not None else self.timeout
                own.append(_Job(key, tool, arguments, max(0.001, float(timeout))))
        return own, foreign

    def _execute(self, jobs: list[_Job]) -> None:
        pure: list[_Job] = []
        code: list[_Job] = []
        for job in jobs:
            try:
                reason = job.tool.validate_arguments(job.arguments)
            except Exception as exc:
                reason = f"invalid arguments: {type(exc).__name__}: {exc}"
            if reason is not None:
                job.finish(ToolResult.failure(reason))
            else:
                (code if job.tool.kind == "code" else pure).append(job)
        with self._lock:
            self._stats["executed"] += len(pure) + len(code)
        futures = []
        if len(code) == 1 and not pure:
            self._run_code(code[0])
        elif code:
            futures = [self._thread_pool().submit(self._run_code, job) for job in code]
        if pure:
            self._run_pure(pure)
        for future in futures:
            future.result()

    def _settle(self, jobs: list[_Job]) -> None:
        """Publish every owned job's result: cache, waiting threads. Runs even on errors."""
        with self._lock:
            for job in jobs:
                if job.result is None:
                    job.finish(ToolResult.failure("internal executor error: the call was not run"), cacheable=False)
                if job.result.error is not None and job.result.error.startswith("timed out"):
                    self._stats["timeouts"] += 1
                if job.cacheable and self.cache_size > 0 and not self._closed:
                    self._cache[job.key] = (job.result.ok, job.output_json, job.result.output if job.result.ok
                                            else job.result.error)
                    self._cache.move_to_end(job.key)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
                future = self._inflight.pop(job.key, None)
                if future is not None:
                    future.set_result(job.result)

    def _cache_get(self, key: _Key) -> ToolResult | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            self._cache.move_to_end(key)
        ok, text, value = entry
        if not ok:
            return ToolResult.failure(value)
        if isinstance(value, (dict, list)):
            value = json.loads(text)  # a fresh copy: a caller mutating it must not change the cache
        return ToolResult(True, value)

    def _check_fork(self) -> None:
        """In a child forked from the caller, the workers and threads belong to the parent."""
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._pool = self._pool.fresh()
            self._threads = None
            self._inflight = {}
            self._lock = threading.Lock()
            self._finalizer = _finalize(self, self._pool, self._cancel)

    def _thread_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="mentor-sandbox")
            return self._threads

    # ---------------------------------------------------------------- code tools

    def _run_code(self, job: _Job) -> None:
        limits = sandbox.Limits(timeout=job.timeout, memory_mb=self.memory_mb, max_output=self.max_output)
        with self._sandbox_slots:
            if self._cancel.is_set():
                job.finish(ToolResult.failure("executor is closed"), cacheable=False)
                return
            res = sandbox.run_function(job.tool.fn, job.arguments, limits, cancel=self._cancel)
        if res.ok:
            job.finish(ToolResult(True, res.output), res.output_json)
        else:
            job.finish(ToolResult.failure(res.error or "failed"), cacheable=not res.internal)

    # ---------------------------------------------------------------- pure tools

    def _run_pure(self, jobs: list[_Job]) -> None:
        """Drive up to `max_concurrency` workers from this thread until every job is done."""
        pending = deque(jobs)
        active: dict[int, tuple[_Worker, _Job, float]] = {}
        poller = select.poll()
        try:
            while pending or active:
                self._dispatch(pending, active, poller)
                if not active:
                    continue
                now = time.monotonic()
                wait = max(0.0, min(deadline for _, _, deadline in active.values()) - now)
                for fd, _ in poller.poll(int(wait * 1000) + 1):
                    worker, job, _ = active[fd]
                    try:
                        payload = worker.feed(self.max_output)
                    except EOFError as exc:
                        poller.unregister(fd)
                        del active[fd]
                        status = self._pool.discard(worker, grace=0.5)
                        job.finish(ToolResult.failure(f"tool process died ({status or exc})"))
                        continue
                    if payload is None:
                        continue
                    poller.unregister(fd)
                    del active[fd]
                    if worker.buf:  # more than one answer: something besides the worker wrote
                        self._pool.discard(worker)
                        job.finish(ToolResult.failure("the tool process sent more than one response"))
                        continue
                    self._pool.release(worker)
                    _decode(job, payload)
                now = time.monotonic()
                for fd, (worker, job, deadline) in list(active.items()):
                    if now >= deadline:
                        poller.unregister(fd)
                        del active[fd]
                        self._pool.discard(worker)
                        job.finish(ToolResult.failure(f"timed out after {job.timeout:g}s"))
        finally:
            for worker, job, _ in active.values():
                self._pool.discard(worker)
                if job.result is None:
                    job.finish(ToolResult.failure("the call was interrupted"), cacheable=False)

    def _dispatch(self, pending: deque, active: dict, poller: Any) -> None:
        """Hand pending jobs to idle (or new) workers; wait for one only if nothing runs."""
        while pending:
            try:
                worker = self._pool.acquire(block=not active)
            except _Closed:
                while pending:
                    pending.popleft().finish(ToolResult.failure("executor is closed"), cacheable=False)
                return
            except OSError as exc:
                pending.popleft().finish(ToolResult.failure(f"cannot start a tool worker: {exc}"), cacheable=False)
                continue
            if worker is None:
                return
            job = pending.popleft()
            try:
                request = json.dumps([job.key[0], job.arguments], ensure_ascii=False).encode("utf-8", "surrogatepass")
            except (TypeError, ValueError, RecursionError) as exc:
                self._pool.release(worker)
                job.finish(ToolResult.failure(f"arguments are not JSON-serialisable: {exc}"))
                continue
            if not worker.send(request):
                # Died while idle (killed from outside?): not the call's fault; try a fresh one.
                self._pool.discard(worker)
                job.tries += 1
                if job.tries >= 3:
                    job.finish(ToolResult.failure("tool workers keep dying before they start"), cacheable=False)
                else:
                    pending.appendleft(job)
                continue
            active[worker.recv_fd] = (worker, job, time.monotonic() + job.timeout)
            poller.register(worker.recv_fd, select.POLLIN)


def _decode(job: _Job, payload: bytes) -> None:
    if payload[:1] == b"\x01":
        text = payload[1:].decode("utf-8")
        try:
            job.finish(ToolResult(True, json.loads(text)), text)
        except ValueError:
            job.finish(ToolResult.failure("the tool process sent malformed output"))
    else:
        job.finish(ToolResult.failure(payload[1:].decode("utf-8", "replace") or "failed"))


def _finalize(owner: Executor, pool: "_WorkerPool", cancel: threading.Event) -> Any:
    import weakref

    def cleanup(pool: _WorkerPool = pool, cancel: threading.Event = cancel, pid: int = os.getpid()) -> None:
        if os.getpid() == pid:  # never from a forked copy, which does not own these processes
            cancel.set()
            pool.close()

    return weakref.finalize(owner, cleanup)


# ------------------------------------------------------------------------------------------
# Pure-tool workers
# ------------------------------------------------------------------------------------------

class _Closed(Exception):
    pass


class _Worker:
    """The parent's handle on one worker process."""

    __slots__ = ("pid", "send_fd", "recv_fd", "buf", "status")

    def __init__(self, pid: int, send_fd: int, recv_fd: int):
        self.pid, self.send_fd, self.recv_fd = pid, send_fd, recv_fd
        self.buf = bytearray()
        self.status: str | None = None

    def send(self, body: bytes) -> bool:
        data = memoryview(_HEADER.pack(len(body)) + body)
        try:
            while data:
                data = data[os.write(self.send_fd, data):]
        except OSError:
            return False
        return True

    def feed(self, max_output: int) -> bytes | None:
        """Read what is there; the whole response once complete, else None."""
        chunk = os.read(self.recv_fd, 1 << 16)
        if not chunk:
            raise EOFError("the worker closed its pipe")
        self.buf += chunk
        if len(self.buf) < 4:
            return None
        (size,) = _HEADER.unpack_from(self.buf)
        if size > max_output + 4096:
            raise EOFError("the worker sent an oversized response")
        if len(self.buf) < 4 + size:
            return None
        payload = bytes(self.buf[4:4 + size])
        del self.buf[:4 + size]
        return payload

    def kill(self, grace: float = 0.0) -> str | None:
        """Kill and reap; how it ended, if it had already ended on its own. `grace` is how
        long to wait for a worker that is on its way out (its pipe closed before it died)."""
        status = None
        deadline = time.monotonic() + grace
        try:
            while True:
                pid, raw = os.waitpid(self.pid, os.WNOHANG)
                if pid != 0:
                    status = _exit_text(raw)
                    break
                if time.monotonic() >= deadline:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
                    break
                time.sleep(0.005)
        except (ChildProcessError, ProcessLookupError):
            pass
        for fd in (self.send_fd, self.recv_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        return status


def _exit_text(raw: int) -> str:
    if os.WIFSIGNALED(raw):
        sig = os.WTERMSIG(raw)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit status {os.WEXITSTATUS(raw)}"


class _WorkerPool:
    """Up to `size` forked workers. Forks happen on one long-lived thread because
    PR_SET_PDEATHSIG fires when the *thread* that forked a worker ends."""

    def __init__(self, fns: Mapping[str, Callable[..., Any]], size: int, memory_mb: int, max_output: int):
        self._fns, self._size, self._memory_mb, self._max_output = dict(fns), size, memory_mb, max_output
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._live: dict[int, _Worker] = {}
        self._starting = 0
        self._closed = False
        self._spawner: ThreadPoolExecutor | None = None

    def fresh(self) -> "_WorkerPool":
        """A new, empty pool with the same settings (for a forked copy of the caller)."""
        return _WorkerPool(self._fns, self._size, self._memory_mb, self._max_output)

    def acquire(self, block: bool) -> _Worker | None:
        with self._cond:
            while True:
                if self._closed:
                    raise _Closed
                if self._idle:
                    return self._idle.pop()
                if len(self._live) + self._starting < self._size:
                    self._starting += 1
                    if self._spawner is None:
                        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="mentor-tool-spawner")
                    spawner = self._spawner
                    break
                if not block:
                    return None
                self._cond.wait()
        try:
            worker = spawner.submit(self._fork).result()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            if not self._closed:
                self._live[worker.pid] = worker
                return worker
        worker.kill()
        raise _Closed

    def release(self, worker: _Worker) -> None:
        with self._cond:
            if not self._closed and worker.pid in self._live:
                self._idle.append(worker)
                self._cond.notify()
                return
        worker.kill()

    def discard(self, worker: _Worker, grace: float = 0.0) -> str | None:
        with self._cond:
            self._live.pop(worker.pid, None)
            self._cond.notify()
        return worker.kill(grace)

    def close(self) -> None:
        """Kill every worker. Idle ones are reaped here; a busy one belongs to the thread
        waiting on it, which sees EOF and reaps it: closing its descriptors under that
        thread's poll would let the numbers be reused by some other file meanwhile."""
        with self._cond:
            self._closed = True
            idle = set(self._idle)
            busy = [w for w in self._live.values() if w not in idle]
            self._live.clear()
            self._idle.clear()
            spawner, self._spawner = self._spawner, None
            self._cond.notify_all()
        for worker in idle:
            worker.kill()
        for worker in busy:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if spawner is not None:
            spawner.shutdown(wait=False)

    def _fork(self) -> _Worker:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker; it never returns from here
            try:
                _worker_main(self._fns, req_r, resp_w, self._memory_mb, self._max_output, parent)
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(resp_w)
        return _Worker(pid, req_w, resp_r)


def _worker_main(fns: Mapping[str, Callable[..., Any]], req_fd: int, resp_fd: int, memory_mb: int,
                 max_output: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller, who owns our lifetime
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    if os.getppid() != parent:
        os._exit(0)
    _shut_inherited_fds({0, 1, 2, req_fd, resp_fd})
    _cap_memory(memory_mb)
    me = os.getpid()
    sys.addaudithook(_refuse_processes)
    while True:
        header = _read_exact(req_fd, 4)
        if header is None:
            os._exit(0)
        body = _read_exact(req_fd, _HEADER.unpack(header)[0])
        if body is None:
            os._exit(0)
        try:
            name, arguments = json.loads(body)
            fn = fns[name]
        except Exception as exc:
            payload = b"\x00" + f"bad request: {exc}".encode()
        else:
            payload = _call_pure(fn, arguments, max_output, memory_mb)
        if os.getpid() != me:  # a copy forked around the audit hook (ctypes): only the worker answers
            os._exit(0)
        leftover = _kill_children()
        if leftover is not None:
            payload = b"\x00the tool started a process, which tools may not do"
        data = memoryview(_HEADER.pack(len(payload)) + payload)
        while data:
            data = data[os.write(resp_fd, data):]
        if leftover:  # a child that could not be found and killed: this worker is not clean
            os._exit(0)


def _refuse_processes(event: str, args: tuple) -> None:
    """Starting a process from a pure tool would leave a copy of the worker (or a stray
    program) behind the executor's back: refused, as the sandbox refuses it for code tools."""
    if event in sandbox.PROCESS_EVENTS:
        raise PermissionError(f"tools may not start processes ({event} is not allowed)")


def _kill_children() -> bool | None:
    """Kill and reap whatever a tool forked without the audit hook seeing it. None: there
    was nothing; False: there was, and it is gone; True: a child is still alive somewhere."""
    pids: set[int] = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                pids.update(int(p) for p in f.read().split())
    except (OSError, ValueError):
        pass
    for child in pids:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    found = None
    while True:
        try:
            child, _ = os.waitpid(-1, os.WNOHANG if not pids else 0)
        except ChildProcessError:
            return found
        if child == 0:
            return True
        pids.discard(child)
        found = False


def _call_pure(fn: Callable[..., Any], arguments: dict, max_output: int, memory_mb: int) -> bytes:
    try:
        value = fn(**arguments)
    except MemoryError:
        return f"\x00MemoryError: memory limit of {memory_mb} MB exceeded".encode()
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from a tool are its failure too
        return b"\x00" + _describe(exc).encode("utf-8", "replace")
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: keep them, escaped
        data = json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        return b"\x00" + f"output is not JSON-serialisable: {exc}".encode("utf-8", "replace")
    except MemoryError:
        return f"\x00MemoryError: memory limit of {memory_mb} MB exceeded".encode()
    if len(data) > max_output:
        return f"\x00output exceeds {max_output} bytes".encode()
    return b"\x01" + data


def _describe(exc: BaseException) -> str:
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= 2000 else text[:1997] + "..."


def _shut_inherited_fds(keep: set[int]) -> None:
    """Point every inherited descriptor at /dev/null. Holding the caller's pipes open would
    keep their readers from ever seeing EOF; closing them instead would let a stale file
    object close whatever later reuses the number."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in fds:
        if fd not in keep and fd != devnull:
            try:
                os.dup2(devnull, fd, inheritable=False)
            except OSError:
                pass
    os.close(devnull)


def _cap_memory(memory_mb: int) -> None:
    import resource

    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + memory_mb * 1024 * 1024
        if hard == resource.RLIM_INFINITY or limit <= hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        pass


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
