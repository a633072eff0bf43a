"""The namespace layers: no network in a new network namespace, a private size-capped tmpfs."""

from __future__ import annotations

import errno
import socket
import sys

import pytest
from sandbox_isolated import isolated

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="namespaces are Linux-only")

# As root, plain unshares; otherwise the user-namespace route the child takes.
UNSHARE = """
    import os
    libc = kernel.libc()
    root = os.geteuid() == 0
    made, note = (True, None) if root else namespaces.enter_user_ns(libc, net=True, mounts=True)
    if root:
        net = namespaces.unshare_net(libc)
    else:
        net = "on" if made else f"off: {note}"
"""


def test_a_new_network_namespace_has_no_network():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        out = isolated(UNSHARE, """
            import socket
            out["status"] = net
            out["interfaces"] = [name for _, name in socket.if_nameindex()]
            attempt("connect", lambda: socket.create_connection(("127.0.0.1", port), timeout=2))
        """, modules="kernel, namespaces", port=port)
    if not out["status"].startswith("on"):
        pytest.skip(f"netns: {out['status']}")
    assert out["interfaces"] == ["lo"]
    assert out["connect"] in (errno.ENETUNREACH, errno.ECONNREFUSED, errno.EADDRNOTAVAIL)


def test_a_private_tmpfs_caps_the_disk_and_never_reaches_the_caller(tmp_path):
    out = isolated(UNSHARE, """
        import errno, os
        if root:
            out["status"] = namespaces.private_tmpfs(libc, scratch, 2, 0, user_ns=False)
        elif note is None:
            out["status"] = namespaces.private_tmpfs(libc, scratch, 2, os.getuid(), user_ns=True)
        else:
            out["status"] = f"off: {note}"
        if out["status"].startswith("on"):
            attempt("write", lambda: open(os.path.join(scratch, "big"), "wb").write(b"x" * (4 * 2**20)))
            open(os.path.join(scratch, "small"), "w").close()
    """, modules="kernel, namespaces", scratch=str(tmp_path))
    if not out["status"].startswith("on"):
        pytest.skip(f"tmpfs: {out['status']}")
    assert out["write"] == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # the files lived in the child's own mount


def test_unprivileged_a_user_namespace_carries_the_network_namespace():
    out = isolated("""
        import os, socket
        if os.geteuid() == 0:  # the route an unprivileged caller takes
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
        libc = kernel.libc()
        made, note = namespaces.enter_user_ns(libc, net=True, mounts=False)
        out["made"], out["note"] = made, note
        out["interfaces"] = [name for _, name in socket.if_nameindex()] if made else None
    """, modules="kernel, namespaces")
    if not out["made"]:
        pytest.skip(f"no unprivileged user namespaces here: {out['note']}")
    assert out["interfaces"] == ["lo"]
