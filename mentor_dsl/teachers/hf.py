"""`hf`: a local transformers causal LM as the teacher.

The model runs through the training rollout itself (`train.rollout.ToolRollout`): the same
prompt (`train.prompts.build_prompt`: tool schemas in the system message, Hermes calls),
the same stop at `</tool_call>`, tools executed by the sandboxed `Executor`, responses
appended as `<tool_response>` blocks, up to `max_turns` model turns. So a teacher
trajectory looks exactly like a student rollout of the same prompt, which is what SFT on
it and GRPO rewards against it assume.

Nothing is downloaded: `model` is 'default' (the embedded student, handy for trying the
pipeline) or a local model directory. Greedy decoding by default; `temperature` > 0
samples. Every task gets a record, solved or not: `mentor teach` verifies them and keeps
the correct ones.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..answers import boxed
from ..errors import MentorError
from ..formats.hermes import HERMES
from .base import Failure, TaskFailed, TeacherError, ToolAccess
from .records import as_float, as_int, as_str, make_record, prompt_messages, task_id, task_tools

_DTYPES = ("float32", "bfloat16", "float16")


class HFTeacher(ToolAccess):
    """Options: `model` ('default' or a directory), `temperature` (0: greedy), `top_p`,
    `max_turns` (4), `max_new_tokens` (512, tool responses included), `batch_size` (4),
    `device` ('auto', 'cpu', 'cuda', ...), `dtype` (float32), `seed`, `timeout` (seconds
    per tool call)."""

    name = "hf"

    def __init__(self, model: str = "default", *, temperature: Any = 0.0, top_p: Any = 1.0, max_turns: Any = 4,
                 max_new_tokens: Any = 512, batch_size: Any = 4, device: str = "auto", dtype: str = "float32",
                 seed: Any = None, timeout: Any = 5.0, registry=None, executor=None):
        self.model_name = as_str("model", model) or "default"
        self.temperature = as_float("temperature", temperature, minimum=0.0)
        self.top_p = as_float("top_p", top_p, minimum=0.0)
        self.max_turns = as_int("max_turns", max_turns, minimum=1)
        self.max_new_tokens = as_int("max_new_tokens", max_new_tokens, minimum=8)
        self.batch_size = as_int("batch_size", batch_size, minimum=1)
        self.device = as_str("device", device) or "auto"
        self.dtype = as_str("dtype", dtype) or "float32"
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
        """(model, tokenizer, device), loaded once, on first use."""
        if self._loaded is None:
            import torch

            from ..student import load_student
            from ..train.session import resolve_model

            try:
                path = resolve_model(self.model_name)
                model, tokenizer = load_student(path, dtype=getattr(torch, self.dtype))
            except MentorError as exc:  # say which option is wrong, whatever stage complained
                raise TeacherError(f"hf teacher: cannot load model={self.model_name!r}: "
                                   f"{getattr(exc, 'message', None) or exc}") from None
            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            try:
                model.to(device)
            except (RuntimeError, AssertionError, ValueError) as exc:
                raise TeacherError(f"hf teacher: cannot use device={device!r}: {exc}") from None
            model.eval()
            self._loaded = (model, tokenizer, device)
        return self._loaded

    def _generation_config(self, model, tokenizer):
        import copy

        config = copy.deepcopy(model.generation_config)
        config.pad_token_id = tokenizer.pad_token_id
        if self.temperature > 0:
            config.do_sample = True
            config.temperature = self.temperature
            config.top_p = self.top_p
        else:  # greedy: unset the sampling knobs so transformers does not warn about them
            config.do_sample = False
            config.temperature = config.top_p = config.top_k = None
        return config

    @staticmethod
    def _eos_ids(model, tokenizer) -> set[int]:
        from ..train.rollout import eos_ids

        ids = eos_ids(model, tokenizer)
        if not ids:
            raise TeacherError("hf teacher: the model's tokenizer has no EOS token, so a trajectory cannot end")
        return ids

    def generate(self, tasks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        from ..train.prompts import build_prompt
        from ..train.rollout import ToolRollout

        self.failures = []
        model, tokenizer, _ = self._load()
        rollout = ToolRollout(self.executor, HERMES, max_turns=self.max_turns)
        ready: list[tuple[dict[str, Any], list[str], list[int]]] = []
        for i, task in enumerate(tasks):
            try:
                tools = task_tools(task, self.registry)
                messages = build_prompt(prompt_messages(task), tools, HERMES)
                ready.append((task, [t.name for t in tools], ToolRollout._prompt_ids(tokenizer, messages)))
            except TaskFailed as exc:
                self.failures.append(Failure(task_id(task, i), exc.kind, exc.detail))
        if self.seed is not None:
            import torch

            torch.manual_seed(self.seed)
        config = self._generation_config(model, tokenizer)
        eos_ids = self._eos_ids(model, tokenizer)
        records = []
        for start in range(0, len(ready), self.batch_size):
            batch = ready[start:start + self.batch_size]
            done = rollout.generate(model, tokenizer, [ids for _, _, ids in batch], config,
                                    self.max_new_tokens, eos_ids)
            for (task, names, _), result in zip(batch, done):
                records.append(self._record(task, names, tokenizer, result))
        return records

    def _record(self, task: dict[str, Any], names: list[str], tokenizer, result) -> dict[str, Any]:
        text = tokenizer.decode(result.completion_ids, skip_special_tokens=False)
        calls = [c for c in HERMES.parse(text) if c.well_formed]
        # The rollout already ran these calls; the executor's cache answers at no cost.
        outcomes = self.executor.run_many([(c.name, c.arguments) for c in calls]) if calls else []
        record = make_record(task, tools=names, calls=calls, results=outcomes, completion=text,
                             answer=boxed(text), model=self.label)
        record["finished"] = bool(result.finished)
        return record

    def close(self) -> None:
        super().close()
        self._loaded = None
