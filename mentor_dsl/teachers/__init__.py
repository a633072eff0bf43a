"""Teachers: where reference trajectories come from (docs/design.md, docs/evaluation.md).

Built in, registered through the same `register_teachers` hook as plugins:

- `oracle`: executes the plan a task carries (every built-in task has one);
- `hf`: a local transformers causal LM, run through the training rollout;
- `openai`: an OpenAI-compatible chat-completions endpoint, with tool calling.

    from mentor_dsl.plugins import registry
    from mentor_dsl.teachers.verify import Verifier

    teacher = registry().get("teachers", "oracle")()
    records = teacher.generate(tasks)            # trajectory records (records.py)
    with Verifier() as check:
        kept = [r for r in records if check(r).ok]

`mentor teach` does this from the command line. torch (for `hf`) is imported only when
a model is loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..plugins import hookimpl
from .base import Failure, TaskFailed, Teacher, TeacherError

BUILTIN_TEACHERS = ("oracle", "hf", "openai")

#: Where each built-in teacher class is. The modules import the data, formats and tools
#: code, and loading the plugins (which compiling a spec does) needs none of it.
_CLASSES = {"oracle": ("oracle", "OracleTeacher"), "hf": ("hf", "HFTeacher"), "openai": ("openai", "OpenAITeacher")}


class LazyTeacher:
    """A built-in teacher class, imported when it is first built or inspected.
    `inspect.signature` follows `__wrapped__` to the class, so `mentor teach` still
    checks `--option`s against the class's parameters."""

    def __init__(self, name: str):
        self.name = name

    @property
    def __wrapped__(self) -> type:
        module, cls = _CLASSES[self.name]
        return getattr(importlib.import_module(f".{module}", __name__), cls)

    def __call__(self, **options: Any) -> Teacher:
        return self.__wrapped__(**options)

    def __repr__(self) -> str:
        return f"<teacher {self.name!r}: {'.'.join(_CLASSES[self.name])}>"


#: One stub per teacher, made once: the registry's fingerprint (the compile cache's key)
#: stays the same when the registry is rebuilt.
FACTORIES = {name: LazyTeacher(name) for name in BUILTIN_TEACHERS}


@hookimpl
def register_teachers(register):
    # A factory is called as `factory(**options)`; none imports torch until used.
    for name, factory in FACTORIES.items():
        register(name, factory)


def __getattr__(name: str) -> Any:
    """The teacher classes, imported on first use (PEP 562)."""
    for module, cls in _CLASSES.values():
        if cls == name:
            return getattr(importlib.import_module(f".{module}", __name__), cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_TEACHERS",
    "Failure",
    "HFTeacher",
    "LazyTeacher",
    "OpenAITeacher",
    "OracleTeacher",
    "TaskFailed",
    "Teacher",
    "TeacherError",
    "register_teachers",
]
