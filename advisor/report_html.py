"""Recommendation -> one self-contained HTML page: placeholder until issue 4's report lands."""

from __future__ import annotations

from advisor.engine import Recommendation
from advisor.errors import UserError
from advisor.kb import KnowledgeBase


def to_html(rec: Recommendation, kb: KnowledgeBase) -> str:
    raise UserError("--format html is not available yet")
