"""The C library handle and errno wording that every kernel layer uses. Standard library only."""

from __future__ import annotations

import ctypes
import os


def libc() -> ctypes.CDLL:
    """This process's C library, with errno kept for `errno_text` and `syscall` returning a long."""
    lib = ctypes.CDLL(None, use_errno=True)
    lib.syscall.restype = ctypes.c_long
    return lib


def errno_text() -> str:
    """The last failed C call's errno, as 'Operation not permitted (errno 1)'."""
    err = ctypes.get_errno()
    return f"{os.strerror(err)} (errno {err})"


def no_new_privs(lib: ctypes.CDLL) -> None:
    """PR_SET_NO_NEW_PRIVS: required before an unprivileged process may add Landlock or seccomp."""
    if lib.prctl(38, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")


def die_with_parent(lib: ctypes.CDLL) -> None:
    """PR_SET_PDEATHSIG: SIGKILL this process when the thread that started it ends."""
    import signal

    lib.prctl(1, signal.SIGKILL, 0, 0, 0)
