"""Option values that several commands parse the same way."""

from __future__ import annotations

import datetime as dt

from advisor.errors import UserError


def parse_as_of(text: str | None) -> dt.date | None:
    """--as-of YYYY-MM-DD (None: today)."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of {text!r}: not a date; give YYYY-MM-DD, e.g. 2024-06-01") from None
