"""Errors a user can fix: the CLI prints them as one message and exits with status 2."""

from __future__ import annotations

import re

_LONG_WORD = re.compile(r"\S{201,}")
MAX_MESSAGE = 4000


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (an escape sequence in a label or a file
    name) shown escaped, as `\\x1b`; line breaks and tabs kept."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in text)


def shorten(text: str) -> str:
    """A message that echoes input stays readable: a run of 200+ characters without a space (a
    pasted value, a minified line) is cut to its start, and the whole to MAX_MESSAGE."""
    text = _LONG_WORD.sub(lambda m: f"{m.group()[:80]}... ({len(m.group())} characters)", text)
    return text if len(text) <= MAX_MESSAGE else f"{text[:MAX_MESSAGE]}... (cut)"


class UserError(Exception):
    """Bad input from a user or from the knowledge base: says where, what, and what is allowed."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = printable(where) if where else where
        message = shorten(printable(message))
        super().__init__(f"{self.where}: {message}" if self.where else message)


class KnowledgeError(UserError):
    """The knowledge base does not load or does not pass its lint."""


class AnswersError(UserError):
    """An answers file, a profile name or a --set override is not valid."""
