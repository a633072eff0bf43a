"""Packaging: the version, the reward library's two homes, and a wheel that works when
installed the normal way (not editable), away from the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentor_dsl import library
from mentor_dsl.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
LIBRARY = sorted(p.name for pattern in ("*.mdsl", "*.tests.jsonl") for p in (ROOT / "rewards").glob(pattern))


# -- the version ---------------------------------------------------------------------------------

def test_version_is_the_pyproject_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"mentor, version {VERSION}\n"


def test_version_of_a_source_tree_that_was_never_installed(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"mentor, version {VERSION} (source tree, not installed)\n"


# -- the reward library --------------------------------------------------------------------------

def test_a_source_tree_reads_the_repository_library():
    assert library.shipped_library() == ROOT / "rewards"
    assert library.library_dirs()[-1] == ROOT / "rewards"


def test_an_installed_package_reads_its_own_copy(monkeypatch, tmp_path):
    package = tmp_path / "mentor_dsl"
    (package / "rewards").mkdir(parents=True)
    (package / "rewards" / "only_here.mdsl").write_text("reward only_here:\n    1\n")
    monkeypatch.setattr(library.resources, "files", lambda name: package)
    assert library.shipped_library() == package / "rewards"
    assert library.library_names() == ["only_here"]
    assert library.resolve("only_here") == package / "rewards" / "only_here.mdsl"


def test_a_library_file_outside_the_working_directory_is_named_by_its_absolute_path(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    _, shown, _ = library.open_spec("mentor")
    assert shown == str(ROOT / "rewards" / "mentor.mdsl")
    monkeypatch.chdir(ROOT)
    assert library.open_spec("mentor")[1] == os.path.join("rewards", "mentor.mdsl")


# -- a normal install ----------------------------------------------------------------------------

# Copied into the build tree: a clean checkout, without local state.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".hypothesis", "runs", "outputs")
# This repository's own distributions: the fresh environment must get them from the wheels.
_OURS = re.compile(r"^(mentor|mentor_dsl|mentor_scitools|mentor_dates|mentor_example|__editable__)([-_.]|$)", re.IGNORECASE)


def _run(*args, cwd, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {result.returncode}\n"
                             f"stdout: {result.stdout[-3000:]}\nstderr: {result.stderr[-3000:]}")
    return result


def _dependencies_overlay(tmp: Path) -> Path:
    """A folder of links to the running environment's installed packages, less this
    repository's own: the fresh environment reuses torch & co. without a download, and
    cannot import mentor from anywhere but the wheel."""
    overlay = tmp / "dependencies"
    overlay.mkdir()
    for site in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]):
        for entry in Path(site).iterdir():
            if not _OURS.match(entry.name) and entry.suffix != ".pth" and not (overlay / entry.name).exists():
                (overlay / entry.name).symlink_to(entry)
    return overlay


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """mentor and mentor-scitools built as a user would get them (sdist, then a wheel from
    it) and installed with `pip install "mentor[scitools]"` into a fresh environment."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    python = sys.executable
    offline = ["--disable-pip-version-check", "--no-index"]

    # The sdist, through the build backend (no `build` needed), and a wheel built from it.
    code = "import sys; from setuptools import build_meta as b; print(b.build_sdist(sys.argv[1]))"
    sdist = source / "sdist" / _run(python, "-c", code, source / "sdist", cwd=source).stdout.split()[-1]
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp / "unpacked", filter="data")
    unpacked = next((tmp / "unpacked").iterdir())
    wheels = tmp / "wheels"
    for project in (unpacked, source / "plugins" / "mentor-scitools"):
        _run(python, "-m", "pip", "wheel", *offline, "--no-deps", "--no-build-isolation", "-w", wheels, project,
             cwd=tmp)

    # The fresh environment: no pip of its own (the running one installs into it), and the
    # running environment's packages reachable through a .pth line.
    venv = tmp / "venv"
    _run(python, "-m", "venv", "--without-pip", venv, cwd=tmp)
    bin_dir = venv / "bin"
    site = _run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                cwd=tmp).stdout.strip()
    Path(site, "mentor-test-dependencies.pth").write_text(f"{_dependencies_overlay(tmp)}\n")
    # Not -e, and with dependency resolution: every requirement must be met by what is installed.
    _run(python, "-m", "pip", "--python", bin_dir / "python", "install", *offline, "--find-links", wheels,
         "mentor[scitools]", cwd=tmp)

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MENTOR_REWARDS_PATH", "MENTOR_PLUGINS", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    work = tmp / "elsewhere"  # far from the repository: nothing may be found beside the source tree
    work.mkdir()
    return {"wheels": wheels, "sdist": sdist, "bin": bin_dir, "site": Path(site), "env": env, "cwd": work}


def test_the_sdist_and_the_wheel_carry_the_library_and_the_licence(installed):
    with tarfile.open(installed["sdist"]) as archive:
        names = archive.getnames()
    assert sorted(Path(n).name for n in names if "/rewards/" in n) == LIBRARY
    assert any(n.endswith("/LICENSE") for n in names) and any(n.endswith("/CHANGELOG.md") for n in names)
    wheel, = installed["wheels"].glob("mentor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert "Apache License" in archive.read(licence).decode()
        wheel_metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert sorted(n.split("/")[-1] for n in names if n.startswith("mentor_dsl/rewards/")) == LIBRARY
    assert "mentor_dsl/grammar.lark" in names and not any(n.startswith(("tests/", "rewards/")) for n in names)
    assert "License-Expression: Apache-2.0" in wheel_metadata
    assert "Provides-Extra: scitools" in wheel_metadata and "Provides-Extra: openai" in wheel_metadata
    scitools, = installed["wheels"].glob("mentor_scitools-*.whl")
    with zipfile.ZipFile(scitools) as archive:
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())


def test_the_installed_commands_work_away_from_the_repository(installed):
    def mentor(*args, check=True):
        return _run(installed["bin"] / "mentor", *args, cwd=installed["cwd"], env=installed["env"], check=check)

    where = _run(installed["bin"] / "python", "-c", "import mentor_dsl; print(mentor_dsl.__file__)",
                 cwd=installed["cwd"], env=installed["env"]).stdout.strip()
    assert Path(where).parent == installed["site"] / "mentor_dsl"  # the wheel's copy, not the checkout

    assert mentor("--version").stdout == f"mentor, version {VERSION}\n"

    compiled = mentor("compile", "mentor")
    spec = installed["site"] / "mentor_dsl" / "rewards" / "mentor.mdsl"
    assert compiled.stdout.startswith(f"{spec}: ok (1 reward, 6 terms)")
    assert "reward mentor: range [0, 1.1]" in compiled.stdout

    tested = mentor("test", "mentor")  # the library's examples travel with it
    assert tested.stdout.splitlines()[-1].startswith("32 passed in ")

    listed = mentor("compile", "nope", check=False)
    assert listed.returncode == 3 and "library: bfcl, mentor, mentor_args" in listed.stderr

    data = ROOT / "examples" / "trajectories.jsonl"
    out = installed["cwd"] / "scores.jsonl"
    scored = mentor("score", "--reward", "mentor", "--data", data, "-o", out)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(data.read_text().splitlines()) and "mean" in scored.stdout + scored.stderr
    assert all(0 <= r["reward"] <= 1.1 for r in records) and len({r["reward"] for r in records}) > 1

    plugins = mentor("plugins").stdout
    assert re.search(r"^scitools\s+0\.1\.0\s", plugins, re.MULTILINE)  # installed through the extra
    assert re.search(r"^mentor\.terms\s", plugins, re.MULTILINE) and "mentor_math" in plugins
    assert not re.search(r"^example\s", plugins, re.MULTILINE)  # not asked for, not installed
