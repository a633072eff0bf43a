"""`hf`: a local transformers causal LM as the teacher.

The model runs through the rollout loop training uses (`rollouts.ToolRollout`), in its
own chat layout: a model whose chat template supports tools gets them the template's way
and calls in its own format (Qwen's Hermes blocks, Llama's JSON, Mistral's
`[TOOL_CALLS]`); one without gets mentor's system prompt and Hermes calls. Tools are
executed by the sandboxed `Executor`, up to `max_turns` model turns. The record is written
in mentor's record layout (Hermes blocks, `<tool_response>` blocks, the records' end
marker), whatever the teacher's template, so `mentor teach` verifies it and SFT rewrites
it for the student.

`model` takes what `--model` takes everywhere: 'default' (the embedded student, handy for
trying the pipeline), a local directory, or a Hub id `org/name[@revision]`. Greedy
decoding by default; `temperature` > 0 samples. Every task gets a record, solved or not:
`mentor teach` verifies them and keeps the correct ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..answers import boxed
from ..errors import MentorError
from ..trajectory import DEFAULT_EOS
from .base import Failure, TaskFailed, TeacherError, ToolAccess
from .records import as_float, as_int, as_str, make_record, prompt_messages, task_examples, task_id, task_tools

_DTYPES = ("auto", "float32", "bfloat16", "float16")


class HFTeacher(ToolAccess):
    """Options: `model` ('default' or a directory), `temperature` (0: greedy), `top_p`,
    `max_turns` (4), `max_new_tokens` (512, tool responses included), `batch_size` (4),
    `device` ('auto', 'cpu', 'cuda', ...), `dtype` (auto: bfloat16 on a GPU that has it,
    else float32), `seed`, `timeout` (seconds per tool call), `eos` (the records' end
    marker)."""

    name = "hf"

    def __init__(
        self,
        model: str = "default",
        *,
        temperature: Any = 0.0,
        top_p: Any = 1.0,
        max_turns: Any = 4,
        max_new_tokens: Any = 512,
        batch_size: Any = 4,
        device: str = "auto",
        dtype: str = "auto",
        seed: Any = None,
        timeout: Any = 5.0,
        eos: str = DEFAULT_EOS,
        registry=None,
        executor=None,
    ):
        self.model_name = as_str("model", model) or "default"
        self.temperature = as_float("temperature", temperature, minimum=0.0)
        self.top_p = as_float("top_p", top_p, minimum=0.0)
        self.max_turns = as_int("max_turns", max_turns, minimum=1)
        self.max_new_tokens = as_int("max_new_tokens", max_new_tokens, minimum=8)
        self.batch_size = as_int("batch_size", batch_size, minimum=1)
        self.device = as_str("device", device) or "auto"
        self.dtype = as_str("dtype", dtype) or "auto"
        self.eos = eos if isinstance(eos, str) else DEFAULT_EOS
        if self.dtype not in _DTYPES:
            raise TeacherError(f"option dtype={dtype!r}: expected one of {', '.join(_DTYPES)}")
        self.seed = None if seed is None else as_int("seed", seed)
        self.timeout = as_float("timeout", timeout, minimum=0.001)
        ToolAccess.__init__(self, tool_timeout=self.timeout, registry=registry, executor=executor)
        self._loaded = None
        self.failures: list[Failure] = []

    @property
    def label(self) -> str:
        """What `teacher.model` says in the records."""
        return f"hf:{self.model_name}"

    def _load(self):
        """(model, layout, device), loaded once, on first use."""
        if self._loaded is None:
            import torch

            from ..models import load_model, resolve_model
            from ..rollouts.layout import ChatLayout

            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            try:
                model, tokenizer = load_model(resolve_model(self.model_name), dtype=self.dtype, device=device)
                layout = ChatLayout.for_tokenizer(tokenizer, self.registry, generation_config=model.generation_config)
            except MentorError as exc:  # say which option is wrong, whatever stage complained
                raise TeacherError(
                    f"hf teacher: cannot load model={self.model_name!r}: {getattr(exc, 'message', None) or exc}"
                ) from None
            try:
                model.to(device)
            except (RuntimeError, AssertionError, ValueError) as exc:
                raise TeacherError(f"hf teacher: cannot use device={device!r}: {exc}") from None
            model.eval()
            self._loaded = (model, layout, device)
        return self._loaded

    def _generation_config(self, model, layout):
        import copy

        config = copy.deepcopy(model.generation_config)
        config.pad_token_id = layout.tokenizer.pad_token_id
        config.eos_token_id = sorted(layout.end_ids)
        if self.temperature > 0:
            config.do_sample = True
            config.temperature = self.temperature
            config.top_p = self.top_p
        else:  # greedy: unset the sampling knobs so transformers does not warn about them
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = None
        return config

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        from ..rollouts.hf import HFGenerator
        from ..rollouts.loop import ToolRollout

        self.failures = []
        model, layout, _ = self._load()
        rollout = ToolRollout(self.executor, layout, max_turns=self.max_turns)
        ready: list[tuple[dict[str, Any], list[str], list[int]]] = []
        for i, task in enumerate(tasks):
            try:
                tools = task_tools(task, self.registry)
                text = layout.prompt_text(prompt_messages(task), tools, examples=task_examples(task))
                ready.append((task, [t.name for t in tools], layout.encode(text)))
            except TaskFailed as exc:
                self.failures.append(Failure(task_id(task, i), exc.kind, exc.detail))
        if self.seed is not None:
            import torch

            torch.manual_seed(self.seed)
        generator = HFGenerator(
            model, layout.tokenizer, self._generation_config(model, layout), layout.stop_text, reuse_prefixes=True
        )
        records = []
        for start in range(0, len(ready), self.batch_size):
            batch = ready[start : start + self.batch_size]
            done = rollout.run(generator, [ids for _, _, ids in batch], self.max_new_tokens)
            for (task, names, _), result in zip(batch, done):
                records.append(self._record(task, names, layout, result))
        return records

    def _record(self, task: dict[str, Any], names: list[str], layout, result) -> dict[str, Any]:
        from ..rollouts.loop import model_text, record_text

        text = record_text(result, layout, self.eos)
        # Calls and results as the rollout ran them (whatever the teacher's call format).
        calls = [c for step_calls, _ in result.steps for c in step_calls if c.well_formed]
        outcomes = [r for step_calls, results in result.steps for c, r in zip(step_calls, results) if c.well_formed]
        turns = model_text(result, layout.tokenizer)
        record = make_record(
            task,
            tools=names,
            calls=calls,
            results=outcomes,
            completion=text,
            answer=boxed(turns[-1]) if turns else None,
            model=self.label,
        )
        record["finished"] = bool(result.finished)
        if layout.format.name != "hermes":  # the calls are written in the teacher's own format
            record["format"] = layout.format.name
        return record

    def close(self) -> None:
        super().close()
        self._loaded = None
