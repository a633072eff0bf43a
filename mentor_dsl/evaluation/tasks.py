"""What `mentor eval` runs on: the split groups, their tasks, and the student's prompts.

Split groups (the names `--split` takes):

    in_domain   builtin:test
    ood         builtin:ood_sci + builtin:ood_chain + builtin:ood_distractor
    bfcl        BFCL simple_python, multiple, parallel, parallel_multiple (AST-graded), and
                exec_simple, exec_multiple, exec_parallel, exec_parallel_multiple (graded by
                running the calls through clean-room versions of BFCL's pure functions; the
                records whose functions need a web API are left out)
    all         all of the above

`limit` caps the tasks of each *source* (each built-in split, each BFCL category), the
first N in file order, so `--split ood --limit 10` evaluates 30 tasks.

Task splits are multi-turn: the tools are registered mentor tools and really run. BFCL is
single-turn, as BFCL's own categories are: its functions are shown as tools in the system
prompt, the student answers once, and its calls are graded, not run as a rollout's tools.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import DataError, did_you_mean
from ..train.prompts import task_messages, tool_line

SOURCES: dict[str, tuple[str, ...]] = {
    "in_domain": ("test",),
    "ood": ("ood_sci", "ood_chain", "ood_distractor"),
    "bfcl": (
        "bfcl:simple_python",
        "bfcl:multiple",
        "bfcl:parallel",
        "bfcl:parallel_multiple",
        "bfcl:exec_simple",
        "bfcl:exec_multiple",
        "bfcl:exec_parallel",
        "bfcl:exec_parallel_multiple",
    ),
}
SPLIT_CHOICES = (*SOURCES, "all")
#: The split group of the user's own tasks (`mentor eval --data FILE`).
DATA_SPLIT = "data"

BFCL_SYSTEM = """Answer the request by calling tools. You can call these tools:
<tools>
{tools}
</tools>
{instructions}
When the request needs several calls, write one block for each."""
BFCL_NATIVE_SYSTEM = "Answer the request by calling tools. When the request needs several calls, make them all."


def resolve_splits(names: str | Sequence[str]) -> list[str]:
    """Split group names in report order, `all` expanded, duplicates dropped."""
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise DataError(f"no split given; choose from {', '.join(SPLIT_CHOICES)}")
    out: list[str] = []
    for name in names:
        if name == "all":
            out.extend(SOURCES)
        elif name in SOURCES:
            out.append(name)
        else:
            raise DataError(
                f"unknown split {name!r}{did_you_mean(name, SPLIT_CHOICES)} (choose from {', '.join(SPLIT_CHOICES)})"
            )
    return [s for s in SOURCES if s in out]


@dataclass
class EvalTask:
    """One task to run. `kind` is "task" (multi-turn, tools executed) or "bfcl"."""

    split: str
    source: str
    record: dict[str, Any]
    #: The toolset of a record without `tools`: the `--reward` spec's `option tools` (None: all).
    default_tools: str | None = None

    @property
    def kind(self) -> str:
        return "bfcl" if self.source.startswith("bfcl:") else "task"

    @property
    def id(self) -> str:
        return str(self.record.get("id"))

    @cached_property
    def bfcl_tools(self) -> list[FunctionDoc]:
        from ..bfcl import to_openai_tools

        return [FunctionDoc.from_openai(t) for t in to_openai_tools(self.record.get("functions") or [])]


def load_tasks(
    splits: Sequence[str],
    limit: int | None = None,
    *,
    bfcl_path: str | None = None,
    data: Sequence[str] = (),
    default_tools: str | None = None,
) -> tuple[list[EvalTask], dict[str, str]]:
    """(tasks, {source: why it was skipped}). A built-in source whose plugin or data is
    missing is skipped, not fatal, so one missing package does not cost the rest of the
    evaluation. `data`: the user's own task sources (any form `--data` takes), evaluated
    as the split group `data`; these must load, and every record must be a valid task.
    `default_tools`: the toolset of records without `tools` (a spec's `option tools`)."""
    from ..data import resolve_data

    if limit is not None and limit < 0:
        raise DataError(f"--limit must not be negative, got {limit}")
    tasks: list[EvalTask] = []
    skipped: dict[str, str] = {}
    for spec in data:
        records = resolve_data(spec, bfcl_path=bfcl_path, default_ids=True)[:limit]
        _check_tasks(spec, records)
        tasks.extend(EvalTask(DATA_SPLIT, spec, dict(r), default_tools) for r in records)
    for split in splits:
        for source in SOURCES[split]:
            spec = source if source.startswith("bfcl:") else f"builtin:{source}"
            try:
                # Sliced here: the loaders refuse an n larger than the split, and a limit
                # above a source's size means "all of it".
                records = resolve_data(spec, bfcl_path=bfcl_path)[:limit]
            except DataError as exc:
                skipped[source] = str(exc)
                continue
            tasks.extend(EvalTask(split, source, dict(r), default_tools) for r in records)
    return tasks, skipped


def _check_tasks(spec: str, records: Sequence[dict[str, Any]]) -> None:
    """Refuse a task file with records that cannot be run, naming them (up to 10)."""
    from ..data import check_task
    from ..errors import RecordError

    bad = []
    for record in records:
        try:
            check_task(record)
        except RecordError as exc:
            bad.append(str(exc))
    if bad:
        more = f"\n... and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise DataError(
            f"{len(bad)} record{'s' if len(bad) > 1 else ''} of {spec} cannot be evaluated:\n"
            + "\n".join(bad[:10])
            + more
        )


# -- prompts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionDoc:
    """A BFCL function as the prompt shows it: enough of a `Tool` for `tool_line`."""

    name: str
    description: str
    parameters: Mapping[str, Any]

    @classmethod
    def from_openai(cls, tool: Mapping[str, Any]) -> FunctionDoc:
        fn = tool["function"]
        return cls(fn["name"], fn.get("description") or "", dict(fn.get("parameters") or {"type": "object"}))


def task_prompt(task: EvalTask, registry, layout) -> str:
    """The prompt text the student sees: training's prompt for task splits (so evaluation
    measures what training optimised), a BFCL variant without the boxed-answer line."""
    if task.kind != "bfcl":
        from ..fewshot import record_examples

        try:
            examples = record_examples(task.record)
        except DataError as exc:
            raise DataError(f"task {task.id!r} of {task.source}: 'examples': {exc}") from None
        return layout.prompt_text(task.record["prompt"], task_tools(task, registry), examples=examples)
    if layout.native:  # the template shows the functions its own way
        messages = task_messages(task.record.get("prompt") or [])
        system = BFCL_NATIVE_SYSTEM
        if messages and messages[0].get("role") == "system":
            system = f"{system}\n\n{messages[0]['content']}"
            messages = messages[1:]
        return layout.render([{"role": "system", "content": system}, *messages], task.bfcl_tools)
    return layout.render(bfcl_prompt(task.record.get("prompt") or [], task.bfcl_tools, layout.format), ())


def bfcl_prompt(messages: Any, functions: Sequence[FunctionDoc], fmt) -> list[dict[str, str]]:
    messages = [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
    system = BFCL_SYSTEM.format(tools="\n".join(tool_line(f) for f in functions), instructions=fmt.instructions())
    if messages and messages[0].get("role") == "system":
        system = f"{system}\n\n{messages[0]['content']}"
        messages = messages[1:]
    return [{"role": "system", "content": system}, *messages]


def task_tools(task: EvalTask, registry) -> list:
    """The task's tools, by the rule `score`, `train` and `teach` use (`toolsets`)."""
    from ..toolsets import resolve_tools

    try:
        return resolve_tools(task.record.get("tools"), registry, default=task.default_tools)
    except DataError as exc:
        raise DataError(f"task {task.id!r} of {task.source}: {exc}") from None


def available_tools(task: EvalTask, registry) -> list[str]:
    """The tool names a task offers; a call to anything else is a hallucination."""
    if task.kind == "bfcl":
        return [f.name for f in task.bfcl_tools]
    return [t.name for t in task_tools(task, registry)]


def schema_check(task: EvalTask, registry):
    """`check(name, arguments) -> error or None` against the task's tool schemas: the
    registered tools' JSON Schemas, or BFCL's function docs mapped to JSON Schema."""
    if task.kind != "bfcl":
        return lambda name, arguments: registry.tools[name].validate_arguments(arguments)
    import jsonschema

    validators: dict[str, Any] = {}
    for f in task.bfcl_tools:
        try:
            jsonschema.Draft202012Validator.check_schema(dict(f.parameters))
            validators[f.name] = jsonschema.Draft202012Validator(dict(f.parameters))
        except jsonschema.SchemaError:
            validators[f.name] = None  # a doc JSON Schema cannot express: only the object shape is checked

    def check(name: str, arguments: Any) -> str | None:
        if not isinstance(arguments, dict):
            return "arguments must be an object"
        validator = validators.get(name)
        if validator is None:
            return None
        error = next(iter(validator.iter_errors(arguments)), None)
        return None if error is None else error.message

    return check


def tools_key(task: EvalTask) -> str:
    """Tasks with the same key have the same system prompt: batching them together lets
    the generator compute that prompt once."""
    if task.kind == "bfcl":
        return json.dumps(task.record.get("functions"), sort_keys=True)
    return json.dumps(task.record.get("tools") or [], sort_keys=True)
