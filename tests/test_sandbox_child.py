"""The child module: standard library only, and the call code the sandbox and the executor's
pure-tool workers share (same outcome, same words, same kind, whichever process runs it)."""

from __future__ import annotations

import importlib
import sys
import uuid

import pytest
from sandbox_isolated import isolated

from mentor_dsl.tools.base import Tool
from mentor_dsl.tools.executor import Executor
from mentor_dsl.tools.sandbox import FailureKind, Limits, child, policy, run_function

LAYER_MODULES = "child, failures, kernel, landlock, namespaces, policy, privileges, rlimits, seccomp"


def test_the_child_imports_only_the_standard_library():
    out = isolated("""
        import os, sysconfig
        stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
        here = os.path.realpath(p.__path__[0])
        out["outside"] = sorted(
            name for name, m in sys.modules.items()
            if getattr(m, "__file__", None)
            and not os.path.realpath(m.__file__).startswith((stdlib + "/", here + "/")))
        out["mentor"] = sorted(name for name in sys.modules if name.startswith("mentor"))
    """, modules=LAYER_MODULES)
    assert out == {"outside": [], "mentor": []}


def raises():
    raise ValueError("bad input")


def returns_an_object():
    return object()


def returns_surrogates():
    return "\udc80"


def denied():
    raise policy.Denied("sandbox: os.fork is not allowed")


CASES = {
    # function: (kind, message) from child.call, with max_output 100
    "ok": (lambda: {"a": [1, 2.5]}, None, '{"a":[1,2.5]}'),
    "raises": (raises, FailureKind.RAISED, "ValueError: bad input"),
    "exit": (lambda: sys.exit(3), FailureKind.RAISED, "SystemExit: 3"),
    "not JSON": (returns_an_object, FailureKind.NOT_JSON, "output is not JSON-serialisable: "),
    "NaN": (lambda: float("nan"), FailureKind.NOT_JSON, "output is not JSON-serialisable: "),
    "too big": (lambda: "x" * 200, FailureKind.OUTPUT_CAP, "output exceeds 100 bytes"),
    "memory": (lambda: (_ for _ in ()).throw(MemoryError()), FailureKind.MEMORY,
               "MemoryError: memory limit of 64 MB exceeded"),
    "denied": (denied, FailureKind.FORBIDDEN, "PermissionError: sandbox: os.fork is not allowed"),
    "surrogates": (returns_surrogates, None, '"\\udc80"'),
}


@pytest.mark.parametrize("name", list(CASES))
def test_call_names_every_outcome(name):
    fn, kind, message = CASES[name]
    got_kind, text = child.call(fn, {}, 100, 64)
    assert got_kind is kind
    assert text.startswith(message) if kind is FailureKind.NOT_JSON else text == message


def test_capture_refuses_past_its_limit():
    out = child.Capture(5)
    out.write("abc")
    with pytest.raises(child.OutputLimit):
        out.write("def")
    assert out.getvalue() == "abc"
    assert child.describe(child.OutputLimit("output exceeds 5 bytes")) == (FailureKind.OUTPUT_CAP,
                                                                            "output exceeds 5 bytes")


TARGETS = '''
def failing(n):
    if n > 1:
        raise KeyError(n)
    return object()
'''


@pytest.fixture
def targets(tmp_path, monkeypatch):
    name = f"child_targets_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(TARGETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(name)
    sys.modules.pop(name, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is Linux-only")
def test_a_pure_worker_and_the_sandbox_fail_a_call_alike(targets):
    tool = Tool("failing", "fails", {"type": "object"}, targets.failing)
    with Executor({"failing": tool}) as executor:
        for n in (1, 2):
            pure = executor.run("failing", {"n": n})
            sandboxed = run_function(targets.failing, {"n": n}, Limits(timeout=10.0))
            assert (pure.ok, pure.kind, pure.error) == (sandboxed.ok, sandboxed.kind, sandboxed.error)
            assert pure.kind in (FailureKind.NOT_JSON, FailureKind.RAISED)
