"""Finding JSON values inside free text, for call formats without closing tags."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_DECODER = json.JSONDecoder()


def json_values(text: str, *, first_only: bool = False) -> Iterator[tuple[str, Any]]:
    """(raw text, value) of each JSON object or list that starts at a `{` or `[` and
    decodes; text between them is skipped. `first_only`: the value must start at the
    first non-space character, else nothing is yielded."""
    position = 0
    while True:
        if first_only:
            stripped = len(text) - len(text.lstrip())
            start = stripped if text[stripped : stripped + 1] in ("{", "[") else -1
        else:
            starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
            start = min(starts) if starts else -1
        if start < 0:
            return
        try:
            value, end = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            if first_only:
                return
            position = start + 1
            continue
        yield text[start:end], value
        if first_only:
            return
        position = end


def json_objects(text: str) -> Iterator[tuple[str, dict]]:
    """The JSON objects in `text` (a list's objects count one by one)."""
    for raw, value in json_values(text):
        if isinstance(value, dict):
            yield raw, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield json.dumps(item, ensure_ascii=False), item
