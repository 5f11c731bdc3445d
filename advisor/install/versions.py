"""Version strings compared as numbers, for install.yaml's ranges and limits."""

from __future__ import annotations


def version_key(text: str) -> tuple[int, ...]:
    """ "3.10" -> (3, 10): Python 3.10 sorts after 3.9, compute capability 7.5 after 6.1."""
    return tuple(int(part) for part in text.split("."))
