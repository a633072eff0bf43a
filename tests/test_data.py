"""The built-in task sets: determinism, sizes, oracle soundness, split hygiene, and I/O."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

import mentor_dsl
from mentor_dsl.data import (
    SPLITS,
    clear_cache,
    format_answer,
    from_dataset,
    generation_report,
    list_splits,
    load_jsonl,
    load_split,
    resolve_data,
    save_jsonl,
    signature,
    split_lines,
    to_dataset,
)
from mentor_dsl.data import splits as splits_module
from mentor_dsl.data.io import _same
from mentor_dsl.data.sci_tasks import SCI_TOOLSETS
from mentor_dsl.data.validate import check_task
from mentor_dsl.errors import DataError, RecordError
from mentor_dsl.formats.hermes import HERMES
from mentor_dsl.formats.responses import render_response
from mentor_dsl.plugins import registry
from mentor_dsl.tools.base import ToolResult
from mentor_dsl.tools.math import MENTOR_MATH_TOOLS
from mentor_dsl.trajectory import Trajectory

NAMES = list(SPLITS)
IN_DOMAIN = ["train", "test", "ood_chain", "ood_distractor"]


def _has_scitools() -> bool:
    return all(registry().toolset(ts) for ts in SCI_TOOLSETS)


needs_scitools = pytest.mark.skipif(not _has_scitools(), reason="mentor-scitools is not installed")


def _available(name: str) -> bool:
    return not SPLITS[name].requires or _has_scitools()


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict]]:
    return {name: load_split(name) for name in NAMES if _available(name)}


def _digest() -> str:
    h = hashlib.sha256()
    for name in NAMES:
        if _available(name):
            for line in split_lines(name):
                h.update(line.encode() + b"\n")
    return h.hexdigest()


# --- generation ---------------------------------------------------------------------------


def test_sizes_ids_and_fields(data):
    expected = {"train": 2000, "test": 200, "ood_sci": 200, "ood_chain": 200, "ood_distractor": 200}
    for name, records in data.items():
        assert len(records) == SPLITS[name].size == expected[name]
        assert len({r["id"] for r in records}) == len(records)
        for r in records:
            assert set(r) == {"id", "split", "domain", "family", "prompt", "tools", "answer", "teacher", "completion"}
            assert r["split"] == name and r["id"].startswith(f"{name}-")
            assert r["prompt"][0]["role"] == "user" and r["prompt"][0]["content"]
            assert r["teacher"]["answer"] == r["answer"]
            check_task(r)


def test_no_task_is_dropped(data):
    for name in data:
        report = generation_report(name)
        assert report.dropped == [], report.dropped[:5]
        assert report.size == len(data[name])


def test_generation_is_deterministic_in_process():
    before = _digest()
    clear_cache()
    assert _digest() == before


def test_generation_is_deterministic_across_processes():
    here = os.path.dirname(__file__)
    code = f"import sys; sys.path.insert(0, {here!r}); import test_data; print(test_data._digest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == _digest()


def test_load_split_returns_fresh_copies_and_prefixes():
    a = load_split("test", n=5)
    a[0]["answer"] = "changed"
    assert load_split("test", n=5)[0]["answer"] != "changed"
    assert load_split("test", n=5) == load_split("test")[:5]
    assert load_split("builtin:test", n=2) == load_split("test", n=2)
    assert load_split("test", n=0) == []


def test_load_split_errors():
    with pytest.raises(DataError, match="did you mean 'test'"):
        load_split("tset")
    with pytest.raises(DataError, match="has 200 tasks; asked for 201"):
        load_split("test", n=201)


# --- the oracle ---------------------------------------------------------------------------


def test_every_oracle_trajectory_reexecutes_to_the_answer(data):
    tools = registry().tools
    for records in data.values():
        for r in records:
            calls = r["teacher"]["tool_calls"]
            outputs = []
            for call in calls:
                tool = tools[call["name"]]
                assert call["name"] in r["tools"]
                assert tool.validate_arguments(call["arguments"]) is None, (r["id"], call)
                outputs.append(tool.fn(**call["arguments"]))
            assert format_answer(outputs[-1]) == r["answer"], r["id"]
            # The completion shows each real output as the tool response.
            for output in outputs:
                assert render_response(ToolResult(True, output)) in r["completion"]


def test_oracle_completions_parse_back_to_the_teacher_calls(data):
    for records in data.values():
        for r in records:
            parsed = [{"name": c.name, "arguments": c.arguments} for c in HERMES.parse(r["completion"])]
            # json.dumps tells 3 from 3.0, so the types survive too.
            assert json.dumps(parsed) == json.dumps(r["teacher"]["tool_calls"]), r["id"]
            assert r["completion"].endswith(f"The answer is \\boxed{{{r['answer']}}}<|im_end|>")


def test_oracle_completions_score_full_reward_with_the_mentor_reward(data):
    reward = mentor_dsl.load("mentor")
    for name in IN_DOMAIN:
        if name not in data:
            continue
        records = data[name] if name != "train" else data[name][::5]
        result = reward.score(records)
        assert not result.errors
        assert result.rewards.min().item() == pytest.approx(1.1), name
        assert result.rewards.max().item() == pytest.approx(1.1), name


@needs_scitools
def test_ood_sci_oracle_is_correct_but_outside_the_mentor_toolset(data):
    # rewards/mentor.mdsl pays the match and clean bonuses only for the 12 math tools.
    result = mentor_dsl.load("mentor").score(data["ood_sci"])
    assert result.terms["answer_correct"].min().item() == 1.0
    assert result.rewards.min().item() == pytest.approx(0.7)


def test_answers_are_canonical_and_short(data):
    for records in data.values():
        for r in records:
            assert format_answer(Decimal(r["answer"])) == r["answer"]
            assert len(r["answer"]) <= 12, r


def test_format_answer():
    assert format_answer(391) == "391"
    assert format_answer(15.0) == "15"
    assert format_answer(Decimal("24.250")) == "24.25"
    assert format_answer(1e-05) == "0.00001"
    assert format_answer(Decimal("3.5E+2")) == "350"
    assert format_answer(-0.0) == "0"
    with pytest.raises(ValueError):
        format_answer(__import__("fractions").Fraction(1, 3))


# --- split hygiene ------------------------------------------------------------------------


def _questions(records):
    return {r["prompt"][0]["content"] for r in records}


def _signatures(records):
    return {signature(r["teacher"]["tool_calls"]) for r in records}


def test_evaluation_splits_do_not_overlap_train(data):
    train = data["train"]
    for name, records in data.items():
        assert len(_questions(records)) == len(records), name
        assert len(_signatures(records)) == len(records), name
        if name != "train":
            assert not _questions(records) & _questions(train), name
            assert not _signatures(records) & _signatures(train), name
    if "ood_distractor" in data:
        assert not _signatures(data["test"]) & _signatures(data["ood_distractor"])


def test_in_domain_splits_offer_the_twelve_math_tools(data):
    for name in ("train", "test", "ood_chain"):
        for r in data[name]:
            assert r["tools"] == list(MENTOR_MATH_TOOLS)
            assert r["domain"] == "math"
            assert {c["name"] for c in r["teacher"]["tool_calls"]} <= set(MENTOR_MATH_TOOLS)
    assert max(len(r["teacher"]["tool_calls"]) for r in data["train"]) <= 4


def test_ood_chain_is_longer_and_unseen(data):
    seen = {tuple(c["name"] for c in r["teacher"]["tool_calls"]) for r in data["train"]}
    lengths = set()
    for r in data["ood_chain"]:
        names = tuple(c["name"] for c in r["teacher"]["tool_calls"])
        assert 4 <= len(names) <= 6
        assert names not in seen
        lengths.add(len(names))
    assert lengths == {4, 5, 6}


@needs_scitools
def test_ood_sci_uses_the_scitools_toolsets(data):
    reg = registry()
    sci = {n for ts in SCI_TOOLSETS for n in reg.toolset(ts)}
    domains = set()
    for r in data["ood_sci"]:
        called = [c["name"] for c in r["teacher"]["tool_calls"]]
        assert set(called) & sci, r["id"]
        assert set(called) <= set(r["tools"])
        assert r["domain"] in SCI_TOOLSETS
        assert set(reg.toolset(r["domain"])) <= set(r["tools"])
        domains.add(r["domain"])
    assert domains == set(SCI_TOOLSETS)


@needs_scitools
def test_distractor_split_lists_extra_irrelevant_tools(data):
    reg = registry()
    sci = {n for ts in SCI_TOOLSETS for n in reg.toolset(ts)}
    for r in data["ood_distractor"]:
        extra = [t for t in r["tools"] if t not in MENTOR_MATH_TOOLS]
        assert set(MENTOR_MATH_TOOLS) <= set(r["tools"])
        assert 3 <= len(extra) <= 6 and set(extra) <= sci
        assert not {c["name"] for c in r["teacher"]["tool_calls"]} & set(extra)
    assert len({tuple(r["tools"]) for r in data["ood_distractor"]}) > 150


def test_scitools_splits_need_the_plugin(monkeypatch):
    class NoScitools:
        tools = registry().tools

        def toolset(self, name):
            return None if name in SCI_TOOLSETS else registry().toolset(name)

    monkeypatch.setattr(splits_module, "_registry", NoScitools)
    for name in ("ood_sci", "ood_distractor"):
        with pytest.raises(DataError, match="pip install -e plugins/mentor-scitools"):
            load_split(name)
    info = {i.name: i for i in list_splits()}
    assert not info["ood_sci"].available and info["ood_sci"].requires == "mentor-scitools"
    assert info["train"].available
    assert len(load_split("test")) == 200


def test_list_splits():
    infos = list_splits()
    assert [i.name for i in infos][:len(NAMES)] == NAMES  # mentor's own first, then plugins' (mentor-dates)
    assert {i.name: i.size for i in infos if i.name in SPLITS} == {n: s.size for n, s in SPLITS.items()}
    assert all(i.description and i.domains for i in infos)


# --- I/O ----------------------------------------------------------------------------------


def test_jsonl_round_trip(tmp_path, data):
    path = tmp_path / "deep" / "test.jsonl"
    assert save_jsonl(data["test"], path) == 200
    back = load_jsonl(path)
    assert all(_same(a, b) for a, b in zip(back, data["test"])) and len(back) == 200


def test_load_jsonl_reports_bad_lines(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1}\n\n{oops\n[1]\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_jsonl(path)
    assert f"{path}:3: invalid JSON" in str(info.value)
    assert f"{path}:4: expected a JSON object" in str(info.value)
    with pytest.raises(DataError, match="no such file"):
        load_jsonl(tmp_path / "missing.jsonl")


def _mixed_records(data):
    records = [dict(r) for r in data["test"][:20]] + [dict(r) for r in data["ood_chain"][:5]]
    if "ood_sci" in data:
        records += [dict(r) for r in data["ood_sci"][:20]]  # string arguments (units), lists
    records[0]["finished"] = True         # a field only one record has
    records[1]["note"] = None             # an explicit null, different from a missing key
    records[2]["teacher"] = {"tool_calls": ["multiply"], "answer": records[2]["answer"]}  # bare names
    records[3]["functions"] = [{"name": "f", "parameters": {"type": "dict", "properties": {}}}]
    records[4]["answer"] = ["1", "1.0"]   # a list of accepted answers among strings
    return records


def test_dataset_round_trip_is_lossless(tmp_path, data):
    records = _mixed_records(data)
    ds = to_dataset(records)
    ds.save_to_disk(str(tmp_path / "ds"))
    for back in (from_dataset(ds), from_dataset(tmp_path / "ds"), from_dataset(str(tmp_path / "ds"))):
        assert len(back) == len(records)
        for a, b in zip(back, records):
            assert _same(a, b), (a, b)


def test_dataset_keeps_prompts_native_and_teacher_readable(data):
    ds = to_dataset(data["test"][:10])
    row = ds[0]
    assert row["prompt"] == data["test"][0]["prompt"]  # chat messages, as TRL expects them
    assert isinstance(row["teacher"]["tool_calls"][0]["arguments"], str)
    # The stored form still parses as a teacher reference (OpenAI-style JSON arguments).
    teacher = Trajectory.from_record(row).teacher
    assert [c.arguments for c in teacher.calls] == [c["arguments"] for c in data["test"][0]["teacher"]["tool_calls"]]


def test_resolve_data(tmp_path, data):
    assert resolve_data("builtin:test") == data["test"]
    assert resolve_data("builtin:test", n=3) == data["test"][:3]
    assert resolve_data("test", n=2) == data["test"][:2]
    path = tmp_path / "t.jsonl"
    save_jsonl(data["test"][:7], path)
    assert resolve_data(str(path)) == data["test"][:7]
    assert resolve_data(path, n=2) == data["test"][:2]
    to_dataset(data["test"][:4]).save_to_disk(str(tmp_path / "ds"))
    assert resolve_data(str(tmp_path / "ds")) == data["test"][:4]
    with pytest.raises(DataError, match="builtin:SPLIT"):
        resolve_data(str(tmp_path / "nope.jsonl"))
    with pytest.raises(DataError, match="unknown split"):
        resolve_data("builtin:nope")


def test_check_task():
    check_task({"id": "a", "prompt": "What is 2+2?", "answer": "4"})
    check_task({"prompt": [{"role": "user", "content": "hi"}], "teacher": {"tool_calls": ["add"]}})
    with pytest.raises(RecordError, match="missing required field 'prompt'"):
        check_task({"id": "a"})
    with pytest.raises(RecordError, match="'teacher' must be an object"):
        check_task({"id": "a", "prompt": "x", "teacher": 3})
    with pytest.raises(RecordError, match="role"):
        check_task({"id": "a", "prompt": [{"content": "x"}]})
    with pytest.raises(RecordError, match="'id' must be"):
        check_task({"id": [1], "prompt": "x"})
