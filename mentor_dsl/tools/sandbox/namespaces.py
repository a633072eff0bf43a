"""The `netns` and `tmpfs` layers: Linux namespaces of the sandboxed child's own.

* ``netns``: a new network and IPC namespace, whose only interface is a loopback that is
  down: no network at all, not even the host's localhost services.
* ``tmpfs``: a new mount namespace in which the scratch directory is a private tmpfs of
  `max_disk_mb`, so a flood of files cannot fill the disk and vanishes with the process.

As root these are plain unshare(2) calls. Unprivileged, they are made inside a new user
namespace (`enter_user_ns`) where the kernel allows unprivileged user namespaces. Standard
library only (the sandboxed child imports it).
"""

from __future__ import annotations

import ctypes
import os

from .kernel import errno_text

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x10000000, 0x08000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 0x40000


def unshare_net(libc: ctypes.CDLL) -> str:
    """A new network and IPC namespace (as root, or inside a user namespace of our own)."""
    if libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0:
        return "on: new network and IPC namespace"
    return f"off: unshare failed ({errno_text()})"


def enter_user_ns(libc: ctypes.CDLL, *, net: bool, mounts: bool) -> tuple[bool, str | None]:
    """Unprivileged namespaces: a new user namespace that owns new network/IPC and mount
    namespaces, with this process's uid and gid mapped to themselves. Returns whether the
    namespaces exist, and why not everything worked (None when it did). Without the id
    maps the namespaces exist all the same, but nothing can be mounted in them."""
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWUSER | (CLONE_NEWNET | CLONE_NEWIPC if net else 0) | (CLONE_NEWNS if mounts else 0)
    if libc.unshare(flags) != 0:
        return False, f"unshare(CLONE_NEWUSER) failed ({errno_text()})"
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
        return True, f"writing the user namespace's id maps failed ({exc})"
    return True, None


def private_tmpfs(libc: ctypes.CDLL, scratch: str, max_disk_mb: int, owner: int, *, user_ns: bool) -> str:
    """Mount a size-capped tmpfs over `scratch` in a mount namespace of our own
    (`user_ns`: the namespace exists already, made by `enter_user_ns`)."""
    if not user_ns and libc.unshare(CLONE_NEWNS) != 0:
        return f"off: unshare(CLONE_NEWNS) failed ({errno_text()})"
    # Nothing mounted here may propagate back to the caller's mount namespace.
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return f"off: making mounts private failed ({errno_text()})"
    options = f"size={max_disk_mb}m,nr_inodes=16384,mode=0700,uid={owner},gid={owner}".encode()
    if libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) != 0:
        return f"off: mounting tmpfs failed ({errno_text()})"
    os.chdir(scratch)  # the old cwd is the directory underneath the new mount
    return f"on: {max_disk_mb} MB private tmpfs"
