"""`fwadvise kb validate`, the checks that keep the knowledge honest (issue 10):

- no date before its source: an update's `since`, a re-rating's `since`, a later rule's
  `valid_from` is never earlier than the date of a source it rests on;
- no text speaks of a later event: no year, month or day in a text is after the text's date;
- one fact scores once: for any answer set on any date, a claim supports at most one scored
  item in each framework's favour (a claim supports an item that scores for the framework the
  claim favours; measured rules rest on the measurement, not on the claims they test);
- the weight scale in settings.yaml: requirement, guidance and measured points, criterion
  weights, and the wording a requirement's source must use;
- every claim is used, or says why it is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fwadvise.advisor.inputs.answers import complete
from fwadvise.advisor.kb.conditions import All, AnyOf, Condition
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Criterion, Rule, in_force_on
from fwadvise.advisor.kb.search import Problem, satisfiable


def checks(kb: KnowledgeBase) -> Iterator[Problem]:
    yield from _source_dates(kb)
    yield from _anachronisms(kb)
    yield from _scores_once(kb)
    yield from _weight_scale(kb)
    yield from _unused_claims(kb)


# --- dates: nothing before its source, no text about a later event ---


def _source_dates(kb: KnowledgeBase) -> Iterator[Problem]:
    for i, claim in enumerate(kb.claims):
        for j, update in enumerate(claim.updates):
            source = kb.source.get(update.source)
            if source and update.since < source.date:
                yield Problem(
                    kb.where("claims.yaml", "claims", i, "updates", j, "since"),
                    f"{claim.id}: since {update.since} is before its source {source.id} "
                    f"({source.date}): a change counts from the day it became knowable",
                )
    for i, criterion in enumerate(kb.criteria):
        for j, change in enumerate(criterion.rating_changes):
            where = kb.where("criteria.yaml", "criteria", i, "rating_changes", j, "since")
            yield from _not_before(kb, where, criterion.id, change.since, change.claims)
    for i, rule in enumerate(kb.rules):
        if rule.valid_from:
            where = kb.where("rules.yaml", "rules", i, "valid_from")
            yield from _not_before(kb, where, rule.id, rule.valid_from, rule.claims)
    for i, close in enumerate(kb.settings.close_calls):
        where = kb.where("settings.yaml", "settings", "close_calls", i, "since")
        yield from _not_before(kb, where, "close_calls", close.since, close.claims)


def _not_before(
    kb: KnowledgeBase, where: str, what: str, since: dt.date, claim_ids: list[str]
) -> Iterator[Problem]:
    for cid in claim_ids:
        claim = kb.claim.get(cid)
        source = kb.source.get(claim.source) if claim else None
        if source and since < source.date:
            yield Problem(
                where,
                f"{what}: dated {since}, before {cid}'s source {source.id} ({source.date})",
            )


MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
# a month by name or by its first three letters ("Mar 2025"), an optional day, then a year
_MONTH = "|".join(f"{m[:3]}(?:{m[3:]})?" for m in MONTHS)
_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?\b")
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?(?:\s+\d{{1,2}},?)?\s+((?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b(" + "|".join(MONTHS) + r")\b(?:\s+\d{1,2},?)?\s+((?:19|20)\d\d)\b")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")


def latest_mention(text: str) -> tuple[int, int, int] | None:
    """The latest (year, month, day) a text names, as precisely as it names it: a bare year
    counts from its first day, `October 2025` from the first of the month."""
    found = []
    for m in _ISO.finditer(text):
        found.append((int(m[1]), int(m[2]), int(m[3] or 1)))
    rest = _ISO.sub(" ", text)
    for m in _MONTH_YEAR.finditer(rest.lower()):
        found.append((int(m[2]), [n[:3] for n in MONTHS].index(m[1][:3]) + 1, 1))
    rest = _MONTH_YEAR.sub(" ", rest.lower())
    found += [(int(m[1]), 1, 1) for m in _YEAR.finditer(rest)]
    return max(found) if found else None


def speaks_of_later(text: str, on: dt.date) -> str | None:
    """The mention in `text` that lies after `on`, if any (for the message)."""
    latest = latest_mention(text)
    if latest and latest > (on.year, on.month, on.day):
        year, month, day = latest
        return f"{year}-{month:02d}-{day:02d}" if (month, day) != (1, 1) else str(year)
    return None


def _anachronisms(kb: KnowledgeBase) -> Iterator[Problem]:
    for where, text, on in _dated_texts(kb):
        later = speaks_of_later(text, on)
        if later:
            yield Problem(
                where,
                f"this text is read from {on} on but speaks of {later}: "
                "split it into dated steps, or date it later",
            )


def _dated_texts(kb: KnowledgeBase) -> Iterator[tuple[str, str, dt.date]]:
    """Every text a reader sees on some date, with the first date it is shown."""
    for i, claim in enumerate(kb.claims):
        said = kb.source[claim.source].date if claim.source in kb.source else None
        if said:
            yield kb.where("claims.yaml", "claims", i, "summary"), claim.summary, said
        for j, update in enumerate(claim.updates):
            where = kb.where("claims.yaml", "claims", i, "updates", j, "text")
            yield where, update.text, update.since
    dated: tuple[tuple[str, str, Sequence[Criterion | Rule], str], ...] = (
        ("criteria.yaml", "criteria", kb.criteria, "description"),
        ("rules.yaml", "rules", kb.rules, "because"),
    )
    for file, key, items, text in dated:  # shown from their start, or their claims' date
        for i, item in enumerate(items):
            on = item.valid_from or _said(kb, item.claims)
            yield kb.where(file, key, i, text), getattr(item, text), on
    for i, criterion in enumerate(kb.criteria):
        for j, change in enumerate(criterion.rating_changes):
            where = kb.where("criteria.yaml", "criteria", i, "rating_changes", j, "because")
            yield where, change.because, change.since
    for i, close in enumerate(kb.settings.close_calls):
        yield (
            kb.where("settings.yaml", "settings", "close_calls", i, "text"),
            close.text,
            close.since,
        )


def _said(kb: KnowledgeBase, claim_ids: list[str]) -> dt.date:
    """When the newest of these claims was said: a text resting on them is no older."""
    dates = [kb.source[kb.claim[c].source].date for c in claim_ids if c in kb.claim]
    return max(dates, default=kb.documents_date)


# --- one fact scores once ---


@dataclass(frozen=True)
class Scoring:
    """An item that gives points to `favors` on some dates, when `when` holds (None: always)."""

    label: str
    where: str
    favors: str
    when: Condition | None
    claims: tuple[str, ...]


def _scores_once(kb: KnowledgeBase) -> Iterator[Problem]:
    defaults = complete(kb, {}, origin="defaults")
    reported: set[tuple[str, str, str]] = set()
    memo: dict[tuple[int, int], bool] = {}
    for on in _epochs(kb):
        items = list(_scoring_items(kb, on))
        for n, first in enumerate(items):
            for second in items[n + 1 :]:
                if first.favors != second.favors:
                    continue
                for cid in sorted(set(first.claims) & set(second.claims)):
                    key = (cid, first.label, second.label)
                    claim = kb.claim.get(cid)
                    if key in reported or claim is None or claim.favors != first.favors:
                        continue
                    if _together(kb, first.when, second.when, defaults, memo):
                        reported.add(key)
                        yield Problem(
                            second.where,
                            f"{cid} supports both {first.label} and {second.label} in "
                            f"{first.favors}'s favour ({_when(on)}): one fact scores once; "
                            "cite it in one, or let a rule raise the criterion's weight",
                        )


def _when(on: dt.date | None) -> str:
    return "in the documents' own view" if on is None else f"on {on}"


def _epochs(kb: KnowledgeBase) -> list[dt.date | None]:
    """The documents' own view (None) and each date on which something starts or ends."""
    dates: set[dt.date] = {dt.date(1900, 1, 1)}
    items: list[Criterion | Rule] = [*kb.criteria, *kb.rules]
    for item in items:
        dates.update(d for d in (item.valid_from, item.valid_until) if d)
    for criterion in kb.criteria:
        dates.update(change.since for change in criterion.rating_changes)
    return [None, *sorted(dates)]


def _scoring_items(kb: KnowledgeBase, on: dt.date | None) -> Iterator[Scoring]:
    for i, criterion in enumerate(kb.criteria):
        if not in_force_on(criterion, on):
            continue
        ratings, steps = criterion.ratings_on(on)
        claims = [*criterion.claims, *(c for step in steps for c in step.claims)]
        if ratings.pytorch == ratings.tensorflow:
            continue
        favors = "pytorch" if ratings.pytorch > ratings.tensorflow else "tensorflow"
        yield Scoring(
            f"criterion {criterion.id}",
            kb.where("criteria.yaml", "criteria", i),
            favors,
            _weighted_when(criterion),
            tuple(claims),
        )
    for i, rule in enumerate(kb.rules):
        if rule.kind != "measured" and in_force_on(rule, on):
            where = kb.where("rules.yaml", "rules", i)
            yield Scoring(f"rule {rule.id}", where, rule.favors, rule.when, tuple(rule.claims))


def _weighted_when(criterion: Criterion) -> Condition | None:
    """When a criterion weighs anything: always with a base weight, else when an add holds."""
    if criterion.weight.base > 0:
        return None
    adds = tuple(w.when for w in criterion.weight.when if w.add > 0)
    return AnyOf(adds) if adds else AnyOf(())


def _together(
    kb: KnowledgeBase,
    first: Condition | None,
    second: Condition | None,
    defaults: dict[str, Any],
    memo: dict[tuple[int, int], bool],
) -> bool:
    """Whether both conditions can hold for one answer set (each pair is searched once)."""
    both = tuple(c for c in (first, second) if c is not None)
    if not both:
        return True
    key = (id(first), id(second))  # conditions hold lists, so they are not hashable
    if key not in memo:
        memo[key] = satisfiable(kb, All(both), defaults)
    return memo[key]


# --- the weight scale ---


def _weight_scale(kb: KnowledgeBase) -> Iterator[Problem]:
    scale = kb.settings.weight_scale
    wording = [w.casefold() for w in scale.requirement_wording]
    for i, rule in enumerate(kb.rules):
        where = kb.where("rules.yaml", "rules", i, "points")
        if rule.kind == "requirement":
            if rule.points != scale.requirement:
                yield Problem(where, f"{rule.id}: a requirement gives {scale.requirement:g} points")
            quotes = [kb.claim[c].quote.casefold() for c in rule.claims if c in kb.claim]
            if not any(w in q for q in quotes for w in wording):
                yield Problem(
                    kb.where("rules.yaml", "rules", i, "kind"),
                    f"{rule.id}: a requirement needs a source that says "
                    f"{' / '.join(repr(w) for w in scale.requirement_wording)}; "
                    "weaker wording is guidance",
                )
            continue
        span = scale.measured if rule.kind == "measured" else scale.guidance
        if not span.min <= rule.points <= span.max:
            yield Problem(
                where,
                f"{rule.id}: {rule.kind} gives {span.min:g} to {span.max:g} points, "
                f"not {rule.points:g}",
            )
    for i, criterion in enumerate(kb.criteria):
        most = criterion.weight.base + sum(max(w.add, 0) for w in criterion.weight.when)
        if most > scale.criterion_weight:
            yield Problem(
                kb.where("criteria.yaml", "criteria", i, "weight"),
                f"{criterion.id}: its weight can reach {most:g}; the scale allows "
                f"{scale.criterion_weight:g} (a requirement is a rule)",
            )


# --- every claim is used or kept for a reason ---


def cited_claims(kb: KnowledgeBase) -> set[str]:
    cited: set[str] = set()
    for criterion in kb.criteria:
        cited.update(criterion.claims)
        for change in criterion.rating_changes:
            cited.update(change.claims)
    for cites in (kb.rules, kb.questions, kb.profiles):
        for item in cites:
            cited.update(item.claims)
    for close in kb.settings.close_calls:
        cited.update(close.claims)
    return cited


def _unused_claims(kb: KnowledgeBase) -> Iterator[Problem]:
    cited = cited_claims(kb)
    for i, claim in enumerate(kb.claims):
        where = kb.where("claims.yaml", "claims", i)
        if claim.id not in cited and not claim.kept:
            yield Problem(
                where,
                f"{claim.id} is cited by no criterion, rule, question or profile: "
                "cite it, or say why it is kept (`kept:`)",
            )
        elif claim.id in cited and claim.kept:
            yield Problem(where, f"{claim.id} is cited, so it needs no `kept:` reason")
