"""The condition language of the knowledge base: data, never code.

A condition is YAML of one of these shapes:

    {all: [C, ...]}          every C holds
    {any: [C, ...]}          at least one C holds
    {not: C}                 C does not hold
    {SUBJECT: KEY, OP: X}    one test on one fact

SUBJECT is `answer` (a question id), `measured` (a fact the probes measured, see
advisor/evidence.py) or `date` (`as_of`, the date the advice is given for). OP is one of
`equals`, `in`, `includes`, `includes_any`, `gt`, `ge`, `lt`, `le`, `present`.
A test on a fact that is absent is false (so `{not: ...}` of it is true), except `present: false`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Union

SUBJECTS = ("answer", "measured", "date")
OPERATORS = ("equals", "in", "includes", "includes_any", "gt", "ge", "lt", "le", "present")
_MISSING = object()
_NO_FACTS: Mapping[str, Any] = MappingProxyType({})
_COLLECTION = (list, tuple, set, frozenset)


def _ordered(compare: Any) -> Any:
    def test(value: Any, operand: Any) -> bool:
        try:
            return bool(compare(value, operand))
        except TypeError:  # a fact of the wrong type never satisfies a comparison
            return False

    return test


_ORDER_OPS = {
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
}
# operator -> test of a present fact's value against the operand
_OPS = {
    "present": lambda value, operand: bool(operand),
    "equals": lambda value, operand: value == operand,
    "in": lambda value, operand: value in operand,
    "includes": lambda value, operand: isinstance(value, _COLLECTION) and operand in value,
    "includes_any": lambda value, operand: (
        isinstance(value, _COLLECTION) and any(item in value for item in operand)
    ),
    **_ORDER_OPS,
}


class ConditionError(ValueError):
    """A condition that is not in the language; `path` locates it inside the condition."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


class Facts(NamedTuple):
    """What conditions are evaluated against."""

    answers: Mapping[str, Any]
    measured: Mapping[str, Any] = _NO_FACTS
    as_of: dt.date | None = None
    documents_only: bool = False  # the documents' own view: no later update applies

    def get(self, subject: str, key: str) -> Any:
        if subject == "answer":
            return self.answers.get(key, _MISSING)
        if subject == "measured":
            return self.measured.get(key, _MISSING)
        return self.as_of if self.as_of is not None else _MISSING


class Test(NamedTuple):
    subject: str
    key: str
    op: str
    operand: Any

    def holds(self, facts: Facts) -> bool:
        if self.subject == "answer":  # the common case, inlined: it runs thousands of times
            value = facts.answers.get(self.key, _MISSING)
        else:
            value = facts.get(self.subject, self.key)
        if value is _MISSING:
            return self.op == "present" and not self.operand
        return _OPS[self.op](value, self.operand)

    def tests(self) -> Iterator[Test]:
        yield self

    def values(self) -> list[Any]:
        """The values this test names (for the lint)."""
        if self.op in ("in", "includes_any"):
            return list(self.operand)
        return [] if self.op == "present" else [self.operand]

    def describe(self) -> str:
        return f"{self.key} {self.op} {self.operand!r}"

    def to_data(self) -> dict[str, Any]:
        operand = self.operand
        if isinstance(operand, tuple):
            operand = list(operand)
        elif isinstance(operand, dt.date):
            operand = operand.isoformat()
        return {self.subject: self.key, self.op: operand}


class All(NamedTuple):
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return all(item.holds(facts) for item in self.items)

    def tests(self) -> Iterator[Test]:
        for item in self.items:
            yield from item.tests()

    def describe(self) -> str:
        return " and ".join(_wrap(item) for item in self.items)

    def to_data(self) -> dict[str, Any]:
        return {"all": [item.to_data() for item in self.items]}


class AnyOf(NamedTuple):
    items: tuple[Condition, ...]

    def holds(self, facts: Facts) -> bool:
        return any(item.holds(facts) for item in self.items)

    def tests(self) -> Iterator[Test]:
        for item in self.items:
            yield from item.tests()

    def describe(self) -> str:
        return " or ".join(_wrap(item) for item in self.items)

    def to_data(self) -> dict[str, Any]:
        return {"any": [item.to_data() for item in self.items]}


class Not(NamedTuple):
    item: Condition

    def holds(self, facts: Facts) -> bool:
        return not self.item.holds(facts)

    def tests(self) -> Iterator[Test]:
        yield from self.item.tests()

    def describe(self) -> str:
        return f"not {_wrap(self.item)}"

    def to_data(self) -> dict[str, Any]:
        return {"not": self.item.to_data()}


Condition = Union[Test, All, AnyOf, Not]  # noqa: UP007 - a runtime alias used in isinstance-free code


def _wrap(item: Condition) -> str:
    text = item.describe()
    return f"({text})" if isinstance(item, All | AnyOf) else text


def parse_condition(raw: Any, path: tuple[str | int, ...] = ()) -> Condition:
    """Build a Condition from YAML data; a ConditionError says what is wrong and where."""
    if not isinstance(raw, dict):
        raise ConditionError(
            f"a condition is a mapping such as {{answer: role, equals: researcher}}, "
            f"got {type(raw).__name__}",
            path,
        )
    for combinator, cls in (("all", All), ("any", AnyOf)):
        if combinator in raw:
            _only_key(raw, combinator, path)
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"'{combinator}' takes a non-empty list of conditions", path)
            parsed = (parse_condition(c, (*path, combinator, i)) for i, c in enumerate(items))
            return cls(tuple(parsed))
    if "not" in raw:
        _only_key(raw, "not", path)
        return Not(parse_condition(raw["not"], (*path, "not")))
    return _parse_test(raw, path)


def _only_key(raw: dict, key: str, path: tuple[str | int, ...]) -> None:
    if len(raw) != 1:
        others = ", ".join(sorted(str(k) for k in raw if k != key))
        raise ConditionError(f"'{key}' stands alone in its mapping; also found: {others}", path)


def _parse_test(raw: dict, path: tuple[str | int, ...]) -> Test:
    subjects = [k for k in raw if k in SUBJECTS]
    ops = [k for k in raw if k in OPERATORS]
    unknown = [str(k) for k in raw if k not in SUBJECTS and k not in OPERATORS]
    if unknown:
        raise ConditionError(
            f"unknown key(s) {', '.join(unknown)}; a condition uses all, any, not, "
            f"one of {', '.join(SUBJECTS)} and one of {', '.join(OPERATORS)}",
            path,
        )
    if len(subjects) != 1 or len(ops) != 1:
        raise ConditionError(
            f"a test names exactly one subject ({', '.join(SUBJECTS)}) and one operator "
            f"({', '.join(OPERATORS)}); got {', '.join(map(str, raw)) or 'nothing'}",
            path,
        )
    subject, op = subjects[0], ops[0]
    key, operand = raw[subject], raw[op]
    if not isinstance(key, str):
        raise ConditionError(f"'{subject}' names a fact by its id (a string)", (*path, subject))
    _check_operand(op, operand, (*path, op))
    if subject == "date":
        operand = _as_date(operand, (*path, op))
    return Test(subject, key, op, tuple(operand) if isinstance(operand, list) else operand)


def _check_operand(op: str, operand: Any, path: tuple[str | int, ...]) -> None:
    if op in ("in", "includes_any"):
        if not isinstance(operand, list) or not operand:
            raise ConditionError(f"'{op}' takes a non-empty list", path)
    elif op in _ORDER_OPS:
        if isinstance(operand, bool) or not isinstance(operand, int | float | dt.date | str):
            raise ConditionError(f"'{op}' compares with a number or a date", path)
    elif op == "present":
        if not isinstance(operand, bool):
            raise ConditionError("'present' takes true or false", path)
    elif isinstance(operand, list | dict):
        raise ConditionError(f"'{op}' takes a single value", path)


def _as_date(value: Any, path: tuple[str | int, ...]) -> Any:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConditionError(f"not a date (YYYY-MM-DD): {value!r}", path) from None


CONDITION_JSON_SCHEMA: dict[str, Any] = {
    "$id": "#condition",
    "description": "all/any/not over tests {answer|measured|date: ID, OP: VALUE}",
    "oneOf": [
        {
            "type": "object",
            "properties": {"all": {"type": "array", "minItems": 1}},
            "required": ["all"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"any": {"type": "array", "minItems": 1}},
            "required": ["any"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"not": {"type": "object"}},
            "required": ["not"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                **{s: {"type": "string"} for s in SUBJECTS},
                **{o: {} for o in OPERATORS},
            },
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": False,
        },
    ],
}
