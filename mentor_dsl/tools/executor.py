"""Run tool calls: validated, cached, concurrent, and unable to take the caller down.

    with Executor(registry().tools, timeout=5.0) as ex:
        ex.run("calculator", {"expression": "2+2"})           # ToolResult(ok=True, output=4)
        ex.run_many([("calculator", {...}), ("python", {...})])

Every failure comes back as `ToolResult(ok=False, error=..., kind=...)`, with `kind` a
`FailureKind`; nothing the tool does raises into the caller, and a failure is never
reported as a success.

Limits (`ToolLimits`, docs/plugins.md): 5 s per call, 64 KiB of output, 512 MB of memory
added, 32 calls per record or rollout turn, unless the executor is given others
(`Executor(tools, limits=ToolLimits(...))`, or `timeout=` and the like) or a tool sets its
own `timeout`, `max_output` or `memory_mb`. The call cap applies per group: `run_many`'s
`groups` names the record (or rollout turn) of each call; without it the batch is one group.

Pure tools (`kind="pure"`) are trusted Python and run in persistent worker processes forked
from the caller. A thread cannot be stopped: a tool stuck in C code that holds the GIL
(`pow(3, 10**9)`, a catastrophic regex) would freeze the caller's every thread, the timeout
included. A process can be killed, and a new one forked in a few ms. The round trip costs
tens of microseconds (see benchmarks/bench_executor.py); cache hits never leave the caller.
Workers run with RLIMIT_AS at their inherited size plus the call's `memory_mb`; the free
memory a worker inherits from the caller's heap is claimed first, so that a tool cannot
allocate it without the limit seeing (`sandbox.rlimits.claim_inherited_heap`). A worker
forked from the caller inherits its memory, not its descriptors (they are pointed at
/dev/null, stdin, stdout and stderr included: what a tool prints is discarded and can
never reach the caller's output), and what a tool changes in a worker's globals stays in
that worker. A pure tool may not start processes: an audit hook refuses fork, exec and
subprocess. A process made around the hook (ctypes) is found and killed, with everything
it started, and fails the call: the worker is a child subreaper, so even the orphans of a
double fork come back to it, and a worker that is killed (timeout) takes its whole process
group and every descendant with it.

Code tools (`kind="code"`) always run in a fresh sandboxed process (see `sandbox`).

Caching: results are cached by (tool name, the arguments as JSON with sorted keys), so key
order does not matter. 3 and 3.0 are different calls: a tool may answer them differently
(the math tools keep integers integers). Successes are cached, and so are failures that the same call
would produce again: the tool raised, bad arguments, oversized or non-JSON output, a crash,
and timeouts. Caching timeouts is a choice: in GRPO a whole group of rollouts tends to make
the same call, and a call that hung once would cost the full timeout for each of them;
caching also keeps the reward for a repeated call the same within a run. The price is that
a timeout caused by a briefly overloaded machine sticks until the entry is evicted. Not
cached: failures of the machinery itself (`FailureKind.cacheable` is false for `closed`
and `internal`: no worker could be started, the executor was closed).
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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import sandbox
from .base import FailureKind, Tool, ToolLimits, ToolResult
from .sandbox import child, policy, rlimits
from .sandbox.failures import exit_text

__all__ = ["Executor"]

# The caller is usually multi-threaded; forking it is deliberate (see the module docstring).
# Python 3.12+ warns about exactly that on every fork.
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork\(\)", category=DeprecationWarning, module=__name__)

_HEADER = struct.Struct(">I")
_Key = tuple  # (tool name, JSON of the arguments with sorted keys)


@dataclass(eq=False)
class _Job:
    """One distinct call being computed, and what came of it."""

    key: _Key
    tool: Tool
    arguments: dict
    limits: ToolLimits
    result: ToolResult | None = None
    output_json: str | None = None
    tries: int = 0

    def finish(self, result: ToolResult, output_json: str | None = None) -> ToolResult:
        self.result, self.output_json = result, output_json
        return result

    def fail(self, kind: FailureKind, reason: str) -> ToolResult:
        return self.finish(ToolResult.failure(reason, kind))


class Executor:
    """Runs tool calls by name; see the module docstring for the rules.

    `limits` are the run's `ToolLimits` (the defaults when None); `timeout`, `max_output`,
    `memory_mb` and `max_calls`, when given, replace one of them. A tool's own limits
    replace the run's for that tool. At most `max_concurrency` pure workers and
    `max_concurrency` sandboxes run at once. `cache_size` is the number of cached results
    (LRU; 0 turns the cache off).
    """

    def __init__(
        self,
        tools: Mapping[str, Tool],
        *,
        limits: ToolLimits | None = None,
        timeout: float | None = None,
        max_output: int | None = None,
        memory_mb: int | None = None,
        max_calls: int | None = None,
        max_concurrency: int = 8,
        cache_size: int = 65536,
    ):
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        given = {"timeout": timeout, "max_output": max_output, "memory_mb": memory_mb, "max_calls": max_calls}
        self.limits = ToolLimits.from_mapping({k: v for k, v in given.items() if v is not None}, limits)
        self._tools = dict(tools)
        self._tool_limits = {name: self.limits.for_tool(tool) for name, tool in self._tools.items()}
        self.max_concurrency = int(max_concurrency)
        self.cache_size = int(cache_size)
        self._lock = threading.Lock()
        self._cache: OrderedDict[_Key, tuple[str | None, ToolResult]] = OrderedDict()
        self._inflight: dict[_Key, Future] = {}
        self._stats = {"calls": 0, "cache_hits": 0, "executed": 0, "timeouts": 0}
        self._closed = False
        self._cancel = threading.Event()
        self._threads: ThreadPoolExecutor | None = None
        self._sandbox_slots = threading.BoundedSemaphore(self.max_concurrency)
        self._pid = os.getpid()
        pure = {n: t.fn for n, t in self._tools.items() if t.kind == "pure"}
        self._pool = _WorkerPool(pure, self.max_concurrency)
        self._finalizer = _finalize(self, self._pool, self._cancel)

    # The run's limits under their old attribute names.
    timeout = property(lambda self: self.limits.timeout)
    max_output = property(lambda self: self.limits.max_output)
    memory_mb = property(lambda self: self.limits.memory_mb)

    # ---------------------------------------------------------------- public API

    def run(self, name: str, arguments: Any) -> ToolResult:
        """Run one call. Never raises."""
        return self.run_many([(name, arguments)])[0]

    def run_many(self, calls: Sequence[tuple[str, Any]], *, groups: Sequence[Any] | None = None) -> list[ToolResult]:
        """Run a batch, up to `max_concurrency` at a time; results come in input order.
        Equal calls in the batch (or already running in another thread) run once.

        `groups` holds one key per call: the record (or rollout turn) it belongs to. Within
        each group, the calls after the first `limits.max_calls` fail with
        `FailureKind.CAP_EXCEEDED` and are not run. Without `groups`, the batch is one group."""
        calls = list(calls)
        try:
            return self._run_many(calls, groups)
        except Exception as exc:  # a bug here must not become the caller's crash
            return [
                ToolResult.failure(f"internal executor error: {type(exc).__name__}: {exc}", FailureKind.INTERNAL)
                for _ in range(len(calls))
            ]

    def cache_info(self) -> dict[str, int]:
        """Counters: calls asked for, served from the cache, actually executed, timed out."""
        with self._lock:
            return {**self._stats, "cached": len(self._cache)}

    def close(self) -> None:
        """Stop every worker and sandbox; later calls fail with `FailureKind.CLOSED`."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._cancel.set()
        self._pool.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)  # sandboxes notice the cancel within 0.1 s
        self._finalizer.detach()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- batch logic

    def _run_many(self, calls: Sequence[tuple[str, Any]], groups: Sequence[Any] | None) -> list[ToolResult]:
        self._check_fork()
        if groups is not None and len(groups) != len(calls):
            raise ValueError(f"{len(groups)} groups for {len(calls)} calls")
        capped = self._capped(len(calls), groups)
        results: list[ToolResult | None] = [None] * len(calls)
        positions: dict[_Key, list[int]] = {}
        prepared: dict[_Key, tuple[Tool, dict]] = {}
        hits = 0
        for i, call in enumerate(calls):
            if i in capped:
                results[i] = capped[i]
                continue
            try:
                name, arguments = call
            except (TypeError, ValueError):
                results[i] = ToolResult.failure("a call must be a (name, arguments) pair", FailureKind.SCHEMA)
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
        return [
            r if r is not None else ToolResult.failure("internal executor error: no result", FailureKind.INTERNAL)
            for r in results
        ]

    def _capped(self, n: int, groups: Sequence[Any] | None) -> dict[int, ToolResult]:
        """The calls past the cap of their group, with the failure each gets. Every call
        counts, cached or not, so whether a call runs never depends on the cache."""
        cap = self.limits.max_calls
        if n <= cap:
            return {}
        reason = (
            f"call limit reached: at most {cap} tool calls are run per record or rollout turn "
            "(the max_calls tool limit)"
        )
        if groups is None:
            return {i: ToolResult.failure(reason, FailureKind.CAP_EXCEEDED) for i in range(cap, n)}
        seen: dict[Any, int] = {}
        out = {}
        for i, group in enumerate(groups):
            seen[group] = seen.get(group, 0) + 1
            if seen[group] > cap:
                out[i] = ToolResult.failure(reason, FailureKind.CAP_EXCEEDED)
        return out

    def _prepare(self, name: Any, arguments: Any) -> ToolResult | tuple[_Key, Tool]:
        """The cache key, or the failure that needs no tool at all (not cached: cheap)."""
        if self._closed:
            return ToolResult.failure("executor is closed", FailureKind.CLOSED)
        tool = self._tools.get(name) if isinstance(name, str) else None
        if tool is None:
            return ToolResult.failure(f"unknown tool {name!r}", FailureKind.UNKNOWN_TOOL)
        if not isinstance(arguments, dict):
            return ToolResult.failure(
                f"arguments must be an object, got {type(arguments).__name__}", FailureKind.SCHEMA
            )
        try:
            key = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            return (name, key), tool
        except (TypeError, ValueError, RecursionError) as exc:
            return ToolResult.failure(f"arguments are not JSON-serialisable: {exc}", FailureKind.SCHEMA)

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
                own.append(_Job(key, tool, arguments, self._tool_limits[key[0]]))
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
                job.fail(FailureKind.SCHEMA, reason)
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
                result = job.result
                if result is None:
                    result = ToolResult.failure("internal executor error: the call was not run", FailureKind.INTERNAL)
                    job.finish(result)
                kind = result.kind
                if kind is FailureKind.TIMEOUT:
                    self._stats["timeouts"] += 1
                if (kind is None or kind.cacheable) and self.cache_size > 0 and not self._closed:
                    self._cache[job.key] = (job.output_json, result)
                    self._cache.move_to_end(job.key)
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
                future = self._inflight.pop(job.key, None)
                if future is not None:
                    future.set_result(result)

    def _cache_get(self, key: _Key) -> ToolResult | None:
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            self._cache.move_to_end(key)
        text, result = entry
        if result.ok and text is not None and isinstance(result.output, (dict, list)):
            return ToolResult(True, json.loads(text))  # a fresh copy: a caller mutating it must not change the cache
        return result

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
        limits = sandbox.Limits(
            timeout=job.limits.timeout, memory_mb=job.limits.memory_mb, max_output=job.limits.max_output
        )
        with self._sandbox_slots:
            if self._cancel.is_set():
                job.fail(FailureKind.CLOSED, "executor is closed")
                return
            res = sandbox.run_function(job.tool.fn, job.arguments, limits, cancel=self._cancel)
        if res.ok:
            job.finish(ToolResult(True, res.output), res.output_json)
        else:
            job.fail(res.kind or FailureKind.CRASHED, res.error or "failed")

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
                        payload = worker.feed(job.limits.max_output)
                    except EOFError as exc:
                        poller.unregister(fd)
                        del active[fd]
                        status = self._pool.discard(worker, grace=0.5)
                        job.fail(FailureKind.CRASHED, f"tool process died ({status or exc})")
                        continue
                    if payload is None:
                        continue
                    poller.unregister(fd)
                    del active[fd]
                    if worker.buf:  # more than one answer: something besides the worker wrote
                        self._pool.discard(worker)
                        job.fail(FailureKind.CRASHED, "the tool process sent more than one response")
                        continue
                    if _decode(job, payload).kind is FailureKind.FORBIDDEN:
                        # It may have started something the worker could not reap: start afresh.
                        self._pool.discard(worker)
                    else:
                        self._pool.release(worker)
                now = time.monotonic()
                for fd, (worker, job, deadline) in list(active.items()):
                    if now >= deadline:
                        poller.unregister(fd)
                        del active[fd]
                        self._pool.discard(worker)
                        job.fail(FailureKind.TIMEOUT, f"timed out after {job.limits.timeout:g}s")
        finally:
            for worker, job, _ in active.values():
                self._pool.discard(worker)
                if job.result is None:
                    job.fail(FailureKind.CLOSED, "the call was interrupted")

    def _dispatch(self, pending: deque, active: dict, poller: Any) -> None:
        """Hand pending jobs to idle (or new) workers; wait for one only if nothing runs."""
        while pending:
            try:
                worker = self._pool.acquire(block=not active)
            except _Closed:
                while pending:
                    pending.popleft().fail(FailureKind.CLOSED, "executor is closed")
                return
            except OSError as exc:
                pending.popleft().fail(FailureKind.INTERNAL, f"cannot start a tool worker: {exc}")
                continue
            if worker is None:
                return
            job = pending.popleft()
            try:
                request = json.dumps(
                    [job.key[0], job.arguments, job.limits.max_output, job.limits.memory_mb], ensure_ascii=False
                ).encode("utf-8", "surrogatepass")
            except (TypeError, ValueError, RecursionError) as exc:
                self._pool.release(worker)
                job.fail(FailureKind.SCHEMA, f"arguments are not JSON-serialisable: {exc}")
                continue
            if not worker.send(request):
                # Died while idle (killed from outside?): not the call's fault; try a fresh one.
                self._pool.discard(worker)
                job.tries += 1
                if job.tries >= 3:
                    job.fail(FailureKind.INTERNAL, "tool workers keep dying before they start")
                else:
                    pending.appendleft(job)
                continue
            active[worker.recv_fd] = (worker, job, time.monotonic() + job.limits.timeout)
            poller.register(worker.recv_fd, select.POLLIN)


def _decode(job: _Job, payload: bytes) -> ToolResult:
    """A worker's response: b"\x01" and the output's JSON, or b"\x00", the kind, b"\x00" and
    the message. Records the result on `job` and returns it."""
    if payload[:1] == b"\x01":
        text = payload[1:].decode("utf-8")
        try:
            return job.finish(ToolResult(True, json.loads(text)), text)
        except ValueError:
            return job.fail(FailureKind.CRASHED, "the tool process sent malformed output")
    kind, _, message = payload[1:].partition(b"\x00")
    try:
        return job.fail(FailureKind(kind.decode("ascii")), message.decode("utf-8", "replace") or "failed")
    except (UnicodeDecodeError, ValueError):
        return job.fail(FailureKind.CRASHED, "the tool process sent a malformed failure")


def _finalize(owner: Executor, pool: _WorkerPool, cancel: threading.Event) -> Any:
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
                data = data[os.write(self.send_fd, data) :]
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
        payload = bytes(self.buf[4 : 4 + size])
        del self.buf[: 4 + size]
        return payload

    def kill(self, grace: float = 0.0) -> str | None:
        """Kill the worker, its process group and every process below it, and reap it; how
        it ended, if it had already ended on its own. `grace` is how long to wait for a
        worker that is on its way out (its pipe closed before it died)."""
        status = None
        deadline = time.monotonic() + grace
        try:
            # WNOWAIT: a dead worker stays a zombie until reaped below, so its pid (which is
            # also its process group's id) cannot be reused while its group is killed.
            while not self._exited() and time.monotonic() < deadline:
                time.sleep(0.005)
            exited = self._exited()
            if not exited:
                _kill_tree(self.pid)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _, raw = os.waitpid(self.pid, 0)
            if exited:
                status = exit_text(os.waitstatus_to_exitcode(raw))
        except ChildProcessError:
            pass
        for fd in (self.send_fd, self.recv_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        return status

    def _exited(self) -> bool:
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _children_of(pid: int | str) -> list[int]:
    """The child processes of `pid` ("self" for this one), from /proc."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(p) for p in f.read().split())
    except (OSError, ValueError):
        pass
    return out


def _kill_tree(root: int) -> None:
    """SIGKILL `root` and every process below it. Each is stopped as it is found, so none
    can fork while the tree is walked; a second walk catches a fork that was in flight."""
    found: list[int] = []
    seen: set[int] = set()
    frontier = [root]
    for _ in range(3):
        while frontier:
            pid = frontier.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
            found.append(pid)
            frontier.extend(_children_of(pid))
        frontier = [c for p in found for c in _children_of(p) if c not in seen]
        if not frontier:
            break
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _WorkerPool:
    """Up to `size` forked workers. Forks happen on one long-lived thread because
    PR_SET_PDEATHSIG fires when the *thread* that forked a worker ends."""

    def __init__(self, fns: Mapping[str, Callable[..., Any]], size: int):
        self._fns, self._size = dict(fns), size
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._live: dict[int, _Worker] = {}
        self._starting = 0
        self._closed = False
        self._spawner: ThreadPoolExecutor | None = None

    def fresh(self) -> _WorkerPool:
        """A new, empty pool with the same settings (for a forked copy of the caller)."""
        return _WorkerPool(self._fns, self._size)

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
                _worker_main(self._fns, req_r, resp_w, parent)
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(resp_w)
        return _Worker(pid, req_w, resp_r)


def _worker_main(fns: Mapping[str, Callable[..., Any]], req_fd: int, resp_fd: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller, who owns our lifetime
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        # PR_SET_CHILD_SUBREAPER: orphans of whatever a tool starts come back to this worker,
        # which kills them after the call, instead of going to init and living on.
        libc.prctl(36, 1, 0, 0, 0)
    except Exception:
        pass
    if os.getppid() != parent:
        os._exit(0)
    try:
        os.setpgid(0, 0)  # a group of its own, which the executor kills with the worker
    except OSError:
        pass
    _shut_inherited_fds({req_fd, resp_fd})
    # What a tool prints goes nowhere; the caller's streams (inherited objects whose buffers
    # may even hold the caller's unwritten output) are never written from here.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the worker)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    rlimits.claim_inherited_heap()
    base = rlimits.address_space()
    memory = None
    me = os.getpid()
    sys.addaudithook(policy.refuse_processes)
    while True:
        header = _read_exact(req_fd, 4)
        if header is None:
            os._exit(0)
        body = _read_exact(req_fd, _HEADER.unpack(header)[0])
        if body is None:
            os._exit(0)
        kind: FailureKind | None
        try:
            name, arguments, max_output, memory_mb = json.loads(body)
            fn = fns[name]
        except Exception as exc:
            kind, text = FailureKind.NO_IMPLEMENTATION, f"bad request: {exc}"
        else:
            if memory_mb != memory:
                rlimits.limit_growth(base, memory_mb)
                memory = memory_mb
            kind, text = child.call(fn, arguments, max_output, memory_mb)
        if os.getpid() != me:  # a copy forked around the audit hook (ctypes): only the worker answers
            os._exit(0)
        if _reap_leftovers():
            kind, text = FailureKind.FORBIDDEN, "the tool started a process, which tools may not do"
        payload = (
            b"\x01" + text.encode("utf-8")
            if kind is None
            else b"\x00" + kind.value.encode() + b"\x00" + text.encode("utf-8", "replace")
        )
        data = memoryview(_HEADER.pack(len(payload)) + payload)
        while data:
            data = data[os.write(resp_fd, data) :]


def _reap_leftovers() -> bool:
    """Kill and reap whatever the last call left running: a process made around the audit
    hook, and (the worker being a subreaper) everything it started in turn, even after a
    double fork. True when there was anything, or something could not be made to go."""
    found = False
    for _ in range(64):
        pids = set(_children_of("self"))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while pids:  # a SIGKILL cannot be ignored: each of these ends
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            pids.discard(pid)
            found = True
        while True:  # zombies that were not listed, and orphans re-parented here meanwhile
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return found
            if pid == 0:
                break  # a live child that was not listed yet: round again
            found = True
    return True  # still not clean: the executor discards a worker whose call was refused


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


def _read_exact(fd: int, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
