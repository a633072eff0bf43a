"""One bad record never costs the others: whatever fails inside a record is that
record's error, named `file:line: record 'id': reason`; the rest are scored (exit 1)."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl.cli import cli
from mentor_dsl.data.io import InvalidJSON, iter_json_lines
from mentor_dsl.errors import DataError, MentorError, RecordError

EOS = "<|im_end|>"
TEACHER = {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]}
CALL = '<tool_call>\n{"name": "multiply", "arguments": {"a": 17, "b": 23}}\n</tool_call>'


def good(i: int, **extra) -> dict:
    return {"id": f"r{i}", "completion": f"{CALL}\n\\boxed{{391}}{EOS}", "answer": "391", "teacher": TEACHER,
            **extra}


def score(*args):
    return CliRunner().invoke(cli, ["score", *map(str, args)])


def rows_of(path) -> list[dict]:
    text = path.read_bytes().decode("utf-8")  # the output is valid UTF-8, whatever the ids hold
    return [json.loads(line) for line in text.splitlines()]


DEEP_TEXT = "[" * 100_000 + "]" * 100_000  # legal JSON, too deep for any parser's stack


def test_one_deep_teacher_at_line_300_of_1000_costs_only_itself(tmp_path):
    data, out = tmp_path / "t.jsonl", tmp_path / "scores.jsonl"
    records = [good(i) for i in range(1, 1001)]
    records[299]["teacher"] = DEEP_TEXT  # datasets store `teacher` as JSON text
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = score("--reward", "mentor", "--data", data, "-o", out)
    assert result.exit_code == 1, result.output  # the old code exited 70 after writing 256 rows
    rows = rows_of(out)
    assert len(rows) == 999 and "r300" not in {r["id"] for r in rows}
    assert f"{data}:300: record 'r300': 'teacher': nested too deeply to read" in result.stderr
    assert "scored 999 records with 'mentor', skipped 1" in result.stderr


def test_a_line_that_is_not_utf8_is_that_lines_error(tmp_path):
    data, out = tmp_path / "t.jsonl", tmp_path / "scores.jsonl"
    lines = [json.dumps(good(i)).encode() for i in range(1, 6)]
    lines[2] = lines[2].replace(b"391", b"39\xff1", 1)
    data.write_bytes(b"\n".join(lines) + b"\n")
    result = score("--reward", "mentor", "--data", data, "-o", out)
    assert result.exit_code == 1
    assert [r["id"] for r in rows_of(out)] == ["r1", "r2", "r4", "r5"]
    assert f"{data}:3: not UTF-8 text (invalid start byte at byte" in result.stderr


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_byte_order_mark_does_not_cost_the_first_record(tmp_path, newline):
    data, out = tmp_path / "t.jsonl", tmp_path / "scores.jsonl"
    data.write_bytes(b"\xef\xbb\xbf" + newline.join(json.dumps(good(i)).encode() for i in (1, 2)) + newline)
    result = score("--reward", "mentor", "--data", data, "-o", out)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in rows_of(out)] == ["r1", "r2"]


def test_a_lone_surrogate_id_is_written_as_valid_utf8(tmp_path):
    data, out = tmp_path / "t.jsonl", tmp_path / "scores.jsonl"
    data.write_text(json.dumps(good(1)) + "\n" + json.dumps({**good(2), "id": "\udc80"}) + "\n", encoding="ascii")
    result = score("--reward", "mentor", "--data", data, "-o", out)
    assert result.exit_code == 0, result.output  # the old code raised UnicodeEncodeError: exit 70
    assert [r["id"] for r in rows_of(out)] == ["r1", "\udc80"]
    result = score("--reward", "mentor", "--data", data)  # stdout too
    assert result.exit_code == 0 and "\\udc80" in result.stdout


def test_records_without_an_id_are_known_by_their_line(tmp_path):
    data, out = tmp_path / "t.jsonl", tmp_path / "scores.jsonl"
    lines = [json.dumps({k: v for k, v in good(i).items() if k != "id"}) for i in range(600)]
    lines.insert(10, "")  # a blank line still counts as a line
    lines[400] = json.dumps({"completion": "no answer, no teacher" + EOS})
    data.write_text("\n".join(lines) + "\n")
    result = score("--reward", "mentor", "--data", data, "-o", out, "--batch-size", "256")
    assert result.exit_code == 1
    ids = [r["id"] for r in rows_of(out)]
    expected = [str(n) for n in range(1, 602) if n not in (11, 401)]
    assert ids == expected  # the old code gave 0..255 again in every batch
    assert f"{data}:401: record '401': missing field" in result.stderr
    # Batch size changes nothing.
    assert score("--reward", "mentor", "--data", data, "-o", out, "--batch-size", "7").exit_code == 1
    assert [r["id"] for r in rows_of(out)] == expected


# -- the Python API --------------------------------------------------------------------------------

def deep_list(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int):
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("bad, reason", [
    ({"answer": 10 ** 5000}, "'answer': Exceeds the limit"),
    ({"teacher": deep_list(5000)}, "'teacher': nested too deeply to read"),
    ({"teacher": {"tool_calls": [{"name": "multiply", "arguments": DEEP_TEXT}]}}, None),
    ({"teacher": DEEP_TEXT}, "'teacher': nested too deeply to read"),
    ({"completion": [{"role": "assistant", "content": [{"type": "text", "text": deep_list(5000)}]}]},
     "content parts must hold text"),
    ({"completion": [{"role": "assistant", "content": "\\boxed{391}",  # fails inside a term, not the parser
                      "tool_calls": [{"function": {"name": "multiply", "arguments": deep_dict(5000)}}]}]},
     "term 'tool_match' failed: RecursionError"),
    ({"id": 10 ** 5000}, None),
])
def test_whatever_fails_inside_a_record_is_that_records_error(bad, reason):
    reward = mentor_dsl.load("mentor")
    records = [good(0), {**good(1), **bad}, good(2)]
    result = reward.score(records, on_error="skip")  # the old code raised ValueError or RecursionError
    assert result.rewards[0].item() == pytest.approx(1.1) and result.rewards[2].item() == pytest.approx(1.1)
    if reason is None:  # readable after all: arguments that are not JSON, an id shown as its index
        assert 1 not in result.errors
    else:
        assert reason in str(result.errors[1]) and isinstance(result.errors[1], RecordError)
        with pytest.raises(MentorError):  # RecordError, or EvaluationError from a term: never a bare crash
            reward.score(records)
    assert all(isinstance(i, str) for i in result.ids)


def test_a_huge_int_id_falls_back_to_the_records_index():
    result = mentor_dsl.load("sparse").score([good(0), {**good(1), "id": 10 ** 5000, "answer": None}],
                                             on_error="skip")
    assert result.ids[1] == "1" and "record '1': missing field 'answer'" in str(result.errors[1])


def test_python_records_without_an_id_are_known_by_their_index():
    records = [{k: v for k, v in good(i).items() if k != "id"} for i in range(300)]
    assert mentor_dsl.load("mentor").score(records).ids == [str(i) for i in range(300)]


def test_a_trl_column_of_the_wrong_length_names_the_column():
    reward = mentor_dsl.load("mentor").with_tokenizer(SimpleNamespace(eos_token_id=2, eos_token=EOS))
    completions = [[{"role": "assistant", "content": f"{CALL}\n\\boxed{{391}}"}]] * 3
    with pytest.raises(DataError, match="column 'teacher' has 2 values for 3 completions"):
        reward(completions=completions, completion_ids=[[5, 2]] * 3, answer=["391"] * 3, teacher=[TEACHER] * 2)
    with pytest.raises(DataError, match="column 'prompts' has 1 values for 3 completions"):
        reward(prompts=[[{"role": "user", "content": "17*23?"}]], completions=completions,
               completion_ids=[[5, 2]] * 3, answer=["391"] * 3, teacher=[TEACHER] * 3)
    assert reward(completions=completions, completion_ids=[[5, 2]] * 3, answer=["391"] * 3,
                  teacher=[TEACHER] * 3) == [pytest.approx(1.1)] * 3


# -- reading lines ---------------------------------------------------------------------------------

@settings(max_examples=60)
@given(st.lists(st.one_of(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3).map(lambda d: ("ok", d)),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"\n" not in b).map(lambda b: ("raw", b)),
), max_size=12))
def test_every_line_is_read_on_its_own(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("lines") / "t.jsonl"
    encoded = [json.dumps(v, ensure_ascii=False).encode() if kind == "ok" else v for kind, v in lines]
    path.write_bytes(b"\n".join(encoded) + b"\n")
    got = dict(iter_json_lines(path))
    for number, (raw, (kind, value)) in enumerate(zip(encoded, lines), 1):
        if not raw.strip() or (number == 1 and raw.startswith(b"\xef\xbb\xbf") and not raw[3:].strip()):
            assert number not in got
        elif kind == "ok":
            assert got[number] == value  # a good line reads back whatever the lines around it hold
        else:
            try:
                expected = json.loads(raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw)
            except (ValueError, RecursionError):
                assert isinstance(got[number], InvalidJSON)
            else:
                assert got[number] == expected


def test_a_recursion_limit_does_not_leak(tmp_path):
    before = sys.getrecursionlimit()
    (tmp_path / "t.jsonl").write_text(DEEP_TEXT + "\n{}\n")
    assert [type(v).__name__ for _, v in iter_json_lines(tmp_path / "t.jsonl")] == ["InvalidJSON", "dict"]
    assert sys.getrecursionlimit() == before
