"""The few-shot exchanges shown before every task that offers the date tools.

One per tool, each a call and its answer in the form the tasks ask for: the 135M student
calls the tools it has been shown calling (mentor writes the exchanges in the prompt's own
call format and chat layout). The first crosses the end of a leap-year February, which is
where mental date arithmetic goes wrong.
"""

from __future__ import annotations

from mentor_dsl.fewshot import Example, ExampleCall

EXAMPLES = (
    Example("dates.add_days", "What date is 10 days after 2024-02-25? Answer with the date as YYYY-MM-DD.",
            ((ExampleCall("add_days", {"date": "2024-02-25", "days": 10}, "2024-03-06"),),),
            "The answer is \\boxed{2024-03-06}."),
    Example("dates.days_between", "How many days are there from March 3, 2021 to 2021-12-25?",
            ((ExampleCall("days_between", {"start": "2021-03-03", "end": "2021-12-25"}, 297),),),
            "The answer is \\boxed{297}."),
    Example("dates.weekday", "What day of the week was July 20, 1969?",
            ((ExampleCall("weekday", {"date": "1969-07-20"}, "Sunday"),),),
            "The answer is \\boxed{Sunday}."),
)
