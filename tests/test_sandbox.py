"""The sandbox: hostile code comes back as a failed call with a reason, nothing escapes,
and each confinement layer holds on its own where this machine allows it.

Timeouts here are short and every assertion is structural (what came back, what exists
afterwards), never how long something took.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import sys
import threading
import uuid

import pytest

from mentor_dsl.tools import sandbox
from mentor_dsl.tools.sandbox import LAYERS, FailureKind, Limits, probe, run_code, run_function
from mentor_dsl.tools.sandbox.parent import site_dirs

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")

# Calls that should finish get a generous timeout (it never slows a passing test); only the
# hang cases get a short one.
FAST = Limits(timeout=10.0, memory_mb=256)
HANG = 0.5
KERNEL_LAYERS = frozenset({"netns", "tmpfs", "uid", "caps", "nproc", "landlock", "seccomp"})
MARKER = b"__mentor_sandbox_child__"

TARGETS = '''
def nonjson():
    return object()

def big(n):
    return "x" * n

def echo(**kwargs):
    return kwargs

def nan():
    return float("nan")
'''


@pytest.fixture(scope="module")
def layers() -> dict[str, str]:
    return probe()


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """A module of sandbox targets that imports nothing (the child imports it by name)."""
    folder = tmp_path_factory.mktemp("targets")
    name = f"sandbox_targets_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(TARGETS)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)


@pytest.fixture
def listener():
    """A local TCP server: the sandbox must not reach it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def sandbox_processes() -> list[int]:
    """Live processes running the sandbox child program."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if MARKER in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def failed(result, *fragments: str) -> None:
    assert result.ok is False, result
    assert result.output is None
    assert result.error, result
    for fragment in fragments:
        assert fragment in result.error, result.error


def is_on(layers: dict[str, str], name: str) -> bool:
    return layers.get(name, "").startswith("on")


# ------------------------------------------------------------------------- what works

def test_snippet_returns_output_and_last_expression():
    result = run_code("x = 6 * 7\nprint('x is', x)\nx / 2", FAST)
    assert result.ok, result.error
    assert result.output == "x is 42\n21.0\n"
    assert result.output_json == '"x is 42\\n21.0\\n"'


def test_scratch_is_private_writable_and_removed():
    code = "import os\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), os.getcwd())"
    first = run_code(code, FAST)
    second = run_code(code, FAST)
    assert first.ok and second.ok, (first.error, second.error)
    text, cwd = first.output.split()
    assert text == "hi"
    assert cwd != second.output.split()[1]
    assert not os.path.exists(cwd)


def test_no_state_between_calls():
    assert run_code("x = 1", FAST).ok
    failed(run_code("x", FAST), "NameError")


def test_standard_library_imports():
    result = run_code("import fractions, json, math, re, statistics\nfractions.Fraction(1, 3) + 1", FAST)
    assert result.ok and result.output == "Fraction(4, 3)\n", result.error


def test_site_packages_import():
    numpy = pytest.importorskip("numpy")
    where = os.path.realpath(numpy.__file__)
    if not any(where.startswith(os.path.realpath(d) + "/") for d in site_dirs()):
        pytest.skip("numpy is not in this interpreter's own site-packages (PYTHONPATH is not passed on)")
    result = run_code("import numpy\nint(numpy.arange(10).sum())", FAST)
    assert result.ok and result.output == "45\n", result.error


def test_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("MENTOR_TEST_SECRET", "hunter2")
    result = run_code("import os\nsorted(os.environ)", FAST)
    assert result.ok, result.error
    assert "MENTOR_TEST_SECRET" not in result.output


def test_layers_are_reported(layers):
    assert set(LAYERS) <= set(layers), layers
    for name in LAYERS:
        assert layers[name].startswith(("on", "off: ")), (name, layers[name])
    assert is_on(layers, "rlimits") and is_on(layers, "audit"), layers


def test_run_snippet_outside_a_sandbox_sandboxes_itself():
    pid = int(sandbox.run_snippet("import os\nos.getpid()"))
    assert pid != os.getpid()


# ------------------------------------------------------------------------- hostile code

T, M, F, R, O = (FailureKind.TIMEOUT, FailureKind.MEMORY, FailureKind.FORBIDDEN, FailureKind.RAISED,
                 FailureKind.OUTPUT_CAP)
HOSTILE = {
    "infinite loop": ("while True:\n    pass", "timed out", T),
    "sleep forever": ("import time\ntime.sleep(1000)", "timed out", T),
    "huge allocation": ("x = bytearray(2**40)", "MemoryError", M),
    "memory bomb": ("a = []\nwhile True:\n    a.append(bytearray(32 * 2**20))", "MemoryError", M),
    "fork bomb": ("import os\nwhile True:\n    os.fork()", "is not allowed", F),
    "subprocess": ("import subprocess\nsubprocess.run(['id'])", "is not allowed", F),
    "os.system": ("import os\nassert os.system('id') == 0", "is not allowed", F),
    "ctypes fork": ("import ctypes\nassert ctypes.CDLL(None).fork() >= 0", "is not allowed", F),
    "read /etc/passwd": ("print(open('/etc/passwd').read())", "is not allowed", F),
    "list /": ("import os\nprint(os.listdir('/'))", "is not allowed", F),
    "connect to an external ip": ("import socket\ns = socket.create_connection(('8.8.8.8', 53), timeout=2)",
                                  "is not allowed", F),
    "exception": ("x = 1\n1 / 0", "ZeroDivisionError: division by zero (line 2)", R),
    "exit with an error": ("import sys\nsys.exit(3)", "SystemExit: 3", R),
    "print flood": ("while True:\n    print('x' * 1000)", "output exceeds", O),
    "raw write flood": ("import os\nwhile True:\n    os.write(1, b'x' * 65536)", "output exceeds", O),
    "file over the size limit": ("open('big', 'wb').write(b'x' * (2 * 2**20))", "File too large", R),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_code_fails_with_a_reason_and_a_kind(name):
    code, reason, kind = HOSTILE[name]
    result = run_code(code, Limits(timeout=HANG if kind is T else 10.0, memory_mb=256, max_file_mb=1))
    failed(result, reason)
    assert result.kind is kind, (result.kind, result.error)
    if name == "read /etc/passwd":
        assert "root:" not in result.error + result.stdout + result.stderr
    assert result.timed_out == (kind is T)
    assert sandbox_processes() == []


def test_write_outside_scratch_fails(tmp_path):
    target = tmp_path / "pwned.txt"
    failed(run_code(f"open({str(target)!r}, 'w').write('x')", FAST))
    assert not target.exists()


def test_connect_to_localhost_fails(listener):
    port = listener.getsockname()[1]
    failed(run_code(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)", FAST))
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_signal_to_the_parent_is_not_delivered():
    received = []
    previous = signal.signal(signal.SIGWINCH, lambda *_: received.append(1))  # harmless if it arrives
    try:
        failed(run_code("import os, signal\nos.kill(os.getppid(), signal.SIGWINCH)", FAST))
    finally:
        signal.signal(signal.SIGWINCH, previous)
    assert received == []


def test_file_flood_is_capped_by_the_private_tmpfs(layers):
    if not is_on(layers, "tmpfs"):
        pytest.skip(f"tmpfs layer: {layers.get('tmpfs')}")
    code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * 2**20)\n    i += 1"
    failed(run_code(code, Limits(timeout=10.0, max_disk_mb=8)), "No space left on device")


def test_non_json_output_fails(targets):
    failed(run_function(targets.nonjson, {}, FAST), "not JSON-serialisable")
    failed(run_function(targets.nan, {}, FAST), "not JSON-serialisable")


def test_oversized_return_value_fails(targets):
    failed(run_function(targets.big, {"n": 5000}, Limits(max_output=1000)), "output exceeds 1000 bytes")
    assert run_function(targets.big, {"n": 100}, Limits(max_output=1000)).output == "x" * 100


def test_function_targets_round_trip(targets):
    result = run_function(targets.echo, {"a": [1, 2.5, None], "b": {"c": "é"}}, FAST)
    assert result.ok and result.output == {"a": [1, 2.5, None], "b": {"c": "é"}}, result.error


def test_unimportable_targets_and_arguments_fail(targets):
    result = run_function(lambda: 1, {}, FAST)
    failed(result, "module-level function")
    assert result.kind is FailureKind.NO_IMPLEMENTATION
    result = run_function(targets.echo, {"x": object()}, FAST)
    failed(result, "not JSON-serialisable")
    assert result.kind is FailureKind.SCHEMA


def test_a_target_that_cannot_be_imported_in_the_child(tmp_path, monkeypatch):
    """Importable here (a module only this process has in sys.modules), not in the child."""
    import types

    module = types.ModuleType("mentor_sandbox_ghost_module")
    exec("def f():\n    return 1\n", module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    result = run_function(module.f, {}, FAST)
    failed(result, "sandbox setup failed", "ModuleNotFoundError")
    assert result.kind is FailureKind.NO_IMPLEMENTATION


def test_cancel_kills_a_running_call():
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        result = run_code("while True:\n    pass", Limits(timeout=60), cancel=cancel)
    finally:
        timer.cancel()
    failed(result, "cancelled")
    assert result.kind is FailureKind.CLOSED and result.internal and not result.timed_out
    assert sandbox_processes() == []


# ------------------------------------------------------------------------- each layer alone

PROBES = {
    # name: (code, layers any one of which stops it without the audit hook)
    "read": ("open('/etc/passwd').read()", {"landlock"}),
    "write": ("open('/tmp/mentor-sandbox-escape-%s', 'w').write('x')" % uuid.uuid4().hex, {"landlock", "uid"}),
    "fork": ("import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)", {"seccomp", "nproc"}),
    "exec": ("import os\nos.execv('/bin/true', ['true'])", {"seccomp", "landlock"}),
    "connect": ("import socket\nsocket.create_connection(('8.8.8.8', 53), timeout=2)",
                {"seccomp", "netns", "landlock"}),
}


@pytest.mark.parametrize("name", list(PROBES))
def test_audit_hook_alone_stops_it(name):
    code, _ = PROBES[name]
    failed(run_code(code, Limits(timeout=10.0, disable=KERNEL_LAYERS)), "sandbox:")


@pytest.mark.parametrize("name", list(PROBES))
def test_kernel_layers_stop_it_without_the_audit_hook(name, layers):
    code, stoppers = PROBES[name]
    active = {layer for layer in stoppers if is_on(layers, layer)}
    if not active:
        pytest.skip(f"none of {sorted(stoppers)} is active here: {layers}")
    result = run_code(code, Limits(timeout=10.0, disable=frozenset({"audit"})))
    failed(result)
    assert "sandbox:" not in result.error  # the kernel said no, not the hook
