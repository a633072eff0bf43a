"""Finding and reading spec files: paths, `path::reward` selectors and library names.

A bare name such as `mentor` resolves to `mentor.mdsl`, searched first in the directories
of `MENTOR_REWARDS_PATH` (os.pathsep-separated), then in the library that ships with the
project. The library's one source is `rewards/` at the top of the repository; the build
(setup.py) copies it into the package as `mentor_dsl/rewards/`, so an installed wheel
finds it inside the package, and a source checkout or an editable install, which has no
copy, finds the repository's folder.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from .errors import SpecError, did_you_mean

SUFFIX = ".mdsl"
_LIBRARY_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


LIBRARY = "rewards"  # the folder's name, in the repository and in the package


def shipped_library() -> Path:
    """The reward library that ships with mentor: the package's copy when installed from a
    wheel, else the repository's `rewards/` (a source checkout or an editable install)."""
    packaged = resources.files(__package__) / LIBRARY
    if isinstance(packaged, Path) and packaged.is_dir():  # wheels install as plain files
        return packaged
    return Path(__file__).resolve().parent.parent / LIBRARY


def library_dirs() -> list[Path]:
    dirs = [Path(p) for p in os.environ.get("MENTOR_REWARDS_PATH", "").split(os.pathsep) if p]
    dirs.append(shipped_library())
    return dirs


def library_names() -> list[str]:
    names: set[str] = set()
    for d in library_dirs():
        if d.is_dir():
            names.update(p.stem for p in d.glob(f"*{SUFFIX}"))
    return sorted(names)


def split_selector(ref: str) -> tuple[str, str | None]:
    """`file.mdsl::name` -> (`file.mdsl`, `name`)."""
    if "::" in ref:
        path, _, name = ref.rpartition("::")
        return path, name or None
    return ref, None


def resolve(ref: str | os.PathLike) -> Path:
    """The file a spec reference names. Raises `SpecError` for unknown names."""
    path = Path(ref)
    if path.exists() or path.suffix == SUFFIX or os.sep in str(ref) or "/" in str(ref):
        return path
    name = str(ref)
    if _LIBRARY_NAME.match(name):
        for d in library_dirs():
            candidate = d / f"{name}{SUFFIX}"
            if candidate.is_file():
                return candidate
    names = library_names()
    raise SpecError(
        f"unknown reward {name!r}: no such file, and no library spec of that name"
        f"{did_you_mean(name, names)} (library: {', '.join(names) or 'empty'})",
        filename=name,
    )


def read(path: Path, display: str | None = None) -> str:
    """The text of a spec file, or a `SpecError` that says why it cannot be read."""
    shown = display or str(path)
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", filename=shown)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("no such file", filename=shown) from None
    except OSError as exc:
        raise SpecError(f"cannot read file: {exc.strerror or exc}", filename=shown) from None
    if b"\x00" in data[:8192]:
        raise SpecError("not a text file (it contains NUL bytes; is it binary?)", filename=shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"not valid UTF-8 text (byte {exc.start}, line {line}); is it binary?", filename=shown
        ) from None


def display(path: Path) -> str:
    """How a spec file is named in messages: relative to the working directory when it is
    below it (`rewards/mentor.mdsl` in a checkout), else absolute (an installed library
    file is clearer as `/.../site-packages/mentor_dsl/rewards/mentor.mdsl` than `../../..`)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return str(path.resolve())
    return str(path.resolve()) if relative.split(os.sep)[0] == os.pardir else relative


def open_spec(ref: str | os.PathLike) -> tuple[str, str, str | None]:
    """(text, display name, selected reward) for a path, library name or `ref::reward`."""
    ref, selected = split_selector(str(ref))
    path = resolve(ref)
    shown = ref if Path(ref).exists() else display(path)
    return read(path, shown), shown, selected
