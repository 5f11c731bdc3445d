"""`fwadvise scan`: placeholder until issue 4's scan lands (being written now)."""

from __future__ import annotations

from advisor.errors import UserError


def scan() -> None:
    """Not available yet."""
    raise UserError("`fwadvise scan` is not available yet")
