"""The `seccomp` layer: system calls the sandboxed child may not make at all.

After PR_SET_NO_NEW_PRIVS, an unprivileged process may install a seccomp filter that the
kernel runs on every system call. This one refuses (EPERM) fork, vfork, exec, socket and
connect, ptrace and process_vm_*, namespace changes (unshare, setns, mount), bpf,
perf_event_open, userfaultfd, keyrings, io_uring, module loading, open_by_handle_at and the
pidfd calls; it lets clone through only for threads (CLONE_THREAD), answers clone3 with
ENOSYS (glibc then falls back to clone), lets signals go only to the process itself, and
refuses every call made through another ABI (i386 or x32 from a 64-bit process).

Why the filter is assembled here instead of by a library: the candidates were weighed and
none fits.

* ``pyseccomp`` (PyPI) wraps libseccomp through ctypes. Its last release, 0.1.2, is from
  January 2021 and declares Python 3.6 to 3.8; it is not maintained. Importing it runs
  ``ctypes.util.find_library``, which starts ``ldconfig`` or a compiler in a subprocess,
  inside the child that is about to forbid exactly that, and fails outright where the
  ``libseccomp.so.2`` system library is missing.
* libseccomp's own Python bindings are built with the C library and shipped by Linux
  distributions (``python3-seccomp``); the libseccomp project does not publish them on
  PyPI, so they cannot be a dependency of a pip-installed package. A third party's
  repackaging (``mephi42-seccomp``) is listed on PyPI, but pip finds no distribution of it
  to install here, and it would be a compiled extension from one person's build.
* The child confines itself with the standard library alone (see child.py), so the
  same code runs whatever is installed, and no library's import time is added to the
  start of every sandboxed call.

The filter is about 90 classic-BPF instructions (94 on x86_64, 88 on aarch64) built from
one table per architecture (`ARCHES`); `program` is a pure function, and the test suite
runs its output through a small BPF interpreter to check every jump and every verdict on
both architectures. Standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import os

from .kernel import errno_text

# machine: (AUDIT_ARCH_*, x32 syscall bit or 0, {name: number}) for every call the filter names.
ARCHES = {
    "x86_64": (
        0xC000003E,
        0x40000000,
        {
            "fork": 57,
            "vfork": 58,
            "execve": 59,
            "execveat": 322,
            "socket": 41,
            "connect": 42,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "unshare": 272,
            "setns": 308,
            "mount": 165,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "open_by_handle_at": 304,
            "io_uring_setup": 425,
            "pidfd_send_signal": 424,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "tkill": 200,
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "clone": 56,
            "clone3": 435,
            "kill": 62,
            "tgkill": 234,
            "rt_sigqueueinfo": 129,
            "rt_tgsigqueueinfo": 297,
        },
    ),
    "aarch64": (
        0xC00000B7,
        0,
        {
            "execve": 221,
            "execveat": 281,
            "socket": 198,
            "connect": 203,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "unshare": 97,
            "setns": 268,
            "mount": 40,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "open_by_handle_at": 265,
            "io_uring_setup": 425,
            "pidfd_send_signal": 424,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "tkill": 130,
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "clone": 220,
            "clone3": 435,
            "kill": 129,
            "tgkill": 131,
            "rt_sigqueueinfo": 138,
            "rt_tgsigqueueinfo": 240,
        },
    ),
}
# Calls with rules of their own below; every other call in the table is refused outright.
_RULED = {"clone", "clone3", "kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"}

# Classic BPF opcodes and seccomp return values.
LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW, ERRNO = 0x7FFF0000, 0x00050000
CLONE_THREAD = 0x00010000
# Offsets into struct seccomp_data.
_NR, _ARCH, _ARG0 = 0, 4, 16

Insn = tuple[int, int, int, int]


def program(machine: str, pid: int) -> list[Insn] | None:
    """The filter for `machine` as (code, jt, jf, k) instructions, with `pid` the process
    that may still signal itself; None for an architecture without a table."""
    if machine not in ARCHES:
        return None
    arch, x32_bit, table = ARCHES[machine]
    deny = ERRNO | errno.EPERM
    prog: list[Insn] = [(LD, 0, 0, _ARCH), (JEQ, 1, 0, arch), (RET, 0, 0, deny), (LD, 0, 0, _NR)]
    if x32_bit:
        prog += [(JGE, 0, 1, x32_bit), (RET, 0, 0, deny)]
    for name, nr in table.items():
        if name not in _RULED:
            prog += [(JEQ, 0, 1, nr), (RET, 0, 0, deny)]
    # glibc tries clone3 first and falls back to clone when it is "not implemented".
    prog += [(JEQ, 0, 1, table["clone3"]), (RET, 0, 0, ERRNO | errno.ENOSYS)]
    # Signals: only to this process (pid, its group -pid, or 0 = own group).
    me = pid & 0xFFFFFFFF
    for name, allowed in (
        ("kill", (me, (-pid) & 0xFFFFFFFF, 0)),
        ("tgkill", (me,)),
        ("rt_sigqueueinfo", (me,)),
        ("rt_tgsigqueueinfo", (me,)),
    ):
        checks = [(JEQ, len(allowed) - i, 0, value) for i, value in enumerate(allowed)]
        prog += [
            (JEQ, 0, len(checks) + 3, table[name]),
            (LD, 0, 0, _ARG0),
            *checks,
            (RET, 0, 0, deny),
            (RET, 0, 0, ALLOW),
            (LD, 0, 0, _NR),
        ]
    # clone: threads (CLONE_THREAD) only; that is how fork, vfork and posix_spawn arrive.
    prog += [
        (JEQ, 0, 4, table["clone"]),
        (LD, 0, 0, _ARG0),
        (JSET, 1, 0, CLONE_THREAD),
        (RET, 0, 0, deny),
        (RET, 0, 0, ALLOW),
    ]
    prog += [(RET, 0, 0, ALLOW)]
    return prog


def install(libc: ctypes.CDLL) -> str:
    """Install the filter on this process (and every thread it starts later)."""
    machine = os.uname().machine
    prog = program(machine, os.getpid())
    if prog is None:
        return f"off: unsupported architecture {machine}"

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*insn) for insn in prog])
    fprog = SockFprog(len(prog), filters)
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        return f"off: PR_SET_SECCOMP failed ({errno_text()})"
    return "on: no fork/exec/socket/ptrace/namespaces; signals to itself only"
