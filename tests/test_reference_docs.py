"""docs/terms.md and docs/cli.md are generated (mentor_dsl/reference.py): the committed
pages must be what the code generates now."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentor_dsl import reference
from mentor_dsl.plugins import registry

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("page", reference.PAGES)
def test_the_committed_page_is_up_to_date(page):
    committed = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    assert committed == reference.render(page), \
        f"docs/{page}.md is stale: run `python -m mentor_dsl.reference {page}` and commit it"


def test_every_builtin_term_and_command_is_in_its_page():
    reg = registry()
    terms, cli = reference.render("terms"), reference.render("cli")
    builtin = [e.value for e in reg.items["terms"].values() if e.plugin == "mentor.terms"]
    assert len(builtin) >= 15
    for term in builtin:
        assert f"| `{term.name}" in terms
        assert (f"\n### {term.name}\n" in terms) == bool(term.params)
    assert "`tool_match(ref=\"teacher\", mode=\"exact_set\", tools=..., valid_only=false)`" in terms
    for name in ("compile", "score", "plugins", "data", "train", "teach", "eval"):
        assert f"\n## mentor {name}\n" in cli
    assert "| `--reward TEXT` |" in cli


def test_only_what_mentor_registers_is_listed(plugin):
    from mentor_dsl.plugins import hookimpl
    from mentor_dsl.terms.base import Term

    class Extra:
        @hookimpl
        def register_terms(self, register):
            register(Term("extra_term", lambda ts, ctx: [1.0] * len(ts), doc="from a plugin"))

    before = reference.render("terms")
    plugin(Extra())
    assert "extra_term" in registry().terms and reference.render("terms") == before


def test_check_reports_a_stale_page_and_writing_fixes_it(tmp_path, capsys):
    (tmp_path / "terms.md").write_text("old\n", encoding="utf-8")
    assert reference.main(["--check", "--docs", str(tmp_path), "terms"]) == 1
    assert "terms.md: stale" in capsys.readouterr().err
    assert reference.main(["--docs", str(tmp_path), "terms"]) == 0
    assert reference.main(["--check", "--docs", str(tmp_path), "terms"]) == 0
    with pytest.raises(SystemExit):
        reference.main(["nosuch"])
