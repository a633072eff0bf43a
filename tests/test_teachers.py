"""The built-in teachers (oracle, openai, hf) and the verification of their trajectories."""

from __future__ import annotations

import copy
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import mentor_dsl
from mentor_dsl.data import load_split
from mentor_dsl.plugins import registry
from mentor_dsl.teachers import BUILTIN_TEACHERS, HFTeacher, OpenAITeacher, OracleTeacher, TeacherError
from mentor_dsl.teachers.verify import Verdict, Verifier, verify
from mentor_dsl.tools.executor import Executor
from openai_stub import StubServer

EOS = "<|im_end|>"


@pytest.fixture(scope="module")
def executor():
    with Executor(registry().tools) as ex:
        yield ex


@pytest.fixture(scope="module")
def check(executor):
    return Verifier(executor=executor)


@pytest.fixture(scope="module")
def tasks():
    # In-domain tasks (1-4 calls) and longer chains (4-6 calls).
    return load_split("test", 40) + load_split("ood_chain", 10)


@pytest.fixture(scope="module")
def oracle_records(tasks, executor):
    return OracleTeacher(executor=executor).generate(tasks)


def test_builtin_teachers_are_registered():
    assert set(BUILTIN_TEACHERS) <= set(registry().names("teachers"))
    factory = registry().get("teachers", "oracle")
    # Registered lazily (teachers/__init__.py): the class is imported when it is first used.
    assert factory.__wrapped__ is OracleTeacher and isinstance(factory(), OracleTeacher)
    assert list(inspect.signature(factory).parameters) == list(inspect.signature(OracleTeacher).parameters)


# -- oracle ---------------------------------------------------------------------------------------

def test_oracle_renders_every_builtin_task_and_all_verify(tasks, oracle_records, check):
    assert len(oracle_records) == len(tasks)
    for task, record in zip(tasks, oracle_records):
        assert record["id"] == task["id"] and record["prompt"] == task["prompt"]
        assert record["answer"] == task["answer"] and record["tools"] == task["tools"]
        assert record["teacher"] == {**task["teacher"], "model": "oracle"}
        # The same trajectory the task set renders, but computed from the executed plan.
        assert record["completion"] == task["completion"] and record["completion"].endswith(EOS)
        assert record["family"] == task["family"] and record["split"] == task["split"]
        assert all(r["ok"] for r in record["tool_results"])
        assert len(record["tool_results"]) == len(record["teacher"]["tool_calls"])
        verdict = check(record)
        assert verdict.ok, verdict.reason


def test_oracle_completions_get_the_maximum_mentor_reward(oracle_records):
    rewards = mentor_dsl.load("mentor").score(oracle_records).rewards.tolist()
    assert rewards == [pytest.approx(1.1)] * len(oracle_records)


def test_oracle_skips_tasks_without_an_executable_plan(tasks, executor):
    no_plan = {k: v for k, v in tasks[0].items() if k != "teacher"}
    names_only = {**tasks[1], "teacher": {"tool_calls": [c["name"] for c in tasks[1]["teacher"]["tool_calls"]]}}
    failing = copy.deepcopy(tasks[2])
    failing["id"] = "bad"
    failing["teacher"]["tool_calls"] = [{"name": "divide", "arguments": {"a": 1, "b": 0}}]
    teacher = OracleTeacher(executor=executor)
    records = teacher.generate([no_plan, names_only, failing, tasks[3]])
    assert [r["id"] for r in records] == [tasks[3]["id"]]
    assert [(f.task_id, f.kind) for f in teacher.failures] == [
        (tasks[0]["id"], "no_plan"), (tasks[1]["id"], "no_plan"), ("bad", "call_failed")]
    assert "division by zero" in teacher.failures[2].detail
    teacher.generate([tasks[3]])
    assert teacher.failures == []  # failures describe the last call only


def test_oracle_rejects_a_bad_option():
    with pytest.raises(TeacherError, match="timeout"):
        OracleTeacher(timeout="soon")


# -- verify ---------------------------------------------------------------------------------------

def _variant(record, **changes):
    out = copy.deepcopy(record)
    out.update(changes)
    return out


def _call_text(name, arguments):
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>\n'


def test_verify_unpacks_as_ok_and_reason(oracle_records, executor):
    ok, reason = verify(oracle_records[0], executor=executor)
    assert ok and reason == ""


def test_verify_rejects_a_wrong_answer(oracle_records, check):
    record = oracle_records[0]
    wrong = _variant(record, completion=record["completion"].replace(
        f"\\boxed{{{record['answer']}}}", "\\boxed{12}"))
    verdict = check(wrong)
    assert (verdict.ok, verdict.kind) == (False, "wrong_answer")
    assert "'12'" in verdict.reason and record["answer"] in verdict.reason
    assert check(_variant(record, completion=record["completion"].replace("\\boxed", "boxed"))).kind == "no_answer"


def test_verify_accepts_an_equivalent_answer(check):
    record = {"prompt": "half of 1?", "answer": "0.5", "tools": ["divide"],
              "teacher": {"tool_calls": [{"name": "divide", "arguments": {"a": 1, "b": 2}}]},
              "completion": _call_text("divide", {"a": 1, "b": 2}) + "It is \\boxed{\\frac{1}{2}}" + EOS}
    assert check(record).ok


def test_verify_rejects_a_hallucinated_tool(check):
    calls = [{"name": "teleport", "arguments": {"to": "mars"}}]
    record = {"prompt": "?", "answer": "1", "teacher": {"tool_calls": calls},
              "completion": _call_text("teleport", {"to": "mars"}) + "\\boxed{1}" + EOS}
    verdict = check(record)
    assert verdict.kind == "hallucinated_tool" and "'teleport' is not a registered tool" in verdict.reason
    # A registered tool the task does not offer is a hallucination too.
    calls = [{"name": "add", "arguments": {"a": 1, "b": 0}}]
    offered = {**record, "tools": ["multiply"], "teacher": {"tool_calls": calls},
               "completion": _call_text("add", {"a": 1, "b": 0}) + "\\boxed{1}" + EOS}
    assert check(offered).reason == "hallucinated_tool: call 1: 'add' is not offered by the task"
    verdict = check(offered)
    assert (verdict.ok, verdict.kind, verdict.detail) == (False, "hallucinated_tool", "call 1: 'add' is not offered by the task")
    assert tuple(verdict) == (False, verdict.reason)


def test_verify_rejects_a_failing_call(check):
    calls = [{"name": "divide", "arguments": {"a": 1, "b": 0}}]
    record = {"prompt": "1/0?", "answer": "0", "teacher": {"tool_calls": calls},
              "completion": _call_text("divide", {"a": 1, "b": 0}) + "\\boxed{0}" + EOS}
    verdict = check(record)
    assert verdict.kind == "call_failed" and "division by zero" in verdict.reason


def test_verify_rejects_arguments_that_break_the_schema(check):
    calls = [{"name": "add", "arguments": {"a": 1}}]
    record = {"prompt": "?", "answer": "1", "teacher": {"tool_calls": calls},
              "completion": _call_text("add", {"a": 1}) + "\\boxed{1}" + EOS}
    verdict = check(record)
    assert verdict.kind == "invalid_arguments" and "'b' is a required property" in verdict.reason


@pytest.mark.parametrize("mutate, kind", [
    (lambda r: r.update(completion=r["completion"][: -len(EOS)]), "unfinished"),
    (lambda r: r.update(finished=False), "unfinished"),
    (lambda r: r.update(completion="<tool_call>{not json}</tool_call>" + r["completion"]), "invalid_call"),
    (lambda r: r["teacher"]["tool_calls"].append({"name": "add", "arguments": {"a": 1, "b": 1}}), "inconsistent"),
    (lambda r: r["teacher"]["tool_calls"][0]["arguments"].update(exponent=2), "inconsistent"),
    (lambda r: r.update(completion=r["completion"].replace("13824\n</tool_response>", "999\n</tool_response>")),
     "fabricated_response"),
    (lambda r: r.pop("answer"), "no_reference"),
    (lambda r: r.pop("completion"), "malformed"),
    (lambda r: r.update(teacher={"tool_calls": [{"arguments": {}}]}), "malformed"),
    (lambda r: r.update(teacher={"tool_calls": []}, completion="\\boxed{13824}" + EOS), "no_calls"),
])
def test_verify_rules(oracle_records, check, mutate, kind):
    record = copy.deepcopy(oracle_records[0])
    assert record["answer"] == "13824"  # test-00000: 24 cubed, one power call
    mutate(record)
    verdict = check(record)
    assert (verdict.ok, verdict.kind) == (False, kind), verdict.reason
    assert verdict.reason.startswith(f"{kind}: ")


def test_verify_can_allow_trajectories_without_calls(executor):
    record = {"prompt": "?", "answer": "2", "teacher": {"tool_calls": []}, "completion": "\\boxed{2}" + EOS}
    assert verify(record, executor=executor).kind == "no_calls"
    assert verify(record, executor=executor, require_calls=False).ok


def test_verify_never_raises_on_junk(check):
    for junk in (None, [], "text", {"completion": 3}, {"prompt": "x", "completion": "y", "teacher": "{bad"}):
        verdict = check(junk)
        assert isinstance(verdict, Verdict) and not verdict.ok and verdict.kind == "malformed"


def _student_layout():
    from transformers import AutoTokenizer

    from mentor_dsl.rollouts.layout import ChatLayout
    from mentor_dsl.student import default_student_dir

    return ChatLayout.for_tokenizer(AutoTokenizer.from_pretrained(default_student_dir(), local_files_only=True),
                                    registry())


def test_verified_teacher_output_passes_the_training_record_checks(oracle_records, tmp_path):
    """What `mentor train` does with a teacher file before training, without training."""
    from types import SimpleNamespace

    from mentor_dsl.data import resolve_data, save_jsonl
    from mentor_dsl.formats.hermes import HERMES
    from mentor_dsl.train.session import Session
    from mentor_dsl.train.sft import teacher_text

    path = tmp_path / "teacher.jsonl"
    save_jsonl(oracle_records, path)
    records = resolve_data(str(path))
    for spec in ("mentor", "strict"):
        session = SimpleNamespace(reward=mentor_dsl.load(spec), records=records, config=SimpleNamespace(data=str(path)),
                                  registry=registry(), call_format=HERMES, layout=_student_layout())
        Session._check_records(session)  # GRPO: every field the reward needs is there
    session.tools_of = lambda record: Session.tools_of(session, record)
    rows = Session.rows_for(session, records)
    assert [json.loads(r["teacher"])["tool_calls"] for r in rows] == [r["teacher"]["tool_calls"] for r in records]
    assert all(teacher_text(r) == r["completion"] for r in records)  # SFT reads the completion


# -- openai ---------------------------------------------------------------------------------------

def _openai(server, executor, **options):
    options = {"base_url": server.url, "api_key": "sk-test", "retries": 2, "timeout": 5,
               "concurrency": 1, **options}
    return OpenAITeacher("stub-model", executor=executor, **options)


def test_openai_teacher_runs_the_tool_conversation(tasks, executor, check):
    chain = tasks[40]  # 4-6 calls: the second one arrives double-encoded
    with StubServer([tasks[0], chain]) as server:
        records = _openai(server, executor, concurrency=2).generate([tasks[0], chain])
    assert [r["id"] for r in records] == [tasks[0]["id"], chain["id"]]
    for task, record in zip([tasks[0], chain], records):
        assert check(record).ok, check(record).reason
        assert record["teacher"]["tool_calls"] == task["teacher"]["tool_calls"]
        assert record["teacher"]["model"] == "openai:stub-model"
        assert record["teacher"]["answer"] == task["answer"]
        # Structured calls become the same Hermes text the oracle writes.
        assert record["completion"] == task["completion"]
    # The requests: the task's tools as function schemas, then the calls and their results.
    first = [r for r in server.requests if len(r["body"]["messages"]) == 2]
    assert len(first) == 2 and all(r["path"] == "/v1/chat/completions" for r in server.requests)
    body = next(r["body"] for r in first if r["body"]["messages"][1]["content"] == tasks[0]["prompt"][0]["content"])
    assert body["model"] == "stub-model" and body["temperature"] == 0.0
    assert body["tools"] == [registry().tools[n].schema() for n in tasks[0]["tools"]]
    assert body["messages"][0]["role"] == "system" and "\\boxed{}" in body["messages"][0]["content"]
    assert first[0]["headers"]["authorization"] == "Bearer sk-test"
    last = max((r["body"] for r in server.requests), key=lambda b: len(b["messages"]))
    assert len(last["messages"]) == 2 + 2 * len(chain["teacher"]["tool_calls"])
    assistant, tool = last["messages"][2], last["messages"][3]
    assert assistant["tool_calls"][0]["id"] == "call-0" and tool == {
        "role": "tool", "tool_call_id": "call-0", "content": str(records[1]["tool_results"][0]["output"])}
    second_call = last["messages"][4]["tool_calls"][0]["function"]
    assert json.loads(second_call["arguments"]) == chain["teacher"]["tool_calls"][1]["arguments"]


def test_openai_teacher_accepts_parallel_calls_and_object_arguments(tasks, executor, check):
    with StubServer([tasks[40]], mode="parallel") as server:
        record, = _openai(server, executor).generate([tasks[40]])
    assert len(server.requests) == 2 and check(record).ok
    assert record["completion"] == tasks[40]["completion"]


def test_openai_teacher_accepts_hermes_calls_in_the_content(tasks, executor, check):
    with StubServer([tasks[40]], mode="hermes") as server:
        record, = _openai(server, executor).generate([tasks[40]])
    assert check(record).ok, check(record).reason
    assert "999" not in record["completion"]  # what the model imagined after its call is cut off
    assert record["teacher"]["tool_calls"] == tasks[40]["teacher"]["tool_calls"]
    follow_up = server.requests[1]["body"]["messages"][-1]
    assert follow_up["role"] == "user" and follow_up["content"].startswith("<tool_response>\n")


def test_openai_teacher_retries_server_errors(tasks, executor, check):
    with StubServer([tasks[0]]) as server:
        server.script = [(500, {"error": "overloaded"}), (429, {"error": "slow down"})]
        teacher = _openai(server, executor)
        record, = teacher.generate([tasks[0]])
    assert check(record).ok and teacher.failures == []
    assert len(server.requests) == 4  # 500, 429, then the call and the answer


@pytest.mark.parametrize("script, kind, detail", [
    ([(500, {"error": "down"})] * 3, "http_error", "HTTP 500"),
    ([(400, {"error": {"message": "context too long"}})], "http_error", "context too long"),
    ([(200, b"<html>not json")], "malformed_response", "not JSON"),
    ([(200, {"object": "chat.completion"})], "malformed_response", "no 'choices'"),
    ([(200, {"choices": [{"message": "hi"}]})], "malformed_response", "no 'message'"),
    ([(200, {"error": {"message": "rate limited"}})], "api_error", "rate limited"),
])
def test_openai_teacher_reports_bad_responses_per_task(tasks, executor, script, kind, detail):
    with StubServer(tasks[:2]) as server:
        server.script = list(script)
        teacher = _openai(server, executor)
        records = teacher.generate(tasks[:2])
    assert [r["id"] for r in records] == [tasks[1]["id"]]  # the other task is unaffected
    failure, = teacher.failures
    assert (failure.task_id, failure.kind) == (tasks[0]["id"], kind) and detail in failure.detail
    if kind == "http_error" and "500" in detail:
        assert "after 2 retries" in failure.detail


def test_openai_teacher_times_out_cleanly(tasks, executor):
    with StubServer(tasks[:1], delay=1.0) as server:
        teacher = _openai(server, executor, timeout=0.2)
        assert teacher.generate(tasks[:1]) == []
    assert teacher.failures[0].kind == "timeout"


def test_openai_teacher_stops_on_a_call_that_cannot_verify(tasks, executor):
    with StubServer(tasks[:1], mode="hallucinate") as server:
        teacher = _openai(server, executor)
        assert teacher.generate(tasks[:1]) == []
    assert teacher.failures[0].kind == "hallucinated_tool" and len(server.requests) == 1


def test_openai_teacher_gives_up_after_max_turns(tasks, executor):
    with StubServer([tasks[40]]) as server:
        teacher = _openai(server, executor, max_turns=2)
        assert teacher.generate([tasks[40]]) == []
    assert teacher.failures[0].kind == "max_turns" and len(server.requests) == 2


def test_openai_teacher_stops_the_run_on_bad_credentials(tasks, executor):
    with StubServer(tasks[:2]) as server:
        server.script = [(401, {"error": {"message": "invalid api key"}})]
        with pytest.raises(TeacherError, match="HTTP 401.*OPENAI_API_KEY.*invalid api key"):
            _openai(server, executor, concurrency=2).generate(tasks[:2])


def test_openai_teacher_options(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    with pytest.raises(TeacherError, match="needs a model"):
        OpenAITeacher()
    with pytest.raises(TeacherError, match="OPENAI_API_KEY"):
        OpenAITeacher("gpt-4o-mini")  # the real API without a key
    with pytest.raises(TeacherError, match="max_turns"):
        OpenAITeacher("m", base_url="http://127.0.0.1:1/v1", max_turns="many")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    teacher = OpenAITeacher("m", temperature="none", max_tokens="256")
    assert (teacher.base_url, teacher.api_key, teacher.temperature) == ("http://localhost:8000/v1", "k", None)
    assert teacher._payload([], []) == {"model": "m", "messages": [], "max_tokens": 256}


def test_openai_teacher_needs_no_key_for_a_local_server(tasks, executor, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with StubServer(tasks[:1]) as server:
        teacher = OpenAITeacher("m", base_url=server.url, executor=executor)
        assert len(teacher.generate(tasks[:1])) == 1, teacher.failures
    assert {r["headers"]["authorization"] for r in server.requests} == {"Bearer EMPTY"}


def test_openai_teacher_reports_the_retries_of_a_timeout(tasks, executor):
    with StubServer(tasks[:1], delay=1.0) as server:
        teacher = _openai(server, executor, timeout=0.2, retries=1)
        assert teacher.generate(tasks[:1]) == []
    assert teacher.failures[0].detail == "no response within 0.2 s (after 1 retry)"
    assert len(server.requests) == 2


def test_openai_teacher_needs_the_client_library(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from mentor_dsl.cli import cli

    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now raises ImportError
    with pytest.raises(TeacherError, match=r'pip install "mentor\[openai\]"'):
        OpenAITeacher("m", base_url="http://127.0.0.1:1/v1")
    result = CliRunner().invoke(cli, ["teach", "--teacher", "openai", "--option", "model=m", "--option",
                                      "base_url=http://127.0.0.1:1/v1", "--tasks", "builtin:test", "-o",
                                      str(tmp_path / "t.jsonl")])
    assert result.exit_code == TeacherError.exit_code == 8
    assert "openai client library" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "t.jsonl").exists()


def test_the_client_library_is_imported_only_for_the_openai_teacher():
    code = ("import sys\n"
            "from mentor_dsl.cli import main\n"
            "try:\n"
            "    main(['compile', 'mentor'])\n"
            "except SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            "assert 'openai' not in sys.modules, 'openai was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(Path(__file__).parents[1]))


# -- hf -------------------------------------------------------------------------------------------

def test_hf_teacher_validates_options_without_loading_anything():
    with pytest.raises(TeacherError, match="temperature"):
        HFTeacher(temperature="warm")
    with pytest.raises(TeacherError, match="dtype"):
        HFTeacher(dtype="int3")


def test_hf_teacher_refuses_a_directory_that_is_not_a_model(tmp_path, tasks):
    teacher = HFTeacher(str(tmp_path))
    with pytest.raises(TeacherError, match="not a transformers model directory"):
        teacher.generate(tasks[:1])


@pytest.mark.slow
def test_hf_teacher_with_the_embedded_student(tasks, executor, check):
    # One task, few tokens: a 1000-token prompt takes tens of seconds on two CPU cores.
    teacher = HFTeacher("default", max_new_tokens=64, max_turns=2, executor=executor)
    try:
        records = teacher.generate(tasks[:1])
    finally:
        teacher.close()
    assert [r["id"] for r in records] == [tasks[0]["id"]] and teacher.failures == []
    for record in records:
        assert record["teacher"]["model"] == "hf:default" and isinstance(record["finished"], bool)
        assert isinstance(record["completion"], str) and record["completion"]
        assert len(record["tool_results"]) == len(record["teacher"]["tool_calls"])
        verdict = check(record)  # a 135M model rarely solves them: it must come back unverified, not crash
        assert isinstance(verdict, Verdict) and (verdict.ok or verdict.kind)
