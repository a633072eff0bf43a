"""Golden tests: the exact text users see for broken specs.

Each tests/golden/NAME.mdsl is compiled with `mentor compile`; its output must equal
tests/golden/NAME.err. After an intended change to a message, regenerate with
MENTOR_UPDATE_GOLDEN=1 and review the diff.
"""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentor_dsl.cli import cli

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parent.parent
CASES = sorted(p.stem for p in GOLDEN.glob("*.mdsl"))


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture(autouse=True)
def _only_first_party_scitools(monkeypatch):
    """Messages list the registered formats and toolsets: pin which plugins load, so that
    installing another plugin does not change the expected text."""
    from mentor_dsl import plugins

    monkeypatch.setenv("MENTOR_PLUGINS", "scitools")
    plugins.reset()
    yield
    monkeypatch.delenv("MENTOR_PLUGINS")
    plugins.reset()


def _run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES)
def test_spec_error_output(case):
    code, output = _run("compile", f"tests/golden/{case}.mdsl")
    expected_path = GOLDEN / f"{case}.err"
    if os.environ.get("MENTOR_UPDATE_GOLDEN"):
        expected_path.write_text(output)
    assert code == 3, output
    assert output == expected_path.read_text()
    assert "Traceback" not in output


def test_every_golden_case_has_expected_output():
    assert CASES, "no golden cases found"
    missing = [c for c in CASES if not (GOLDEN / f"{c}.err").exists()]
    assert not missing


@pytest.mark.parametrize("args, expected", [
    (("compile", "tests/golden/no_such_file.mdsl"),
     "tests/golden/no_such_file.mdsl: error: no such file\n"),
    (("compile", "mentr"),
     "mentr: error: unknown reward 'mentr': no such file, and no library spec of that name; "
     "did you mean 'mentor'? (library: bfcl, mentor, mentor_args, mentor_f1, mentor_nomatch, mentor_overlap, "
     "mentor_robust, sparse, strict, tool_n1, toolrl)\n"),
    (("compile", "tests/golden"),
     "tests/golden: error: is a directory, not a spec file\n"),
    (("compile", "rewards/mentor_args.mdsl", "--set", "w_arg=0.3"),
     "rewards/mentor_args.mdsl: error: cannot set unknown parameter 'w_arg'; did you mean 'w_args'? "
     "(parameters: w_answer, w_args, w_exec, w_tools)\n"),
    (("compile", "rewards/mentor_args.mdsl", "--set", "w_args=lots"),
     "rewards/mentor_args.mdsl: error: parameter 'w_args' takes a number; got 'lots'\n"),
    (("compile", "rewards/mentor_args.mdsl", "--set", "w_args=0.9"),
     "rewards/mentor_args.mdsl: error: parameter 'w_args' = 0.9 is outside its range [0, 0.5] (declared on line 19)\n"),
    (("compile", "rewards/mentor.mdsl::mentr"),
     "rewards/mentor.mdsl: error: no reward named 'mentr' in this spec; did you mean 'mentor'? (rewards: mentor)\n"),
])
def test_file_level_errors(args, expected):
    code, output = _run(*args)
    assert code == 3
    assert output == expected


RECORDS = sorted(p.stem for p in (GOLDEN / "records").glob("*.jsonl"))


@pytest.mark.parametrize("case", RECORDS)
def test_record_error_output(case):
    """tests/golden/records/NAME.jsonl scored with `mentor score --reward mentor`: each bad
    record is reported on stderr as FILE:LINE: ..., the others are scored (stdout), exit 1.
    No progress lines (they hold timings), however slow the machine."""
    result = CliRunner(env={"MENTOR_PROGRESS_INTERVAL": "86400"}).invoke(
        cli, ["score", "--reward", "mentor", "--data", f"tests/golden/records/{case}.jsonl"])
    for stream, text in (("err", result.stderr), ("out", result.stdout)):
        expected = GOLDEN / "records" / f"{case}.score.{stream}"
        if os.environ.get("MENTOR_UPDATE_GOLDEN"):
            expected.write_text(text, encoding="utf-8")
        assert text == expected.read_text(encoding="utf-8")
    assert result.exit_code == 1 and "Traceback" not in result.output
