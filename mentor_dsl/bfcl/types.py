"""Result and category types shared by the BFCL loader and grader."""

from __future__ import annotations

from dataclasses import dataclass

# Categories graded by BFCL's AST checker (Python only: Java/JavaScript are not supported).
AST_CATEGORIES = (
    "simple_python",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
# Categories with no right call: the model must not call a function.
IRRELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance")
# Categories graded by executing calls (BFCL keeps them under data/unused_datasets/).
EXEC_CATEGORIES = ("exec_simple", "exec_multiple", "exec_parallel", "exec_parallel_multiple")

CATEGORIES = AST_CATEGORIES + IRRELEVANCE_CATEGORIES + EXEC_CATEGORIES


@dataclass(frozen=True)
class GradeResult:
    """The verdict on one record. `error_type` uses BFCL's labels (for example
    `simple_function_checker:missing_required`, `type_error:simple`,
    `parallel_function_checker_no_order:cannot_find_match`, `executable_checker:wrong_result`)
    so results can be compared with BFCL's score files."""

    valid: bool
    error: str | None = None
    error_type: str | None = None

    def __bool__(self) -> bool:
        return self.valid


OK = GradeResult(True)


def fail(error: str, error_type: str) -> GradeResult:
    return GradeResult(False, error, error_type)
