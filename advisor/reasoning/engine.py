"""The rules engine: answers (and measured facts) in, scored and explained verdict out.

scoring.py adds up the points; sensitivity.py says which answer changes would flip the verdict;
this module puts both together, with what the documents said and what has retired since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from fwadvise.advisor.kb.conditions import _NO_FACTS, Facts
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning.scoring import (
    Aged,
    Change,
    CriterionScore,
    Reason,
    aged,
    decide,
    rating_history,
    rating_steps,
    score,
    totals,
    weight_of,
)
from fwadvise.advisor.reasoning.sensitivity import what_would_change


class Retired(NamedTuple):
    """Advice the documents gave for these answers that no longer holds on the as-of date."""

    rule: str
    favors: str
    because: str
    until: dt.date
    aged: tuple[Aged, ...]


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
    notes: tuple[str, ...] = ()  # remarks beside the verdict that score nothing
    evidence_files: tuple[dict[str, str], ...] = ()  # path, label, created of each file used


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
        retired=retired_rules(kb, facts) + evened_criteria(kb, facts),
        warnings=tuple(w for w in (staleness(kb, dt.date.today()), early(kb, as_of)) if w),
        notes=close_call(kb, scored.confidence, as_of),
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


def early(kb: KnowledgeBase, as_of: dt.date) -> str | None:
    """A warning when the as-of date comes before some of the documents were published: the
    knowledge base has no view older than the documents, so it cannot unsay them."""
    later = sorted(
        (s for s in kb.sources if s.kind == "article" and s.date > as_of), key=lambda s: s.date
    )
    if not later:
        return None
    names = ", ".join(f"{s.id} ({s.date.isoformat()})" for s in later)
    return (
        f"as of {as_of.isoformat()}, {names} had not been published yet; the advice still "
        "rests on them (the knowledge base has no older view), with only the changes known by "
        "that date"
    )


def close_call(kb: KnowledgeBase, confidence: float, on: dt.date) -> tuple[str, ...]:
    """settings.yaml's notes for a close verdict, with their sources, each from its date."""
    return tuple(
        f"{' '.join(note.text.split())} ({', '.join(kb.sources_of(note.claims))})"
        for note in kb.settings.close_calls
        if note.since <= on and confidence < note.below
    )


def retired_rules(kb: KnowledgeBase, facts: Facts) -> tuple[Retired, ...]:
    """Rules that fire for these answers but had been retired by the as-of date."""
    on = facts.as_of or dt.date.today()
    return tuple(
        Retired(r.id, r.favors, r.because.strip(), r.valid_until, aged(kb, r.claims, on))
        for r in kb.rules
        if r.valid_until and r.valid_until <= on and r.when.holds(facts)
    )


def evened_criteria(kb: KnowledgeBase, facts: Facts) -> tuple[Retired, ...]:
    """Criteria that matter to these answers, which the documents rated apart and later facts
    have rated equal by the as-of date: their documents' lead no longer holds."""
    found = []
    for criterion in kb.criteria:
        now, steps = rating_steps(criterion, facts)
        said = criterion.ratings
        if not steps or said.pytorch == said.tensorflow or now.pytorch != now.tensorflow:
            continue
        if weight_of(criterion, facts)[0] <= 0:
            continue
        favors = "pytorch" if said.pytorch > said.tensorflow else "tensorflow"
        because = f"{criterion.name}: rated equal now" + rating_history(criterion, steps) + "."
        claims = [c for step in steps for c in step.claims]
        found.append(
            Retired(
                f"criterion:{criterion.id}",
                favors,
                because,
                steps[-1].since,
                aged(kb, claims, facts.as_of),
            )
        )
    return tuple(found)
