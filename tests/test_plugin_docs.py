"""Meta-tests: every hook is tested and documented, and the plugin guide's code runs.

- every hook in `mentor_dsl.hookspecs` is collected by the plugin manager, has a
  `test_<hook>...` test in tests/test_plugins.py, and a `## <hook>` section in
  docs/plugins.md with an example plugin implementing it;
- every ```python block of docs/plugins.md compiles, and every block that defines a plugin
  (uses `@hookimpl`) is executed and registered: it must load without errors and register
  something;
- the tutorial's files exist and its code shows the hooks the example plugin implements;
- the domain chapter's excerpts (blocks whose first line names a file of
  plugins/mentor-dates/) are that file's text, and its example test passes.

Adding a hook without a test and a documented example fails here.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
import types
from pathlib import Path

import pytest

from mentor_dsl import hookspecs, plugins
from mentor_dsl.plugins import registry

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "plugins.md"
PLUGIN_TESTS = ROOT / "tests" / "test_plugins.py"
DATES = ROOT / "plugins" / "mentor-dates"
if importlib.util.find_spec("mentor_dates") is None:  # not installed: the chapter's code uses the source tree
    sys.path.insert(0, str(DATES))
EXCERPT = re.compile(r"^# (plugins/[\w./-]+\.py)\n")

HOOKS = [name for name, fn in vars(hookspecs).items() if hasattr(fn, "mentor_spec")]


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def python_blocks() -> list[tuple[int, str]]:
    """(line number, code) of every ```python block in the guide."""
    text = guide()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)]


def sections() -> dict[str, str]:
    """`## heading` -> the text up to the next `## ` heading."""
    parts = re.split(r"^## (.+)$", guide(), flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_hookspecs_are_found():
    assert len(HOOKS) >= 8 and all(h.startswith("register_") for h in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_collected_by_the_manager(hook):
    assert hook.removeprefix("register_") in plugins.HOOKS, f"plugins.HOOKS never calls {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    tree = ast.parse(PLUGIN_TESTS.read_text(encoding="utf-8"))
    tests = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert any(t.startswith(f"test_{hook}") for t in tests), (
        f"tests/test_plugins.py has no test_{hook}_... test: add one that uses what the hook registers end to end")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_documented_example(hook):
    body = sections().get(hook)
    assert body is not None, f"docs/plugins.md has no '## {hook}' section"
    blocks = re.findall(r"^```python\n(.*?)^```", body, re.DOTALL | re.MULTILINE)
    assert any("@hookimpl" in b and re.search(rf"def {hook}\(", b) for b in blocks), (
        f"the '## {hook}' section needs a ```python example plugin implementing {hook}")


@pytest.mark.parametrize("line, code", [pytest.param(*b, id=f"line{b[0]}") for b in python_blocks()])
def test_guide_code_compiles(line, code):
    # An excerpt of a plugin's file (its first line names the file) may be a function's body.
    compile(textwrap.dedent(EXCERPT.sub("", code, count=1)), f"docs/plugins.md:{line}", "exec")


def _plugin_blocks():
    for line, code in python_blocks():
        if "@hookimpl" not in code:
            continue
        # The tutorial shows the example plugin's own hooks: running it again would only
        # re-register the installed plugin's names (checked separately below).
        if "mentor_example" in code:
            continue
        if EXCERPT.match(code):  # an excerpt of a plugin's file: checked against the file below
            continue
        yield pytest.param(line, code, id=f"line{line}")


def _exec_block(line: int, code: str, monkeypatch) -> types.ModuleType:
    name = f"docs_plugins_line{line}"
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(code, f"docs/plugins.md:{line}", "exec"), module.__dict__)
    return module


def _plugin_objects(module: types.ModuleType) -> list[tuple[str, object]]:
    """The plugins a block defines: the module itself when it has module-level hooks,
    and an instance of each class with hook methods."""
    def is_hook(obj) -> bool:
        return hasattr(obj, "mentor_impl")

    found: list[tuple[str, object]] = []
    if any(is_hook(v) for v in vars(module).values()):
        found.append((module.__name__, module))
    for name, value in vars(module).items():
        if isinstance(value, type) and value.__module__ == module.__name__ and any(
                is_hook(getattr(value, attr, None)) for attr in dir(value)):
            found.append((f"{module.__name__}.{name}", value()))
    return found


@pytest.mark.parametrize("line, code", list(_plugin_blocks()))
def test_guide_plugins_load_and_register_something(line, code, plugin, monkeypatch):
    module = _exec_block(line, code, monkeypatch)
    found = _plugin_objects(module)
    assert found, "the block uses @hookimpl but defines no plugin"
    for plugin_name, obj in found:
        plugin(obj, name=plugin_name)
    reg = registry()
    names = {n for n, _ in found}
    assert [str(e) for e in reg.errors if e.plugin in names] == []
    for info in reg.plugins:
        if info.name in names:
            assert info.registered, f"{info.name} registered nothing"


@pytest.mark.parametrize("line, code", [pytest.param(*b, id=f"line{b[0]}") for b in python_blocks()
                                        if re.search(r"^def test_\w+\(plugin\)", b[1], re.MULTILINE)])
def test_guide_test_examples_pass(line, code, plugin, monkeypatch):
    """The 'Testing a plugin' section's example tests pass, with the same fixture."""
    module = _exec_block(line, code, monkeypatch)
    for name, fn in vars(module).items():
        if name.startswith("test_") and callable(fn):
            fn(plugin)


def test_tutorial_files_exist():
    paths = set(re.findall(r"plugins/mentor-example/[\w./-]*[\w]", guide()))
    assert paths
    for path in paths:
        assert (ROOT / path).exists(), f"docs/plugins.md mentions {path}, which does not exist"


def test_tutorial_shows_the_example_plugins_hooks():
    tutorial = sections()["Tutorial: the mentor-example plugin"]
    shown = set(re.findall(r"^def (register_\w+)\(", tutorial, re.MULTILINE))
    source = ROOT / "plugins" / "mentor-example" / "mentor_example" / "plugin.py"
    actual = set(re.findall(r"^@hookimpl\ndef (register_\w+)\(", source.read_text(encoding="utf-8"), re.MULTILINE))
    assert shown and shown == actual
    assert shown <= set(HOOKS)


def test_guide_explains_discovery():
    text = guide()
    assert "[project.entry-points.mentor]" in text and "MENTOR_PLUGINS" in text
    # The example plugin's pyproject uses the group the manager reads.
    pyproject = (ROOT / "plugins" / "mentor-example" / "pyproject.toml").read_text(encoding="utf-8")
    assert f"[project.entry-points.{plugins.ENTRY_POINT_GROUP}]" in pyproject
    if importlib.util.find_spec("mentor_example") is not None:
        assert 'example = "mentor_example.plugin"' in pyproject


def test_the_documented_term_explains_itself(plugin, monkeypatch):
    """register_terms' example has an `explain`: its evidence agrees with its values."""
    import mentor_dsl

    line, code = next((line, code) for line, code in python_blocks() if "def explain_mentions" in code)
    module = _exec_block(line, code, monkeypatch)
    plugin(module.MentionTerms(), name="docs.mentions")
    reward = mentor_dsl.loads('reward r:\n    mentions(word="therefore")\n')
    found = reward.explain({"completion": "So, Therefore, 4"})
    assert found.value == 1.0 and found.notes == []
    assert found.terms["mentions"].evidence.summary == "'therefore' at character 4"
    missing = reward.explain({"completion": "4"})
    assert missing.value == 0.0 and missing.notes == []
    assert missing.terms["mentions"].evidence.summary == "'therefore' does not occur"


def test_domain_chapter_excerpts_are_the_plugins_code():
    chapter = sections()["A new domain, end to end"]
    blocks = re.findall(r"^```python\n(.*?)^```", chapter, re.DOTALL | re.MULTILINE)
    excerpts = [EXCERPT.match(b) for b in blocks]
    assert sum(m is not None for m in excerpts) >= 4
    for block, match in zip(blocks, excerpts):
        if match is None:
            continue
        source = (ROOT / match.group(1)).read_text(encoding="utf-8")
        assert block[match.end():] in source, f"docs/plugins.md shows {match.group(1)} as it no longer is"
    # The reward shown is the plugin's spec.
    spec = (DATES / "mentor_dates" / "dates.mdsl").read_text(encoding="utf-8")
    shown = re.search(r"^```\n(option tools = \"dates\".*?)^```", chapter, re.DOTALL | re.MULTILINE).group(1)
    assert shown in spec
    # The chapter's test example is there (test_guide_test_examples_pass runs it).
    assert re.search(r"^def test_\w+\(plugin\)", chapter, re.MULTILINE)
