"""The rules engine: answers (and measured facts) in, scored and explained verdict out.

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

from advisor.conditions import _NO_FACTS, Facts
from advisor.kb import KnowledgeBase
from advisor.schema import FRAMEWORKS, Criterion, Rule, WeightRule

NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}


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


class Retired(NamedTuple):
    """Advice the documents gave for these answers that no longer holds on the as-of date."""

    rule: str
    favors: str
    because: str
    until: dt.date
    aged: tuple[Aged, ...]


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


class Recommendation(NamedTuple):
    verdict: str
    confidence: float
    scores: dict[str, float]
    answers: dict[str, Any]
    reasons: tuple[Reason, ...]
    criteria: tuple[CriterionScore, ...]
    what_would_change: tuple[Change, ...]
    as_of: dt.date
    either_band: float
    measured: Mapping[str, Any] = _NO_FACTS
    documents_date: dt.date | None = None
    documents_verdict: str | None = None  # the verdict as of the documents, where it differs
    retired: tuple[Retired, ...] = ()
    warnings: tuple[str, ...] = ()
    evidence_files: tuple[dict[str, str], ...] = ()  # path, label, created of each file used


def active(item: Criterion | Rule, facts: Facts) -> bool:
    """Whether a criterion or rule is in force on the facts' date (None: today), or, for the
    documents' own view, whether it comes from the documents (not from a later source)."""
    if facts.documents_only:
        return item.valid_from is None
    on = facts.as_of or dt.date.today()
    if item.valid_from and on < item.valid_from:
        return False
    return not (item.valid_until and on >= item.valid_until)


def aged(
    kb: KnowledgeBase, claim_ids: tuple[str, ...] | list[str], on: dt.date | None
) -> tuple[Aged, ...]:
    """The claims among these whose update had happened by `on` (None: today)."""
    on = on or dt.date.today()
    found = []
    for cid in claim_ids:
        claim = kb.claim.get(cid)
        update = claim.update if claim else None
        if claim and update and update.since <= on:
            said = kb.source[claim.source].date
            found.append(Aged(cid, said, update.text.strip(), update.since, update.source))
    return tuple(found)


def score(kb: KnowledgeBase, facts: Facts) -> Scored:
    in_force = [c for c in kb.criteria if active(c, facts)]
    criteria = tuple(_criterion_score(c, facts) for c in in_force)
    on = facts.as_of
    reasons = [_criterion_reason(kb, c, cs, on) for c, cs in zip(in_force, criteria, strict=True)]
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
    return add_up([contribution(item, facts) for item in (*criteria, *rules)])


Contribution = tuple[str, float] | None  # (the framework it favours, points), or nothing


def contribution(item: Criterion | Rule, facts: Facts) -> Contribution:
    """What one criterion or rule in force adds to the scores on these facts."""
    if isinstance(item, Rule):
        return (item.favors, item.points) if item.when.holds(facts) else None
    gap = item.ratings.pytorch - item.ratings.tensorflow
    if not gap:
        return None
    weight, _ = _weight(item, facts)
    return ("pytorch" if gap > 0 else "tensorflow"), round(weight * abs(gap), 3)


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


def _weight(criterion: Criterion, facts: Facts) -> tuple[float, list[WeightRule]]:
    applied = [w for w in criterion.weight.when if w.when.holds(facts)]
    return max(0.0, criterion.weight.base + sum(w.add for w in applied)), applied


def _criterion_score(criterion: Criterion, facts: Facts) -> CriterionScore:
    weight, applied = _weight(criterion, facts)
    ratings = {"pytorch": criterion.ratings.pytorch, "tensorflow": criterion.ratings.tensorflow}
    diff = ratings["pytorch"] - ratings["tensorflow"]
    points = {
        "pytorch": round(weight * max(diff, 0), 3),
        "tensorflow": round(weight * max(-diff, 0), 3),
    }
    return CriterionScore(
        criterion.id, criterion.name, weight, ratings, points, tuple(w.why for w in applied)
    )


def _criterion_reason(
    kb: KnowledgeBase, criterion: Criterion, cs: CriterionScore, on: dt.date | None
) -> Reason | None:
    favors = max(FRAMEWORKS, key=lambda fw: cs.points[fw])
    points = cs.points[favors]
    if points <= 0:
        return None
    weight_note = f"weight {cs.weight:g}" + (
        f": {'; '.join(cs.weighted_by)}" if cs.weighted_by else ""
    )
    because = (
        f"{criterion.name}: {NAMES[favors]} rated {cs.ratings[favors]}/5, "
        f"{NAMES[_other(favors)]} {cs.ratings[_other(favors)]}/5 ({weight_note})"
    )
    return Reason(
        f"criterion:{criterion.id}",
        "criterion",
        favors,
        points,
        because,
        tuple(criterion.claims),
        tuple(kb.sources_of(criterion.claims)),
        aged(kb, criterion.claims, on),
    )


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


def recommend(
    kb: KnowledgeBase,
    answers: Mapping[str, Any],
    *,
    measured: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    evidence_files: tuple[dict[str, str], ...] = (),
) -> Recommendation:
    """Score the answers as the knowledge stood on `as_of` (default today), say what would
    change the verdict, and where today's advice differs from the documents' own."""
    from advisor.sensitivity import what_would_change  # the one place that re-scores

    as_of = as_of or dt.date.today()
    facts = Facts(dict(answers), dict(measured or {}), as_of)
    scored = score(kb, facts)
    documents = decide(totals(kb, facts._replace(documents_only=True)), kb.settings.either_band)[0]
    documents_verdict = documents if documents != scored.verdict else None
    return Recommendation(
        verdict=scored.verdict,
        confidence=scored.confidence,
        scores=scored.scores,
        answers=dict(answers),
        reasons=scored.reasons,
        criteria=scored.criteria,
        what_would_change=tuple(what_would_change(kb, facts, scored.verdict)),
        as_of=as_of,
        either_band=kb.settings.either_band,
        measured=facts.measured,
        documents_date=kb.documents_date,
        documents_verdict=documents_verdict,
        retired=retired_rules(kb, facts),
        warnings=tuple(w for w in (staleness(kb, dt.date.today()),) if w),
        evidence_files=evidence_files,
    )


STALE_AFTER_DAYS = 365


def staleness(kb: KnowledgeBase, today: dt.date) -> str | None:
    """A warning when the knowledge was last checked against public sources over a year ago."""
    newest = kb.newest_check
    if newest is None:
        return "no claim in the knowledge base has been checked against current sources"
    if (today - newest).days > STALE_AFTER_DAYS:
        return (
            f"the knowledge was last checked on {newest.isoformat()}, more than 12 months ago: "
            "the advice may be out of date"
        )
    return None


def retired_rules(kb: KnowledgeBase, facts: Facts) -> tuple[Retired, ...]:
    """Rules that fire for these answers but had been retired by the as-of date."""
    on = facts.as_of or dt.date.today()
    return tuple(
        Retired(r.id, r.favors, r.because.strip(), r.valid_until, aged(kb, r.claims, on))
        for r in kb.rules
        if r.valid_until and r.valid_until <= on and r.when.holds(facts)
    )
