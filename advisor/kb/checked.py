"""The knowledge base as the advice uses it: refused, with file:line, when `kb validate` would
refuse it (also a copy named by FWADVISE_KNOWLEDGE), so a broken rule never runs.

The lint runs once per knowledge base: only a checked one is kept as a snapshot, and a run that
finds the snapshot skips both validation and lint. The quotes are not checked here (that needs
the source documents, which only `kb validate --sources` reads).
"""

from __future__ import annotations

from pathlib import Path

from fwadvise.advisor.kb import loader
from fwadvise.advisor.kb.lint import lint


def load(directory: Path | None = None) -> loader.KnowledgeBase:
    return loader.load(directory, check=problems)


def problems(kb: loader.KnowledgeBase) -> list[str]:
    return [str(problem) for problem in lint(kb)]
