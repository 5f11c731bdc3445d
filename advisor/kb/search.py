"""Searching the answer sets a condition can hold for, and the Problem a check reports.

The search looks only where a condition looks: every answer the condition names takes each
of its values (for a many-question, each subset of the values it names), every other answer
keeps its default. Both the lint and the honesty checks (kb/honesty.py) use it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from fwadvise.advisor.kb.conditions import Condition, Facts, Test
from fwadvise.advisor.kb.loader import KnowledgeBase

MAX_COMBINATIONS = 200_000


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def satisfiable(kb: KnowledgeBase, condition: Condition, defaults: dict[str, Any]) -> bool:
    """Search the answer sets that differ from the defaults only where the condition looks."""
    tests = list(condition.tests())
    domains: dict[tuple[str, str], list[Any]] = {}
    for test in tests:
        key = (test.subject, test.key)
        named = domains.setdefault(key, [])
        named.extend(v for v in _candidates(kb, test) if v not in named)
    keys = list(domains)
    total = 1
    for asked in keys:
        total *= max(1, len(domains[asked]))
    if total > MAX_COMBINATIONS:
        return True  # too many to search: assume it can, rather than report a false problem
    for combo in itertools.product(*(domains[k] for k in keys)):
        answers, measured, as_of = dict(defaults), dict[str, Any](), None
        for (subject, name), value in zip(keys, combo, strict=True):
            if subject == "answer":
                answers[name] = value
            elif subject == "measured" and value is not _ABSENT:
                measured[name] = value
            elif subject == "date":
                as_of = value
        if condition.holds(Facts(answers, measured, as_of)):
            return True
    return False


_ABSENT = object()


def _candidates(kb: KnowledgeBase, test: Test) -> list[Any]:
    if test.subject == "answer" and test.key in kb.question:
        q = kb.question[test.key]
        options = [o.value for o in q.options]
        if q.kind != "many":
            return options
        named = [v for v in test.values() if v in options] or options[:1]
        subsets = itertools.chain.from_iterable(
            itertools.combinations(named, n) for n in range(len(named) + 1)
        )
        return [list(s) for s in subsets]
    values: list[Any] = [_ABSENT]
    for value in test.values():
        values.append(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values += [value - abs(value) * 0.5 - 1, value + abs(value) * 0.5 + 1]
        elif isinstance(value, dt.date):
            values += [value - dt.timedelta(days=1), value + dt.timedelta(days=1)]
        elif isinstance(value, bool):
            values.append(not value)
    return values
