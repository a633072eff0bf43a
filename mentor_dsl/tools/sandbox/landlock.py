"""The `landlock` layer: file and network access rights that the kernel enforces.

Landlock (Linux >= 5.13) lets an unprivileged process give up rights for itself and every
process it starts. `restrict` allows reads only under Python's directories, the system
libraries and a few harmless files; writes only in the scratch directory (and /dev/null);
no TCP bind or connect (ABI >= 4); no signals or abstract unix sockets beyond the sandbox
(ABI >= 6). Rights this kernel's ABI does not know are simply not handled, so an older
kernel gets what it can enforce. Needs PR_SET_NO_NEW_PRIVS first.

The three system calls (landlock_create_ruleset, landlock_add_rule, landlock_restrict_self)
are made through ctypes: there is no Landlock binding in the standard library, and the
sandboxed child may use nothing else. Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct

from .kernel import errno_text

# System call numbers (the same on x86_64 and aarch64).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

# Access rights (include/uapi/linux/landlock.h).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
MAKE_CHAR, MAKE_BLOCK, REFER, TRUNCATE, IOCTL_DEV = 1 << 6, 1 << 11, 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
_NET_TCP = 0b11  # BIND_TCP | CONNECT_TCP, with no port allowed
_SCOPED = 0b11  # ABSTRACT_UNIX_SOCKET | SIGNAL


def abi(libc: ctypes.CDLL) -> int:
    """The kernel's Landlock ABI version; below 1 when Landlock is not available."""
    return libc.syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_long(0), ctypes.c_long(_CREATE_RULESET_VERSION))


def handled_rights(version: int) -> tuple[int, int, int]:
    """(filesystem, network, scope) rights to handle at this ABI version."""
    fs = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if version >= 2:
        fs |= REFER
    if version >= 3:
        fs |= TRUNCATE
    if version >= 5:
        fs |= IOCTL_DEV
    return fs, _NET_TCP if version >= 4 else 0, _SCOPED if version >= 6 else 0


def restrict(libc: ctypes.CDLL, roots: list[str], files: list[str], scratch: str) -> str:
    """Confine this process: read `roots` (directories) and `files`, write `scratch`."""
    version = abi(libc)
    if version < 1:
        return f"off: not available ({errno_text()})"
    handled, net, scoped = handled_rights(version)
    size = 8 if version < 4 else 16 if version < 6 else 24
    attr = ctypes.create_string_buffer(struct.pack("=QQQ", handled, net, scoped)[:size], size)
    ruleset = libc.syscall(ctypes.c_long(_CREATE_RULESET), attr, ctypes.c_long(size), ctypes.c_long(0))
    if ruleset < 0:
        return f"off: landlock_create_ruleset failed ({errno_text()})"
    read = READ_FILE | READ_DIR
    write = handled & ~(EXECUTE | MAKE_CHAR | MAKE_BLOCK | IOCTL_DEV)
    rules = [(p, read) for p in [*roots, *files]] + [("/dev/null", READ_FILE | WRITE_FILE), (scratch, write)]
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FILE_RIGHTS
                rule = ctypes.create_string_buffer(struct.pack("=Qi", rights & handled, fd), 12)
                if (
                    libc.syscall(
                        ctypes.c_long(_ADD_RULE),
                        ctypes.c_long(ruleset),
                        ctypes.c_long(_RULE_PATH_BENEATH),
                        rule,
                        ctypes.c_long(0),
                    )
                    != 0
                ):
                    return f"off: landlock_add_rule({path}) failed ({errno_text()})"
            finally:
                os.close(fd)
        if libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_long(ruleset), ctypes.c_long(0)) != 0:
            return f"off: landlock_restrict_self failed ({errno_text()})"
    finally:
        os.close(ruleset)
    what = ["fs"] + (["tcp"] if net else []) + (["signals", "abstract unix sockets"] if scoped else [])
    return f"on: ABI {version} ({', '.join(what)})"
