"""`Reward`: loading, scoring, and the TRL reward-function protocol."""

import json
from types import SimpleNamespace

import pytest
import torch

import mentor_dsl
from mentor_dsl import MentorError, RecordError, SpecError

EOS = "<|im_end|>"
TEACHER = {"tool_calls": [{"name": "multiply", "arguments": {"a": 17, "b": 23}}]}


def call(name, **arguments):
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>\n'


GOOD = call("multiply", a=17, b=23) + "So 17*23 = \\boxed{391}"
WRONG_TOOL = call("add", a=17, b=23) + "\\boxed{40}"
HALLUCINATED = call("calculator", expr="17*23") + "\\boxed{391}"


def test_load_by_name_path_and_selector(tmp_path):
    assert mentor_dsl.load("mentor").name == "mentor"
    assert mentor_dsl.load("rewards/mentor_f1.mdsl").name == "mentor_f1"
    spec = tmp_path / "two.mdsl"
    spec.write_text("reward a:\n    finished\nreward b:\n    answer_present\n")
    assert mentor_dsl.load(spec).name == "a"
    assert mentor_dsl.load(f"{spec}::b").name == "b"
    assert mentor_dsl.load(spec, reward="b").name == "b"
    with pytest.raises(SpecError, match="no reward named 'c'"):
        mentor_dsl.load(f"{spec}::c")


def test_library_path_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "mine.mdsl").write_text("reward mine:\n    step\n")
    monkeypatch.setenv("MENTOR_REWARDS_PATH", str(tmp_path))
    assert mentor_dsl.load("mine").name == "mine"


def test_score_returns_tensors_and_per_term_values():
    reward = mentor_dsl.load("mentor")
    records = [
        {"id": "good", "completion": GOOD + EOS, "answer": "391", "teacher": TEACHER},
        {"id": "wrong", "completion": WRONG_TOOL + EOS, "answer": "391", "teacher": TEACHER},
        {"id": "halluc", "completion": HALLUCINATED + EOS, "answer": "391", "teacher": TEACHER},
        {"id": "cut", "completion": GOOD, "answer": "391", "teacher": TEACHER},
    ]
    result = reward.score(records)
    assert isinstance(result.rewards, torch.Tensor) and result.rewards.shape == (4,)
    assert result.rewards.tolist() == [0.7 + (0.3 + 0.1), 0.0 + 0.1, 0.7 + (0.0 + 0.0), 0.0]
    assert result.ids == ["good", "wrong", "halluc", "cut"]
    assert result.terms["tool_match"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert result.terms["match"].tolist()[:3] == [0.3, 0.0, 0.0]
    rows = result.rows()
    assert rows[3]["terms"]["answer_correct"] is None     # never computed: the EOS guard retired the row


def test_bad_records_raise_or_are_skipped():
    reward = mentor_dsl.load("mentor")
    records = [{"id": "ok", "completion": GOOD + EOS, "answer": "391", "teacher": TEACHER},
               {"id": "no-answer", "completion": GOOD + EOS, "teacher": TEACHER},
               {"id": "no-teacher", "completion": GOOD + EOS, "answer": "391"}]
    with pytest.raises(RecordError, match="record 'no-answer': missing field 'answer'"):
        reward.score(records)
    result = reward.score(records, on_error="skip")
    assert result.rewards[0].item() == pytest.approx(1.1)
    assert torch.isnan(result.rewards[1:]).all()
    assert {i: e.field for i, e in result.errors.items()} == {1: "answer", 2: "teacher"}
    assert [r["id"] for r in result.rows()] == ["ok"]


def test_a_malformed_field_fails_only_the_rewards_that_read_it():
    record = {"id": "r", "completion": "\\boxed{391}" + EOS, "answer": "391", "teacher": "not json",
              "tools": "add", "tool_results": 5}
    assert mentor_dsl.load("sparse").score([record]).rewards.tolist() == [1.0]  # reads the answer only
    result = mentor_dsl.load("mentor").score([record], on_error="skip")
    assert result.errors[0].field == "teacher"


def test_a_record_with_an_unknown_format_is_named_once():
    records = [{"id": "ok", "completion": GOOD + EOS, "answer": "391", "teacher": TEACHER},
               {"id": "odd", "completion": GOOD + EOS, "answer": "391", "teacher": TEACHER, "format": "nosuch"}]
    result = mentor_dsl.load("mentor").score(records, on_error="skip")
    assert result.rewards[0].item() == pytest.approx(1.1)
    assert str(result.errors[1]) == "record 'odd': unknown call format 'nosuch'"
    # The record's id travels as a field of the error, not as a prefix of its text.
    assert (result.errors[1].record_id, result.errors[1].message) == ("odd", "unknown call format 'nosuch'")


def test_an_empty_answer_list_accepts_nothing():
    record = {"completion": GOOD + EOS, "answer": [], "teacher": TEACHER}
    assert mentor_dsl.load("sparse").score([record]).rewards.tolist() == [pytest.approx(0.1)]
    assert mentor_dsl.load("mentor").score([record]).rewards.tolist() == [pytest.approx(0.2 * 0.3 + 0.1)]


def test_parameters_from_keyword_arguments():
    reward = mentor_dsl.load("mentor_args", w_exec=0.0, w_answer=0.7)
    assert dict(reward.plan.params)["w_answer"] == 0.7


def test_a_failing_term_isolates_the_record(plugin):
    from mentor_dsl.plugins import hookimpl
    from mentor_dsl.terms import Term

    class Fragile:
        @hookimpl
        def register_terms(self, register):
            register(Term("fragile", lambda ts, ctx: [float("nan") if "boom" in t.text else 1.0 for t in ts]))

    plugin(Fragile())
    reward = mentor_dsl.loads("reward r:\n    fragile\n")
    result = reward.score([{"completion": "a"}, {"completion": "boom"}, {"completion": "c"}], on_error="skip")
    assert result.rewards[0].item() == 1.0 and result.rewards[2].item() == 1.0
    assert "term 'fragile' returned nan" in str(result.errors[1])


# -- TRL ------------------------------------------------------------------------------------------

def test_call_protocol_like_trl():
    reward = mentor_dsl.load("mentor").with_tokenizer(SimpleNamespace(eos_token_id=2))
    metrics = {}
    rewards = reward(
        prompts=[[{"role": "user", "content": "17*23?"}]] * 3,
        completions=[[{"role": "assistant", "content": GOOD}], [{"role": "assistant", "content": WRONG_TOOL}],
                     [{"role": "assistant", "content": GOOD}]],
        completion_ids=[[5, 6, 2], [5, 2], [5, 6, 7]],       # the third was truncated: no EOS id
        trainer_state=SimpleNamespace(global_step=3),
        log_metric=lambda name, value: metrics.setdefault(name, value),
        log_extra=lambda column, values: None,
        answer=["391"] * 3, teacher=[TEACHER] * 3,
    )
    assert rewards == [pytest.approx(1.1), pytest.approx(0.1), 0.0]
    assert reward.__name__ == "mentor"
    assert metrics["mentor/finished"] == pytest.approx(2 / 3)
    assert metrics["mentor/tool_match"] == pytest.approx(0.5)


def test_trainer_text_is_scored_as_generated_eos_included():
    """TRL strips the EOS; `\\boxed x` then reads to the end of the text, EOS included, as
    the paper's code reads raw text. Training and offline scoring must agree."""
    tokenizer = SimpleNamespace(eos_token_id=2, eos_token=EOS)
    for spec in ("sparse", "mentor"):
        reward = mentor_dsl.load(spec, tokenizer=tokenizer)
        texts = ["\\boxed Paris", "\\boxed{Paris}", "\\boxed Paris"]
        ids = [[5, 2], [5, 2], [5, 6]]  # the third did not finish
        records = [{"completion": t + (EOS if i[-1] == 2 else ""), "answer": "Paris", "teacher": TEACHER}
                   for t, i in zip(texts, ids)]
        trained = reward(prompts=["q"] * 3, completions=texts, completion_ids=ids, answer=["Paris"] * 3,
                         teacher=[TEACHER] * 3)
        offline = reward.score(records).rewards.tolist()
        assert trained == pytest.approx(offline), spec
    assert trained[0] != trained[1]  # the unbraced answer holds the EOS and is not "Paris"


def test_finished_from_ids_needs_the_tokenizer():
    reward = mentor_dsl.load("sparse")
    with pytest.raises(MentorError, match="give the reward the tokenizer"):
        reward(prompts=["q"], completions=["\\boxed{1}"], completion_ids=[[1, 2]], answer=["1"])


def test_inside_trls_reward_computation():
    """Runs TRL's own GRPOTrainer._calculate_rewards with our reward as a reward function."""
    from trl import GRPOTrainer

    reward = mentor_dsl.load("mentor").with_tokenizer(SimpleNamespace(eos_token_id=2))
    pending = {}
    trainer = SimpleNamespace(
        reward_funcs=[reward], reward_processing_classes=[None], reward_func_names=[reward.__name__],
        state=SimpleNamespace(global_step=0), args=SimpleNamespace(report_to=[]),
        accelerator=SimpleNamespace(device=torch.device("cpu"), is_main_process=True),
        environments=None, _log_completion_extra=lambda column, values: None,
        _log_metric=lambda name, value: pending.setdefault(name, []).append(value),
    )
    texts = [GOOD, WRONG_TOOL, HALLUCINATED, "no answer"]
    inputs = [{"prompt": [{"role": "user", "content": "17*23?"}], "answer": "391", "teacher": TEACHER}] * 4
    got = GRPOTrainer._calculate_rewards(
        trainer, inputs, [x["prompt"] for x in inputs], [[{"role": "assistant", "content": t}] for t in texts],
        [[9, 2]] * 4)
    expected = reward.score([{"completion": t + EOS, "answer": "391", "teacher": TEACHER} for t in texts])
    assert got.shape == (4, 1)
    assert got[:, 0].tolist() == pytest.approx(expected.rewards.tolist())
    assert pending["mentor/no_hallucination"] == [pytest.approx(2 / 3)]
