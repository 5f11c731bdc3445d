"""`fwadvise kb claims`: every claim with its source, date, check and update."""

from __future__ import annotations

import textwrap
from typing import Any

from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Update


def claim_records(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """The JSON form: {id, text, sources, status, checked, update}, as issue 5 fixes it;
    `update` is the newest dated step, `updates` all of them, oldest first."""
    records = []
    for claim in kb.claims:
        source = kb.source[claim.source]
        steps = [_step(kb, update) for update in claim.updates]
        records.append(
            {
                "id": claim.id,
                "text": claim.quote,
                "sources": [claim.source],
                "said": source.date.isoformat(),
                "status": "aged" if steps else "current",
                "checked": claim.checked.isoformat() if claim.checked else None,
                "check_note": claim.check_note,
                "update": steps[-1] if steps else None,
                "updates": steps,
            }
        )
    return records


def _step(kb: KnowledgeBase, update: Update) -> dict[str, Any]:
    return {
        "text": update.text.strip(),
        "since": update.since.isoformat(),
        "source": update.source,
        "url": kb.source[update.source].url if update.source in kb.source else None,
    }


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
        for u in r["updates"]:
            out += textwrap.wrap(
                f"since {u['since']}: {u['text']} ({u['source']})",
                76,
                initial_indent="    -> ",
                subsequent_indent="       ",
            )
    aged = sum(r["status"] == "aged" for r in records)
    out.append(f"\n{len(records)} claim(s), {aged} aged")
    return "\n".join(out) + "\n"
