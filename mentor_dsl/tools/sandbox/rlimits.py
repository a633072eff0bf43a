"""The `rlimits` and `nproc` layers: resource limits the kernel enforces on one process.

`apply` sets, for a sandboxed child: RLIMIT_AS (memory), RLIMIT_CPU (a backstop behind the
parent's wall-clock timeout), RLIMIT_FSIZE (largest file), RLIMIT_NOFILE (open files) and
RLIMIT_CORE=0. `limit_nproc` sets RLIMIT_NPROC, which stops thread and fork bombs; the
kernel exempts uid 0 from it. `limit_growth` is the executor's pure-tool workers' memory
limit: RLIMIT_AS at the worker's size plus what a call may add; `claim_inherited_heap`
makes that size mean what a call allocates (see its docstring).

Works everywhere, unprivileged. Standard library only (the sandboxed child imports it).
"""

from __future__ import annotations

import os
import resource
import signal

_MB = 1024 * 1024


def _cap(which: int, value: int) -> None:
    """Set soft and hard limits to `value`, or to the hard limit when that is lower."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def apply(limits: dict, layers: dict[str, str]) -> None:
    """Set every limit of a sandboxed call (`limits` is the job's, see parent.py) and
    record the layer as on."""
    _cap(resource.RLIMIT_AS, int(limits["memory_mb"]) * _MB)
    cpu = int(limits["cpu_seconds"])
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    # soft -> SIGXCPU, which Python cannot catch before it dies; hard -> SIGKILL a second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else min(cpu + 1, hard)))
    _cap(resource.RLIMIT_FSIZE, int(limits["max_file_mb"]) * _MB)
    _cap(resource.RLIMIT_NOFILE, int(limits["max_open_files"]))
    _cap(resource.RLIMIT_CORE, 0)
    # Writing past RLIMIT_FSIZE should be an OSError in the code, not a dead process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    layers["rlimits"] = (
        f"on: as={limits['memory_mb']}MB cpu={cpu}s fsize={limits['max_file_mb']}MB nofile={limits['max_open_files']}"
    )


def count_tasks(uid: int) -> int:
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


def limit_nproc(extra: int, uid: int | None, euid: int, tasks_before: int) -> str:
    """RLIMIT_NPROC for `extra` more threads or processes. `uid` is the sandbox's own uid
    (None: it kept the caller's), `tasks_before` what the caller's uid already runs."""
    if euid == 0 and uid is None:
        return "off: uid 0 is exempt from RLIMIT_NPROC"
    # With a uid of its own the count is just this process; otherwise the limit has to sit
    # above everything the user already runs, or the code could not even start a thread.
    value = 1 + extra if uid is not None else tasks_before + extra
    _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(resource.RLIMIT_NPROC, (value, value))
    return f"on: {value} tasks for uid {uid if uid is not None else os.getuid()}"


def address_space() -> int | None:
    """This process's virtual memory size in bytes, or None where /proc cannot say."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


# malloc's tuning knobs (glibc's mallopt parameters).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
# Allocations from this size on get their own mapping, which RLIMIT_AS sees.
_OWN_MAPPING = 128 * 1024


def claim_inherited_heap() -> int:
    """In a forked worker: take the memory the caller freed, but kept mapped, out of the
    tools' reach. Returns the bytes claimed (0 where malloc is not glibc's).

    RLIMIT_AS counts mapped address space. A worker forked from a caller that allocated
    and freed a lot (a training run) inherits malloc's free chunks, and a tool's
    allocation served from them maps nothing new: a 128 MB bytearray passed a 32 MB limit.
    So, with RLIMIT_AS held at the worker's current size, so that only memory already
    mapped can be handed out, every chunk of `_OWN_MAPPING` bytes or more that malloc can
    still give is allocated, largest first, and never used or freed. malloc does not
    touch a chunk's interior, so this costs no memory. (When an arena cannot grow, glibc
    retries in another, so the caller's main-arena chunks are reached from the worker's
    thread too.) From then on allocations of that size get a mapping of their own (a
    fixed mmap threshold) and count against the limit."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt, malloc = libc.mallopt, libc.malloc
    except (OSError, AttributeError):
        return 0
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    if not mallopt(_M_MMAP_THRESHOLD, _OWN_MAPPING) or not mallopt(_M_TRIM_THRESHOLD, _OWN_MAPPING):
        return 0
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)  # what sits at the top of the heap goes back to the system outright
    now = address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if now is None or (hard != resource.RLIM_INFINITY and hard < now):
        return 0
    claimed, size = 0, 1 << 34
    resource.setrlimit(resource.RLIMIT_AS, (now, hard))
    try:
        while size >= _OWN_MAPPING:
            if malloc(size):
                claimed += size  # kept for the worker's life; try this size again
            else:
                size //= 2
    except MemoryError:  # Python itself needed a new mapping: stop here
        pass
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return claimed


def limit_growth(base: int | None, memory_mb: int) -> None:
    """Let this process grow by at most `memory_mb` beyond `base` bytes (soft RLIMIT_AS, so
    a later call may set another value). A no-op where the size is unknown, or where the
    hard limit is lower: the caller's own limit already binds."""
    if base is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = base + memory_mb * _MB
    if hard == resource.RLIM_INFINITY or limit <= hard:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (OSError, ValueError):  # a limit the kernel refuses leaves the caller's in force
            pass
