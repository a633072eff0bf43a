"""The project's error types.

Every error the user can cause descends from `MentorError`. Each class carries the exit
code the CLI uses for it, so scripts can tell a broken spec from a broken data file.
Errors about a spec carry a `Span` and render compiler-style:

    reward.mdsl:3:9: error: unknown term 'tool_mach'; did you mean 'tool_match'?
        m = tool_mach(teacher)
            ^~~~~~~~~
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Span:
    """A 1-based line/column range in a spec's source text (end is exclusive)."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def of(cls, meta) -> "Span | None":
        """The span of a Lark tree/token (`propagate_positions=True`), if it has one."""
        line = getattr(meta, "line", None)
        if line is None:
            return None
        return cls(line, meta.column, getattr(meta, "end_line", None), getattr(meta, "end_column", None))


@dataclass(frozen=True)
class Source:
    """A spec's text and the name it is reported under (a path, a library name or '<string>')."""

    text: str
    name: str = "<string>"

    def line(self, number: int) -> str | None:
        lines = self.text.splitlines()
        if 1 <= number <= len(lines):
            return lines[number - 1]
        return None


class MentorError(Exception):
    """Root of every error this project raises on purpose."""

    exit_code = 1
    kind = "error"

    def render(self) -> str:
        return f"error: {self}"


class SpecError(MentorError):
    """A problem with a reward spec: syntax, names, types, constants, files."""

    exit_code = 3

    def __init__(self, message: str, span: Span | None = None, source: Source | None = None,
                 *, filename: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source
        self._filename = filename
        self.notes: list[str] = []

    @property
    def filename(self) -> str | None:
        if self._filename is not None:
            return self._filename
        return self.source.name if self.source is not None else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def with_source(self, source: Source) -> "SpecError":
        """Attach the spec text once it is known (the checker works on nodes, not text)."""
        if self.source is None:
            self.source = source
        return self

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        where = self.filename or "<string>"
        if self.span is not None:
            where = f"{where}:{self.span.line}:{self.span.column}"
        out = [f"{where}: error: {self.message}"]
        text = self.source.line(self.span.line) if (self.source and self.span) else None
        if text is not None:
            text = text.expandtabs(4).rstrip("\n")
            start = self.span.column - 1
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column:
                width = max(1, self.span.end_column - self.span.column)
            width = max(1, min(width, len(text) - start)) if start < len(text) else 1
            out.append(f"    {text}")
            out.append("    " + " " * start + "^" + "~" * (width - 1))
        out.extend(f"{where}: note: {note}" for note in self.notes)
        return "\n".join(out)


class RecordError(MentorError):
    """A trajectory record that cannot be scored: missing field, bad JSON, wrong type."""

    exit_code = 4

    def __init__(self, message: str, *, record_id: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.message = message
        self.record_id = record_id
        self.line = line
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record_id is not None:
            where.append(f"record {self.record_id!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.message}"


class EvaluationError(MentorError):
    """A reward could not be computed for a batch, e.g. a term produced NaN or inf."""

    exit_code = 6


class PluginError(MentorError):
    """A plugin that failed to load or registered something invalid. Names the plugin."""

    exit_code = 5

    def __init__(self, plugin: str, message: str):
        self.plugin = plugin
        self.message = message
        super().__init__(f"plugin {plugin!r}: {message}")


class ToolError(MentorError):
    """A tool definition that is not valid, or a call to a tool that does not exist."""

    exit_code = 5


class DataError(MentorError):
    """A dataset, model or file the command needs is missing or malformed."""

    exit_code = 4


class OutputError(DataError):
    """A file or folder a command writes cannot be written: it is an input, another process
    is writing it, or the system refuses (permissions, a missing disk, a full disk)."""

    def __init__(self, path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")


class OutputBusy(OutputError):
    """Another writer holds the output's lock."""


class OutputIsInput(OutputError):
    """The output is the same file (or folder) as one of the command's inputs."""


class TrainingError(MentorError):
    """Training could not start or continue."""

    exit_code = 7


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest candidate, or '' when nothing is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""
