"""Renamed public names still work, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import pytest

import mentor_dsl


def test_the_oracles_plan_is_call_plan():
    import mentor_dsl.data as data

    with pytest.warns(DeprecationWarning, match=r"mentor_dsl\.data\.Plan is deprecated; use mentor_dsl\.data\.CallPlan"):
        old = data.Plan
    assert old is data.CallPlan and old is not mentor_dsl.Plan
    with pytest.raises(AttributeError):
        data.NoSuchName  # noqa: B018


def test_pythonic_render_value_is_python_literal():
    from mentor_dsl.formats import pythonic

    with pytest.warns(DeprecationWarning, match="use mentor_dsl.formats.pythonic.python_literal"):
        old = pythonic.render_value
    assert old is pythonic.python_literal and old([1, "a"]) == "[1, 'a']"


def test_reward_parse_is_read_records():
    reward = mentor_dsl.loads("reward r:\n    tool_calls\n")
    records = [{"id": "a", "completion": "no calls"}, {"id": "b"}]
    with pytest.warns(DeprecationWarning, match=r"Reward\.parse is deprecated; use Reward\.read_records"):
        old = reward.parse(records, on_error="skip")
    new = reward.read_records(records, on_error="skip")
    assert [t.id if t else None for t in old[0]] == [t.id if t else None for t in new[0]] == ["a", None]
    assert list(old[1]) == list(new[1]) == [1]
