"""The executor's limits: defaults, per tool, per run, and how a run sets them from the CLI."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from mentor_dsl import ToolError, TrainingError
from mentor_dsl.cli import cli
from mentor_dsl.plugins import hookimpl
from mentor_dsl.tools import python_tool
from mentor_dsl.tools.base import FailureKind, Tool, ToolLimits, ToolResult
from mentor_dsl.tools.executor import Executor

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the executor is Linux-only")


def text(n: int) -> str:
    return "x" * n


def grab(mb: int) -> int:
    return len(bytearray(mb * 2**20))


def test_the_documented_defaults():
    assert ToolLimits() == ToolLimits(timeout=5.0, max_output=65536, memory_mb=512, max_calls=32)
    with Executor({}) as executor:
        assert executor.limits == ToolLimits()
        assert (executor.timeout, executor.max_output, executor.memory_mb) == (5.0, 65536, 512)


@pytest.mark.parametrize("values, message", [
    ({"timeout": 0}, "timeout must be greater than 0"),
    ({"timeout": "soon"}, "timeout must be a number, not 'soon'"),
    ({"max_calls": 2.5}, "max_calls must be a whole number"),
    ({"memory_mb": True}, "memory_mb must be a whole number"),
    ({"max_output": float("inf")}, "max_output must be a whole number"),
    ({"timout": 1}, "unknown tool limit 'timout' (limits: timeout, max_output, memory_mb, max_calls)"),
])
def test_bad_limits_are_named(values, message):
    with pytest.raises(ValueError, match=None) as info:
        ToolLimits.from_mapping(values)
    assert message in str(info.value)


def test_strings_from_a_command_line_are_converted():
    assert ToolLimits.from_mapping({"timeout": "2.5", "max_calls": "4"}) == ToolLimits(timeout=2.5, max_calls=4)


def test_a_tool_limit_is_checked_when_the_tool_is_built():
    with pytest.raises(ToolError, match="tool 't': timeout must be greater than 0"):
        Tool("t", "d", {"type": "object"}, text, timeout=0)
    with pytest.raises(ToolError, match="tool 't': max_output must be a whole number"):
        Tool("t", "d", {"type": "object"}, text, max_output=1.5)


@linux
def test_a_tool_s_own_limits_replace_the_run_s():
    tools = {"small": Tool("small", "d", {"type": "object"}, text, max_output=10),
             "plain": Tool("plain", "d", {"type": "object"}, text),
             "greedy": Tool("greedy", "d", {"type": "object"}, grab, memory_mb=512),
             "frugal": Tool("frugal", "d", {"type": "object"}, grab, memory_mb=32)}
    with Executor(tools, max_output=100, memory_mb=64) as executor:
        small = executor.run("small", {"n": 20})
        assert small.kind is FailureKind.OUTPUT_CAP and small.error == "output exceeds 10 bytes"
        assert executor.run("plain", {"n": 20}).ok
        assert executor.run("plain", {"n": 200}).kind is FailureKind.OUTPUT_CAP
        assert executor.run("greedy", {"mb": 128}) == ToolResult(True, 128 * 2**20)  # above the run's 64 MB
        frugal = executor.run("frugal", {"mb": 128})
        assert frugal.kind is FailureKind.MEMORY and frugal.error == "MemoryError: memory limit of 32 MB exceeded"
        assert executor.run("greedy", {"mb": 129}).ok  # the worker's limit went back up


# A caller that allocated and freed a lot: 320 MB of freed chunks in the middle of its
# heap (kept mapped: a high mmap threshold, no trimming, a live block above them).
_FREED_HEAP_CALLER = """
import ctypes, sys
from mentor_dsl.tools.base import Tool
from mentor_dsl.tools.executor import Executor

def grab(mb):
    return len(bytearray(mb * 2**20))

libc = ctypes.CDLL(None)
libc.mallopt(-3, 64 * 2**20)
blocks = [bytearray(16 * 2**20) for _ in range(20)]
libc.mallopt(-1, 1 << 30)
above = bytearray(2 * 2**20)
del blocks
tools = {"frugal": Tool("frugal", "d", {"type": "object"}, grab, memory_mb=32)}
with Executor(tools) as executor:
    print(executor.run("frugal", {"mb": 128}).kind, executor.run("frugal", {"mb": 8}).ok)
"""


@linux
def test_the_memory_limit_holds_when_the_caller_freed_a_large_heap():
    # Regression: a worker served the tool's 128 MB from the caller's freed chunks, which
    # map nothing new, so a 32 MB limit let it through.
    import subprocess

    done = subprocess.run([sys.executable, "-c", _FREED_HEAP_CALLER], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(FailureKind.MEMORY), "True"]


@linux
def test_a_code_tool_gets_its_own_output_limit():
    tool = python_tool.build_tool()
    tools = {"python": Tool(tool.name, tool.description, tool.parameters, tool.fn, kind="code", max_output=50)}
    with Executor(tools) as executor:
        result = executor.run("python", {"code": "print('x' * 100)"})
    assert result.kind is FailureKind.OUTPUT_CAP and "output exceeds 50 bytes" in result.error


# -- the command line ---------------------------------------------------------------------------

def records(tmp_path, calls: int) -> str:
    body = "".join(f'<tool_call>\n{{"name": "add", "arguments": {{"a": {k}, "b": 1}}}}\n</tool_call>'
                   for k in range(calls))
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps({"id": "r", "completion": body + "<|im_end|>"}) + "\n")
    return str(path)


@linux
def test_score_takes_tool_limits(tmp_path):
    spec = tmp_path / "r.mdsl"
    spec.write_text("reward r:\n    exec_success\n")
    data = records(tmp_path, 4)
    result = CliRunner().invoke(cli, ["score", "--reward", str(spec), "--data", data, "--tool-limit", "max_calls=3"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["terms"]["exec_success"] == 0.75
    result = CliRunner().invoke(cli, ["score", "--reward", str(spec), "--data", data])
    assert json.loads(result.stdout.splitlines()[0])["terms"]["exec_success"] == 1.0


@pytest.mark.parametrize("command", ["score", "train"])
@pytest.mark.parametrize("value, message", [("timeout=0", "timeout must be greater than 0"),
                                            ("speed=1", "unknown tool limit 'speed'"),
                                            ("timeout", "expected NAME=VALUE")])
def test_bad_tool_limits_are_usage_errors(tmp_path, command, value, message):
    extra = ["--reward", "mentor", "--data", str(tmp_path / "none.jsonl")] if command == "score" else []
    result = CliRunner().invoke(cli, [command, *extra, "--tool-limit", value])
    assert result.exit_code == 2, result.output
    assert message in result.output and "--tool-limit" in result.output


class Capture:
    def __init__(self):
        self.config = None

    @hookimpl
    def register_trainers(self, register):
        register("capture", self.run)

    def run(self, config):
        self.config = config
        return "nowhere"


def test_train_passes_tool_limits_to_the_trainer(plugin, tmp_path):
    capture = plugin(Capture())
    config = tmp_path / "train.toml"
    config.write_text("[tool_limits]\ntimeout = 2\nmemory_mb = 256\n")
    result = CliRunner().invoke(cli, ["train", "--trainer", "capture", "--config", str(config),
                                      "--tool-limit", "max_calls=4", "--tool-limit", "timeout=3"])
    assert result.exit_code == 0, result.output
    assert capture.config.tool_limits == {"timeout": "3", "memory_mb": 256, "max_calls": "4"}
    assert ToolLimits.from_mapping(capture.config.tool_limits) == ToolLimits(timeout=3.0, memory_mb=256, max_calls=4)


def test_a_bad_tool_limit_in_a_config_file_stops_training_before_it_starts(tmp_path):
    from mentor_dsl.train.config import TrainConfig
    from mentor_dsl.train.session import Session

    with pytest.raises(TrainingError, match="tool_limits: max_calls must be greater than 0"):
        Session(TrainConfig(tool_limits={"max_calls": 0}, output_dir=str(tmp_path / "run")))
