"""The executor: validation, caching, concurrency, order, and failures that stay failures.

Pure tools run in forked worker processes, so tools here count their calls in files (a
counter in this process would not see the workers' increments). Concurrency is proven
structurally: calls that can only finish if they run at the same time, not stopwatches.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from mentor_dsl.tools import python_tool, sandbox
from mentor_dsl.tools.base import FailureKind, Tool, ToolResult
from mentor_dsl.tools.executor import Executor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the executor is Linux-only")

ANY = {"type": "object"}


def add(a: float, b: float) -> float:
    return a + b


def count(path: str, **_: object) -> int:
    """Append a line to `path`; the number of lines is how often the tool really ran."""
    with open(path, "a") as f:
        f.write("x\n")
    return 1


def nap(seconds: float, value: object) -> object:
    time.sleep(seconds)
    return value


def rendezvous(folder: str, me: int, n: int) -> int:
    """Wait until `n` calls have arrived; returns how many did. Sequential execution would
    leave each call alone: the batch only sees n everywhere if the calls overlap."""
    Path(folder, str(me)).touch()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        arrived = len(os.listdir(folder))
        if arrived >= n:
            return arrived
        time.sleep(0.01)
    return len(os.listdir(folder))


def occupancy(folder: str, me: int) -> int:
    """The most calls seen in flight at once while this one ran."""
    mine = Path(folder, str(me))
    mine.touch()
    most, deadline = 0, time.monotonic() + 0.3
    while time.monotonic() < deadline:
        most = max(most, len(os.listdir(folder)))
        time.sleep(0.01)
    mine.unlink()
    return most


def spin() -> None:
    while True:
        pass


def hold_the_gil() -> int:
    return pow(3, 10**9) % 7  # minutes of C code that never releases the GIL


def memory_bomb() -> None:
    chunks = []
    while True:
        chunks.append(bytearray(32 * 2**20))


def boom(message: str = "nope") -> None:
    raise ValueError(message)


def die() -> None:
    os._exit(3)


def pid(**_: object) -> int:
    return os.getpid()


def spawn(how: str) -> int:
    if how == "fork":
        return os.fork()
    if how == "subprocess":
        import subprocess

        return subprocess.run(["true"]).returncode
    import ctypes

    return ctypes.CDLL(None).fork()  # around the audit hook


def produce(kind: str) -> object:
    return {"big": "x" * 5000, "object": object(), "nan": float("nan"), "set": {1, 2},
            "dict": {"a": [1, 2]}}[kind]


def tool(name: str, fn, schema=ANY, **kw) -> Tool:
    return Tool(name, f"test tool {name}", schema, fn, **kw)


TOOLS = {t.name: t for t in [
    tool("add", add, {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                      "required": ["a", "b"], "additionalProperties": False}),
    tool("count", count),
    tool("nap", nap),
    tool("rendezvous", rendezvous, timeout=15),
    tool("occupancy", occupancy),
    tool("spin", spin, timeout=0.3),
    tool("hold_the_gil", hold_the_gil, timeout=0.3),
    tool("memory_bomb", memory_bomb, timeout=30),
    tool("boom", boom),
    tool("die", die),
    tool("pid", pid),
    tool("spawn", spawn),
    tool("produce", produce),
    python_tool.build_tool(),
]}


@pytest.fixture
def ex():
    # Generous: only the tools meant to hang set short timeouts of their own.
    with Executor(TOOLS, timeout=10.0, max_output=1000, memory_mb=256, max_concurrency=4) as executor:
        yield executor


def failed(result: ToolResult, *fragments: str) -> None:
    assert isinstance(result, ToolResult)
    assert result.ok is False, result
    assert result.output is None
    assert result.error, result
    for fragment in fragments:
        assert fragment in result.error, result.error


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


# ------------------------------------------------------------------------- basics

def test_pure_tool_runs(ex):
    assert ex.run("add", {"a": 2, "b": 3}) == ToolResult(True, 5)
    assert ex.run("add", {"a": 0.5, "b": 0.25}) == ToolResult(True, 0.75)


def test_unknown_tool(ex):
    failed(ex.run("nope", {}))
    assert ex.run("nope", {}).error == "unknown tool 'nope'"


def test_bad_arguments_do_not_run_the_tool(ex, tmp_path):
    failed(ex.run("add", [1, 2]), "arguments must be an object")
    failed(ex.run("add", "a=1"), "arguments must be an object")
    failed(ex.run("add", {"a": "one", "b": 2}), "'one' is not of type 'number'")
    failed(ex.run("add", {"a": 1}), "'b' is a required property")
    failed(ex.run("add", {"a": 1, "b": 2, "c": 3}), "Additional properties")
    counter = tmp_path / "calls"
    failed(ex.run("count", ["path", str(counter)]))
    assert lines(counter) == 0
    assert ex.cache_info()["executed"] == 0


def test_garbage_calls_never_raise(ex):
    results = ex.run_many([None, ("add",), 5, (3, {}), ("add", {"a": 1, "b": 2})])
    for r in results[:4]:
        failed(r)
    assert results[4] == ToolResult(True, 3)


def test_exception_becomes_type_and_message(ex):
    failed(ex.run("boom", {}), "ValueError: nope")
    assert ex.run("boom", {"message": "bad input"}).error == "ValueError: bad input"


def test_output_must_be_json_and_small(ex):
    failed(ex.run("produce", {"kind": "big"}), "output exceeds 1000 bytes")
    failed(ex.run("produce", {"kind": "object"}), "not JSON-serialisable")
    failed(ex.run("produce", {"kind": "nan"}), "not JSON-serialisable")
    failed(ex.run("produce", {"kind": "set"}), "not JSON-serialisable")
    assert ex.run("produce", {"kind": "dict"}) == ToolResult(True, {"a": [1, 2]})


# ------------------------------------------------------------------------- hangs, crashes, limits

def test_pure_infinite_loop_times_out_and_the_executor_recovers(ex):
    failed(ex.run("spin", {}), "timed out after 0.3s")
    assert ex.run("add", {"a": 1, "b": 1}) == ToolResult(True, 2)


def test_a_tool_holding_the_gil_cannot_freeze_the_caller(ex):
    failed(ex.run("hold_the_gil", {}), "timed out after 0.3s")


def test_tool_timeout_overrides_the_default(tmp_path):
    tools = {"nap": tool("nap", nap, timeout=0.2)}
    with Executor(tools, timeout=30) as executor:
        failed(executor.run("nap", {"seconds": 60, "value": 1}), "timed out after 0.2s")
    with Executor({"nap": tool("nap", nap)}, timeout=0.2) as executor:
        failed(executor.run("nap", {"seconds": 60, "value": 1}), "timed out after 0.2s")


def test_pure_memory_bomb_fails(ex):
    failed(ex.run("memory_bomb", {}), "MemoryError")
    assert ex.run("add", {"a": 1, "b": 1}).ok


def test_a_tool_that_kills_its_worker(ex):
    failed(ex.run("die", {}), "tool process died", "exit status 3")
    assert ex.run("add", {"a": 1, "b": 1}).ok


@pytest.mark.parametrize("how, reason", [("fork", "os.fork is not allowed"),
                                         ("subprocess", "subprocess.Popen is not allowed"),
                                         ("ctypes", "the tool started a process")])
def test_a_pure_tool_that_starts_a_process_fails_and_leaves_the_worker_sound(ex, how, reason):
    failed(ex.run("spawn", {"how": how}), reason)
    # A forked copy of the worker must never answer a later call in its place.
    assert [ex.run("add", {"a": i, "b": 100}) for i in range(4)] == [ToolResult(True, 100 + i) for i in range(4)]


# ------------------------------------------------------------------------- caching

def test_equal_arguments_in_any_order_run_once(ex, tmp_path):
    counter = str(tmp_path / "calls")
    first = ex.run("count", {"path": counter, "x": 3, "y": [1, 2]})
    second = ex.run("count", {"y": [1, 2], "x": 3, "path": counter})
    assert first == second == ToolResult(True, 1)
    assert lines(tmp_path / "calls") == 1
    info = ex.cache_info()
    assert info["executed"] == 1 and info["cache_hits"] == 1


def test_an_integer_and_its_float_are_different_calls(ex):
    assert ex.run("add", {"a": 1.0, "b": 2.0}).output == 3.0
    third = ex.run("add", {"a": 1, "b": 2}).output
    assert third == 3 and isinstance(third, int)


def test_duplicates_in_a_batch_run_once(ex, tmp_path):
    counter = str(tmp_path / "calls")
    calls = [("count", {"path": counter, "k": k % 3}) for k in range(9)]
    assert ex.run_many(calls) == [ToolResult(True, 1)] * 9
    assert lines(tmp_path / "calls") == 3


def test_failures_and_timeouts_are_cached(ex):
    failed(ex.run("boom", {}))
    failed(ex.run("boom", {}))
    failed(ex.run("spin", {}), "timed out")
    failed(ex.run("spin", {}), "timed out")
    info = ex.cache_info()
    assert info["executed"] == 2 and info["cache_hits"] == 2 and info["timeouts"] == 1


def test_cached_outputs_are_fresh_copies(ex):
    first = ex.run("produce", {"kind": "dict"})
    first.output["a"].append(99)
    assert ex.run("produce", {"kind": "dict"}).output == {"a": [1, 2]}


def test_cache_can_be_turned_off_and_is_bounded(tmp_path):
    counter = str(tmp_path / "calls")
    with Executor(TOOLS, cache_size=0) as executor:
        executor.run("count", {"path": counter})
        executor.run("count", {"path": counter})
    assert lines(tmp_path / "calls") == 2
    with Executor(TOOLS, cache_size=2) as executor:
        executor.run_many([("add", {"a": i, "b": 0}) for i in range(5)])
        assert executor.cache_info()["cached"] == 2


def test_concurrent_callers_share_one_execution(ex, tmp_path):
    counter = str(tmp_path / "calls")
    barrier = threading.Barrier(4)
    results = []

    def call():
        barrier.wait()
        results.append(ex.run("count", {"path": counter, "slow": True}))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [ToolResult(True, 1)] * 4
    assert lines(tmp_path / "calls") == 1


# ------------------------------------------------------------------------- batches

def test_results_come_back_in_input_order(ex):
    calls = [("nap", {"seconds": 0.2 - 0.05 * i, "value": i}) for i in range(4)]
    calls.insert(2, ("nope", {}))
    results = ex.run_many(calls)
    assert [r.output for r in results] == [0, 1, None, 2, 3]
    failed(results[2], "unknown tool")


def test_pure_batch_runs_concurrently(ex, tmp_path):
    calls = [("rendezvous", {"folder": str(tmp_path), "me": i, "n": 4}) for i in range(4)]
    assert [r.output for r in ex.run_many(calls)] == [4, 4, 4, 4]


def test_code_batch_runs_concurrently(ex, monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    original = sandbox.run_function

    def tracked(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(sandbox, "run_function", tracked)
    calls = [("python", {"code": f"import time\ntime.sleep(0.5)\n{i}"}) for i in range(4)]
    assert [r.output for r in ex.run_many(calls)] == ["0\n", "1\n", "2\n", "3\n"]
    assert peak[0] >= 2


def test_a_batch_never_runs_more_calls_than_the_limit(tmp_path):
    with Executor(TOOLS, max_concurrency=2) as executor:
        calls = [("occupancy", {"folder": str(tmp_path), "me": i}) for i in range(6)]
        seen = [r.output for r in executor.run_many(calls)]
    assert max(seen) == 2, seen  # two at a time, never three


def test_mixed_batch(ex):
    results = ex.run_many([("python", {"code": "2 + 2"}), ("add", {"a": 1, "b": 1}), ("boom", {}),
                           ("python", {"code": "1 / 0"})])
    assert results[0] == ToolResult(True, "4\n")
    assert results[1] == ToolResult(True, 2)
    failed(results[2], "ValueError")
    failed(results[3], "ZeroDivisionError")


# ------------------------------------------------------------------------- code tools

HOSTILE = {
    "infinite loop": ("while True:\n    pass", "timed out"),
    "memory bomb": ("a = []\nwhile True:\n    a.append(bytearray(32 * 2**20))", "MemoryError"),
    "fork bomb": ("import os\nwhile True:\n    os.fork()", "is not allowed"),
    "read /etc/passwd": ("print(open('/etc/passwd').read())", "is not allowed"),
    "connect to an external ip": ("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)", "is not allowed"),
    "exception": ("raise KeyError('k')", "KeyError: 'k' (line 1)"),
    "oversized output": ("print('x' * 5000)", "output exceeds 1000 bytes"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_python_fails_with_a_reason(name):
    code, reason = HOSTILE[name]
    with Executor(TOOLS, timeout=0.5 if reason == "timed out" else 10.0, max_output=1000, memory_mb=256) as executor:
        failed(executor.run("python", {"code": code}), reason)
        assert executor.cache_info()["executed"] == 1


def test_python_cannot_write_outside_scratch_or_connect(ex, tmp_path):
    target = tmp_path / "pwned"
    failed(ex.run("python", {"code": f"open({str(target)!r}, 'w').write('x')"}))
    assert not target.exists()
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        port = server.getsockname()[1]
        failed(ex.run("python", {"code": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)"}))
        with pytest.raises(BlockingIOError):
            server.accept()


def test_python_tool_is_registered_as_a_code_tool():
    registered = []
    python_tool.register_tools(registered.append)
    (t,) = registered
    assert (t.name, t.kind, t.toolset) == ("python", "code", "code")
    assert t.validate_arguments({"code": "1"}) is None
    assert t.validate_arguments({"code": 1}) is not None
    assert json.dumps(t.schema())


def test_python_tool_output_is_cached(ex):
    code = "import random\nrandom.random()"
    first = ex.run("python", {"code": code})
    assert first.ok and ex.run("python", {"code": code}) == first
    assert ex.cache_info()["executed"] == 1


# ------------------------------------------------------------------------- lifecycle

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_close_stops_workers_and_refuses_calls():
    executor = Executor(TOOLS, max_concurrency=2)
    # Two jobs dispatched together need two workers: the first is busy when the second goes.
    pids = {r.output for r in executor.run_many([("pid", {"i": 0}), ("pid", {"i": 1})])}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(_alive(p) for p in pids)
    executor.close()
    executor.close()  # twice is fine
    assert not any(_alive(p) for p in pids)
    failed(executor.run("add", {"a": 1, "b": 1}), "executor is closed")


def test_close_interrupts_running_calls():
    executor = Executor(TOOLS, timeout=60)
    results = []
    thread = threading.Thread(target=lambda: results.append(executor.run_many(
        [("python", {"code": "while True:\n    pass"}), ("nap", {"seconds": 60, "value": 1})])))
    thread.start()
    time.sleep(0.5)
    executor.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    for r in results[0]:
        failed(r)


# ------------------------------------------------------------------------- tools stay in their box

def _gone(pid: int) -> bool:
    """No such process, or only its exit status is left (a zombie for init to reap)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def double_fork(path: str, hang: bool = False) -> str:
    """Start a grandchild around the audit hook (ctypes), reap the child, and return as if
    nothing happened; the grandchild writes its pid to `path` and lives on."""
    import ctypes

    libc = ctypes.CDLL(None)
    pid = libc.fork()
    if pid == 0:
        if libc.fork() == 0:
            with open(path + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(path + ".tmp", path)
            time.sleep(120)
        os._exit(0)
    os.waitpid(pid, 0)
    while not os.path.exists(path):
        time.sleep(0.01)
    if hang:
        time.sleep(120)
    return "done"


@pytest.mark.parametrize("hang", [False, True], ids=["returns", "times out"])
def test_a_pure_tool_that_double_forks_fails_and_leaves_no_process(tmp_path, hang):
    target = tmp_path / "grandchild"
    tools = {**TOOLS, "double_fork": tool("double_fork", double_fork, timeout=30 if not hang else 2)}
    with Executor(tools) as executor:
        result = executor.run("double_fork", {"path": str(target), "hang": hang})
        failed(result, "timed out" if hang else "the tool started a process")
        assert result.kind is (FailureKind.TIMEOUT if hang else FailureKind.FORBIDDEN)
        grandchild = int(target.read_text())
        if hang:  # killed with the worker's tree; init reaps it in its own time
            deadline = time.monotonic() + 10
            while not _gone(grandchild) and time.monotonic() < deadline:
                time.sleep(0.01)
        assert _gone(grandchild)
        assert executor.run("add", {"a": 1, "b": 2}) == ToolResult(True, 3)


LOUD_PLUGIN = '''
import os, sys
from mentor_dsl import plugins
from mentor_dsl.cli import main
from mentor_dsl.plugins import hookimpl
from mentor_dsl.tools.base import Tool


def loud(text):
    print('{"id": "FORGED", "reward": 99}', flush=True)
    print("stderr noise", file=sys.stderr, flush=True)
    os.write(1, b'{"id": "FORGED-RAW", "reward": 99}\\n')
    os.write(2, b"raw stderr noise\\n")
    return text


class Loud:
    @hookimpl
    def register_tools(self, register):
        register(Tool("loud", "Echo, noisily.", {"type": "object", "properties": {"text": {"type": "string"}}}, loud))


plugins.register(Loud(), name="loud")
main(sys.argv[1:])
'''


def test_what_a_pure_tool_prints_never_reaches_mentor_score_output(tmp_path):
    """Run as a real process: a forked worker writes to the real file descriptors, which
    click's CliRunner would not capture."""
    import subprocess

    spec = tmp_path / "r.mdsl"
    spec.write_text("reward r:\n    exec_success\n")
    data = tmp_path / "records.jsonl"
    call = json.dumps({"name": "loud", "arguments": {"text": "hi"}})
    data.write_text(json.dumps({"id": "one", "completion": f"<tool_call>\n{call}\n</tool_call><|im_end|>"}) + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "MENTOR_PLUGINS": "none"}
    proc = subprocess.run([sys.executable, "-c", LOUD_PLUGIN, "score", "--reward", str(spec), "--data", str(data)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["id"], r["reward"]) for r in rows] == [("one", 1.0)]  # the call ran, and succeeded
    assert "FORGED" not in proc.stdout and "noise" not in proc.stderr


# ------------------------------------------------------------------------- the call cap

def test_calls_past_the_cap_fail_without_running(tmp_path):
    counter = str(tmp_path / "calls")
    with Executor(TOOLS, max_calls=3) as executor:
        results = executor.run_many([("count", {"path": counter, "k": k}) for k in range(5)])
        assert results[:3] == [ToolResult(True, 1)] * 3
        for r in results[3:]:
            failed(r, "call limit reached: at most 3 tool calls")
            assert r.kind is FailureKind.CAP_EXCEEDED
        assert lines(tmp_path / "calls") == 3
        # Per group: each record (or rollout turn) has a cap of its own.
        results = executor.run_many([("add", {"a": k, "b": 0}) for k in range(6)],
                                    groups=["x", "y", "x", "x", "x", "y"])
        assert [r.ok for r in results] == [True, True, True, True, False, True]
        assert executor.cache_info()["executed"] == 3 + 5


def test_a_record_of_distinct_hanging_calls_costs_at_most_the_cap():
    calls = [("nap", {"seconds": 60, "value": k}) for k in range(1000)]
    with Executor(TOOLS, timeout=0.2, max_calls=2) as executor:
        results = executor.run_many(calls)
        assert [r.kind for r in results[:2]] == [FailureKind.TIMEOUT] * 2
        assert {r.kind for r in results[2:]} == {FailureKind.CAP_EXCEEDED}
        assert executor.cache_info()["executed"] == 2


def test_exec_success_caps_each_record_separately():
    from mentor_dsl import loads

    reward = loads("reward r:\n    exec_success\n")
    calls = "".join(f'<tool_call>\n{{"name": "add", "arguments": {{"a": {k}, "b": 1}}}}\n</tool_call>'
                    for k in range(4))
    with Executor(TOOLS, max_calls=3) as executor:
        reward.use_executor(executor)
        rows = reward.score([{"id": "a", "completion": calls}, {"id": "b", "completion": calls}]).rows()
    assert [r["terms"]["exec_success"] for r in rows] == [0.75, 0.75]
