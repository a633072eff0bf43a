"""Offline BFCL: data import, AST grading and executable grading.

Tests marked with the `bfcl_data` fixture run on the real data files shipped in the
`bfcl-eval` wheel and skip (with the reason) when it is not installed.
"""

from __future__ import annotations

import json
import math

import pytest

from mentor_dsl.bfcl import (
    EXEC_CATEGORIES,
    GradeResult,
    answer_to_calls,
    find_data_dir,
    grade,
    grade_record,
    ground_truth_calls,
    load_category,
    standardize_string,
    to_openai_tools,
)
from mentor_dsl.bfcl.exec_functions import (
    EXEC_FUNCTIONS,
    NETWORK_FUNCTIONS,
    ExecutionLimitError,
    UnavailableFunctionError,
    execute,
)
from mentor_dsl.calls import Call
from mentor_dsl.errors import DataError
from mentor_dsl.formats.pythonic import PYTHONIC


_CACHE: dict[str, list[dict]] = {}


def records(category: str) -> list[dict]:
    if category not in _CACHE:
        _CACHE[category] = load_category(category)
    return _CACHE[category]


def by_id(category: str, record_id: str) -> dict:
    return next(r for r in records(category) if r["id"] == record_id)


def call(name, **arguments) -> Call:
    return Call(name, arguments, f"{name}(...)")


# ---------------------------------------------------------------------------------------
# Finding and loading the data


def test_find_data_dir_installed(bfcl_data):
    assert (bfcl_data / "possible_answer").is_dir()
    assert (bfcl_data / "BFCL_v4_simple_python.json").is_file()


def test_find_data_dir_accepts_checkout_layouts(tmp_path):
    # A gorilla checkout: <root>/berkeley-function-call-leaderboard/bfcl_eval/data
    data = tmp_path / "gorilla" / "berkeley-function-call-leaderboard" / "bfcl_eval" / "data"
    (data / "possible_answer").mkdir(parents=True)
    (data / "BFCL_v4_simple_python.json").write_text("")
    for given in (tmp_path / "gorilla", tmp_path / "gorilla" / "berkeley-function-call-leaderboard", data):
        assert find_data_dir(given) == data.resolve()


def test_find_data_dir_errors_say_how_to_install(tmp_path):
    with pytest.raises(DataError, match="pip install --no-deps bfcl-eval"):
        find_data_dir(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        find_data_dir(tmp_path / "missing")


def test_unknown_category():
    with pytest.raises(DataError, match="unknown BFCL category"):
        load_category("simple_cobol")


@pytest.mark.parametrize("category, count", [
    ("simple_python", 400), ("multiple", 200), ("parallel", 200), ("parallel_multiple", 200)])
def test_load_ast_category_records(bfcl_data, category, count):
    recs = records(category)
    assert len(recs) == count
    first = recs[0]
    assert set(first) == {"id", "category", "prompt", "functions", "tools", "possible_answer"}
    assert first["category"] == category
    assert first["prompt"][0]["role"] == "user" and first["prompt"][0]["content"]
    assert first["tools"] == [f["name"] for f in first["functions"]]
    assert first["possible_answer"]["id"] == first["id"]
    assert isinstance(first["possible_answer"]["ground_truth"], list)
    json.dumps(first)  # records are plain JSON


def test_load_irrelevance(bfcl_data):
    recs = records("irrelevance")
    assert recs and all(r["possible_answer"] is None for r in recs)
    r = recs[0]
    assert grade_record(r, []).valid
    assert grade_record(r, [Call(None, None, "x", "could not parse")]).valid
    bad = grade_record(r, [call(r["tools"][0], a=1)])
    assert not bad.valid and bad.error_type == "irrelevance_error:decoder_success"
    # BFCL's decoder reads f(x=foo) as a call, so it is not a way out.
    assert not grade_record(r, PYTHONIC.parse(f"[{r['tools'][0]}(x=foo)]")).valid
    assert grade_record(r, PYTHONIC.parse("I cannot help with that.")).valid


def test_openai_tools_conversion(bfcl_data):
    tools = to_openai_tools(by_id("simple_python", "simple_python_1")["functions"], dots_to_underscores=True)
    fn = tools[0]["function"]
    assert fn["name"] == "math_factorial"
    assert fn["parameters"]["type"] == "object"
    assert fn["parameters"]["properties"]["number"]["type"] == "integer"


# ---------------------------------------------------------------------------------------
# (a) every ground truth, turned into calls, grades valid


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "parallel_multiple"])
@pytest.mark.parametrize("matching", ["bfcl", "optimal"])
def test_ground_truth_grades_valid(bfcl_data, category, matching):
    failures = []
    for r in records(category):
        result = grade_record(r, answer_to_calls(r["possible_answer"], r["functions"]), matching=matching)
        if not result.valid:
            failures.append((r["id"], result.error_type, result.error))
    assert failures == []


# Ground truths that pass an optional parameter the function doc does not declare: BFCL's
# own checker rejects them too, so they can only be met by omitting the parameter.
_UNDECLARED_OPTIONAL = {"parallel_multiple_12", "parallel_multiple_26"}


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "parallel_multiple"])
def test_ground_truth_with_optional_values_grades_valid(bfcl_data, category):
    failed = set()
    for r in records(category):
        calls = answer_to_calls(r["possible_answer"], r["functions"], optional="first")
        if not grade_record(r, calls).valid:
            failed.add(r["id"])
    assert failed == {i for i in _UNDECLARED_OPTIONAL if i.rsplit("_", 1)[0] == category}


def test_ground_truth_in_reverse_order_grades_valid(bfcl_data):
    greedy_misses = set()
    for category in ("parallel", "parallel_multiple"):
        for r in records(category):
            calls = answer_to_calls(r["possible_answer"], r["functions"])[::-1]
            assert grade_record(r, calls, matching="optimal").valid, r["id"]
            if not grade_record(r, calls).valid:
                greedy_misses.add(r["id"])
    # parallel_178's first expected call accepts "Microsoft" or "Apple": BFCL's greedy
    # matcher hands it the Apple call that the third expected call needed.
    assert greedy_misses == {"parallel_178"}


def test_ground_truth_through_pythonic_text(bfcl_data):
    # Render the ground truth as a pythonic completion, parse it back, grade it.
    for category in ("simple_python", "parallel_multiple"):
        for r in records(category):
            text = "```python\n" + PYTHONIC.render(answer_to_calls(r["possible_answer"], r["functions"])) + "\n```"
            result = grade_record(r, PYTHONIC.parse(text))
            assert result.valid, (r["id"], result)


# ---------------------------------------------------------------------------------------
# (b) targeted rules, on small synthetic docs

TRIANGLE = [{
    "name": "geometry.triangle_area",
    "description": "Area of a triangle.",
    "parameters": {"type": "dict", "properties": {
        "base": {"type": "integer"},
        "height": {"type": "float"},
        "unit": {"type": "string"},
        "point": {"type": "tuple", "items": {"type": "integer"}},
        "sides": {"type": "array", "items": {"type": "float"}},
        "exact": {"type": "boolean"},
    }, "required": ["base", "height"]},
}]
TRIANGLE_ANSWER = {"id": "t", "ground_truth": [{"geometry.triangle_area": {
    "base": [10], "height": [5.0], "unit": ["units", "cm", ""], "point": [[1, 2], ""],
    "sides": [[3.0, 4.0, 5.0], ""], "exact": ["", False]}}]}


def tri(**arguments) -> GradeResult:
    return grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, [call("geometry.triangle_area", **arguments)])


def test_minimal_correct_call_and_optional_omission():
    assert tri(base=10, height=5.0).valid


def test_wrong_function_name():
    r = grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, [call("triangle_area", base=10, height=5.0)])
    assert not r.valid and r.error_type == "simple_function_checker:wrong_func_name"


def test_dotted_names_underscore_form():
    calls = [call("geometry_triangle_area", base=10, height=5.0)]
    dotted = [call("geometry.triangle_area", base=10, height=5.0)]
    strict = grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, calls)  # default: exact names, as BFCL prompts
    assert strict.error_type == "simple_function_checker:wrong_func_name"
    assert grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, dotted).valid
    assert grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, calls, underscore_to_dot=True).valid
    assert not grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, dotted, underscore_to_dot=True).valid
    assert grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, calls, underscore_to_dot=None).valid
    record = {"category": "simple_python", "functions": TRIANGLE, "possible_answer": TRIANGLE_ANSWER}
    assert not grade_record(record, calls).valid
    assert grade_record({**record, "underscore_to_dot": True}, calls).valid


def test_missing_required_param():
    r = tri(base=10)
    assert not r.valid and r.error_type == "simple_function_checker:missing_required"


def test_unexpected_param():
    r = tri(base=10, height=5.0, color="red")
    assert not r.valid and r.error_type == "simple_function_checker:unexpected_param"


def test_int_accepted_for_float_but_not_float_for_int():
    assert tri(base=10, height=5).valid
    r = tri(base=10.0, height=5.0)
    assert not r.valid and r.error_type == "type_error:simple"


def test_bool_is_not_an_integer():
    r = tri(base=True, height=5.0)
    assert not r.valid and r.error_type == "type_error:simple"


def test_wrong_value():
    r = tri(base=11, height=5.0)
    assert not r.valid and r.error_type == "value_error:others"
    assert tri(base=10, height=5.0, exact=False).valid
    assert tri(base=10, height=5.0, exact=True).error_type == "value_error:others"


def test_no_float_tolerance():
    assert tri(base=10, height=5.000001).error_type == "value_error:others"


def test_tuple_params_accept_tuples_and_lists_arrays_only_lists():
    assert tri(base=10, height=5.0, point=(1, 2)).valid
    assert tri(base=10, height=5.0, point=[1, 2]).valid
    assert tri(base=10, height=5.0, point=[2, 1]).error_type == "value_error:list/tuple"
    assert tri(base=10, height=5.0, sides=[3.0, 4.0, 5.0]).valid
    # BFCL keeps a Python tuple a tuple: not a list, so not an "array".
    assert tri(base=10, height=5.0, sides=(3.0, 4.0, 5.0)).error_type == "type_error:simple"


def test_nested_element_types():
    doc = [{"name": "f", "parameters": {"type": "dict", "properties": {
        "xs": {"type": "array", "items": {"type": "float"}}}, "required": ["xs"]}}]
    answer = {"ground_truth": [{"f": {"xs": [[3.0, 4.0]]}}]}
    assert grade("simple_python", doc, answer, [call("f", xs=[3.0, 4.0])]).valid
    # Elements are type-checked against the ground truth's elements, one level deep; only a
    # top-level int converts to float, so [3, 4] is rejected (as in BFCL)...
    assert grade("simple_python", doc, answer, [call("f", xs=[3, 4])]).error_type == "type_error:nested"
    assert grade("simple_python", doc, answer, [call("f", xs=["3", "4"])]).error_type == "type_error:nested"
    # ... unless "" is among the possible values: BFCL's nested check then passes, and the
    # value check compares 3 == 3.0.
    assert tri(base=10, height=5.0, sides=[3, 4, 5]).valid


def test_string_standardisation():
    assert standardize_string("New York, NY") == "newyorkny"
    assert standardize_string("It's a-b_c*d^e/f.g") == 'it"sabcdefg'
    assert tri(base=10, height=5.0, unit="CM").valid
    assert tri(base=10, height=5.0, unit=" u-n_i.t,s ").valid
    assert tri(base=10, height=5.0, unit="centimetres").error_type == "value_error:string"


def test_missing_optional_not_marked_optional():
    answer = {"ground_truth": [{"geometry.triangle_area": {"base": [10], "height": [5.0], "unit": ["cm"]}}]}
    r = grade("simple_python", TRIANGLE, answer, [call("geometry.triangle_area", base=10, height=5.0)])
    assert not r.valid and r.error_type == "simple_function_checker:missing_optional"


def test_wrong_count_simple():
    r = grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, [])
    assert r.error_type == "simple_function_checker:wrong_count"
    two = [call("geometry.triangle_area", base=10, height=5.0)] * 2
    assert grade("simple_python", TRIANGLE, TRIANGLE_ANSWER, two).error_type == "simple_function_checker:wrong_count"


def test_unparsed_call_fails_whole_output():
    calls = [call("geometry.triangle_area", base=10, height=5.0), Call(None, None, "oops", "syntax error")]
    r = grade("parallel", TRIANGLE, {"ground_truth": TRIANGLE_ANSWER["ground_truth"] * 2}, calls)
    assert r.error_type == "ast_decoder:decoder_failed"


PROFILE = [{"name": "update_user", "parameters": {"type": "dict", "properties": {
    "user_id": {"type": "integer"},
    "info": {"type": "dict", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}},
    "contacts": {"type": "array", "items": {"type": "dict"}},
}, "required": ["user_id", "info"]}}]
PROFILE_ANSWER = {"ground_truth": [{"update_user": {
    "user_id": [1],
    "info": [{"name": ["John Doe"], "email": ["", "john@example.com"]}],
    "contacts": [[{"name": ["Ann"], "phone": ["123", "0123"]}], ""],
}}]}


def profile(**arguments) -> GradeResult:
    return grade("simple_python", PROFILE, PROFILE_ANSWER, [call("update_user", **arguments)])


def test_dict_params():
    assert profile(user_id=1, info={"name": "john doe"}).valid
    assert profile(user_id=1, info={"name": "John Doe", "email": "JOHN@example.com"}).valid
    assert profile(user_id=1, info={"name": "Jane"}).error_type == "value_error:dict_value"
    assert profile(user_id=1, info={"name": "John Doe", "age": 3}).error_type == "value_error:dict_key"
    assert profile(user_id=1, info={"email": "john@example.com"}).error_type == "value_error:dict_key"


def test_list_of_dict_params():
    assert profile(user_id=1, info={"name": "John Doe"}, contacts=[{"name": "ann", "phone": "0123"}]).valid
    assert profile(user_id=1, info={"name": "John Doe"}, contacts=[]).valid  # "" allows an empty list
    two = [{"name": "Ann", "phone": "123"}] * 2
    assert profile(user_id=1, info={"name": "John Doe"}, contacts=two).error_type == "value_error:list_dict_count"


MATH = [
    {"name": "math.gcd", "parameters": {"type": "dict", "properties": {
        "a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}},
    {"name": "math.lcm", "parameters": {"type": "dict", "properties": {
        "a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}},
]
PARALLEL_ANSWER = {"ground_truth": [{"math.gcd": {"a": [12], "b": [18]}}, {"math.lcm": {"a": [4], "b": [6]}},
                                    {"math.gcd": {"a": [12], "b": [18]}}]}


def test_parallel_any_order():
    calls = [call("math.lcm", a=4, b=6), call("math.gcd", a=12, b=18), call("math.gcd", a=12, b=18)]
    assert grade("parallel_multiple", MATH, PARALLEL_ANSWER, calls).valid
    assert grade("parallel_multiple", MATH, PARALLEL_ANSWER, calls[::-1]).valid


def test_parallel_extra_or_missing_call():
    calls = [call("math.lcm", a=4, b=6), call("math.gcd", a=12, b=18), call("math.gcd", a=12, b=18)]
    extra = calls + [call("math.gcd", a=1, b=2)]
    assert grade("parallel_multiple", MATH, PARALLEL_ANSWER, extra).error_type == \
        "parallel_function_checker_no_order:wrong_count"
    assert grade("parallel_multiple", MATH, PARALLEL_ANSWER, calls[:2]).error_type == \
        "parallel_function_checker_no_order:wrong_count"


def test_parallel_each_call_matches_once():
    # Two identical expected calls need two model calls; a duplicate cannot stand in for the
    # lcm call, and one call cannot satisfy both gcd entries.
    calls = [call("math.gcd", a=12, b=18), call("math.gcd", a=12, b=18), call("math.gcd", a=12, b=18)]
    r = grade("parallel_multiple", MATH, PARALLEL_ANSWER, calls)
    assert not r.valid and r.error_type == "parallel_function_checker_no_order:cannot_find_match"
    calls = [call("math.lcm", a=4, b=6), call("math.gcd", a=12, b=18), call("math.lcm", a=4, b=6)]
    assert not grade("parallel_multiple", MATH, PARALLEL_ANSWER, calls).valid


def test_parallel_greedy_versus_optimal_matching():
    # The first model call satisfies both expected entries; BFCL's greedy matcher gives it to
    # the first one and then finds nothing for the second.
    doc = [{"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "integer"}}, "required": []}}]
    answer = {"ground_truth": [{"f": {"x": [1, 2]}}, {"f": {"x": [1]}}]}
    calls = [call("f", x=1), call("f", x=2)]
    assert grade("parallel", doc, answer, calls).error_type == "parallel_function_checker_no_order:cannot_find_match"
    assert grade("parallel", doc, answer, calls, matching="optimal").valid


def test_multiple_picks_the_right_function():
    answer = {"ground_truth": [{"math.lcm": {"a": [4], "b": [6]}}]}
    assert grade("multiple", MATH, answer, [call("math.lcm", a=4, b=6)]).valid
    assert grade("multiple", MATH, answer, [call("math.gcd", a=4, b=6)]).error_type == \
        "simple_function_checker:wrong_func_name"
    assert grade("multiple", MATH, answer, [call("math.lcm", a=4, b=6)] * 2).error_type == \
        "multiple_function_checker:wrong_count"


def test_variable_answers_take_the_answer_type():
    # A ground truth whose value type differs from the doc's (a "variable") accepts that type.
    doc = [{"name": "f", "parameters": {"type": "dict", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}]
    answer = {"ground_truth": [{"f": {"n": ["num_items"]}}]}
    assert grade("simple_python", doc, answer, [call("f", n="num_items")]).valid
    assert not grade("simple_python", doc, answer, [call("f", n="other")]).valid


def test_real_records_edge_cases(bfcl_data):
    r = by_id("simple_python", "simple_python_1")  # math.factorial(number=5)
    assert grade_record(r, [call("math.factorial", number=5)]).valid
    assert not grade_record(r, [call("math_factorial", number=5)]).valid  # BFCL: the name as shown
    assert grade_record(r, [call("math_factorial", number=5)], underscore_to_dot=True).valid
    assert grade_record(r, [call("math.factorial", number=5.0)]).error_type == "type_error:simple"
    r = by_id("simple_python", "simple_python_2")  # math.hypot(x=4, y=5, z optional)
    assert grade_record(r, [call("math.hypot", x=4, y=5)]).valid
    assert grade_record(r, [call("math.hypot", x=4, y=5, z=0)]).valid
    assert grade_record(r, [call("math.hypot", x=4, y=5, z=1)]).error_type == "value_error:others"
    r = by_id("parallel", "parallel_0")  # spotify.play twice
    text = "[spotify.play(artist='maroon 5', duration=15), spotify.play(artist='TAYLOR SWIFT', duration=20)]"
    assert grade_record(r, PYTHONIC.parse(text)).valid


# ---------------------------------------------------------------------------------------
# (c) executable categories


def test_exec_functions_cover_the_pure_functions(bfcl_data):
    used = set()
    for category in EXEC_CATEGORIES:
        for r in load_category(category, include_unimportable=True):
            used |= {g.split("(", 1)[0] for g in r["ground_truth"]}
    assert used <= set(EXEC_FUNCTIONS) | NETWORK_FUNCTIONS
    assert not set(EXEC_FUNCTIONS) & NETWORK_FUNCTIONS


@pytest.mark.parametrize("category, total, importable", [
    ("exec_simple", 100, 62), ("exec_multiple", 50, 31), ("exec_parallel", 50, 31),
    ("exec_parallel_multiple", 40, 10)])
def test_exec_import_counts(bfcl_data, category, total, importable):
    everything = load_category(category, include_unimportable=True)
    assert len(everything) == total
    kept = records(category)
    assert len(kept) == importable
    assert all(r["importable"] and len(r["execution_result"]) == len(r["ground_truth"]) for r in kept)
    skipped = [r for r in everything if not r["importable"]]
    assert all("web APIs" in r["skip_reason"] for r in skipped)
    json.dumps(kept)


@pytest.mark.parametrize("category", EXEC_CATEGORIES)
def test_exec_ground_truth_grades_valid(bfcl_data, category):
    for r in records(category):
        calls = ground_truth_calls(r)
        assert grade_record(r, calls).valid, r["id"]
        assert grade_record(r, calls[::-1]).valid, r["id"]
        # ... and again from the stored results only, after a JSON round trip.
        stored = json.loads(json.dumps(r))
        assert grade_record(stored, calls).valid, r["id"]


# Ground truth -> result, computed independently of exec_functions.
_EXPECTED = {
    "calc_binomial_probability(n=20, k=5, p=0.6)": math.comb(20, 5) * 0.6**5 * 0.4**15,
    "calc_binomial_probability(n=20, k=5, p=1/6)": math.comb(20, 5) * (1 / 6) ** 5 * (5 / 6) ** 15,
    "math_factorial(n=7)": 5040,
    "math_factorial(n=12)": math.factorial(12),
    "math_gcd(a=450, b=300)": 150,
    "math_lcm(a=24, b=18)": 72.0,
    "calculate_permutations(n=26, k=5)": float(math.perm(26, 5)),
    "add_binary_numbers(a='10011',b='1100')": "11111",
    "mat_mul(matA=[[1, 2], [3, 4]], matB=[[5, 6], [7, 8]])": [[19, 22], [43, 50]],
    "sort_array(array=[34, 2, 56, 7, 9, 12], reverse=True)": [56, 34, 12, 9, 7, 2],
    "quadratic_roots(a=3, b=7, c=-10)": [1.0, -10 / 3],
    "get_fibonacci_sequence(n=10)": [0, 1, 1, 2, 3, 5, 8, 13, 21, 34],
    "get_prime_factors(number=456)": [2, 2, 2, 3, 19],
    "polygon_area(vertices=[[5,5],[6,7],[7,5]])": 2.0,
    "maxPoints(points=[[1,2],[3,2],[5,2],[4,2]])": 4,
    "estimate_derivative(function='lambda x: 3*x**2 + 2*x + 1', x=5)": 32.0,
    "calculate_future_value(present_value=5000, interest_rate=0.05, periods=10)": 5000 * 1.05**10,
    "mortgage_calculator(loan_amount=350000, interest_rate=0.035, loan_period=30)": 1571.66,
    "order_food(item=['dumplings','rice bowl'], quantity=[101,20], price=[0.1,10])": 210.1,
    "calculate_standard_deviation(numbers=[23, 34, 45, 56, 67, 78, 89])": 22.0,
    "calculate_nutritional_needs(weight=75, height=180, age=25, gender='male', activity_level=3, goal='gain')":
        {"calories": 3313.2996, "proteins_g": 248.49747, "fats_g": 92.0361, "carbohydrates_g": 372.746205},
}


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-3)
    return a == b


def test_exec_results_match_independent_values(bfcl_data):
    seen = {}
    for category in EXEC_CATEGORIES:
        for r in records(category):
            for text, result in zip(r["ground_truth"], r["execution_result"]):
                seen[text] = result
    found = [text for text in _EXPECTED if text in seen]
    assert found == list(_EXPECTED), set(_EXPECTED) - set(seen)
    for text in found:
        assert _close(seen[text], _EXPECTED[text]), (text, seen[text], _EXPECTED[text])


def test_exec_positional_ground_truth():
    # One ground truth passes its argument by position; it is named from the doc.
    doc = [{"name": "calculate_mean", "parameters": {"type": "dict", "properties": {
        "numbers": {"type": "array", "items": {"type": "float"}}}, "required": ["numbers"]}}]
    record = {"category": "exec_simple", "functions": doc, "possible_answer": {
        "ground_truth": ["calculate_mean([1,3,4,6,8])"], "execution_result_type": ["exact_match"]}}
    calls = ground_truth_calls(record)
    assert calls == [Call("calculate_mean", {"numbers": [1, 3, 4, 6, 8]}, "calculate_mean([1,3,4,6,8])")]
    assert grade_record(record, calls).valid
    assert grade_record(record, [call("calculate_mean", numbers=[8, 6, 4, 3, 1])]).valid  # same mean
    assert not grade_record(record, [call("calculate_mean", numbers=[1, 3])]).valid


def test_exec_wrong_answers_fail(bfcl_data):
    r = by_id("exec_simple", "exec_simple_0")  # calc_binomial_probability(n=20, k=5, p=0.6)
    assert grade_record(r, [call("calc_binomial_probability", n=20, k=5, p=0.6)]).valid
    wrong = grade_record(r, [call("calc_binomial_probability", n=20, k=6, p=0.6)])
    assert wrong.error_type == "executable_checker:wrong_result"
    broken = grade_record(r, [call("calc_binomial_probability", n=20, k=5)])
    assert broken.error_type == "executable_checker:execution_error"
    network = grade_record(r, [call("get_weather_data", coordinates=[1.0, 2.0])])
    assert network.error_type == "executable_checker:execution_error"
    two = [call("calc_binomial_probability", n=20, k=5, p=0.6)] * 2
    assert grade_record(r, two).error_type == "simple_exec_checker:wrong_count"
    par = records("exec_parallel")[0]
    calls = ground_truth_calls(par)
    assert grade_record(par, calls[1:]).error_type == "value_error:exec_result_count"
    assert grade_record(par, calls[:1] * len(calls)).error_type == "executable_checker:cannot_find_match"


def test_exec_unimportable_records_are_marked(bfcl_data):
    everything = load_category("exec_parallel_multiple", include_unimportable=True)
    r = next(x for x in everything if x["id"] == "exec_parallel_multiple_0")
    assert r["importable"] is False and "get_weather_data" in r["skip_reason"]
    assert "execution_result" not in r
    assert grade_record(r, ground_truth_calls(r)).error_type == "executable_checker:ground_truth_unavailable"


def test_exec_match_kinds():
    density = [{"name": "calculate_density", "parameters": {"type": "dict", "properties": {
        "mass": {"type": "float"}, "volume": {"type": "float"}}, "required": ["mass", "volume"]}}]
    answer = {"ground_truth": ["calculate_density(mass=100, volume=1)"],
              "execution_result_type": ["real_time_match"]}
    assert grade("exec_simple", density, answer, [call("calculate_density", mass=119, volume=1)]).valid
    assert grade("exec_simple", density, answer, [call("calculate_density", mass=121, volume=1)]).error_type == \
        "executable_checker:wrong_result_real_time"
    answer["execution_result_type"] = ["exact_match"]
    assert not grade("exec_simple", density, answer, [call("calculate_density", mass=119, volume=1)]).valid
    assert grade("exec_simple", density, answer, [call("calculate_density", mass=200, volume=2)]).valid
    answer["execution_result_type"] = ["structural_match"]
    assert grade("exec_simple", density, answer, [call("calculate_density", mass=1, volume=3)]).valid
    needs = [{"name": "calculate_nutritional_needs", "parameters": {"type": "dict", "properties": {}}}]
    answer = {"ground_truth": ["calculate_nutritional_needs(weight=70, height=170, age=30, gender='male', "
                               "activity_level=2, goal='lose')"], "execution_result_type": ["structural_match"]}
    other = call("calculate_nutritional_needs", weight=50, height=150, age=60, gender="female",
                 activity_level=1, goal="gain")
    assert grade("exec_simple", needs, answer, [other]).valid
    answer["execution_result_type"] = ["exact_match"]
    assert not grade("exec_simple", needs, answer, [other]).valid


def test_exec_functions_are_bounded_and_safe():
    # Each input would take hours or gigabytes if computed: the limits refuse them up front.
    for name, arguments in [
        ("math_factorial", {"n": 10**9}),
        ("get_fibonacci_sequence", {"n": 10**9}),
        ("get_prime_factors", {"number": 10**15 + 37}),
        ("calculate_future_value", {"present_value": 1, "interest_rate": 1, "periods": 10**9}),
        ("estimate_derivative", {"function": "lambda x: 9**9**9", "x": 1}),
        ("mat_mul", {"matA": [[1] * 300] * 300, "matB": [[1] * 300] * 300}),
    ]:
        with pytest.raises(ExecutionLimitError):
            execute(name, arguments)
    for evil in ("__import__('os').system('echo hi')", "lambda x: __import__('os')",
                 "lambda x: (lambda: 1)()", "lambda x: x.__class__", "lambda x, y: x"):
        with pytest.raises((ValueError, NameError, TypeError, SyntaxError)):
            execute("estimate_derivative", {"function": evil, "x": 1})
    with pytest.raises(UnavailableFunctionError):
        execute("get_weather_data", {"coordinates": [0, 0]})
    with pytest.raises(UnavailableFunctionError):
        execute("rm_rf", {})
    assert execute("estimate_derivative", {"function": "lambda x: math.sin(x)", "x": 0}) == pytest.approx(1.0)
