"""The audit layer: the policy's verdicts, checked by calling the hook directly, and the hook
installed in a process of its own."""

from __future__ import annotations

import os
import pathlib
import sys

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.sandbox import policy

SCRATCH, LIB = "/tmp/scratch-x", "/usr/lib/python3"
PATHS = (pathlib.PurePosixPath, pathlib.PosixPath, pathlib.PurePath, pathlib.Path)


@pytest.fixture(scope="module")
def hook():
    return policy.make_audit_hook(SCRATCH, (LIB,), ("/etc/ld.so.cache",), PATHS)


ALLOWED = [
    ("open", (f"{SCRATCH}/a.txt", "w", os.O_WRONLY | os.O_CREAT)),
    ("open", (f"{LIB}/os.py", "r", os.O_RDONLY)),
    ("open", ("/etc/ld.so.cache", "r", os.O_RDONLY)),
    ("open", ("/dev/null", "w", os.O_WRONLY)),
    ("os.listdir", (SCRATCH,)),
    ("os.mkdir", (f"{SCRATCH}/d", 0o777, None)),
    ("os.chdir", (f"{SCRATCH}/d",)),
    ("import", ("json", None, None, None, None)),
    ("ctypes.dlopen", ("libc.so.6",)),
    ("ctypes.dlopen", (f"{LIB}/lib-dynload/_ctypes.so",)),
    ("sqlite3.connect", (":memory:",)),
    ("compile", (b"1", "<string>")),
]

DENIED = [
    ("open", ("/etc/passwd", "r", os.O_RDONLY), "reading '/etc/passwd'"),
    ("open", (f"{LIB}/os.py", "w", os.O_WRONLY), "writing"),
    ("open", (f"{SCRATCH}/../escape", "w", os.O_WRONLY), "writing '/tmp/escape'"),
    ("open", ("relative", None, os.O_RDONLY), "needs an absolute path"),
    ("os.rename", (f"{SCRATCH}/a", "/tmp/b", None, None), "writing '/tmp/b'"),
    ("os.chdir", ("/",), "only allowed within the scratch directory"),
    ("os.fork", (), "os.fork is not allowed"),
    ("subprocess.Popen", ("id", ["id"], None, None), "is not allowed"),
    ("socket.connect", (None, ("1.1.1.1", 80)), "socket.connect is not allowed"),
    ("os.kill", (1, 9), "os.kill is not allowed"),
    ("ctypes.dlsym", (None, "system"), "ctypes.dlsym is not allowed"),
    ("ctypes.dlopen", (f"{SCRATCH}/evil.so",), "loading"),
    ("import", ("cffi", None, None, None, None), "importing 'cffi'"),
    ("gc.get_referrers", ((),), "is not allowed"),
    ("sqlite3.connect", ("/tmp/db.sqlite",), "writing"),
    ("object.__setattr__", (pathlib.PurePath, "__str__", None), "changing PurePath"),
]


@pytest.mark.parametrize("event, args", ALLOWED, ids=[e for e, _ in ALLOWED])
def test_allowed(hook, event, args):
    assert hook(event, args) is None


@pytest.mark.parametrize("event, args, reason", DENIED, ids=[f"{e}:{a[:1]}" for e, a, _ in DENIED])
def test_denied_with_a_reason(hook, event, args, reason):
    with pytest.raises(policy.Denied, match="^sandbox: ") as info:
        hook(event, args)
    assert reason in str(info.value)
    assert isinstance(info.value, PermissionError)


@pytest.mark.parametrize("event", sorted(policy.PROCESS_EVENTS))
def test_workers_refuse_every_way_of_starting_a_process(event):
    with pytest.raises(policy.Denied, match=f"tools may not start processes \\({event}"):
        policy.refuse_processes(event, ())
    assert policy.refuse_processes("open", ("/etc/passwd", "r", 0)) is None  # trusted tools may read


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")
def test_installed_policy_holds_and_subprocess_is_defused(tmp_path):
    out = isolated("""
        import os, subprocess
        policy.install(scratch, [], [])
        def attempt(name, fn):
            try:
                fn()
                out[name] = "ok"
            except PermissionError as exc:
                out[name] = [type(exc).__name__, str(exc)]
        attempt("write scratch", lambda: open(os.path.join(scratch, "x"), "w").close())
        attempt("read outside", lambda: open("/etc/hostname").read())
        attempt("subprocess", lambda: subprocess.run(["true"]))
        attempt("remove the hook", lambda: __import__("sys").addaudithook(lambda *a: None) or os.listdir("/"))
    """, modules="policy", scratch=str(tmp_path))
    assert out["write scratch"] == "ok"
    assert out["read outside"] == ["Denied", "sandbox: reading '/etc/hostname' is not allowed (only the scratch "
                                             "directory)"]
    assert out["subprocess"][0] == "Denied"
    assert out["remove the hook"][0] == "Denied"  # another hook adds to it, never replaces it
