"""The seccomp layer: the filter program's verdicts, and the filter installed on a process."""

from __future__ import annotations

import errno
import os
import signal
import struct
import sys

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.sandbox import seccomp

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux-only")

ALLOW, EPERM, ENOSYS = seccomp.ALLOW, seccomp.ERRNO | errno.EPERM, seccomp.ERRNO | errno.ENOSYS


def run_bpf(prog, nr, arch, arg0=0):
    """A tiny classic-BPF interpreter for the four opcodes the filter uses."""
    data = struct.pack("<IIQ6Q", nr, arch, 0, arg0 & (2**64 - 1), 0, 0, 0, 0, 0)
    acc = pc = 0
    while True:
        code, jt, jf, k = prog[pc]
        if code == seccomp.LD:
            acc, pc = struct.unpack_from("<I", data, k)[0], pc + 1
        elif code == seccomp.RET:
            return k
        else:
            taken = {seccomp.JEQ: acc == k, seccomp.JGE: acc >= k, seccomp.JSET: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)
            assert 0 <= pc < len(prog), "a jump leaves the program"


@pytest.mark.parametrize("machine", list(seccomp.ARCHES))
def test_filter_semantics(machine):
    """Every jump lands inside the program and each syscall gets the intended verdict."""
    arch, x32, table = seccomp.ARCHES[machine]
    pid = 4321
    prog = seccomp.program(machine, pid)

    def verdict(nr, arg0=0, arch_=arch):
        return run_bpf(prog, nr, arch_, arg0)

    read = {"x86_64": 0, "aarch64": 63}[machine]
    assert verdict(read) == ALLOW
    for name in ("socket", "execve", "ptrace", "unshare", "io_uring_setup"):
        assert verdict(table[name]) == EPERM, name
    if "fork" in table:
        assert verdict(table["fork"]) == EPERM
    assert verdict(table["clone3"]) == ENOSYS
    assert verdict(table["clone"], signal.SIGCHLD) == EPERM  # fork()
    assert verdict(table["clone"], 0x4111) == EPERM  # vfork(): CLONE_VM | CLONE_VFORK | SIGCHLD
    assert verdict(table["clone"], 0x3D0F00) == ALLOW  # pthread_create
    for target, expected in ((pid, ALLOW), (0, ALLOW), (-pid, ALLOW), (1, EPERM), (-1, EPERM)):
        assert verdict(table["kill"], target) == expected, target
    assert verdict(table["tgkill"], pid) == ALLOW
    assert verdict(table["tgkill"], pid + 1) == EPERM
    assert verdict(read, arch_=0x40000003) == EPERM  # i386 syscalls from a 64-bit process
    if x32:
        assert verdict(x32 | read) == EPERM


def test_unknown_architecture_has_no_filter():
    assert seccomp.program("mips", 1) is None


def test_installed_filter_refuses_fork_and_sockets_but_not_threads():
    out = isolated("""
        import os, socket, threading
        libc = kernel.libc()
        kernel.no_new_privs(libc)
        out["status"] = seccomp.install(libc)
        attempt("fork", os.fork)
        attempt("socket", socket.socket)
        attempt("kill self", lambda: os.kill(os.getpid(), 0))
        attempt("kill init", lambda: os.kill(1, 0))
        t = threading.Thread(target=lambda: out.__setitem__("thread", "ran"))
        t.start()
        t.join()
    """, modules="kernel, seccomp")
    if not out["status"].startswith("on"):
        pytest.skip(f"seccomp: {out['status']}")
    assert out["fork"] == errno.EPERM and out["socket"] == errno.EPERM
    assert out["kill self"] == "ok" and out["kill init"] == errno.EPERM
    assert out["thread"] == "ran"
    assert os.getpid()  # the test runner itself is untouched
