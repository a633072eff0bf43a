"""Teachers: where reference trajectories come from (DESIGN §8).

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

from ..plugins import hookimpl
from .base import Failure, TaskFailed, Teacher, TeacherError
from .hf import HFTeacher
from .openai import OpenAITeacher
from .oracle import OracleTeacher

BUILTIN_TEACHERS = ("oracle", "hf", "openai")


@hookimpl
def register_teachers(register):
    # The classes are the factories: `factory(**options)`; none imports torch until used.
    register("oracle", OracleTeacher)
    register("hf", HFTeacher)
    register("openai", OpenAITeacher)


__all__ = ["BUILTIN_TEACHERS", "Failure", "HFTeacher", "OpenAITeacher", "OracleTeacher", "TaskFailed", "Teacher",
           "TeacherError", "register_teachers"]
