"""The uid and caps layers: a sandbox started by root gives up root."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.sandbox import privileges

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root has privileges to give up")

CAPS = """
    def caps():
        with open("/proc/self/status") as f:
            return {k: int(v, 16) for k, v in (line.split(":") for line in f) if k in ("CapEff", "CapPrm", "CapBnd")}
"""


def test_uid_allocation_says_why_not():
    if os.geteuid() != 0:
        assert privileges.allocate_uid(False, []) == (None, "off: not root")
    else:
        assert privileges.allocate_uid(True, []) == (None, "off: disabled")


def test_a_folder_others_cannot_read_blocks_the_uid_switch():
    base = tempfile.gettempdir()
    if privileges._not_world_readable(base) is not None:
        pytest.skip(f"{base} itself is not readable by other users")
    private = tempfile.mkdtemp()  # mode 0700
    try:
        assert privileges._not_world_readable(private) == private
        os.chmod(private, 0o755)
        assert privileges._not_world_readable(private) is None
    finally:
        os.rmdir(private)


@root_only
def test_drop_caps_clears_every_capability():
    out = isolated(CAPS, """
        libc = kernel.libc()
        out["before"] = caps()
        privileges.drop_bounding_set(libc)
        out["status"] = privileges.drop_caps(libc)
        out["after"] = caps()
        import os
        try:
            os.setuid(61234)  # needs CAP_SETUID
            out["setuid"] = "ok"
        except PermissionError:
            out["setuid"] = "refused"
    """, modules="kernel, privileges")
    if not out["status"].startswith("on"):
        pytest.skip(f"caps: {out['status']}")
    assert out["before"]["CapEff"] != 0
    assert out["after"] == {"CapEff": 0, "CapPrm": 0, "CapBnd": 0}
    assert out["setuid"] == "refused"


@root_only
def test_switch_uid_leaves_root_behind():
    out = isolated(CAPS, """
        import os
        out["status"] = privileges.switch_uid(61234)
        out["ids"] = [os.getuid(), os.geteuid(), os.getgid(), os.getgroups()]
        out["after"] = caps()
    """, modules="privileges")
    assert out["status"] == "on: uid 61234"
    assert out["ids"] == [61234, 61234, 61234, []]
    assert out["after"]["CapEff"] == out["after"]["CapPrm"] == 0
