"""Errors a user can fix: the CLI prints them as one message and exits with status 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from a user or from the knowledge base: says where, what, and what is allowed."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class KnowledgeError(UserError):
    """The knowledge base does not load or does not pass its lint."""


class AnswersError(UserError):
    """An answers file, a profile name or a --set override is not valid."""
