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
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A 1-based line/column range in a spec's source text (end is exclusive)."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def of(cls, meta) -> Span | None:
        """The span of a Lark tree/token (`propagate_positions=True`), if it has one."""
        line = getattr(meta, "line", None)
        if line is None:
            return None
        return cls(line, meta.column, getattr(meta, "end_line", None), getattr(meta, "end_column", None))


@dataclass(frozen=True)
class Source:
    """A spec's text and the name it is reported under (a path, a library name or '<string>').

    A spec built in Python has no text: its errors name no line.
    """

    text: str = ""
    name: str = "<string>"

    def line(self, number: int) -> str | None:
        """Line `number` (1-based) as the lexer counts lines: only '\\n' ends a line (a '\\r'
        before it belongs to the line ending). `str.splitlines()` would also split at '\\r',
        '\\x0b', '\\x0c', '\\x1c'-'\\x1e', '\\x85', '\\u2028' and '\\u2029', which the lexer keeps
        inside a line (in a string or comment, or as an unexpected character), and carets would
        land under the wrong line."""
        if number < 1:
            return None
        start = 0
        for _ in range(number - 1):
            start = self.text.find("\n", start) + 1
            if start == 0:
                return None
        if start == len(self.text) and number > 1:
            return None  # the text ends with a newline: there is no line after it
        end = self.text.find("\n", start)
        line = self.text[start:] if end < 0 else self.text[start:end]
        return line[:-1] if line.endswith("\r") else line

    def line_count(self) -> int:
        """How many lines the lexer sees (a final newline does not start another)."""
        count = self.text.count("\n")
        return count if self.text.endswith("\n") else count + 1


class MentorError(Exception):
    """Root of every error this project raises on purpose."""

    exit_code = 1

    def render(self) -> str:
        return f"error: {self}"


class SpecError(MentorError):
    """A problem with a reward spec: syntax, names, types, constants, files."""

    exit_code = 3

    def __init__(
        self, message: str, span: Span | None = None, source: Source | None = None, *, filename: str | None = None
    ):
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

    def with_source(self, source: Source) -> SpecError:
        """Attach the spec text once it is known (the checker works on nodes, not text)."""
        if self.source is None:
            self.source = source
        return self

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        where = self.filename or "<string>"
        span = self.span
        if span is not None:
            where = f"{where}:{span.line}:{span.column}"
        out = [f"{where}: error: {self.message}"]
        text = self.source.line(span.line) if (self.source and span) else None
        if span is not None and text is not None:
            end = None
            if span.end_line == span.line and span.end_column:
                end = span.end_column - 1
            out.extend(excerpt(text, span.column - 1, end))
        out.extend(f"{where}: note: {note}" for note in self.notes)
        return "\n".join(out)


class UnknownName(SpecError):
    """A spec names something no registry entry has: a term, a bare name, a call format,
    a toolset, a judge or an extractor. Any of these may come from a plugin, so when a
    plugin failed to load the checker adds a note saying so."""

    def __init__(self, what: str, name: str, message: str, span: Span | None = None):
        super().__init__(message, span)
        self.what = what
        self.name = name


#: Source lines longer than this are shown as a window around the caret.
EXCERPT_WIDTH = 200


def _visible(ch: str) -> str:
    """One printable cell for a character that would move the terminal's cursor."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the control pictures: '\\r' shows as U+240D
    if code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029":
        return "\ufffd"
    return ch


def excerpt(line: str, start: int, end: int | None) -> list[str]:
    """A source line and the caret line under characters [start, end) of it.

    Tabs expand to 4 columns, and columns are counted after expanding them, so the caret
    stays under its character whatever precedes it. Other control characters show as one
    cell each. A line longer than `EXCERPT_WIDTH` is cut to a window around the caret."""
    # A megabyte line: only the part around the caret can be shown.
    cut = max(0, start - 2 * EXCERPT_WIDTH)
    piece = line[cut : max(start, 0) + 2 * EXCERPT_WIDTH]
    cut_left, cut_right = cut > 0, cut + len(piece) < len(line)
    start -= cut
    end = None if end is None else min(end - cut, len(piece))
    cells: list[str] = []
    columns: list[int] = []  # the display column where each character starts
    for ch in piece:
        columns.append(len(cells))
        if ch == "\t":
            cells.extend(" " * (4 - len(cells) % 4))
        else:
            cells.append(_visible(ch))
    columns.append(len(cells))
    first = columns[max(0, min(start, len(piece)))]
    if start > len(piece):
        first += start - len(piece)  # past the end of the line (an error at its end)
    last = columns[end] if end is not None and end > start else first + 1
    total = len(cells)
    left, right = 0, total
    if total > EXCERPT_WIDTH:
        left = max(0, min(first - EXCERPT_WIDTH // 4, total - EXCERPT_WIDTH))
        right = left + EXCERPT_WIDTH
    shown_cells = cells[left:right]
    if left or cut_left:
        shown_cells[:3] = "..."
    if right < total or cut_right:
        shown_cells[-3:] = "..."
    caret = first - left
    # The tildes stop at the end of the line, or where the excerpt cuts it.
    limit = right - left - 3 if (right < total or cut_right) else max(total, first + 1) - left
    width = max(1, min(last - first, limit - caret))
    return [f"    {''.join(shown_cells)}", "    " + " " * caret + "^" + "~" * (width - 1)]


def shown(value: object, limit: int = 60) -> str:
    """`repr(value)`, cut to about `limit` characters: a spec may hold megabyte strings, and
    Python refuses to print integers of more than 4,300 digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class RecordError(MentorError):
    """A trajectory record that cannot be scored: missing field, bad JSON, wrong type."""

    exit_code = 4

    def __init__(
        self, message: str, *, record_id: str | None = None, line: int | None = None, field: str | None = None
    ):
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
    """A reward could not be computed for a batch, e.g. a term produced NaN or inf.
    `record_id` names the record it failed on, when it is one record's failure (scoring
    then isolates that record, see `Reward.score`)."""

    exit_code = 6

    def __init__(self, message: str, *, record_id: str | None = None):
        self.message = message
        self.record_id = record_id
        super().__init__(message if record_id is None else f"record {record_id!r}: {message}")


class RewardValueError(EvaluationError):
    """A value a reward must never hold: a term or the spec's arithmetic gave NaN or
    infinity, or a term a value outside the range it declares. A bug in a term (or a spec
    whose arithmetic leaves its domain), never the record's fault alone: exit status 6."""


class UncomputedReward(RecordError):
    """A record whose reward could not be computed (a `RewardValueError` on it). `mentor
    score` skips it, as any bad record, and exits 6 rather than 1."""

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


class ConfigError(MentorError):
    """An option that does not exist or a value it cannot take, from the command line or a
    config file (`mentor train --config`, its `trl` section): a usage error."""

    exit_code = 2


class MentorWarning(UserWarning):
    """Something that works, but perhaps not as meant; the CLI shows it as one
    `warning: ...` line."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest candidate, or '' when nothing is close."""
    if len(name) > 100:  # no name is that long, and comparing a megabyte string takes seconds
        return ""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""
