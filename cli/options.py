"""Option values that several commands parse the same way."""

from __future__ import annotations

import datetime as dt


def parse_as_of(text: str | None) -> dt.date | None:
    """--as-of YYYY-MM-DD (None: today)."""
    from fwadvise.advisor.api import parse_date

    return parse_date(text, what="--as-of")
