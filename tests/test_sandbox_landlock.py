"""The Landlock layer: which rights each ABI version handles, and a restricted process."""

from __future__ import annotations

import sys
import sysconfig

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.sandbox import landlock

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Landlock is Linux-only")


def test_rights_grow_with_the_abi():
    fs1, net1, scope1 = landlock.handled_rights(1)
    assert fs1 & landlock.READ_FILE and not fs1 & landlock.REFER and (net1, scope1) == (0, 0)
    assert landlock.handled_rights(2)[0] & landlock.REFER
    assert landlock.handled_rights(3)[0] & landlock.TRUNCATE
    assert landlock.handled_rights(4)[1] != 0 and landlock.handled_rights(4)[2] == 0
    assert landlock.handled_rights(5)[0] & landlock.IOCTL_DEV
    assert landlock.handled_rights(6)[2] != 0


def test_a_restricted_process_reads_its_roots_and_writes_only_scratch(tmp_path):
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("s")
    out = isolated("""
        import errno, os, socket
        libc = kernel.libc()
        kernel.no_new_privs(libc)
        out["status"] = landlock.restrict(libc, [stdlib], [], scratch)
        attempt("read stdlib", lambda: open(os.path.join(stdlib, "os.py")).read(1))
        attempt("read outside", lambda: open(os.path.join(outside, "secret")).read())
        attempt("write scratch", lambda: open(os.path.join(scratch, "x"), "w").write("1"))
        attempt("write outside", lambda: open(os.path.join(outside, "x"), "w").write("1"))
        attempt("connect", lambda: socket.create_connection(("127.0.0.1", 9), timeout=2))
    """, modules="kernel, landlock", stdlib=sysconfig.get_paths()["stdlib"], scratch=str(scratch), outside=str(outside))
    if not out["status"].startswith("on"):
        pytest.skip(f"landlock: {out['status']}")
    assert out["read stdlib"] == "ok" and out["write scratch"] == "ok"
    assert out["read outside"] == out["write outside"] == 13  # EACCES
    assert not (outside / "x").exists()
    if "tcp" in out["status"]:
        assert out["connect"] == 13
