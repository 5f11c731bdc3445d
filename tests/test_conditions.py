"""The condition language: parsing errors, evaluation, and that nothing is ever evaluated as code."""

from __future__ import annotations

import datetime as dt

import pytest

from fwadvise.advisor.kb.conditions import ConditionError, Facts, parse_condition

FACTS = Facts(
    answers={"role": "researcher", "use_cases": ["nlp", "reinforcement_learning"], "sota": True},
    measured={"conv.ratio": 0.8},
    as_of=dt.date(2025, 1, 1),
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"answer": "role", "equals": "researcher"}, True),
        ({"answer": "role", "equals": "industry"}, False),
        ({"answer": "role", "in": ["industry", "researcher"]}, True),
        ({"answer": "use_cases", "includes": "nlp"}, True),
        ({"answer": "use_cases", "includes": "computer_vision"}, False),
        ({"answer": "use_cases", "includes_any": ["computer_vision", "nlp"]}, True),
        ({"answer": "sota", "equals": True}, True),
        ({"measured": "conv.ratio", "lt": 0.9}, True),
        ({"measured": "conv.ratio", "ge": 0.9}, False),
        ({"measured": "missing.ratio", "lt": 0.9}, False),
        ({"measured": "missing.ratio", "present": False}, True),
        ({"measured": "conv.ratio", "present": True}, True),
        ({"date": "as_of", "ge": "2024-12-31"}, True),
        ({"date": "as_of", "lt": "2024-12-31"}, False),
        ({"not": {"answer": "role", "equals": "industry"}}, True),
        (
            {
                "all": [
                    {"answer": "role", "equals": "researcher"},
                    {"answer": "sota", "equals": False},
                ]
            },
            False,
        ),
        (
            {"any": [{"answer": "role", "equals": "industry"}, {"answer": "sota", "equals": True}]},
            True,
        ),
        # a string answer never "includes" (no substring matching on one-questions)
        ({"answer": "role", "includes": "research"}, False),
        # comparing a string with a number is false, not an exception
        ({"answer": "role", "gt": 3}, False),
    ],
)
def test_evaluation(raw: dict, expected: bool) -> None:
    assert parse_condition(raw).holds(FACTS) is expected


@pytest.mark.parametrize(
    ("raw", "message", "path"),
    [
        ("role == 'researcher'", "a condition is a mapping", ()),
        ({"answer": "role"}, "exactly one subject", ()),
        ({"answer": "role", "equals": "x", "in": ["y"]}, "exactly one subject", ()),
        ({"answer": "role", "eq": "x"}, "unknown key(s) eq", ()),
        ({"all": []}, "non-empty list", ()),
        ({"all": [{"answer": "role", "equals": "x"}], "any": []}, "stands alone", ()),
        (
            {"any": [{"answer": "role", "equals": "x"}, {"answer": 3, "equals": "x"}]},
            "by its id",
            ("any", 1, "answer"),
        ),
        ({"answer": "role", "in": "researcher"}, "non-empty list", ("in",)),
        ({"measured": "x", "lt": [1]}, "number or a date", ("lt",)),
        ({"date": "as_of", "ge": "yesterday"}, "not a date", ("ge",)),
        ({"not": {"answer": "role", "equals": {"a": 1}}}, "single value", ("not", "equals")),
        ({"answer": "role", "equals": "x", "__import__": "os"}, "unknown key(s) __import__", ()),
    ],
)
def test_parse_errors_say_what_and_where(raw: object, message: str, path: tuple) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(raw)
    assert message in str(info.value)
    assert info.value.path == path


def test_python_looking_strings_are_plain_data() -> None:
    # a value that looks like code is compared as a string and never run
    cond = parse_condition({"answer": "role", "equals": "__import__('os').system('false')"})
    assert cond.holds(FACTS) is False


def test_describe_is_readable() -> None:
    cond = parse_condition(
        {
            "all": [
                {"answer": "role", "equals": "researcher"},
                {"not": {"answer": "use_cases", "includes": "nlp"}},
            ]
        }
    )
    assert cond.describe() == "role equals 'researcher' and not use_cases includes 'nlp'"
