"""What would change the verdict: the smallest sets of answer changes that flip it.

All single changes are tried; only when none of them changes the verdict are pairs tried.
A change is another value for a one-question, the other value for a yes/no question, or one
value added to or removed from a many-question (never leaving it empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

from advisor.conditions import Facts
from advisor.engine import Change, decide, in_force, totals
from advisor.kb import KnowledgeBase

Edit = tuple[str, Any]  # (question id, the value it sets, or for many-questions the value toggled)


def single_edits(kb: KnowledgeBase) -> Iterator[Edit]:
    for question in kb.questions:
        for option in question.options:
            yield question.id, option.value


def apply(kb: KnowledgeBase, answers: dict[str, Any], edits: tuple[Edit, ...]) -> dict[str, Any]:
    """The changed answers (only the questions that changed), or {} if the edits change nothing."""
    changed: dict[str, Any] = {}
    for qid, value in edits:
        current = changed.get(qid, answers[qid])
        if kb.question[qid].kind == "many":
            order = [o.value for o in kb.question[qid].options]
            toggled = set(current) ^ {value}
            if not toggled:
                return {}
            changed[qid] = sorted(toggled, key=order.index)
        else:
            changed[qid] = value
    return {q: v for q, v in changed.items() if v != answers[q]}


def what_would_change(kb: KnowledgeBase, facts: Facts, verdict: str) -> list[Change]:
    edits = list(single_edits(kb))
    singles = _flips(kb, facts, verdict, ((e,) for e in edits))
    if singles:
        return singles
    return _flips(kb, facts, verdict, combinations(edits, 2))


def _flips(
    kb: KnowledgeBase, facts: Facts, verdict: str, candidates: Iterator[tuple[Edit, ...]]
) -> list[Change]:
    answers = dict(facts.answers)
    items = in_force(kb, facts)  # one date for every candidate
    found: dict[str, Change] = {}
    for edits in candidates:
        change = apply(kb, answers, edits)
        if len(change) == 0 or sum(_size(answers, q, v) for q, v in change.items()) < len(edits):
            continue  # a no-op, or a pair that collapses to a single change
        scores = totals(kb, facts._replace(answers={**answers, **change}), items)
        new_verdict, confidence = decide(scores, kb.settings.either_band)
        if new_verdict != verdict:
            found.setdefault(repr(sorted(change.items())), Change(change, new_verdict, confidence))
    return sorted(found.values(), key=lambda c: (-c.confidence, repr(sorted(c.answers.items()))))


def _size(answers: dict[str, Any], qid: str, value: Any) -> int:
    """How many single changes make up this new value of a question."""
    if isinstance(value, list):
        return len(set(value) ^ set(answers[qid]))
    return 1
