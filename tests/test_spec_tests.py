"""Spec tests: the library's examples, `mentor test`, `--update`, the pytest plugin."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import spec_examples
from mentor_dsl.cli import cli
from mentor_dsl.spec_tests import examples_path, load_examples

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EOS = "<|im_end|>"


def run(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, [str(a) for a in args])


# -- the library ---------------------------------------------------------------------------------

def test_every_library_spec_ships_examples():
    specs = sorted(p.stem for p in (ROOT / "rewards").glob("*.mdsl"))
    assert [s for s in specs if not examples_path(ROOT / "rewards" / f"{s}.mdsl").is_file()] == []
    assert sorted(spec_examples.EXAMPLES) == specs


@pytest.mark.parametrize("name", sorted(spec_examples.EXAMPLES))
def test_library_examples_are_what_their_sources_give(name):
    """The paper's specs' expectations come from tests/paper_reference.py, the others'
    from the arithmetic in tests/spec_examples.py: the files must not drift from them
    (`python tests/spec_examples.py --update` rewrites them)."""
    assert spec_examples.path(name).read_text(encoding="utf-8") == spec_examples.generated(name)


def test_paper_examples_cover_the_edge_cases_the_issue_names():
    names = {e["test"] for e in spec_examples.paper_examples("mentor")}
    assert {"eos missing", "no box", "teacher empty wrong hallucinated", "exact match correct",
            "teacher record absent", "fbox only"} <= names


def test_mentor_test_rewards_passes(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("test", "rewards/")
    total = sum(len(load_examples(p)) for p in (ROOT / "rewards").glob("*.tests.jsonl"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"{total} passed in ")
    assert "rewards/mentor.mdsl " + "." * len(load_examples(ROOT / "rewards/mentor.tests.jsonl")) in result.output


# -- the command on a spec of its own -------------------------------------------------------------

SPEC = """reward r:
    require finished else 0
    half = 0.5 * answer_present
    half + 0.5 * answer_correct

reward outcome:
    answer_correct
"""


def example(test, reward=None, *, completion="\\boxed{2}" + EOS, answer="2", **expect):
    line = {"test": test, "expect": {**({"reward": reward} if reward is not None else {}), **expect},
            "completion": completion}
    if answer is not None:
        line["answer"] = answer
    return line


class Project:
    """A folder with the spec r.mdsl; `write` puts examples beside it."""

    def __init__(self, path: Path):
        self.path = path
        (path / "r.mdsl").write_text(SPEC)

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def __str__(self) -> str:
        return str(self.path)

    def write(self, *lines, raw: str | None = None) -> Path:
        text = raw if raw is not None else "".join(json.dumps(line) + "\n" for line in lines)
        (self.path / "r.tests.jsonl").write_text(text)
        return self.path / "r.tests.jsonl"


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)


def test_passing_examples_print_dots(project):
    project.write(example("right", 1.0, terms={"half": 0.5, "answer_correct": 1}),
                  example("truncated", 0.0, completion="\\boxed{2}", terms={"half": None}),
                  example("outcome only", 0.0, answer="3") | {"reward_name": "outcome"})
    result = run("test", project / "r.mdsl")
    assert result.exit_code == 0, result.output
    assert f"{project / 'r.mdsl'} ..." in result.output and "3 passed in " in result.output


def test_a_failure_shows_the_difference_and_the_trace(project):
    project.write(example("right", 1.0), example("wrong", 0.7, answer="3", terms={"half": 0.25, "nope": 1}))
    result = run("test", project / "r.mdsl")
    assert result.exit_code == 1
    out = result.output
    assert f"{project / 'r.mdsl'} .F" in out
    assert f"r.mdsl::wrong ({project / 'r.tests.jsonl'}:2)" in out
    assert "reward: expected 0.7, got 0.5\nhalf: expected 0.25, got 0.5\n" \
           "nope: expected 1, got no term or binding of that name (the reward has: finished, answer_present, " \
           "answer_correct, half)" in out
    assert "reward r = 0.5   record 'wrong'" in out and "judge math: wrong against gold 3" in out
    assert out.splitlines()[-1].startswith("1 failed, 1 passed in ")


def test_update_rewrites_only_the_failing_expectations(project):
    path = project.write(example("right", 1.0), example("wrong", 0.7, answer="3", terms={"half": 0.25}),
                         example("error", None, answer=None, error="missing field 'answer'"))
    before = path.read_text().splitlines()
    result = run("test", project / "r.mdsl", "--update")
    assert result.exit_code == 0, result.output
    assert f"updated 1 example in {path}" in result.output
    after = path.read_text().splitlines()
    assert after[0] == before[0] and after[2] == before[2]
    assert json.loads(after[1])["expect"] == {"reward": 0.5, "terms": {"half": 0.5}}
    assert run("test", project / "r.mdsl").exit_code == 0


def test_expected_errors(project):
    project.write(example("no gold", None, answer=None, error="missing field 'answer'"),
                  example("says another reason", None, answer=None, error="something else"),
                  example("scores instead", None, error="missing"))
    result = run("test", project / "r.mdsl")
    assert result.exit_code == 1
    assert ("error: expected something else, got missing field 'answer' (reward 'r' needs it)" in result.output)
    assert "error: expected missing, got scored 1" in result.output


@pytest.mark.parametrize("raw, message", [
    ("{\n", "r.tests.jsonl:1: not JSON"),
    ('[1]\n', "r.tests.jsonl:1: an example is a JSON object"),
    ('{"completion": "x"}\n', 'r.tests.jsonl:1: "expect" must be an object with "reward"'),
    ('{"expect": {"reward": "1"}, "completion": "x"}\n', "r.tests.jsonl:1: expect.reward must be a number or null"),
    ('{"expect": {"reward": 1, "error": "x"}, "completion": "x"}\n', 'has both "reward" and "error"'),
    ('{"expect": {"reward": 1, "term": {}}, "completion": "x"}\n', 'unknown key(s) in "expect": term'),
    ('{"test": "a", "expect": {"reward": 1}}\n\n{"test": "a", "expect": {"reward": 1}}\n',
     "r.tests.jsonl:3: another example is called 'a' (line 1)"),
])
def test_malformed_examples_name_the_line(project, raw, message):
    project.write(raw=raw)
    result = run("test", project / "r.mdsl")
    assert result.exit_code == 4
    assert message in result.output


def test_a_spec_that_does_not_compile(project):
    (project / "r.mdsl").write_text("reward r:\n    answer_corect\n")
    project.write(example("right", 1.0))
    result = run("test", project.path)
    assert result.exit_code == 3
    assert "r.mdsl:2:5: error: unknown name 'answer_corect'; did you mean 'answer_correct'?" in result.output


def test_directories_are_searched_and_specs_without_examples_counted(project):
    project.write(example("right", 1.0))
    (project / "plain.mdsl").write_text("reward p:\n    finished\n")
    hidden = project.path / ".hidden"
    hidden.mkdir()
    (hidden / "h.mdsl").write_text("reward h:\n    nonsense_term\n")
    result = run("test", project.path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("1 passed, 1 spec without examples in ")


# -- the pytest plugin -----------------------------------------------------------------------------

def test_the_entry_point_names_the_plugin_module():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"mentor_dsl.pytest_plugin": "mentor_dsl.pytest_plugin"}


@pytest.fixture
def user_repo(pytester):
    pytester.makefile(".mdsl", r=SPEC)
    (pytester.path / "r.tests.jsonl").write_text("".join(json.dumps(line) + "\n" for line in (
        example("right", 1.0), example("wrong", 0.7, answer="3"), example("truncated", 0.0, completion="x"))))
    pytester.makepyfile(test_plain="def test_ordinary():\n    assert True\n")
    return pytester


def test_pytest_collects_spec_examples_with_the_option(user_repo):
    result = user_repo.runpytest("-p", "mentor_dsl.pytest_plugin", "--mentor-specs", "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*r.mdsl::right PASSED*", "*r.mdsl::wrong FAILED*",
                                 "*reward: expected 0.7, got 0.5*", "*judge math: wrong against gold 3*"])


def test_pytest_leaves_specs_alone_without_the_option(user_repo):
    user_repo.runpytest("-p", "mentor_dsl.pytest_plugin").assert_outcomes(passed=1)


def test_pytest_ini_turns_collection_on(user_repo):
    user_repo.makeini("[pytest]\nmentor_specs = true\n")
    user_repo.runpytest("-p", "mentor_dsl.pytest_plugin").assert_outcomes(passed=3, failed=1)


def test_pytest_reports_a_broken_spec_on_each_example(user_repo):
    (user_repo.path / "r.mdsl").write_text("reward r:\n    answer_corect\n")
    result = user_repo.runpytest("-p", "mentor_dsl.pytest_plugin", "--mentor-specs")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*r.mdsl:2:5: error: unknown name 'answer_corect'*"])
