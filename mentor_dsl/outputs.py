"""Files and folders the commands write: never in place, never half-written, one writer at a time.

    with outputs.claim([output], inputs=[data]):     # refuse, create folders, lock: before the work
        rows = long_work()
        with outputs.open_output(output) as out:      # a temporary file beside the target
            for row in rows:
                out.write(outputs.json_line(row))
    # renamed onto the target when the block ends without error, removed on any error

Every command that writes a file or folder goes through this module. The rules (stated
for users in docs/data.md):

* Atomic. A file is written to a temporary file in the target's folder, flushed to disk
  (fsync) and renamed onto the target (`os.replace`) only once the writer has finished;
  the folder is fsynced after the rename. On an error, Ctrl-C or a kill the target is
  left as it was (a kill can leave a `.NAME.*.tmp` file, never a half-written target). A
  folder (`save_to_disk`) is built in a temporary sibling folder and exchanged with the
  target.
* Never an input. An output that is the same file as an input, compared by device and
  inode so that hard and symbolic links count, is refused before anything is written.
* One writer. An advisory lock (filelock) on `.NAME.lock` beside the target is held from
  the claim to the rename, and a second writer fails at once with `OutputBusy`. The
  kernel drops the lock when its process dies, so a crash never leaves it stuck. The lock
  file stays: deleting it would let the next two writers lock two different files.
* Missing folders are created. Anything the system refuses (permissions, a file where a
  folder should be, a full disk) is an `OutputError` (exit 4) naming the path as given.
* Links are followed: `-o link.jsonl` replaces the file the link points at.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from filelock import FileLock, Timeout

from .errors import OutputBusy, OutputError, OutputIsInput

PathLike = str | os.PathLike

#: Where a resumable output (`open_output(..., partial=True)`) keeps its work until it is complete.
PARTIAL_SUFFIX = ".partial"

# Files that mark a folder written by `Dataset.save_to_disk` / `DatasetDict.save_to_disk`:
# the only non-empty folders an output may replace.
_DATASET_MARKERS = (("dataset_info.json", "state.json"), ("dataset_dict.json",))


def target_of(path: PathLike) -> Path:
    """The path really written: `~` expanded, links followed (a missing file's folder too)."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def partial_of(path: PathLike) -> Path:
    """Where `open_output(path, partial=True)` keeps an unfinished run's work."""
    target = target_of(path)
    return target.with_name(target.name + PARTIAL_SUFFIX)


def json_line(value: Any, **options: Any) -> str:
    """`value` as one line of JSON Lines. The line is always valid UTF-8: a string JSON
    allows but UTF-8 cannot encode (a lone surrogate such as "\\udc80") is written as a
    JSON escape, which reads back as the same string."""
    text = json.dumps(value, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, **options)
    return text + "\n"


# -- inputs and outputs ----------------------------------------------------------------------------


def _identity(path: PathLike) -> tuple:
    """What makes two paths the same file: (device, inode) of an existing file, (the
    folder's device and inode, name) of a file still to be created."""
    real = target_of(path)
    with contextlib.suppress(OSError):
        st = os.stat(real)
        return (st.st_dev, st.st_ino)
    with contextlib.suppress(OSError):
        st = os.stat(real.parent)
        return (st.st_dev, st.st_ino, real.name)
    return (str(real),)


def check_paths(outputs: Iterable[PathLike | None], inputs: Iterable[Any] = ()) -> None:
    """Refuse an output that is one of `inputs` (any link to it included) or that is given
    twice. Inputs that are not existing paths (`-`, `builtin:test`, a Hub id) are ignored."""
    sources: dict[tuple, Any] = {}
    for item in inputs:
        if item is None or not isinstance(item, (str, os.PathLike)) or os.fspath(item) == "-":
            continue
        if os.path.lexists(os.path.expanduser(os.fspath(item))):
            sources.setdefault(_identity(item), item)
    seen: dict[tuple, Any] = {}
    for item in outputs:
        if item is None:
            continue
        key = _identity(item)
        if key in sources:
            same = "" if os.fspath(sources[key]) == os.fspath(item) else f" ({sources[key]})"
            raise OutputIsInput(
                item, f"is also an input{same}; outputs are never written over an input: choose another output path"
            )
        if key in seen:
            raise OutputError(item, f"is given twice as an output (also as {seen[key]})")
        seen[key] = item


def _os_error(path: PathLike, exc: OSError, doing: str = "cannot write") -> OutputError:
    return OutputError(path, f"{doing}: {exc.strerror or exc}")


def _prepare(path: PathLike) -> Path:
    """The target, with its folder created (missing folders are created, as `mkdir -p`).
    A read-only file is refused: renaming over it would ignore what its mode says."""
    target = target_of(path)
    blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(path, f"cannot create its folder: {blocker} is a file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(path, exc, f"cannot create its folder {target.parent}") from None
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputError(path, f"cannot write into {target.parent}: permission denied")
    with contextlib.suppress(OSError):
        mode = os.stat(target).st_mode
        if stat.S_ISREG(mode) and not mode & 0o222:
            raise OutputError(path, "is read-only; make it writable to replace it, or choose another output path")
    return target


# One FileLock per lock file in this process: FileLock counts nested acquisitions, so a
# command that claims an output early and writes it later takes the lock once.
_LOCKS: dict[str, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _locked(path: PathLike, target: Path) -> Iterator[None]:
    """Hold `.NAME.lock` beside the target, or fail at once: a writer that waited would
    only replace the other's output when it got its turn."""
    name = str(target.parent / f".{target.name}.lock")
    with _LOCKS_GUARD:
        lock = _LOCKS.get(name)
        if lock is None:
            lock = _LOCKS[name] = FileLock(name, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusy(
            path,
            f"another mentor process is writing it (it holds {name}); wait for it to "
            "finish, or choose another output path",
        ) from None
    except OSError as exc:
        raise _os_error(path, exc, f"cannot create the lock file {name}") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def claim(paths: Iterable[PathLike | None], *, inputs: Iterable[Any] = ()) -> Iterator[None]:
    """Check every output against `inputs` and each other, create missing folders, and
    hold every output's lock for the block: a long command fails at its start, not after
    its work. Writers inside the block (`open_output`, `output_dir`) reuse the lock."""
    given = [p for p in paths if p is not None]
    check_paths(given, inputs)
    with contextlib.ExitStack() as stack:
        for path in given:
            stack.enter_context(_locked(path, _prepare(path)))
        yield


# -- files -----------------------------------------------------------------------------------------


class OutputFile:
    """The writable end of `open_output`: `write` goes to the temporary file, and a
    failure to write (a full disk) is an `OutputError` naming the target."""

    def __init__(self, handle: IO, path: PathLike, temp: Path):
        self._handle = handle
        self.path = path
        self.temp = temp

    def write(self, data) -> int:
        try:
            return self._handle.write(data)
        except OSError as exc:
            raise _os_error(self.path, exc) from None

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as exc:
            raise _os_error(self.path, exc) from None


def _mode_for(target: Path) -> int:
    """A replaced file keeps its permissions; a new one gets the usual umask'ed 0666."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(target).st_mode)
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable. Best effort: not every system can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _text_or_binary(fd_or_path, mode: str, binary: bool, lines: bool = False) -> IO:
    """`lines`: flush every line, so a killed run loses at most the line it was writing."""
    if binary:
        return open(fd_or_path, mode + "b")
    return open(fd_or_path, mode, encoding="utf-8", newline="", buffering=1 if lines else -1)


def _open_temp(path: PathLike, target: Path, binary: bool) -> tuple[Path, IO]:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _os_error(path, exc) from None
    return Path(name), _text_or_binary(fd, "w", binary)


def _open_partial(path: PathLike, target: Path, binary: bool, resume: bool) -> tuple[Path, IO]:
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:
        if partial.exists():
            if not resume:
                raise OutputError(
                    path, f"{partial} holds the work of an interrupted run: resume that run, or delete the file"
                )
            return partial, _text_or_binary(partial, "a", binary, lines=True)
        if resume and target.exists():
            shutil.copyfile(target, partial)  # the finished output goes on growing, atomically
            return partial, _text_or_binary(partial, "a", binary, lines=True)
        return partial, _text_or_binary(partial, "w", binary, lines=True)
    except OSError as exc:
        raise _os_error(path, exc) from None


def _commit(path: PathLike, handle: IO, temp: Path, target: Path) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except OSError as exc:
        raise _os_error(path, exc) from None
    _fsync_dir(target.parent)


def _abandon(handle: IO, temp: Path, keep: bool) -> None:
    if keep:  # a resumable output's work survives the failure, on disk
        with contextlib.suppress(OSError, ValueError):
            handle.flush()
            os.fsync(handle.fileno())
    with contextlib.suppress(OSError):
        handle.close()
    if not keep or (temp.exists() and temp.stat().st_size == 0):
        with contextlib.suppress(OSError):
            temp.unlink()


@contextlib.contextmanager
def open_output(
    path: PathLike, *, binary: bool = False, inputs: Iterable[Any] = (), partial: bool = False, resume: bool = False
) -> Iterator[OutputFile]:
    """Write `path` atomically: the block writes a temporary file beside it (UTF-8 text,
    or bytes), which replaces `path` when the block ends without error and is removed
    when it raises (Ctrl-C included), leaving `path` as it was.

    `partial=True` is for outputs whose work is worth keeping (a paid teacher's answers):
    the temporary file is `PATH.partial`, and it stays on an error so that a later run
    with `resume=True` appends to it; with `resume` and no partial file, writing starts
    from a copy of `path`. Without `resume`, an existing partial file is an error, so no
    interrupted work is thrown away unasked."""
    with claim([path], inputs=inputs):
        target = target_of(path)
        if target.is_dir():
            raise OutputError(path, "is a folder; give a file name")
        if partial:
            temp, handle = _open_partial(path, target, binary, resume)
        else:
            temp, handle = _open_temp(path, target, binary)
        out = OutputFile(handle, path, temp)
        try:
            yield out
            _commit(path, handle, temp, target)
        except BaseException:
            _abandon(handle, temp, keep=partial)
            raise


def write_text(path: PathLike, text: str, *, inputs: Iterable[Any] = ()) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path written."""
    with open_output(path, inputs=inputs) as out:
        out.write(text)
    return Path(path)


def write_bytes(path: PathLike, data: bytes, *, inputs: Iterable[Any] = ()) -> Path:
    with open_output(path, binary=True, inputs=inputs) as out:
        out.write(data)
    return Path(path)


# -- folders ---------------------------------------------------------------------------------------


def _replaceable(folder: Path) -> bool:
    try:
        names = set(os.listdir(folder))
    except OSError:
        return False
    return not names or any(all(m in names for m in marker) for marker in _DATASET_MARKERS)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`); False where the
    system cannot. The standard library has no atomic exchange, and it is one call."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (glibc < 2.28, musl < 1.2.?)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def _sync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())
        _fsync_dir(Path(root))


def _swap_into_place(temp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(temp, target)
    elif _exchange(temp, target):
        shutil.rmtree(temp, ignore_errors=True)  # now holds the old folder
    else:  # two renames: for an instant the target is absent, never half-written
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        try:
            os.rename(temp, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    _fsync_dir(target.parent)


@contextlib.contextmanager
def output_dir(path: PathLike, *, inputs: Iterable[Any] = ()) -> Iterator[Path]:
    """A temporary folder beside `path` to build a folder output in (`save_to_disk`). It
    replaces `path` when the block ends without error and is removed otherwise. An
    existing `path` is replaced only if it is empty or a saved dataset, never a folder
    holding other files."""
    with claim([path], inputs=inputs):
        target = target_of(path)
        if target.exists():
            if not target.is_dir():
                raise OutputError(path, "exists and is not a folder")
            if not _replaceable(target):
                raise OutputError(
                    path,
                    "is a folder that is not a saved dataset; only an empty folder or a "
                    "dataset is replaced: choose another path",
                )
        try:
            temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        except OSError as exc:
            raise _os_error(path, exc) from None
        try:
            yield temp
            _sync_tree(temp)
            _swap_into_place(temp, target)
        except OSError as exc:
            shutil.rmtree(temp, ignore_errors=True)
            # Writing (no file name: a full disk), the temporary folder or the swap: this
            # output's failure. Another file's error belongs to whoever reads that file.
            name = None if exc.filename is None else os.fspath(exc.filename)
            if name is None or name.startswith(os.fspath(temp)) or name == os.fspath(target):
                raise _os_error(path, exc) from None
            raise
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
