"""`evaluate`: greedy rollouts of a student on the evaluation splits, scored.

    from mentor_dsl.evaluation import evaluate, save_eval
    result = evaluate("runs/f1/model", splits="all", limit=25, reward="mentor")
    save_eval(result, "runs/f1/eval.json")

The rollouts are the training rollouts (`ToolRollout`, tools really executed through the
sandboxed `Executor`) with greedy decoding, so an evaluation measures the behaviour
training optimised, minus the sampling noise.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..display import Progress
from ..errors import DataError, MentorError
from ..rollouts.loop import greedy_config
from .generation import single_turn
from .records import build_row, pick_examples, score_accuracy, score_reward
from .results import EvalConfig, EvalResult, Summary, as_json
from .tasks import EvalTask, load_tasks, resolve_splits, task_prompt, task_tools, tools_key

FORMAT = "mentor-eval"
FORMAT_VERSION = 1


def run_name(model: str | os.PathLike | None) -> str:
    """A short label for reports: 'default', the run of `runs/NAME/model` (or of the run
    folder itself), else the directory name (checkpoints keep their run:
    'NAME/checkpoint-20'); a Hub id as written."""
    if model in (None, "", "default"):
        return "default"
    from ..models import is_hub_id

    path = Path(model).expanduser()
    if is_hub_id(str(model)) and not path.exists():
        return str(model)
    parts = [p for p in path.resolve().parts if p not in ("/", "")]
    if not parts:
        return str(model)
    if parts[-1] == "model" and len(parts) > 1:
        return parts[-2]
    if parts[-1].startswith("checkpoint-") and len(parts) > 1:
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1]


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("mentor", "torch", "transformers", "trl"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def evaluate(
    model: str | os.PathLike = "default",
    splits: str | Sequence[str] = "all",
    limit: int | None = None,
    reward: str | None = None,
    seed: int = 0,
    batch_size: int = 8,
    max_turns: int = 3,
    max_completion_length: int = 128,
    call_format: str | None = None,
    *,
    params: dict[str, Any] | None = None,
    bfcl_path: str | None = None,
    name: str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    attn_implementation: str | None = None,
    progress: bool | Progress = True,
    data: Sequence[str] = (),
) -> EvalResult:
    """Evaluate a student; returns an `EvalResult` (results.py): eval.json's content and
    the rows (one trajectory record per task).

    `splits`: "in_domain", "ood", "bfcl", "all" or a list of them (may be empty when
    `data` is given). `data`: the user's own task sources, in any form `--data` takes
    (a JSONL/JSON/Parquet/CSV file, a datasets folder, a Hub id), reported as the split
    group "data". `limit` caps the tasks of each source (None: all). `reward`: a spec whose mean value (and per-term
    means) is reported too; `params` override its parameters. `device`: "auto" (CUDA when
    available, else CPU), "cpu", "cuda", ... `progress`: show progress on stderr (a bar on
    a terminal, a line at most every 10 seconds otherwise: `mentor_dsl.display`), or a
    `display.Progress` to report to.
    """
    from ..plugins import registry as get_registry

    started = time.perf_counter()
    data = [str(d) for d in ([data] if isinstance(data, (str, os.PathLike)) else data)]
    groups = resolve_splits(splits) if splits or not data else []
    for label, value, least in (
        ("batch_size", batch_size, 1),
        ("max_turns", max_turns, 1),
        ("max_completion_length", max_completion_length, 1),
    ):
        if not isinstance(value, int) or value < least:
            raise DataError(f"{label} must be an integer >= {least}, got {value!r}")
    registry = get_registry()
    if call_format is not None and registry.get("formats", call_format) is None:
        raise DataError(f"unknown call format {call_format!r} (formats: {', '.join(registry.names('formats'))})")
    spec = None
    if reward is not None:  # a broken spec should fail before minutes of generation
        from ..reward import load

        spec = load(reward, **(params or {}))
    from ..models import resolve_model

    # Bad data fails before the model loads (or is converted, the first time).
    tasks, skipped = load_tasks(
        groups,
        limit,
        bfcl_path=bfcl_path,
        data=data,
        default_tools=spec.plan.option("tools") if spec is not None else None,
    )
    ref = resolve_model(model)
    target = _device(device)
    display = (
        progress
        if isinstance(progress, Progress)
        else Progress("eval", len(tasks), unit="task", enabled=bool(progress))
    )
    display.total = len(tasks)
    for source, reason in skipped.items():
        display.note(f"warning: skipping {source}: {reason}")
    if not tasks:
        raise DataError(
            "nothing to evaluate: " + ("; ".join(f"{s}: {r}" for s, r in skipped.items()) or "the splits have no tasks")
        )
    # Said at once: loading a model and its first batch can take minutes before any progress.
    sources = list(dict.fromkeys(t.source for t in tasks))
    display.note(
        f"eval: {len(tasks)} task{'s' if len(tasks) != 1 else ''} from {len(sources)} "
        f"source{'s' if len(sources) != 1 else ''} ({', '.join(sources)}); loading {ref.location} on {target}"
    )

    from transformers import set_seed

    from ..models import load_model
    from ..rollouts.hf import HFGenerator
    from ..rollouts.layout import ChatLayout
    from ..rollouts.loop import ToolRollout
    from ..tools.executor import Executor

    set_seed(seed)
    student, tokenizer = _quietly(
        load_model, ref, dtype=dtype, attn_implementation=attn_implementation, device=str(target)
    )
    student.to(target).eval()
    try:
        layout = ChatLayout.for_tokenizer(
            tokenizer, registry, call_format=call_format, generation_config=student.generation_config
        )
    except MentorError as exc:
        raise DataError(str(getattr(exc, "message", None) or exc)) from None
    fmt = layout.format
    eos = set(layout.end_ids)
    config = greedy_config(student, tokenizer, eos)

    prompts = {id(t): layout.encode(task_prompt(t, registry, layout)) for t in tasks}
    from ..toolsets import executable

    executor = Executor(
        executable([t for task in tasks if task.kind != "bfcl" for t in task_tools(task, registry)], registry)
    )
    rows_by_task: dict[int, dict[str, Any]] = {}
    generation_seconds = 0.0
    try:
        rollout = ToolRollout(executor, layout, max_turns=max_turns)
        backends = {
            "task": HFGenerator(student, tokenizer, config, layout.stop_text, reuse_prefixes=True),
            "bfcl": HFGenerator(student, tokenizer, config, None, reuse_prefixes=True),
        }
        with display:
            for batch in _batches(tasks, prompts, batch_size):
                kind = batch[0].kind
                ids = [prompts[id(t)] for t in batch]
                tick = time.perf_counter()
                if kind == "bfcl":
                    rollouts = single_turn(backends["bfcl"], ids, max_completion_length, eos)
                else:
                    rollouts = rollout.run(backends["task"], ids, max_completion_length, eos)
                generation_seconds += time.perf_counter() - tick
                for task, result in zip(batch, rollouts):
                    rows_by_task[id(task)] = build_row(task, result, layout, registry)
                display.advance(len(batch), ", ".join(dict.fromkeys(t.source for t in batch)))
        rows = [rows_by_task[id(t)] for t in tasks]  # back in split/file order
        score_accuracy(rows)
        if spec is not None:
            spec.use_executor(executor)
            score_reward(rows, spec)
    finally:
        executor.close()

    return EvalResult(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        name=name or run_name(model),
        config=EvalConfig(
            model=str(model),
            model_path=ref.location + (f"@{ref.revision}" if ref.revision else ""),
            run_dir=_run_dir(ref),
            splits=groups + (["data"] if data else []),
            data=data,
            sources=sources,
            limit=limit,
            seed=seed,
            batch_size=batch_size,
            max_turns=max_turns,
            max_completion_length=max_completion_length,
            call_format=fmt.name,
            chat_layout="native" if layout.native else "inline",
            device=str(target),
            decoding="greedy",
            reward=None if spec is None else {"spec": str(reward), "name": spec.name, "params": params or {}},
            versions=versions(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        ),
        skipped=skipped,
        seconds=round(time.perf_counter() - started, 2),
        generation_seconds=round(generation_seconds, 2),
        metrics=Summary.of(rows),
        examples=pick_examples(rows),
        rows=rows,
    )


def _run_dir(ref) -> str | None:
    from ..models import run_folder

    found = None if ref.is_hub else run_folder(ref.location)
    return str(found) if found else None


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise DataError(f"--device {name!r}: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DataError(f"--device {name!r}: CUDA is not available here")
    return device


def _quietly(load, *args, **kwargs):
    """transformers draws a "Loading weights" bar per load: noise in an evaluation's output."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return load(*args, **kwargs)
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def _batches(tasks: Sequence[EvalTask], prompts: dict[int, list[int]], size: int) -> list[list[EvalTask]]:
    """Batches of one kind. Tasks that share a system prompt (a tool list) are batched
    together, so the generator computes that prompt once; tasks whose tool list is their
    own (ood_distractor, BFCL) pay for their whole prompt anyway and are pooled, shortest
    first, to share the decoding steps and waste little padding."""
    out: list[list[EvalTask]] = []
    for kind in ("task", "bfcl"):
        groups: dict[str, list[EvalTask]] = {}
        for task in tasks:
            if task.kind == kind:
                groups.setdefault(tools_key(task), []).append(task)
        pooled: list[EvalTask] = []
        for key in sorted(groups):
            members = sorted(groups[key], key=lambda t: len(prompts[id(t)]))
            if len(members) == 1:
                pooled.extend(members)
                continue
            out.extend(members[i : i + size] for i in range(0, len(members), size))
        pooled.sort(key=lambda t: len(prompts[id(t)]))
        out.extend(pooled[i : i + size] for i in range(0, len(pooled), size))
    return out


# -- files ---------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON without NaN/inf (they are not JSON): null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def eval_json(result: EvalResult | Mapping[str, Any]) -> str:
    """The eval.json text: everything `evaluate` returned except the per-task rows (an
    `EvalResult`, or the same in its JSON form)."""
    return json.dumps(_clean(as_json(result, rows=False)), indent=2, ensure_ascii=False) + "\n"


def save_eval(result: EvalResult | Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write eval.json (atomically): `eval_json`."""
    from ..outputs import write_text

    return write_text(path, eval_json(result))


def save_rollouts(rows: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Write one trajectory record per task (JSON Lines, atomically): `mentor score` can
    re-score them."""
    from ..outputs import json_line, open_output

    with open_output(path) as out:
        for row in rows:
            out.write(json_line(_clean(row)))
    return Path(path)


def load_eval(path: str | os.PathLike) -> dict[str, Any]:
    """Read an eval.json written by `save_eval`, with a clean error for anything else."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{source}: no such file") from None
    except IsADirectoryError:
        hint = " (did you mean its eval.json?)" if (source / "eval.json").is_file() else ""
        raise DataError(f"{source}: is a directory, not an eval.json{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{source}: cannot read: {exc}") from None
    except ValueError as exc:
        raise DataError(f"{source}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("metrics"), dict):
        raise DataError(f'{source}: not a `mentor eval` result (expected an object with "format": "{FORMAT}")')
    if data.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(f"{source}: written by a newer mentor (format version {data['format_version']})")
    data.setdefault("name", source.parent.name or source.stem)
    data["path"] = str(source)
    return data
