"""views.py: the model's text (response blocks cut, rollout segments joined) and its final
text (call blocks cut too), and the `final_boxed` extractor that reads the latter."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mentor_dsl
from mentor_dsl.answers import boxed, final_boxed
from mentor_dsl.formats.responses import RESPONSE_TAGS
from mentor_dsl.plugins import registry
from mentor_dsl.trajectory import Trajectory
from mentor_dsl.views import GAP, call_tags, cut_blocks, model_segments, response_tags

CALL_TAGS = ("<tool_call>", "</tool_call>")


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("a<tool_response>x</tool_response>b", "a\nb"),
    ("a<tool_response>x</tool_response><tool_response>y</tool_response>b", "a\n\nb"),
    ("a<tool_response>x", "a"),                                    # never closed: runs to the end
    ("a</tool_response>b", "a</tool_response>b"),                  # a stray closing tag is text
    ("<tool_response>x</tool_response>", "\n"),
    ("a<tool_response>1<tool_response>2</tool_response>b", "a\nb"),  # blocks do not nest
])
def test_cut_blocks(text, expected):
    assert cut_blocks(text, RESPONSE_TAGS) == expected


def test_no_tags_cut_nothing():
    assert cut_blocks("a<tool_response>x</tool_response>", None) == "a<tool_response>x</tool_response>"


PIECES = st.sampled_from(["<tool_response>", "</tool_response>", "x", "\\boxed{1}", "\n"])


@given(st.lists(PIECES, max_size=12).map("".join))
def test_nothing_inside_a_block_survives_the_cut(text):
    """What is left is the text outside blocks: between a closing tag (or the start) and
    the next opening tag."""
    kept, pos = [], 0
    while True:
        start = text.find("<tool_response>", pos)
        if start < 0:
            kept.append(text[pos:])
            break
        kept.append(text[pos:start])
        end = text.find("</tool_response>", start + len("<tool_response>"))
        if end < 0:
            break
        pos = end + len("</tool_response>")
    assert cut_blocks(text, RESPONSE_TAGS) == GAP.join(kept)
    assert "<tool_response>" not in cut_blocks(text, RESPONSE_TAGS)


def test_formats_name_their_blocks():
    reg = registry()
    for name in ("hermes", "json_lines", "json_list"):
        assert response_tags(reg.get("formats", name)) == RESPONSE_TAGS
        assert call_tags(reg.get("formats", name)) == CALL_TAGS
    assert call_tags(reg.get("formats", "pythonic")) is None
    assert response_tags(object()) == RESPONSE_TAGS  # a plugin format that says nothing


class CharTokenizer:
    """One token per character; id 0 is a special token."""

    def decode(self, ids, skip_special_tokens=False):
        return "".join("" if (i == 0 and skip_special_tokens) else ("<s>" if i == 0 else chr(i)) for i in ids)


def test_model_segments_are_the_runs_of_model_tokens():
    ids = [ord(c) for c in "ab"] + [ord(c) for c in "ENV"] + [ord("c"), 0]
    mask = [1, 1, 0, 0, 0, 1, 1]
    assert model_segments(CharTokenizer(), ids, mask) == ["ab", "c"]
    assert model_segments(CharTokenizer(), ids, [1] * len(ids)) == ["abENVc"]
    assert model_segments(CharTokenizer(), [], []) == []


def test_a_trajectory_reads_its_segments_not_its_text():
    record = {"completion": "<tool_call>{}</tool_call>LEAK \\boxed{1}<|im_end|>",
              "model_segments": ["<tool_call>{}</tool_call>", "\\boxed{2}<|im_end|>"]}
    t = Trajectory.from_record(record)
    assert t.model_text() == "<tool_call>{}</tool_call>\n\\boxed{2}<|im_end|>"
    assert t.final_text(RESPONSE_TAGS, CALL_TAGS) == "\n\n\\boxed{2}<|im_end|>"


@pytest.mark.parametrize("segments", [["a", 1], "text", {"a": 1}])
def test_malformed_segments_are_a_record_error(segments):
    reward = mentor_dsl.loads("reward r:\n    answer_present\n")
    result = reward.score([{"id": "x", "completion": "\\boxed{1}", "model_segments": segments}], on_error="skip")
    assert result.errors[0].field == "model_segments"


# -- final_boxed ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("\\boxed{391}", "391"),
    ("\\boxed{390} then \\boxed{391}", "391"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed {7}", "7"),
    ("\\boxed{391", None),             # never closed
    ("\\boxed{ }", None),              # empty
    ("\\boxed 391$", None),            # the paper's space form is not read
    ("\\fbox{391}", None),
    ("\\boxed{390} \\boxed{391", None),  # the last box is the answer, even broken
    ("nothing", None),
])
def test_final_boxed(text, expected):
    assert final_boxed(text) == expected


@pytest.mark.parametrize("completion, final, paper", [
    ('\\boxed{390}<tool_call>{"name": "add", "arguments": {"a": "\\\\boxed{391}"}}</tool_call>', "390", "391"),
    ('<tool_call>{"name": "add", "arguments": {"a": "\\\\boxed{391}"}}</tool_call>', None, "391"),
    ('\\boxed{390}<tool_call>{"name": "add", "note": "\\\\boxed{391}"', "390", "391"),  # unclosed call block
    ("<tool_response>\\boxed{391}</tool_response>\\boxed{390}", "390", "390"),
    ("<tool_call>{}</tool_call>\n<tool_response>\n5\n</tool_response>\nSo \\boxed{5}", "5", "5"),
])
def test_final_boxed_reads_outside_calls_and_responses(completion, final, paper):
    trajectory = Trajectory.from_record({"completion": completion})
    assert trajectory.answer("final_boxed", final_boxed, RESPONSE_TAGS, CALL_TAGS) == final
    assert trajectory.answer("boxed", boxed, RESPONSE_TAGS, CALL_TAGS) == paper
