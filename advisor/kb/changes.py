"""`fwadvise kb changes` and `kb review`: the knowledge base's dated history, and what is due
for another check against public sources."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Criterion, Rule


def changes(
    kb: KnowledgeBase, since: dt.date | None = None, until: dt.date | None = None
) -> list[dict[str, Any]]:
    """Every dated change, oldest first: claim updates, re-ratings, rules and criteria that
    start or retire. Each: {date, kind, item, text, sources}."""
    found = [*_updates(kb), *_ratings(kb), *_validity(kb)]
    kept = [
        c
        for c in found
        if (since is None or c["date"] >= since.isoformat())
        and (until is None or c["date"] <= until.isoformat())
    ]
    return sorted(kept, key=lambda c: (c["date"], c["kind"], c["item"]))


def _updates(kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [
        _change(u.since, "update", claim.id, " ".join(u.text.split()), [u.source])
        for claim in kb.claims
        for u in claim.updates
    ]


def _ratings(kb: KnowledgeBase) -> list[dict[str, Any]]:
    found = []
    for criterion in kb.criteria:
        before = criterion.ratings
        for step in criterion.rating_changes:
            text = (
                f"{criterion.name}: {before.describe()} -> {step.ratings.describe()}, because "
                + " ".join(step.because.split())
            )
            found.append(
                _change(step.since, "re-rating", criterion.id, text, kb.sources_of(step.claims))
            )
            before = step.ratings
    return found


def _validity(kb: KnowledgeBase) -> list[dict[str, Any]]:
    found = []
    items: list[Criterion | Rule] = [*kb.criteria, *kb.rules]
    for item in items:
        label = "criterion" if isinstance(item, Criterion) else "rule"
        sources = kb.sources_of(item.claims)
        if item.valid_from:
            text = f"{label} {item.id} comes into force"
            found.append(_change(item.valid_from, "starts", item.id, text, sources))
        if item.valid_until:
            text = f"{label} {item.id} retires"
            found.append(_change(item.valid_until, "retires", item.id, text, sources))
    return found


def _change(on: dt.date, kind: str, item: str, text: str, sources: list[str]) -> dict[str, Any]:
    return {"date": on.isoformat(), "kind": kind, "item": item, "text": text, "sources": sources}


def due_for_review(kb: KnowledgeBase, older_than: dt.date) -> list[dict[str, Any]]:
    """Claims last checked before `older_than` (or never), oldest check first."""
    due = [c for c in kb.claims if c.checked is None or c.checked < older_than]
    due.sort(key=lambda c: (c.checked or dt.date.min, c.id))
    return [
        {
            "id": c.id,
            "checked": c.checked.isoformat() if c.checked else None,
            "source": c.source,
            "summary": c.summary,
        }
        for c in due
    ]


def changes_text(records: list[dict[str, Any]]) -> str:
    out = []
    for r in records:
        head = f"{r['date']}  {r['kind']:<9} {r['item']}"
        out.append(head)
        out += textwrap.wrap(
            f"{r['text']} ({', '.join(r['sources'])})",
            76,
            initial_indent="    ",
            subsequent_indent="    ",
        )
    out.append(f"\n{len(records)} dated change(s)")
    return "\n".join(out) + "\n"


def review_text(records: list[dict[str, Any]], older_than: dt.date, total: int) -> str:
    out = [f"{r['id']}  checked {r['checked'] or 'never'}  ({r['source']})" for r in records]
    out.append(
        f"\n{len(records)} of {total} claim(s) last checked before {older_than.isoformat()}"
        + (": check them against current public sources" if records else "")
    )
    return "\n".join(out) + "\n"
