"""The rlimits layer: the sandbox's resource limits, RLIMIT_NPROC, and the workers' memory cap."""

from __future__ import annotations

import errno
import os
import sys

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.sandbox import rlimits

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")

LIMITS = {"memory_mb": 256, "cpu_seconds": 7, "max_file_mb": 1, "max_open_files": 32}


def test_apply_sets_every_limit_and_the_kernel_enforces_them(tmp_path):
    out = isolated("""
        import os, resource
        layers = {}
        rlimits.apply(limits, layers)
        out["layer"] = layers["rlimits"]
        out["limits"] = {name: resource.getrlimit(getattr(resource, name))
                         for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE")}
        try:
            bytearray(512 * 2**20)
            out["allocate"] = "ok"
        except MemoryError:
            out["allocate"] = "MemoryError"
        attempt("write", lambda: open(os.path.join(folder, "big"), "wb").write(b"x" * (2 * 2**20)))
    """, modules="rlimits", limits=LIMITS, folder=str(tmp_path))
    mb = 2**20
    assert out["limits"] == {"RLIMIT_AS": [256 * mb] * 2, "RLIMIT_CPU": [7, 8], "RLIMIT_FSIZE": [mb] * 2,
                             "RLIMIT_NOFILE": [32, 32], "RLIMIT_CORE": [0, 0]}
    assert out["allocate"] == "MemoryError"
    assert out["write"] == errno.EFBIG  # an error in the code (SIGXFSZ is ignored), not a dead process
    assert out["layer"].startswith("on: as=256MB cpu=7s")


def test_limit_growth_caps_a_worker_and_can_be_raised_again():
    out = isolated("""
        base = rlimits.address_space()
        def allocate():
            try:
                bytearray(192 * 2**20)
                return "ok"
            except MemoryError:
                return "MemoryError"
        rlimits.limit_growth(base, 64)
        out["64 MB"] = allocate()
        rlimits.limit_growth(base, 1024)
        out["1024 MB"] = allocate()
    """, modules="rlimits")
    assert out == {"64 MB": "MemoryError", "1024 MB": "ok"}


def test_nproc_counts_above_what_the_user_runs():
    assert rlimits.count_tasks(os.getuid()) >= 1  # this process at least
    assert rlimits.limit_nproc(4, None, 0, 0) == "off: uid 0 is exempt from RLIMIT_NPROC"
    out = isolated("""
        import resource
        out["status"] = rlimits.limit_nproc(4, 61234, 0, 0)
        out["limit"] = resource.getrlimit(resource.RLIMIT_NPROC)
    """, modules="rlimits")
    assert out["limit"][0] <= 5 and out["status"].startswith("on: ")
