"""`fwadvise report`: placeholder until issue 4's report lands (being written now)."""

from __future__ import annotations

from advisor.errors import UserError


def report() -> None:
    """Not available yet."""
    raise UserError("`fwadvise report` is not available yet")
