"""Grade tool calls the way BFCL does, offline.

AST categories follow BFCL's published checker (bfcl_eval/eval_checker/ast_eval/
ast_checker.py, Python rules only), executable categories its executable checker
(bfcl/eval_checker/executable_eval/executable_checker.py). Both are re-implemented here;
the rules, in the order BFCL applies them to a call:

  1. the function name equals the expected one (for models that cannot use "." in names,
     BFCL compares against the expected name with every "." replaced by "_");
  2. every required parameter is present;
  3. every given parameter is in the function doc and in the ground truth, else
     "unexpected parameter";
  4. the value has the doc's type, compared with `type(v) == T` (so a bool is not an
     integer); "tuple" params accept a tuple as a list; an int is accepted for "float";
     "any" means str; arrays check their elements' type one level deep against each list
     in the ground truth. A value whose type matches the ground truth's instead of the
     doc's (e.g. a string where the doc says integer but the answer is a variable name)
     is accepted and then compared as is;
  5. the value is among the possible values, exactly (no float tolerance; 5 == 5.0), after
     standardising strings: spaces and , . / - _ * ^ removed, lower-cased, ' turned into ".
     Lists standardise their string elements (one level); dicts compare each key against
     its own list of possible values; a list of dicts is compared element by element;
  6. a ground-truth parameter that was not given must have "" among its possible values.

`simple` needs exactly one call; `multiple` exactly one, checked against the expected
function; `parallel` and `parallel_multiple` as many calls as the ground truth, matched in
any order, each model call used once (BFCL matches greedily, in ground-truth order; pass
`matching="optimal"` for a maximum matching instead).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

from ..calls import Call
from ..errors import RecordError
from .data import run_ground_truth
from .exec_functions import execute
from .types import IRRELEVANCE_CATEGORIES, OK, GradeResult, fail

__all__ = ["grade", "grade_record", "standardize_string"]

_PY_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
_NESTED = ("array", "tuple")
_STANDARDIZE = re.compile(r"[ ,./\-_*^]")
REAL_TIME_MATCH_ALLOWED_DIFFERENCE = 0.2

Matching = Literal["bfcl", "optimal"]


def standardize_string(text: str) -> str:
    """BFCL's string normalisation: drop spaces and , . / - _ * ^, lower-case, and turn
    single quotes into double quotes."""
    return _STANDARDIZE.sub("", text).lower().replace("'", '"')


def _as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else [values]


# ---------------------------------------------------------------------------------------
# Type check (BFCL's type_checker)


class _TypeVerdict:
    __slots__ = ("valid", "is_variable", "error", "error_type")

    def __init__(self, valid: bool, is_variable: bool = False, error: str | None = None, error_type: str | None = None):
        self.valid, self.is_variable, self.error, self.error_type = valid, is_variable, error, error_type


def _answer_type(possible: list[Any]) -> type | None:
    for answer in possible:
        if not (isinstance(answer, str) and answer == ""):
            return type(answer)
    return None


def _type_check(
    param: str, value: Any, possible: list[Any], described: str, expected: type, nested: type | None
) -> _TypeVerdict:
    answer_type = _answer_type(possible)
    # When the ground truth's type differs from the doc's, the answer is a "variable".
    is_variable = answer_type is not None and answer_type is not expected
    nested_error: str | None = None
    if type(value) is expected:
        if nested is None:
            return _TypeVerdict(True, is_variable)
        for answer in possible:
            elements_ok = True
            if type(answer) is list:
                # `nested` comes only with the array types, whose values are lists here.
                for element in cast("list[Any]", value):
                    if not _type_check(param, element, answer, nested.__name__, nested, None).valid:
                        elements_ok = False
                        break
            if elements_ok:
                return _TypeVerdict(True, is_variable)
        nested_error = (
            f"Nested type checking failed for parameter {param!r}. Expected outer type "
            f"{described} with inner type {nested.__name__}. Parameter value: {value!r}."
        )
        if answer_type is not None and type(value) is answer_type:
            return _TypeVerdict(False, True, nested_error, "type_error:nested")
    elif answer_type is not None and type(value) is answer_type:
        return _TypeVerdict(True, True)
    simple = (
        f"Incorrect type for parameter {param!r}. Expected type {described}, got "
        f"{type(value).__name__}. Parameter value: {value!r}."
    )
    return _TypeVerdict(False, False, f"{nested_error} {simple}" if nested_error else simple, "type_error:simple")


# ---------------------------------------------------------------------------------------
# Value checks (BFCL's string/list/dict/list-of-dict checkers)


def _std(value: Any) -> Any:
    return standardize_string(value) if isinstance(value, str) else value


def _string_check(param: str, value: str, possible: list[Any]) -> GradeResult:
    if _std(value) in [standardize_string(a) for a in possible if isinstance(a, str)]:
        return OK
    return fail(
        f"Invalid value for parameter {param!r}: {value!r}. Expected one of {possible}. Case insensitive.",
        "value_error:string",
    )


def _list_check(param: str, value: list, possible: list[Any]) -> GradeResult:
    given = [_std(v) for v in value]
    candidates = []
    for answer in possible:
        # BFCL iterates each possible value; "" (optional) iterates as an empty list.
        if isinstance(answer, (list, tuple, str)):
            candidates.append([_std(a) for a in answer])
    if given in candidates:
        return OK
    return fail(
        f"Invalid value for parameter {param!r}: {value!r}. Expected one of {possible}.", "value_error:list/tuple"
    )


def _dict_check(param: str, value: dict, possible: list[Any]) -> GradeResult:
    result = fail(f"Invalid value for parameter {param!r}: {value!r}.", "dict_checker:unclear")
    for answer in possible:
        if isinstance(answer, str) and answer == "":
            continue
        if not isinstance(answer, dict):
            continue
        errors: list[str] = []
        error_type = "dict_checker:unclear"
        for key, item in value.items():
            if key not in answer:
                errors.append(f"Unexpected dict key parameter: {key!r}.")
                error_type = "value_error:dict_key"
                break
            accepted = [_std(a) for a in _as_list(answer[key])]
            if _std(item) not in accepted:
                errors.append(f"Invalid value for parameter {key!r}: {item!r}. Expected one of {accepted}.")
                error_type = "value_error:dict_value"
                break
        for key, accepted in answer.items():
            if key not in value and "" not in _as_list(accepted):
                errors.append(f"Missing dict key parameter: {key!r}.")
                error_type = "value_error:dict_key"
                break
        if not errors:
            return OK
        result = fail(" ".join(errors), error_type)
    return result


def _list_dict_check(param: str, value: list, possible: list[Any]) -> GradeResult:
    result = fail(f"Invalid value for parameter {param!r}: {value!r}.", "list_dict_checker:unclear")
    for answer in possible:
        if not isinstance(answer, (list, str)):
            continue
        if len(value) != len(answer):
            result = fail("Wrong number of dictionaries in the list.", "value_error:list_dict_count")
            continue
        all_ok = True
        for element, expected in zip(value, answer):
            if not isinstance(element, dict):
                result = fail(f"Expected a dict in parameter {param!r}, got {element!r}.", "type_error:nested")
            else:
                result = _dict_check(param, element, [expected])
            if not result.valid:
                all_ok = False
                break
        if all_ok:
            return OK
    return result


# ---------------------------------------------------------------------------------------
# One call against one ground-truth entry (BFCL's simple_function_checker)


def _names_for(expected: str, underscore_to_dot: bool | None) -> tuple[str, ...]:
    converted = expected.replace(".", "_")
    if underscore_to_dot is True:
        return (converted,)
    if underscore_to_dot is None and converted != expected:
        return (expected, converted)
    return (expected,)


def _check_call(
    doc: dict[str, Any] | None, call: Call, expected_entry: dict[str, Any], underscore_to_dot: bool | None
) -> GradeResult:
    expected_name, possible = next(iter(expected_entry.items()))
    if not isinstance(doc, dict):
        return fail(f"No function doc for {expected_name!r}.", "checker:missing_function_doc")
    parameters = doc.get("parameters") or {}
    props: dict[str, Any] = parameters.get("properties") or {}
    required = parameters.get("required") or []
    names = _names_for(expected_name, underscore_to_dot)
    if call.name not in names:
        return fail(
            f"Function name {names[-1]!r} not found in model output.", "simple_function_checker:wrong_func_name"
        )
    args: dict[str, Any] = call.arguments
    for param in required:
        if param not in args:
            return fail(f"Missing required parameter: {param!r}.", "simple_function_checker:missing_required")
    for param, value in args.items():
        if param not in props or param not in possible:
            return fail(f"Unexpected parameter: {param!r}.", "simple_function_checker:unexpected_param")
        accepted = _as_list(possible[param])
        spec = props[param] if isinstance(props[param], dict) else {}
        described = spec.get("type")
        if not isinstance(described, str) or described not in _PY_TYPES:
            return fail(f"Unsupported type {described!r} for parameter {param!r}.", "type_error:unsupported_type")
        expected_type = _PY_TYPES[described]
        nested_type = None
        if described in _NESTED:
            items = spec.get("items")
            item_type = items.get("type") if isinstance(items, dict) else None
            nested_type = _PY_TYPES.get(item_type) if isinstance(item_type, str) else None
        if described == "tuple" and type(value) is tuple:
            value = list(value)
        if described == "float" and type(value) is int:
            value = float(value)
        verdict = _type_check(param, value, accepted, described, expected_type, nested_type)
        if not verdict.valid:
            return fail(verdict.error or "type error", verdict.error_type or "type_error:simple")
        if not verdict.is_variable:
            checker: Callable[[str, Any, list[Any]], GradeResult] | None = None
            if expected_type is dict:
                checker = _dict_check
            elif expected_type is list and nested_type is dict:
                checker = _list_dict_check
            elif expected_type is str:
                checker = _string_check
            elif expected_type is list:
                checker = _list_check
            if checker is not None:
                result = checker(param, value, accepted)
                if not result.valid:
                    return result
                continue
        if not _contains(accepted, value):
            return fail(
                f"Invalid value for parameter {param!r}: {value!r}. Expected one of {accepted}.", "value_error:others"
            )
    for param, accepted in possible.items():
        if param not in args and "" not in _as_list(accepted):
            return fail(
                f"Optional parameter {param!r} not provided and not marked as optional.",
                "simple_function_checker:missing_optional",
            )
    return OK


def _contains(values: list[Any], value: Any) -> bool:
    try:
        return value in values
    except Exception:  # noqa: BLE001 - exotic __eq__
        return False


# ---------------------------------------------------------------------------------------
# Whole outputs


def _find_doc(functions: Sequence[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for doc in functions:
        if isinstance(doc, dict) and doc.get("name") == name:
            return doc
    return None


def _ground_truth(possible_answer: Any) -> list[dict[str, Any]]:
    if isinstance(possible_answer, dict) and "ground_truth" in possible_answer:
        return list(possible_answer["ground_truth"])
    if isinstance(possible_answer, list):
        return possible_answer
    raise RecordError(
        "possible_answer must be a BFCL ground-truth entry or its 'ground_truth' list", field="possible_answer"
    )


def _max_matching(ok: list[list[bool]]) -> int:
    """Size of a maximum matching of ground-truth rows to model-call columns."""
    owner: dict[int, int] = {}

    def augment(row: int, seen: set[int]) -> bool:
        for col, good in enumerate(ok[row]):
            if good and col not in seen:
                seen.add(col)
                if col not in owner or augment(owner[col], seen):
                    owner[col] = row
                    return True
        return False

    return sum(augment(row, set()) for row in range(len(ok)))


def _no_order(
    expected: list[Any], calls: Sequence[Any], check: Callable[[int, int], GradeResult], matching: Matching, label: str
) -> GradeResult:
    if matching == "optimal":
        table = [[check(i, j).valid for j in range(len(calls))] for i in range(len(expected))]
        if _max_matching(table) == len(expected):
            return OK
    used: set[int] = set()
    for i in range(len(expected)):
        last: GradeResult | None = None
        for j in range(len(calls)):
            if j in used:
                continue
            result = check(i, j)
            if result.valid:
                used.add(j)
                break
            last = result
        else:
            remaining = [j for j in range(len(calls)) if j not in used]
            detail = f" Last error: {last.error}" if last is not None else ""
            return fail(
                f"Could not find a matching function among index {remaining} of model output "
                f"for index {i} of possible answers.{detail}",
                f"{label}:cannot_find_match",
            )
    return OK


def _decoded(calls: Sequence[Call]) -> str | None:
    for call in calls:
        if not isinstance(call, Call):
            return f"not a Call: {call!r}"
        if call.name is None or call.error is not None or not isinstance(call.arguments, dict):
            return call.error or "a call without a function name or argument object"
    return None


def grade(
    category: str,
    functions: Sequence[dict[str, Any]],
    possible_answer: Any,
    calls: Sequence[Call],
    *,
    underscore_to_dot: bool | None = False,
    matching: Matching = "bfcl",
) -> GradeResult:
    """BFCL's verdict on `calls` for one record.

    `possible_answer` is the record's ground-truth entry (the line from the possible_answer
    file, or its "ground_truth" list); None for irrelevance categories. `underscore_to_dot`:
    True when the model saw names with "." replaced by "_" (OpenAI-style tools), False
    (default, BFCL's rule for prompted models, which see the dotted names) for exact
    names, None to accept either. A call that did not parse (`error` set)
    fails the whole output, like BFCL's decoder does. Irrelevance categories pass when
    there is no call.
    """
    calls = list(calls)
    if category in IRRELEVANCE_CATEGORIES or "irrelevance" in category:
        # BFCL passes when its decoder fails or finds no call. A named call with an argument
        # object counts as decoded even if a value was rejected (BFCL's decoder would have
        # read `f(x=foo)` as a call); a block that is not a call at all does not.
        if calls and all(isinstance(c, Call) and c.name is not None and isinstance(c.arguments, dict) for c in calls):
            return fail(
                "Valid syntax. Successfully decode AST when it should not.", "irrelevance_error:decoder_success"
            )
        return OK
    if category.startswith("exec"):
        return _grade_exec(category, functions, possible_answer, calls, matching)
    problem = _decoded(calls)
    if problem is not None:
        return fail(f"Invalid syntax. Failed to decode AST. {problem}", "ast_decoder:decoder_failed")
    expected = _ground_truth(possible_answer)

    def check(i: int, j: int) -> GradeResult:
        entry = expected[i]
        return _check_call(_find_doc(functions, next(iter(entry))), calls[j], entry, underscore_to_dot)

    if "parallel" in category:
        if len(calls) != len(expected):
            return fail("Wrong number of functions.", "parallel_function_checker_no_order:wrong_count")
        return _no_order(expected, calls, check, matching, "parallel_function_checker_no_order")
    if "multiple" in category:
        if len(calls) != len(expected):
            return fail("Wrong number of functions.", "multiple_function_checker:wrong_count")
        return check(0, 0)
    if len(calls) != 1:
        return fail("Wrong number of functions.", "simple_function_checker:wrong_count")
    if not expected:
        return fail("The ground truth is empty.", "checker:empty_ground_truth")
    doc = _find_doc(functions, next(iter(expected[0]))) or (functions[0] if functions else None)
    return _check_call(doc, calls[0], expected[0], underscore_to_dot)


def grade_record(record: dict[str, Any], calls: Sequence[Call], **options: Any) -> GradeResult:
    """`grade` with the category, functions and possible answer taken from a record made by
    `load_category` (an executable record's stored "execution_result" is used as is). A
    record's own `underscore_to_dot` field, when present, says how its names were shown."""
    for field in ("category", "functions"):
        if field not in record:
            raise RecordError(f"BFCL record lacks {field!r}", record_id=record.get("id"), field=field)
    answer = record.get("possible_answer")
    if isinstance(answer, dict) and "execution_result" in record and "execution_result" not in answer:
        answer = {**answer, "execution_result": record["execution_result"]}
    if "underscore_to_dot" in record:
        options.setdefault("underscore_to_dot", record["underscore_to_dot"])
    return grade(record["category"], record["functions"], answer, calls, **options)


# ---------------------------------------------------------------------------------------
# Executable categories (BFCL's executable_checker, non-REST)


def _exec_compare(output: Any, expected: Any, kind: str, shown: str) -> GradeResult:
    if kind == "exact_match":
        try:
            same = output == expected
        except Exception:  # noqa: BLE001
            same = False
        if not same:
            return fail(
                f"Wrong execution result for {shown}. Expected: {expected!r}, but got: {output!r}.",
                "executable_checker:wrong_result",
            )
        return OK
    if kind == "real_time_match":
        numbers = (int, float)
        if type(expected) in numbers and type(output) in numbers:
            low = expected * (1 - REAL_TIME_MATCH_ALLOWED_DIFFERENCE)
            high = expected * (1 + REAL_TIME_MATCH_ALLOWED_DIFFERENCE)
            if low <= output <= high:
                return OK
            return fail(
                f"Wrong execution result for {shown}. Expected: {expected!r}, but got: {output!r}. "
                f"{REAL_TIME_MATCH_ALLOWED_DIFFERENCE * 100}% difference allowed.",
                "executable_checker:wrong_result_real_time",
            )
        return fail(
            f"Wrong execution result for {shown}. Expected: {expected!r}, but got: {output!r}. "
            "Type needs to be float or int for real time match criteria.",
            "executable_checker:wrong_result_real_time",
        )
    # structural_match
    if type(output) is not type(expected):
        return fail(
            f"Wrong execution result type for {shown}. Expected type: {type(expected).__name__}, "
            f"but got: {type(output).__name__}.",
            "executable_checker:wrong_result_type",
        )
    if isinstance(output, dict):
        for key in expected:
            if key not in output:
                return fail(
                    f"Wrong execution result pattern for {shown}: key {key!r} missing.",
                    "executable_checker:wrong_result_type:dict_key_not_found",
                )
        for key in output:
            if key not in expected:
                return fail(
                    f"Wrong execution result pattern for {shown}: unexpected key {key!r}.",
                    "executable_checker:wrong_result_type:dict_extra_key",
                )
    if isinstance(output, list) and len(output) != len(expected):
        return fail(
            f"Wrong execution result pattern for {shown}: expected {len(expected)} elements, got {len(output)}.",
            "executable_checker:wrong_result_type:list_length",
        )
    return OK


def _grade_exec(
    category: str, functions: Sequence[dict[str, Any]], possible_answer: Any, calls: list[Call], matching: Matching
) -> GradeResult:
    if not isinstance(possible_answer, dict) or "ground_truth" not in possible_answer:
        raise RecordError(
            "an executable category needs its possible_answer entry (with 'ground_truth' and 'execution_result_type')",
            field="possible_answer",
        )
    kinds = list(possible_answer.get("execution_result_type") or [])
    expected = possible_answer.get("execution_result")
    if expected is None:
        try:
            expected = run_ground_truth(possible_answer, list(functions))
        except Exception as exc:  # noqa: BLE001
            return fail(
                f"The ground truth cannot run offline: {type(exc).__name__}: {exc}",
                "executable_checker:ground_truth_unavailable",
            )
    if len(kinds) != len(expected):
        return fail(
            "execution_result_type and the ground truth differ in length.", "executable_checker:bad_ground_truth"
        )
    problem = _decoded(calls)
    if problem is not None:
        return fail(f"Failed to decode executable. {problem}", "executable_decoder:decoder_failed")

    outputs: dict[int, tuple[bool, Any]] = {}

    def run(j: int) -> tuple[bool, Any]:
        if j not in outputs:
            call = calls[j]
            try:
                # `_decoded` (above) found a name and an argument object in every call.
                outputs[j] = (True, execute(cast(str, call.name), dict(call.arguments)))
            except Exception as exc:  # noqa: BLE001 - any failure is the model's
                outputs[j] = (False, f"{type(exc).__name__}: {exc}")
        return outputs[j]

    def check(i: int, j: int) -> GradeResult:
        ran, output = run(j)
        shown = calls[j].raw or calls[j].name
        if not ran:
            return fail(f"Error in execution: {shown!r}. Error: {output}", "executable_checker:execution_error")
        return _exec_compare(output, expected[i], kinds[i], repr(shown))

    if "multiple" in category or "parallel" in category:
        if len(calls) != len(expected):
            return fail(
                f"Wrong number of functions provided. Expected {len(expected)}, but got {len(calls)}.",
                "value_error:exec_result_count",
            )
        return _no_order(expected, calls, check, matching, "executable_checker")
    if len(calls) != 1:
        return fail("Wrong number of functions.", "simple_exec_checker:wrong_count")
    return check(0, 0)
