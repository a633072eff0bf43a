"""`mentor explain`: traces, term evidence, spans, judge accounts, the command."""

from __future__ import annotations

import json
import math
import warnings

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import mentor_dsl
from hack_corpus import HACKS, honest_correct, honest_wrong
from mentor_dsl.cli import cli
from mentor_dsl.errors import RecordError
from mentor_dsl.plugins import hookimpl
from mentor_dsl.terms.base import Term
from mentor_dsl.terms.evidence import Evidence
from mentor_dsl.views import GAP, TextMap, cut_blocks
from trajectory_corpus import CASES

EOS = "<|im_end|>"
SPECS = ["mentor", "mentor_robust", "mentor_f1", "mentor_overlap", "mentor_nomatch", "sparse", "strict",
         "mentor_args", "toolrl", "tool_n1"]


def _records():
    out = [{k: v for k, v in h.items() if k != "class"} for h in HACKS]
    out += [honest_correct(h) for h in HACKS[::7]] + [honest_wrong(h) for h in HACKS[::7]]
    out += [{k: c[k] for k in ("id", "completion", "answer", "teacher")} for c in CASES
            if "big_text" not in c["hits"]]
    return out


RECORDS = _records()


@pytest.fixture(scope="module")
def rewards():
    return {name: mentor_dsl.load(name) for name in SPECS}


@pytest.mark.parametrize("spec", SPECS)
def test_traces_agree_with_scoring_and_evidence_with_terms(rewards, spec):
    """On every corpus record: the trace's value is the score, its arithmetic reproduces
    it, and every term's evidence implies the value the term computed (no notes)."""
    reward = rewards[spec]
    scores = reward.score(RECORDS, on_error="skip")
    explained = 0
    for i, record in enumerate(RECORDS):
        if i in scores.errors:
            with pytest.raises(RecordError):
                reward.explain(record)
            continue
        trace = reward.explain(record)
        assert trace.value == scores.rewards[i].item(), record["id"]
        assert trace.notes == [], (record["id"], trace.notes)
        for key, term in trace.terms.items():
            expected = scores.terms[key][i].item()
            assert (term.value is None) == math.isnan(expected)
            if term.value is not None:
                assert term.value == expected
                assert term.evidence is not None, key
        explained += 1
    assert explained >= len(RECORDS) // 2


def test_a_retiring_guard_and_what_follows():
    reward = mentor_dsl.load("mentor")
    trace = reward.explain({"id": "t", "completion": "no box here" + EOS, "answer": "1",
                            "teacher": {"tool_calls": ["add"]}})
    outcomes = [(s.kind, s.outcome) for s in trace.steps]
    assert outcomes == [("guard", "passed"), ("guard", "retired"), ("guard", "not reached"),
                        ("binding", "not reached"), ("binding", "not reached"), ("binding", "not reached"),
                        ("value", "not reached")]
    assert trace.retired_by.otherwise == 0.1 and trace.value == 0.1
    assert trace.terms["answer_correct"].value is None and trace.terms["answer_correct"].evidence is None


def test_explain_uses_no_deprecated_api():
    """Explaining a record warns about nothing the caller did: it reads the record with
    `read_records`, not the deprecated `Reward.parse`."""
    reward = mentor_dsl.load("mentor")
    record = {"id": "t", "completion": "no box here" + EOS, "answer": "1", "teacher": {"tool_calls": ["add"]}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        trace = reward.explain(record)
    assert trace.record_id == "t"


def test_worked_arithmetic_keeps_the_grouping():
    trace = mentor_dsl.load("mentor").explain(honest_correct(HACKS[0]))
    assert trace.steps[-1].worked == "if 1 then 0.7 + (0.3 + 0.1) else 0.2 * 0.3 + 0.1 = 1.1"
    assert trace.steps[-1].source == "if correct then 0.7 + (match + clean) else 0.2 * match + clean"


def test_the_hedge_walkthrough_names_its_causes():
    """docs/authoring.md walks through this record: `mentor` pays it in full."""
    hedge = next(h for h in HACKS if h["id"] == "hedge-1")
    trace = mentor_dsl.load("mentor").explain(hedge)
    assert trace.value == pytest.approx(1.1)
    correct = trace.terms["answer_correct"].evidence
    assert correct.answer.text == "390 \\text{ or } 391"
    assert hedge["completion"][correct.answer.span.start:correct.answer.span.end] == correct.answer.text
    assert correct.verdict.decided_by.startswith("accepted by")
    (call,) = trace.terms["tool_match"].evidence.calls
    assert call.matched and call.reason == "counted though invalid: 'a' is a required property"
    assert hedge["completion"][call.span.start:call.span.end] == '\n{"name": "multiply"}\n'
    robust = mentor_dsl.load("mentor_robust").explain(hedge)
    assert robust.value == pytest.approx(0.1)
    assert "shape the gold '391' lacks: or" in robust.terms["answer_correct"].evidence.verdict.decided_by


def test_answer_span_is_the_one_the_extractor_read():
    text = "\\boxed{3} is it: 3 apples, 3." + EOS
    trace = mentor_dsl.loads("reward r:\n    answer_present\n").explain({"completion": text})
    span = trace.terms["answer_present"].evidence.answer.span
    assert (span.start, span.end) == (7, 8)


def test_answers_in_tool_responses_are_not_where_the_answer_is():
    hack = next(h for h in HACKS if h["class"] == "tool output" and "\\boxed{391}" in h["completion"])
    trace = mentor_dsl.load("mentor").explain({k: v for k, v in hack.items() if k != "class"})
    assert trace.terms["answer_present"].value == 0.0
    responses = [m for m in trace.marks if m.kind == "response"]
    assert responses and all(hack["completion"][m.start:m.end].startswith("<tool_response>") for m in responses)


def test_spans_with_model_segments_point_into_the_completion():
    hack = next(h for h in HACKS if "model_segments" in h)
    trace = mentor_dsl.loads("reward r:\n    tool_calls\n").explain({k: v for k, v in hack.items() if k != "class"})
    calls = trace.terms["tool_calls"].evidence.calls
    assert [c.name for c in calls] == ["python"]  # the call the tool printed is not the model's
    for call in calls:
        assert call.span is not None
        assert hack["completion"][call.span.start:call.span.end] in hack["model_segments"][0]


def test_message_list_calls_have_no_span():
    record = {"completion": [{"role": "assistant", "content": "\\boxed{2}", "tool_calls": [
        {"type": "function", "function": {"name": "add", "arguments": "{\"a\": 1, \"b\": 1}"}}]}],
        "answer": "2", "teacher": {"tool_calls": ["add"]}}
    trace = mentor_dsl.load("mentor").explain(record)
    (call,) = trace.terms["tool_match"].evidence.calls
    assert call.name == "add" and call.span is None and call.matched


# -- views with offsets ------------------------------------------------------------------------

TAGS = ("<r>", "</r>")
pieces = st.lists(st.sampled_from(["a", "b", "<r>", "</r>", "\n", "<c>", "</c>", "xy"]), max_size=14).map("".join)


@settings(max_examples=200, deadline=None)
@given(pieces, st.sampled_from([TAGS, ("<c>", "</c>"), None]))
def test_text_map_cuts_like_cut_blocks_and_maps_back(text, tags):
    view = TextMap.identity(text).cut(TAGS).cut(tags)
    assert view.text == cut_blocks(cut_blocks(text, TAGS), tags)
    for v, c, n in view.pieces:
        assert view.text[v:v + n] == text[c:c + n]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("ab<r>/", max_size=6), min_size=1, max_size=4))
def test_text_map_of_segments_finds_them_in_order(segments):
    completion = "<r>x</r>".join(segments)
    view = TextMap.of_segments(segments, completion)
    assert view.text == GAP.join(segments)
    for v, c, n in view.pieces:
        assert view.text[v:v + n] == completion[c:c + n]


# -- judges say which rule decided -------------------------------------------------------------

def test_math_judge_account_agrees_with_its_verdict():
    import judge_corpus
    from mentor_dsl import math_judge

    for prediction, golds in judge_corpus.pairs()[:400]:
        verdict = math_judge.judge(prediction, golds)
        assert bool(math_judge.accepted_by(prediction, golds)) == verdict, (prediction, golds)


def test_math_strict_account_agrees_with_its_verdict():
    import judge_corpus
    from mentor_dsl import math_strict

    for prediction, gold in judge_corpus.STRICTER + judge_corpus.STILL_ACCEPTED:
        accepted = math_strict.judge(prediction, (gold,))
        assert math_strict.account(prediction, (gold,)).startswith("accepted") == accepted, (prediction, gold)


# -- plugin terms explain themselves --------------------------------------------------------------

def _length_term(explain):
    def fn(trajs, ctx):
        return [min(1.0, len(t.text) / 100) for t in trajs]
    return Term("length", fn, (), (0, 1), ("completion",), "length / 100", explain=explain)


class _Plugin:
    def __init__(self, term):
        self.term = term

    @hookimpl
    def register_terms(self, register):
        register(self.term)


def test_a_plugin_term_reports_its_evidence(plugin):
    plugin(_Plugin(_length_term(lambda t, ctx: Evidence(f"{len(t.text)} characters", value=min(1.0, len(t.text) / 100)))))
    trace = mentor_dsl.loads("reward r:\n    length\n").explain({"completion": "x" * 50})
    assert trace.terms["length"].evidence.summary == "50 characters" and trace.notes == []


def test_an_explanation_that_disagrees_with_its_term_is_flagged(plugin):
    plugin(_Plugin(_length_term(lambda t, ctx: Evidence("wrong", value=0.0))))
    trace = mentor_dsl.loads("reward r:\n    length\n").explain({"completion": "x" * 50})
    assert trace.value == 0.5
    assert trace.notes == ["term length: its explanation implies 0 but the term computed 0.5: "
                           "the explanation of 'length' is wrong"]


def test_an_explanation_that_fails_does_not_hide_the_rest(plugin):
    def broken(t, ctx):
        raise KeyError("nope")
    plugin(_Plugin(_length_term(broken)))
    trace = mentor_dsl.loads("reward r:\n    require finished else 0\n    length\n").explain(
        {"completion": "x" * 50 + EOS})
    assert trace.terms["finished"].evidence is not None
    assert trace.terms["length"].error == "KeyError: 'nope'"


# -- the command -------------------------------------------------------------------------------------

@pytest.fixture
def hacks_file(tmp_path):
    path = tmp_path / "hacks.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in h.items() if k != "class"}) + "\n" for h in HACKS))
    return path


def run(*args):
    # Wide enough that the temporary paths in the header do not wrap.
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, [str(a) for a in args])


def test_explain_prints_the_tree_and_the_marked_completion(hacks_file):
    result = run("explain", "--reward", "mentor", "--data", hacks_file, "--id", "hedge-1")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"reward mentor = 1.1   record 'hedge-1' ({hacks_file}:1), rewards/mentor.mdsl")
    assert "✓ require finished else 0" in out
    assert "judge math: correct against gold 391; accepted by" in out
    assert "call 1: multiply {} at 11-33: counted though invalid: 'a' is a required property, matches the teacher" \
        in out
    assert "if 1 then 0.7 + (0.3 + 0.1) else 0.2 * 0.3 + 0.1 = 1.1" in out
    assert "  134-153  answer (boxed): 390 \\text{ or } 391" in out
    assert "Traceback" not in out


def test_explain_json_is_the_trace(hacks_file):
    result = run("explain", "--reward", "mentor_robust", "--data", hacks_file, "--line", 2, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["record"]["id"] == HACKS[1]["id"] and data["record"]["position"] == f"{hacks_file}:2"
    assert data["value"] == pytest.approx(0.1)
    assert [s["kind"] for s in data["steps"]] == ["guard"] * 3 + ["binding"] * 3 + ["value"]
    assert data["terms"]["answer_correct"]["evidence"]["verdict"]["judge"] == "math_strict"
    assert {m["kind"] for m in data["marks"]} == {"call", "response", "answer"}


def test_a_record_without_id_is_known_by_its_line(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"completion": "\\boxed{2}" + EOS, "answer": "2"}) + "\n")
    result = run("explain", "--reward", "sparse", "--data", path)
    assert result.exit_code == 0, result.output
    assert f"reward sparse = 1   record '1' ({path}:1)" in result.output


@pytest.mark.parametrize("args, message", [
    (("--line", 999), "no record at line 999 (61 lines)"),
    (("--id", "nope"), "no record with id 'nope'"),
])
def test_explain_names_what_it_cannot_find(hacks_file, args, message):
    result = run("explain", "--reward", "mentor", "--data", hacks_file, *args)
    assert result.exit_code == 4
    assert message.replace("61", str(len(HACKS))) in result.output


def test_explain_a_record_the_reward_cannot_score(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "completion": "hi"}) + "\n")
    result = run("explain", "--reward", "mentor", "--data", path)
    assert result.exit_code == 4
    assert f"{path}:1: record 'x': missing field 'teacher' (reward 'mentor' needs it)" in result.output


def test_explain_refuses_both_selectors(hacks_file):
    result = run("explain", "--reward", "mentor", "--data", hacks_file, "--id", "a", "--line", 1)
    assert result.exit_code == 2
