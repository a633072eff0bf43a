"""mentor_robust: honest answers score exactly as under `mentor`; no completion of the hack
corpus gets more than an honest wrong answer that used the teacher's tools; the tables of
docs/rewards.md are generated from the corpora, so they cannot drift."""

from decimal import Decimal
from pathlib import Path

import pytest

import hack_corpus as corpus
import mentor_dsl
from mentor_dsl.data import load_split

DOC = Path(__file__).resolve().parents[1] / "docs" / "rewards.md"
HONEST_WRONG = 0.0 + (0.3 * 0.2 + 0.1)  # mentor's arithmetic: teacher's tools, wrong answer


@pytest.fixture(scope="module")
def rewards():
    return {name: mentor_dsl.load(name) for name in ("mentor", "mentor_robust")}


def hacks(cls=None):
    return [{k: v for k, v in h.items() if k != "class"} for h in corpus.HACKS if cls in (None, h["class"])]


def test_the_corpus_is_large_and_covers_every_class():
    assert len(corpus.HACKS) >= 40
    assert len({h["id"] for h in corpus.HACKS}) == len(corpus.HACKS)
    assert {h["class"] for h in corpus.HACKS} == set(corpus.CLASSES)


def test_no_hack_pays_more_than_an_honest_wrong_answer(rewards):
    robust = rewards["mentor_robust"]
    got = robust.score(hacks()).rewards.tolist()
    twins = robust.score([corpus.honest_wrong(h) for h in corpus.HACKS]).rewards.tolist()
    assert set(twins) == {HONEST_WRONG}
    for hack, value, twin in zip(corpus.HACKS, got, twins):
        assert value <= twin, (hack["id"], value)


ANSWER_HACKS = ["hedge", "hedge, real calls", "plus-minus", "extra term", "leading number", "answer in a call"]


@pytest.mark.parametrize("cls", ANSWER_HACKS)
def test_the_paper_reward_pays_the_answer_hacks(rewards, cls):
    """The corpus holds real hacks: `mentor` pays each of these as a correct answer."""
    got = rewards["mentor"].score(hacks(cls)).rewards.tolist()
    assert min(got) >= 0.7, cls


def test_name_only_calls_earn_the_paper_match_but_not_the_robust_one(rewards):
    records = hacks("name-only call")
    paper = rewards["mentor"].score(records).terms
    robust = rewards["mentor_robust"].score(records).terms
    match = [k for k in paper if k.startswith("tool_match")][0]
    robust_match = [k for k in robust if k.startswith("tool_match")][0]
    assert set(paper[match].tolist()) == {1.0}
    assert set(robust[robust_match].tolist()) == {0.0}


def _wrong(gold: str) -> str:
    return str(Decimal(gold) + 1)


def honest_records():
    """Honest completions: the built-in test split's oracle trajectories (correct), the same
    with a wrong answer, with no calls, with an extra valid call, truncated and unanswered;
    and the hack corpus's honest twins, right and wrong."""
    out = []
    for task in load_split("test", 80):
        text, gold = task["completion"], task["answer"]
        head, _, _ = text.rpartition("\\boxed{")
        out += [
            task,
            {**task, "completion": f"{head}\\boxed{{{_wrong(gold)}}}<|im_end|>"},
            {**task, "completion": f"I worked it out: \\boxed{{{gold}}}<|im_end|>"},
            {**task, "completion": f"I worked it out: \\boxed{{{_wrong(gold)}}}<|im_end|>"},
            {**task, "completion": '<tool_call>\n{"name": "add", "arguments": {"a": 1, "b": 2}}\n</tool_call>\n' + text},
            {**task, "completion": text.removesuffix("<|im_end|>")},
            {**task, "completion": head + "I do not know.<|im_end|>"},
            {**task, "completion": f"{head}\\boxed{{x = {gold}}}<|im_end|>"},
            {**task, "completion": f"{head}\\boxed{{{gold} \\text{{ dollars}}}}<|im_end|>"},
        ]
    for hack in corpus.HACKS:
        out += [corpus.honest_wrong(hack), corpus.honest_correct(hack)]
    return out


def test_honest_answers_score_as_under_mentor(rewards):
    records = honest_records()
    paper = rewards["mentor"].score(records).rewards.tolist()
    robust = rewards["mentor_robust"].score(records).rewards.tolist()
    assert len(records) > 700 and len(set(paper)) >= 5  # correct, wrong, no tools, truncated, unanswered
    for record, p, r in zip(records, paper, robust):
        assert p == r, (record.get("id"), record["completion"][-80:], p, r)


@pytest.mark.parametrize("block", ["hack-table", "judge-table"])
def test_the_tables_in_the_docs_are_current(block):
    assert corpus.documented(DOC, block) == corpus.generated(block), \
        "docs/rewards.md is stale: run `python tests/hack_corpus.py --update docs/rewards.md`"
