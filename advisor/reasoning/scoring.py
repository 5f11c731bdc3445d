"""Scoring: the points each criterion and rule gives, their sums and the verdict they make.

Scoring, in one paragraph (the README says the same for users): each criterion rates both
frameworks 1-5 from the documents' claims; the answers set its weight. A criterion whose
ratings differ gives the better-rated framework weight x difference points. Each rule of
the documents' specific guidance whose condition holds gives its points to the framework it
favours. A framework's score is the sum of its points, so every point traces to one reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from fwadvise.advisor.kb.conditions import Facts
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import (
    FRAMEWORKS,
    NAMES,
    Criterion,
    RatingChange,
    Ratings,
    Rule,
    WeightRule,
    in_force_on,
)


class Aged(NamedTuple):
    """A claim a reason rests on that has changed since its source said it."""

    claim: str
    said: dt.date
    text: str
    since: dt.date
    source: str


class Reason(NamedTuple):
    rule: str
    kind: str  # criterion | guidance | requirement | measured
    favors: str
    points: float
    because: str
    claims: tuple[str, ...]
    sources: tuple[str, ...]
    aged: tuple[Aged, ...] = ()


class CriterionScore(NamedTuple):
    id: str
    name: str
    weight: float
    ratings: dict[str, int]
    points: dict[str, float]
    weighted_by: tuple[str, ...]


class Scored(NamedTuple):
    verdict: str
    confidence: float
    scores: dict[str, float]
    reasons: tuple[Reason, ...]
    criteria: tuple[CriterionScore, ...]


class Change(NamedTuple):
    """A set of answer changes and the verdict it leads to."""

    answers: dict[str, Any]
    verdict: str
    confidence: float


def active(item: Criterion | Rule, facts: Facts) -> bool:
    """Whether a criterion or rule is in force on the facts' date (None: today), or, for the
    documents' own view, whether it comes from the documents (not from a later source)."""
    return in_force_on(item, None if facts.documents_only else facts.as_of or dt.date.today())


def aged(
    kb: KnowledgeBase, claim_ids: tuple[str, ...] | list[str], on: dt.date | None
) -> tuple[Aged, ...]:
    """Each dated step of these claims' updates that had happened by `on` (None: today)."""
    on = on or dt.date.today()
    found = []
    for cid in claim_ids:
        claim = kb.claim.get(cid)
        if claim is None:
            continue
        said = kb.source[claim.source].date
        for update in claim.updates:
            if update.since <= on:
                found.append(Aged(cid, said, update.text.strip(), update.since, update.source))
    return tuple(found)


def rating_steps(criterion: Criterion, facts: Facts) -> tuple[Ratings, list[RatingChange]]:
    """The criterion's ratings on the facts' date, and the re-ratings that led there (none in
    the documents' own view)."""
    return criterion.ratings_on(None if facts.documents_only else facts.as_of or dt.date.today())


def score(kb: KnowledgeBase, facts: Facts) -> Scored:
    in_force = [c for c in kb.criteria if active(c, facts)]
    criteria = tuple(_criterion_score(c, facts) for c in in_force)
    reasons = [
        _criterion_reason(kb, c, cs, facts) for c, cs in zip(in_force, criteria, strict=True)
    ]
    reasons += [
        _rule_reason(kb, r, facts) for r in kb.rules if active(r, facts) and r.when.holds(facts)
    ]
    kept = sorted((r for r in reasons if r is not None), key=lambda r: (-r.points, r.rule))
    totals = {fw: round(sum(r.points for r in kept if r.favors == fw), 3) for fw in FRAMEWORKS}
    verdict, confidence = decide(totals, kb.settings.either_band)
    return Scored(verdict, confidence, totals, tuple(kept), criteria)


InForce = tuple[list[Criterion], list[Rule]]


def in_force(kb: KnowledgeBase, facts: Facts) -> InForce:
    """The criteria and rules in force for the facts' date (or the documents' own view)."""
    return [c for c in kb.criteria if active(c, facts)], [r for r in kb.rules if active(r, facts)]


def totals(kb: KnowledgeBase, facts: Facts, items: InForce | None = None) -> dict[str, float]:
    """The two scores alone, without building reasons: for re-scoring many answer sets
    (pass `items` from in_force() when the date does not change between calls)."""
    criteria, rules = items or in_force(kb, facts)
    both: list[Criterion | Rule] = [*criteria, *rules]
    return add_up([contribution(item, facts) for item in both])


Contribution = tuple[str, float] | None  # (the framework it favours, points), or nothing


def contribution(item: Criterion | Rule, facts: Facts) -> Contribution:
    """What one criterion or rule in force adds to the scores on these facts."""
    if isinstance(item, Rule):
        return (item.favors, item.points) if item.when.holds(facts) else None
    ratings, _ = rating_steps(item, facts)
    gap = ratings.pytorch - ratings.tensorflow
    if not gap:
        return None
    size, _ = weight_of(item, facts)
    return ("pytorch" if gap > 0 else "tensorflow"), round(size * abs(gap), 3)


def add_up(contributions: list[Contribution]) -> dict[str, float]:
    sums = dict.fromkeys(FRAMEWORKS, 0.0)
    for found in contributions:
        if found:
            sums[found[0]] += found[1]
    return {fw: round(value, 3) for fw, value in sums.items()}


def decide(totals: Mapping[str, float], band: float) -> tuple[str, float]:
    """Verdict and confidence from the two scores: confidence = |P - T| / (P + T)."""
    pytorch, tensorflow = totals["pytorch"], totals["tensorflow"]
    total = pytorch + tensorflow
    if total <= 0:
        return "either", 0.0
    confidence = round(abs(pytorch - tensorflow) / total, 3)
    if confidence < band:
        return "either", confidence
    return ("pytorch" if pytorch > tensorflow else "tensorflow"), confidence


def weight_of(criterion: Criterion, facts: Facts) -> tuple[float, list[WeightRule]]:
    applied = [w for w in criterion.weight.when if w.when.holds(facts)]
    return max(0.0, criterion.weight.base + sum(w.add for w in applied)), applied


def _criterion_score(criterion: Criterion, facts: Facts) -> CriterionScore:
    weight, applied = weight_of(criterion, facts)
    now, _ = rating_steps(criterion, facts)
    ratings = {"pytorch": now.pytorch, "tensorflow": now.tensorflow}
    diff = ratings["pytorch"] - ratings["tensorflow"]
    points = {
        "pytorch": round(weight * max(diff, 0), 3),
        "tensorflow": round(weight * max(-diff, 0), 3),
    }
    return CriterionScore(
        criterion.id, criterion.name, weight, ratings, points, tuple(w.why for w in applied)
    )


def _criterion_reason(
    kb: KnowledgeBase, criterion: Criterion, cs: CriterionScore, facts: Facts
) -> Reason | None:
    favors = max(FRAMEWORKS, key=lambda fw: cs.points[fw])
    points = cs.points[favors]
    if points <= 0:
        return None
    weight_note = f"weight {cs.weight:g}" + (
        f": {'; '.join(cs.weighted_by)}" if cs.weighted_by else ""
    )
    _, steps = rating_steps(criterion, facts)
    because = (
        f"{criterion.name}: {NAMES[favors]} rated {cs.ratings[favors]}/5, "
        f"{NAMES[_other(favors)]} {cs.ratings[_other(favors)]}/5 ({weight_note})"
        + rating_history(criterion, steps)
    )
    claims = [*criterion.claims, *(c for step in steps for c in step.claims)]
    return Reason(
        f"criterion:{criterion.id}",
        "criterion",
        favors,
        points,
        because,
        tuple(claims),
        tuple(kb.sources_of(claims)),
        aged(kb, criterion.claims, facts.as_of),
    )


def rating_history(criterion: Criterion, steps: list[RatingChange]) -> str:
    """`; rated PyTorch 1/5, TensorFlow 5/5 until 2024-10-22, then ... since ..., because ...`"""
    before = [criterion.ratings, *(step.ratings for step in steps)]
    parts = [
        f"rated {said.describe()} until {step.since.isoformat()}, {step.ratings.describe()} "
        "since, because " + " ".join(step.because.split()).rstrip(".")
        for said, step in zip(before, steps, strict=False)
    ]
    return "".join(f"; {part}" for part in parts)


_PLACEHOLDER = re.compile(r"\{measured:([a-z0-9_.]+)\}")


def fill(text: str, facts: Facts) -> str:
    """Put measured figures into a rule's text: `{measured:conv.summary}` (a lookup, no code)."""
    return _PLACEHOLDER.sub(lambda m: str(facts.measured.get(m.group(1), "(not measured)")), text)


def _rule_reason(kb: KnowledgeBase, rule: Rule, facts: Facts) -> Reason:
    on = facts.as_of
    return Reason(
        rule.id,
        rule.kind,
        rule.favors,
        float(rule.points),
        fill(" ".join(rule.because.split()), facts),
        tuple(rule.claims),
        tuple(kb.sources_of(rule.claims)),
        aged(kb, rule.claims, on),
    )


def _other(framework: str) -> str:
    return "tensorflow" if framework == "pytorch" else "pytorch"
