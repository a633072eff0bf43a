"""Offline BFCL (Berkeley Function Calling Leaderboard): load its categories as trajectory
records and grade tool calls with its AST and executable rules, without importing
`bfcl_eval` or touching the network.

    from mentor_dsl.bfcl import load_category, grade_record
    from mentor_dsl.formats.pythonic import PYTHONIC

    for record in load_category("parallel"):
        calls = PYTHONIC.parse(completion)
        result = grade_record(record, calls)   # GradeResult(valid, error, error_type)
"""

from .data import (
    answer_to_calls,
    category_files,
    find_data_dir,
    ground_truth_calls,
    load_category,
    run_ground_truth,
    to_openai_tools,
)
from .grader import grade, grade_record, standardize_string
from .types import (
    AST_CATEGORIES,
    CATEGORIES,
    EXEC_CATEGORIES,
    IRRELEVANCE_CATEGORIES,
    GradeResult,
)

__all__ = [
    "AST_CATEGORIES",
    "CATEGORIES",
    "EXEC_CATEGORIES",
    "IRRELEVANCE_CATEGORIES",
    "GradeResult",
    "answer_to_calls",
    "category_files",
    "find_data_dir",
    "grade",
    "grade_record",
    "ground_truth_calls",
    "load_category",
    "run_ground_truth",
    "standardize_string",
    "to_openai_tools",
]
