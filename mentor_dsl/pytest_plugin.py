"""A pytest plugin: a reward spec's examples (SPEC.tests.jsonl) as tests in a normal
pytest run.

    pytest --mentor-specs                  # collect *.mdsl files that have examples
    pytest --mentor-specs rewards/ tests/

or, to have them collected on every run, in pytest's configuration:

    [tool.pytest.ini_options]
    mentor_specs = true
    testpaths = ["tests", "rewards"]

Each example is one test, `rewards/mentor.mdsl::eos missing`; a failure shows what was
expected, what the spec gives and the explain trace; a spec that does not compile fails
its examples with the compiler's message. The plugin is registered through the
`pytest11` entry point when mentor is installed (`-p mentor_dsl.pytest_plugin` loads it
from a source tree). Importing it imports nothing heavy: specs are compiled when their
examples run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    from .spec_tests import Outcome

OPTION = "--mentor-specs"
INI = "mentor_specs"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("mentor", "mentor reward specs")
    group.addoption(
        OPTION,
        action="store_true",
        default=False,
        help="collect reward specs (*.mdsl) that have examples (SPEC.tests.jsonl) as tests",
    )
    parser.addini(
        INI,
        type="bool",
        default=False,
        help="collect reward specs (*.mdsl) that have examples (SPEC.tests.jsonl) as tests",
    )


def _enabled(config) -> bool:
    return bool(config.getoption("mentor_specs") or config.getini(INI))


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".mdsl" or not _enabled(parent.config):
        return None
    from .spec_tests import examples_path

    if not examples_path(file_path).is_file():
        return None
    return SpecFile.from_parent(parent, path=file_path)


class SpecFile(pytest.File):
    """A spec with examples: one item per example."""

    def collect(self):
        from .spec_tests import examples_path, load_examples

        for example in load_examples(examples_path(self.path)):
            yield SpecExample.from_parent(self, name=example.name, example=example)

    def outcomes(self) -> dict[str, Outcome] | Exception:
        """Every example's outcome, the spec scored once for all of them, or why the spec
        could not be scored."""
        cached = getattr(self, "_outcomes", None)
        if cached is None:
            from .spec_tests import run_spec

            examples = [item.example for item in self.collect()]
            try:
                cached = {o.example.name: o for o in run_spec(self.path, examples)}
            except Exception as exc:  # each example reports it (a SpecError, a plugin failing)
                cached = exc
            self._outcomes = cached
        return cached


class ExampleFailed(Exception):
    def __init__(self, outcome):
        super().__init__(outcome.example.name)
        self.outcome = outcome


class SpecExample(pytest.Item):
    def __init__(self, *, example, **kwargs):
        super().__init__(**kwargs)
        self.example = example

    def runtest(self) -> None:
        # `SpecFile.collect` makes every example item, with its file as parent.
        outcomes = cast(SpecFile, self.parent).outcomes()
        if isinstance(outcomes, Exception):
            raise outcomes
        outcome = outcomes[self.example.name]
        if not outcome.passed:
            raise ExampleFailed(outcome)

    def repr_failure(self, excinfo, style=None):
        from .errors import MentorError

        error = excinfo.value
        if isinstance(error, ExampleFailed):
            return _failure_report(self.path, error.outcome)
        if isinstance(error, MentorError):
            return error.render()
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # The domain is the example's name: pytest shows `r.mdsl::name` (dots in a
        # domain would become `::`).
        return self.path, self.example.line - 1, self.example.name


def _failure_report(spec: Path, outcome) -> str:
    import io

    from .cli.traces import print_trace
    from .spec_tests import explain_failure, failure_text

    text = f"{outcome.example.where}\n{failure_text(outcome)}"
    trace = explain_failure(spec, outcome)
    if trace is None:
        return text
    from rich.console import Console

    buffer = io.StringIO()
    print_trace(trace, Console(file=buffer, width=120, no_color=True, highlight=False))
    return text + "\n" + buffer.getvalue()
