"""The `uid` and `caps` layers: a sandbox run by root gives up root.

* ``uid``: as root, each call runs as an otherwise unused uid of its own (`allocate_uid`,
  in the parent), so RLIMIT_NPROC counts only that call's threads and concurrent calls
  cannot touch each other's files or processes. Possible only when Python's files are
  world-readable, since the sandbox must still import the standard library.
* ``caps``: as root without the uid switch, every capability is dropped (`drop_caps`).

Either way the capability bounding set is emptied first. Unprivileged callers have neither
a uid to give up nor capabilities to drop. Standard library only (the sandboxed child
imports it).
"""

from __future__ import annotations

import ctypes
import os

from .kernel import errno_text

_lock = None
_counter = 0
_uid_range: tuple[int, int] | None = None
_blocker: str | None = None


def allocate_uid(disabled: bool, read_roots: list[str]) -> tuple[int | None, str]:
    """Parent side, as root: the uid the next sandbox runs as, or None and why not.
    `read_roots` are the directories the sandbox must still be able to read."""
    global _lock, _counter, _uid_range, _blocker
    if os.geteuid() != 0:
        return None, "off: not root"
    if disabled:
        return None, "off: disabled"
    if _lock is None:
        import threading

        _lock = threading.Lock()
    with _lock:
        if _uid_range is None:
            _uid_range, _blocker = _pick_uid_range(read_roots)
            # Start somewhere of our own, so two processes on one host rarely share uids.
            _counter = int.from_bytes(os.urandom(2), "big")
        if _blocker is not None:
            return None, _blocker
        start, size = _uid_range
        _counter += 1
        return start + _counter % size, "on"


def _pick_uid_range(read_roots: list[str]) -> tuple[tuple[int, int], str | None]:
    for root in read_roots:
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


def drop_bounding_set(libc: ctypes.CDLL) -> None:
    """Empty the capability bounding set, so no later exec could regain a capability."""
    for cap in range(64):  # PR_CAPBSET_DROP until the kernel says there is no such capability
        if libc.prctl(24, cap, 0, 0, 0) != 0 and cap > 40:
            break


def switch_uid(uid: int) -> str:
    """Become `uid` (and its gid, with no supplementary groups). From uid 0 to another, the
    kernel clears every capability."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    return f"on: uid {uid}"


def drop_caps(libc: ctypes.CDLL) -> str:
    """Clear the effective, permitted and inheritable capability sets (capset(2))."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    nr = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
    if nr is None:
        return f"off: unsupported architecture {os.uname().machine}"
    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    if libc.syscall(ctypes.c_long(nr), ctypes.byref(header), ctypes.byref(data)) != 0:
        return f"off: capset failed ({errno_text()})"
    return "on: every capability dropped (still uid 0)"
