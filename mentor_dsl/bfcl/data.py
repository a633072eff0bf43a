"""Find BFCL's data files and turn its categories into trajectory records.

The data ships in the `bfcl-eval` wheel (`pip install --no-deps bfcl-eval`; only its data
files are used, the package is never imported) or in a checkout of
github.com/ShishirPatil/gorilla. Files are JSON Lines: one object per line, questions in
`BFCL_v4_<category>.json`, answers in `possible_answer/BFCL_v4_<category>.json`; the
executable categories live under `unused_datasets/{question,possible_answer}/`.

A record looks like:

    {"id": "simple_python_0", "category": "simple_python",
     "prompt": [{"role": "user", "content": "..."}],
     "functions": [<BFCL function docs>], "tools": ["calculate_triangle_area"],
     "possible_answer": {"id": "simple_python_0", "ground_truth": [{...}]}}

Executable records add "ground_truth" (the call strings), "execution_result_type" and
"execution_result" (the ground truth run through `exec_functions`), and "importable".
"""

from __future__ import annotations

import importlib.util
import json
import re
import site
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..calls import Call
from ..errors import DataError
from ..formats.pythonic import parse_call_list
from .exec_functions import EXEC_FUNCTIONS, NETWORK_FUNCTIONS, execute
from .types import CATEGORIES, EXEC_CATEGORIES, IRRELEVANCE_CATEGORIES

__all__ = [
    "find_data_dir",
    "load_category",
    "category_files",
    "answer_to_calls",
    "ground_truth_calls",
    "run_ground_truth",
    "to_openai_tools",
]

_INSTALL_HINT = (
    "install the data with `pip install --no-deps bfcl-eval`, or pass the path of a "
    "checkout of github.com/ShishirPatil/gorilla (its root, its "
    "berkeley-function-call-leaderboard folder, or the data folder itself)"
)

# Older releases named simple_python just "simple".
_ALIASES = {"simple_python": ("simple_python", "simple")}


def _is_data_dir(path: Path) -> bool:
    try:
        return path.is_dir() and (path / "possible_answer").is_dir() and any(path.glob("BFCL_v*_*.json"))
    except OSError:
        return False


def _installed_data_dirs() -> Iterable[Path]:
    try:
        spec = importlib.util.find_spec("bfcl_eval")  # locates, does not import
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        for location in spec.submodule_search_locations or ():
            yield Path(location) / "data"
        if spec.origin:
            yield Path(spec.origin).parent / "data"
    roots: list[str] = list(sys.path)
    try:
        roots += site.getsitepackages()
    except AttributeError:  # pragma: no cover - some virtualenv builds lack it
        pass
    try:
        roots.append(site.getusersitepackages())
    except AttributeError:  # pragma: no cover
        pass
    for root in roots:
        if root:
            yield Path(root) / "bfcl_eval" / "data"


def find_data_dir(path: str | Path | None = None) -> Path:
    """BFCL's data folder: under `path` when given (a gorilla checkout's root, its
    berkeley-function-call-leaderboard folder, or a data folder), else the one installed
    with the `bfcl-eval` wheel. Raises DataError, saying how to get it, when there is none."""
    if path is not None:
        base = Path(path).expanduser()
        if not base.exists():
            raise DataError(f"BFCL data path {str(base)!r} does not exist; {_INSTALL_HINT}")
        leaderboard = "berkeley-function-call-leaderboard"
        for candidate in (
            base,
            base / "bfcl_eval" / "data",
            base / "data",
            base / leaderboard / "bfcl_eval" / "data",
            base / leaderboard / "data",
            base / "bfcl" / "data",
        ):
            if _is_data_dir(candidate):
                return candidate.resolve()
        raise DataError(
            f"no BFCL data files (BFCL_v*_<category>.json and possible_answer/) "
            f"found under {str(base)!r}; {_INSTALL_HINT}"
        )
    for candidate in _installed_data_dirs():
        if _is_data_dir(candidate):
            return candidate.resolve()
    raise DataError(f"BFCL data not found (the bfcl-eval package is not installed); {_INSTALL_HINT}")


def _versioned(folder: Path, category: str) -> Path | None:
    """The newest BFCL_v<N>_<category>.json in `folder`."""
    best: tuple[int, Path] | None = None
    for name in _ALIASES.get(category, (category,)):
        pattern = re.compile(rf"^BFCL_v(\d+)_{re.escape(name)}\.json$")
        try:
            entries = list(folder.iterdir()) if folder.is_dir() else []
        except OSError:
            entries = []
        for entry in entries:
            m = pattern.match(entry.name)
            if m and (best is None or int(m.group(1)) > best[0]):
                best = (int(m.group(1)), entry)
        if best is not None:
            break
    return best[1] if best else None


def category_files(category: str, path: str | Path | None = None) -> tuple[Path, Path | None]:
    """(question file, possible-answer file or None) for a category."""
    if category not in CATEGORIES:
        raise DataError(f"unknown BFCL category {category!r}; supported: {', '.join(CATEGORIES)}")
    root = find_data_dir(path)
    if category in EXEC_CATEGORIES:
        places = [
            (root / "unused_datasets" / "question", root / "unused_datasets" / "possible_answer"),
            (root, root / "possible_answer"),
        ]
    else:
        places = [(root, root / "possible_answer")]
    for question_dir, answer_dir in places:
        question = _versioned(question_dir, category)
        if question is not None:
            answer = answer_dir / question.name
            if category in IRRELEVANCE_CATEGORIES:
                return question, None
            return question, answer if answer.is_file() else _versioned(answer_dir, category)
    raise DataError(
        f"BFCL data in {str(root)!r} has no file for category {category!r}; it may be from another BFCL release"
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc}") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{path}:{number}: not valid JSON: {exc}") from None
        if not isinstance(value, dict) or "id" not in value:
            raise DataError(f"{path}:{number}: expected an object with an 'id'")
        out.append(value)
    return out


def _messages(question: Any, where: str) -> list[dict[str, Any]]:
    # BFCL questions are a list of turns, each a list of messages; single-turn categories
    # have one turn. Older files had a flat list of messages.
    if isinstance(question, list) and question and all(isinstance(t, list) for t in question):
        return [dict(m) for turn in question for m in turn]
    if isinstance(question, list) and all(isinstance(m, dict) for m in question):
        return [dict(m) for m in question]
    raise DataError(f"{where}: unexpected 'question' shape")


def load_category(
    name: str, path: str | Path | None = None, *, include_unimportable: bool = False
) -> list[dict[str, Any]]:
    """A BFCL category as trajectory records, in file order.

    AST categories: simple_python, multiple, parallel, parallel_multiple and their live_*
    versions. irrelevance and live_irrelevance have `possible_answer` None (the right answer
    is no call). Executable categories: exec_simple, exec_multiple, exec_parallel,
    exec_parallel_multiple; records whose ground truth needs a web API cannot be graded
    offline and are left out unless `include_unimportable` (then they carry
    `"importable": False` and a `"skip_reason"`).
    """
    question_file, answer_file = category_files(name, path)
    questions = _read_jsonl(question_file)
    answers: dict[str, dict[str, Any]] = {}
    if answer_file is not None:
        if not answer_file.is_file():
            raise DataError(f"BFCL possible-answer file for {name!r} is missing (looked for {str(answer_file)!r})")
        answers = {a["id"]: a for a in _read_jsonl(answer_file)}
    records = []
    for entry in questions:
        where = f"{question_file.name} record {entry['id']!r}"
        functions = entry.get("function")
        if not isinstance(functions, list):
            raise DataError(f"{where}: 'function' must be a list")
        record: dict[str, Any] = {
            "id": entry["id"],
            "category": name,
            "prompt": _messages(entry.get("question"), where),
            "functions": functions,
            "tools": [f.get("name") for f in functions if isinstance(f, dict)],
        }
        if name in IRRELEVANCE_CATEGORIES:
            record["possible_answer"] = None
        else:
            answer = answers.get(entry["id"])
            if answer is None and "ground_truth" in entry:  # older files kept it inline
                answer = {k: entry[k] for k in ("id", "ground_truth", "execution_result_type") if k in entry}
            if answer is None:
                raise DataError(f"{where}: no possible answer in {answer_file.name if answer_file else '?'}")
            record["possible_answer"] = answer
        if name in EXEC_CATEGORIES:
            _add_execution(record)
            if not record["importable"] and not include_unimportable:
                continue
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------
# Ground truth as calls


def _first_value(values: Any, omit_optional: bool) -> tuple[bool, Any]:
    """(present, value) for a list of possible values: the first that is not ""."""
    values = values if isinstance(values, list) else [values]
    if omit_optional and "" in values:
        return False, None
    chosen = [v for v in values if not (isinstance(v, str) and v == "")]
    return (True, chosen[0]) if chosen else (False, None)


def _concrete(value: Any, omit_optional: bool) -> Any:
    # In BFCL's answers a dict maps each key to ITS list of possible values, also inside a
    # list of dicts.
    if isinstance(value, dict):
        out = {}
        for key, values in value.items():
            present, chosen = _first_value(values, omit_optional)
            if present:
                out[key] = _concrete(chosen, omit_optional)
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_concrete(v, omit_optional) for v in value]
    return value


def answer_to_calls(
    possible_answer: Any, functions: list[dict[str, Any]] | None = None, *, optional: str = "omit"
) -> list[Call]:
    """An AST ground truth as the calls a perfect model would make: the first possible
    value of each parameter (inside dicts too). `optional="omit"` leaves out parameters
    that may be omitted ("" among their values) unless the function doc (when `functions`
    is given) says they are required; `optional="first"` passes their first non-"" value."""
    if optional not in ("omit", "first"):
        raise ValueError("optional must be 'omit' or 'first'")
    entries = possible_answer.get("ground_truth") if isinstance(possible_answer, dict) else possible_answer
    calls = []
    for item in entries or []:
        ((name, params),) = item.items()
        required: set[str] = set()
        for doc in functions or []:
            if isinstance(doc, dict) and doc.get("name") == name:
                required = set((doc.get("parameters") or {}).get("required") or [])
        arguments = {}
        for param, values in params.items():
            present, chosen = _first_value(values, optional == "omit" and param not in required)
            if present:
                arguments[param] = _concrete(chosen, optional == "omit")
        calls.append(Call(name, arguments, f"{name}(...)"))
    return calls


def _param_order(functions: list[dict[str, Any]], name: str) -> list[str]:
    for f in functions:
        if isinstance(f, dict) and f.get("name") == name:
            return list(f.get("parameters", {}).get("properties", {}))
    return []


def _parse_ground_truth(text: str, functions: list[dict[str, Any]]):
    parsed = parse_call_list(text)
    call = parsed[0] if parsed and len(parsed) == 1 else None
    if call is None or call.error or call.name is None:
        raise ValueError(f"cannot parse ground-truth call {text!r}")
    arguments = dict(call.keywords)
    if call.positional:
        order = [p for p in _param_order(functions, call.name) if p not in arguments]
        if len(order) < len(call.positional):
            raise ValueError(f"cannot name the positional arguments of {text!r}")
        arguments.update(zip(order, call.positional))
    return call.name, arguments


def ground_truth_calls(record: dict[str, Any]) -> list[Call]:
    """An executable record's ground-truth call strings as Calls (positional arguments are
    named after the function doc's parameter order)."""
    answer = record.get("possible_answer") or {}
    out = []
    for text in answer.get("ground_truth", record.get("ground_truth", [])):
        try:
            name, arguments = _parse_ground_truth(text, record.get("functions", []))
            out.append(Call(name, arguments, text))
        except ValueError as exc:
            out.append(Call(None, None, text, str(exc)))
    return out


def run_ground_truth(possible_answer: dict[str, Any], functions: list[dict[str, Any]]) -> list[Any]:
    """Execute an executable record's ground-truth calls offline. Raises (the function's
    own exception, or UnavailableFunctionError for a web-API function)."""
    results = []
    for text in possible_answer.get("ground_truth", []):
        name, arguments = _parse_ground_truth(text, functions)
        results.append(execute(name, arguments))
    return results


def _add_execution(record: dict[str, Any]) -> None:
    answer = record["possible_answer"]
    record["ground_truth"] = list(answer.get("ground_truth", []))
    record["execution_result_type"] = list(answer.get("execution_result_type", []))
    needed = sorted({t.split("(", 1)[0].strip() for t in record["ground_truth"]})
    offline = [n for n in needed if n in NETWORK_FUNCTIONS or n not in EXEC_FUNCTIONS]
    if offline:
        record["importable"] = False
        record["skip_reason"] = f"needs functions that call web APIs: {', '.join(offline)}"
        return
    if len(record["execution_result_type"]) != len(record["ground_truth"]):
        record["importable"] = False
        record["skip_reason"] = "ground_truth and execution_result_type differ in length"
        return
    try:
        record["execution_result"] = run_ground_truth(answer, record["functions"])
    except Exception as exc:  # noqa: BLE001 - a record we cannot run is skipped, not fatal
        record["importable"] = False
        record["skip_reason"] = f"ground truth does not run offline: {type(exc).__name__}: {exc}"
        return
    record["importable"] = True


# ---------------------------------------------------------------------------------------
# Function docs as OpenAI tools

_TO_JSON_SCHEMA = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "double": "number",
    "string": "string",
    "char": "string",
    "any": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "tuple": "array",
    "dict": "object",
    "object": "object",
}


def _schema(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            if key == "type" and isinstance(value, str):
                out[key] = _TO_JSON_SCHEMA.get(value, value)
            elif key in ("properties",) and isinstance(value, dict):
                out[key] = {k: _schema(v) for k, v in value.items()}
            elif key in ("optional",):
                continue
            elif key in ("default", "enum", "required", "description", "example"):
                out[key] = value
            else:
                out[key] = _schema(value)
        return out
    if isinstance(node, list):
        return [_schema(v) for v in node]
    return node


def to_openai_tools(functions: list[dict[str, Any]], *, dots_to_underscores: bool = False) -> list[dict[str, Any]]:
    """BFCL function docs as OpenAI `tools` (BFCL's types mapped to JSON Schema, as its
    FC handlers do). With `dots_to_underscores`, "math.factorial" becomes "math_factorial"
    (OpenAI-style APIs refuse dots); grade with `underscore_to_dot=True` then."""
    tools = []
    for f in functions:
        name = f["name"].replace(".", "_") if dots_to_underscores else f["name"]
        parameters = _schema(f.get("parameters", {"type": "dict", "properties": {}}))
        parameters["type"] = "object"
        tools.append(
            {
                "type": "function",
                "function": {"name": name, "description": f.get("description", ""), "parameters": parameters},
            }
        )
    return tools
