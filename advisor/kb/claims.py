"""`fwadvise kb claims`: every claim with its source, date, check and update."""

from __future__ import annotations

import textwrap
from typing import Any

from fwadvise.advisor.kb.loader import KnowledgeBase


def claim_records(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """The JSON form: {id, text, sources, status, checked, update}, as issue 5 fixes it."""
    records = []
    for claim in kb.claims:
        source = kb.source[claim.source]
        update = claim.update
        records.append(
            {
                "id": claim.id,
                "text": claim.quote,
                "sources": [claim.source],
                "said": source.date.isoformat(),
                "status": "aged" if update else "current",
                "checked": claim.checked.isoformat() if claim.checked else None,
                "check_note": claim.check_note,
                "update": None
                if update is None
                else {
                    "text": update.text.strip(),
                    "since": update.since.isoformat(),
                    "source": update.source,
                    "url": kb.source[update.source].url if update.source in kb.source else None,
                },
            }
        )
    return records


def claims_text(records: list[dict[str, Any]], *, markdown: bool = False) -> str:
    out = []
    for r in records:
        head = f"{r['id']} [{r['status']}, said {r['said']}, checked {r['checked'] or 'never'}]"
        out.append(f"- **{head}**" if markdown else head)
        out += textwrap.wrap(
            f'"{r["text"]}" ({", ".join(r["sources"])})',
            76,
            initial_indent="    ",
            subsequent_indent="    ",
        )
        if r["update"]:
            u = r["update"]
            out += textwrap.wrap(
                f"since {u['since']}: {u['text']} ({u['source']})",
                76,
                initial_indent="    -> ",
                subsequent_indent="       ",
            )
    aged = sum(r["status"] == "aged" for r in records)
    out.append(f"\n{len(records)} claim(s), {aged} aged")
    return "\n".join(out) + "\n"
