"""What would change the verdict: the smallest sets of answer changes that flip it.

All single changes are tried; only when none of them changes the verdict are pairs tried.
A change is another value for a one-question, the other value for a yes/no question, or one
value added to or removed from a many-question (never leaving it empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

from fwadvise.advisor.kb.conditions import Condition, Facts
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Criterion, Rule
from fwadvise.advisor.reasoning.scoring import (
    Change,
    InForce,
    add_up,
    contribution,
    decide,
    in_force,
)

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


def what_would_change(
    kb: KnowledgeBase, facts: Facts, verdict: str, *, exact: bool = False
) -> list[Change]:
    """Single changes that flip the verdict; else pairs. Scores add up across conditions, so a
    pair of changes to questions that no condition names together is predicted from the two
    single changes, and scored in full only when the prediction is a flip or close to one
    (`exact=True` scores every pair, for the tests that check the prediction)."""
    search = _Search(kb, facts, verdict)
    singles = [c for c in (search.try_edits((e,)) for e in search.edits) if c]
    if singles:
        return _ordered(singles)
    predict = not exact and _additive(kb)
    pairs = []
    for a, b in combinations(search.edits, 2):
        if predict and search.predicted_same(a, b):
            continue
        change = search.try_edits((a, b))
        if change:
            pairs.append(change)
    return _ordered(pairs)


class _Search:
    """Scores answer changes against one set of facts, remembering each single change's effect."""

    def __init__(self, kb: KnowledgeBase, facts: Facts, verdict: str) -> None:
        self.kb, self.facts, self.verdict = kb, facts, verdict
        self.answers = dict(facts.answers)
        items = in_force(kb, facts)  # one date for every candidate
        self.rescore = _Rescorer(facts, items)
        self.base = self.rescore({})
        self.edits = list(single_edits(kb))
        self.deltas: dict[Edit, dict[str, float]] = {}
        self.linked = _linked(items)

    def try_edits(self, edits: tuple[Edit, ...]) -> Change | None:
        """The change these edits make, if it flips the verdict."""
        change = apply(self.kb, self.answers, edits)
        size = sum(_size(self.answers, q, v) for q, v in change.items())
        if not change or size < len(edits):
            return None  # a no-op, or a pair that collapses to a single change
        scores = self.rescore(change)
        if len(edits) == 1:
            self.deltas[edits[0]] = {fw: scores[fw] - self.base[fw] for fw in scores}
        new_verdict, confidence = decide(scores, self.kb.settings.either_band)
        return Change(change, new_verdict, confidence) if new_verdict != self.verdict else None

    def predicted_same(self, a: Edit, b: Edit) -> bool:
        """Whether the pair surely keeps the verdict: independent questions, and the summed
        effect of the two single changes stays clear of every threshold."""
        if a[0] == b[0] or frozenset((a[0], b[0])) in self.linked:
            return False
        if a not in self.deltas or b not in self.deltas:
            return True  # one of them changes nothing: the pair is the other single change
        scores = {fw: self.base[fw] + self.deltas[a][fw] + self.deltas[b][fw] for fw in self.base}
        band = self.kb.settings.either_band
        new_verdict, confidence = decide(scores, band)
        clear = (
            abs(confidence - band) > 0.02 and abs(scores["pytorch"] - scores["tensorflow"]) > 0.01
        )
        return new_verdict == self.verdict and clear


class _Rescorer:
    """The scores of changed answers, recomputing only the criteria and rules whose conditions
    ask a changed question; the others keep their contribution at the base answers. The sums
    are those of engine.totals(), term for term."""

    def __init__(self, facts: Facts, items: InForce) -> None:
        self.facts = facts
        self.items: list[Criterion | Rule] = [*items[0], *items[1]]
        self.base = [contribution(item, facts) for item in self.items]
        self.asking: dict[str, list[int]] = {}
        for index, item in enumerate(self.items):
            for qid in {q for condition in _conditions(item) for q in _asks(condition)}:
                self.asking.setdefault(qid, []).append(index)

    def __call__(self, change: dict[str, Any]) -> dict[str, float]:
        facts = self.facts._replace(answers={**self.facts.answers, **change})
        found = list(self.base)
        for index in {i for qid in change for i in self.asking.get(qid, ())}:
            found[index] = contribution(self.items[index], facts)
        return add_up(found)


def _conditions(item: Criterion | Rule) -> list[Condition]:
    return [item.when] if isinstance(item, Rule) else [w.when for w in item.weight.when]


def _asks(condition: Condition) -> list[str]:
    """The questions a condition asks about, sorted."""
    return sorted({t.key for t in condition.tests() if t.subject == "answer"})


def _linked(items: InForce) -> set[frozenset[str]]:
    """Pairs of questions that some condition names together (their effects need not add up)."""
    linked: set[frozenset[str]] = set()
    both: list[Criterion | Rule] = [*items[0], *items[1]]
    for item in both:
        for condition in _conditions(item):
            linked.update(frozenset(p) for p in combinations(_asks(condition), 2))
    return linked


def _additive(kb: KnowledgeBase) -> bool:
    """Weights add up only while no addition is negative (a weight is clamped at zero)."""
    return all(w.add >= 0 for c in kb.criteria for w in c.weight.when)


def _ordered(changes: list[Change]) -> list[Change]:
    unique = {repr(sorted(c.answers.items())): c for c in changes}
    return sorted(unique.values(), key=lambda c: (-c.confidence, repr(sorted(c.answers.items()))))


def _size(answers: dict[str, Any], qid: str, value: Any) -> int:
    """How many single changes make up this new value of a question."""
    if isinstance(value, list):
        return len(set(value) ^ set(answers[qid]))
    return 1
