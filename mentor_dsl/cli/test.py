"""`mentor test`: check specs against the examples they ship (mentor_dsl/spec_tests.py)."""

from __future__ import annotations

import time

import click

from ..errors import DataError, MentorError, SpecError

EXIT_FAILED = 1


@click.command("test")
@click.argument("paths", nargs=-1)
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite the expectations of failing examples with what the specs give now (after a deliberate change).",
)
@click.option(
    "--eos",
    default=None,
    help="The text that marks a finished completion [default: the spec's option "
    "eos, else the embedded student's end of turn].",
)
@click.option("-v", "--verbose", is_flag=True, help="One line per example instead of a dot.")
def spec_test_command(paths: tuple[str, ...], update: bool, eos: str | None, verbose: bool) -> None:
    """Run the examples of reward specs: each SPEC.mdsl is checked against SPEC.tests.jsonl
    beside it. PATHS are spec files, library names or directories (searched for *.mdsl);
    the default is the current directory.

    Prints a dot per passing example and F per failing one, then each failure: what was
    expected, what the spec gives, and the explain trace. Exits 1 when an example failed,
    3 when a spec does not compile, 4 when an examples file is malformed."""
    from ..library import display
    from ..spec_tests import (
        discover,
        examples_path,
        explain_failure,
        failure_text,
        load_examples,
        run_spec,
        update_file,
    )
    from .traces import console, print_trace

    started = time.perf_counter()
    out = console()
    specs = discover(paths or ["."])
    if not specs:
        raise DataError(f"no *.mdsl specs in {', '.join(paths or ['.'])}")
    failures, errors, untested = [], [], []
    passed = changed = 0
    exit_code = 0
    for spec in specs:
        shown = display(spec)
        tests = examples_path(spec)
        if not tests.is_file():
            untested.append(shown)
            if verbose:
                click.echo(f"{shown}: no examples ({tests.name})")
            continue
        try:
            examples = load_examples(tests)
            outcomes = run_spec(spec, examples, eos=eos)
        except MentorError as exc:
            errors.append((shown, exc))
            exit_code = max(exit_code, 3 if isinstance(exc, SpecError) else 4)
            click.echo(f"{shown} E")
            continue
        if verbose:
            for outcome in outcomes:
                click.echo(f"{shown}::{outcome.example.name} {'PASSED' if outcome.passed else 'FAILED'}")
        else:
            marks = "".join("." if o.passed else "F" for o in outcomes)
            click.echo(f"{shown} {marks}")
        passed += sum(o.passed for o in outcomes)
        failed = [o for o in outcomes if not o.passed]
        if update and failed:
            count = update_file(tests, outcomes)
            changed += count
            click.echo(f"  updated {count} example{'s' if count != 1 else ''} in {display(tests)}")
        else:
            failures += [(spec, shown, o) for o in failed]

    for shown, error in errors:
        click.echo(f"\n{'_' * 20} {shown} {'_' * 20}")
        click.echo(error.render())
    if failures:
        click.echo("")
        click.echo(" FAILURES ".center(72, "="))
    for spec, shown, outcome in failures:
        example = outcome.example
        click.echo(f"{'_' * 8} {shown}::{example.name} ({display(example.path)}:{example.line}) {'_' * 8}")
        click.echo(failure_text(outcome))
        trace = explain_failure(spec, outcome, eos=eos)
        if trace is not None:
            print_trace(trace, out, show_completion=True)
        click.echo("")

    parts = []
    if failures:
        parts.append(f"{len(failures)} failed")
    parts.append(f"{passed} passed")
    if changed:
        parts.append(f"{changed} updated")
    if errors:
        parts.append(f"{len(errors)} spec{'s' if len(errors) != 1 else ''} with errors")
    if untested:
        parts.append(f"{len(untested)} spec{'s' if len(untested) != 1 else ''} without examples")
    click.echo(f"{', '.join(parts)} in {time.perf_counter() - started:.2f}s")
    if failures:
        exit_code = exit_code or EXIT_FAILED
    if exit_code:
        raise SystemExit(exit_code)
