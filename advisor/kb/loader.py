"""Loading the knowledge base: YAML files -> validated models, with file:line in every error."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.files import read_text
from fwadvise.advisor.kb import schema
from fwadvise.advisor.kb import snapshot as snapshots
from fwadvise.advisor.kb.yamlio import YamlDoc, parse
from fwadvise.knowledge import KNOWLEDGE_DIR


@dataclass
class KnowledgeBase:
    """Everything in knowledge/, validated, with indexes by id and the YAML each came from."""

    directory: Path
    settings: schema.Settings
    sources: list[schema.Source]
    claims: list[schema.Claim]
    questions: list[schema.Question]
    criteria: list[schema.Criterion]
    rules: list[schema.Rule]
    profiles: list[schema.Profile]
    docs: dict[str, YamlDoc] = field(default_factory=dict, repr=False)

    @cached_property
    def source(self) -> dict[str, schema.Source]:
        return {s.id: s for s in self.sources}

    @cached_property
    def claim(self) -> dict[str, schema.Claim]:
        return {c.id: c for c in self.claims}

    @cached_property
    def question(self) -> dict[str, schema.Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def profile(self) -> dict[str, schema.Profile]:
        return {p.id: p for p in self.profiles}

    @cached_property
    def documents_date(self) -> dt.date:
        """The date of the newest of the encoded articles: the documents' own 'as of'."""
        return max(s.date for s in self.sources if s.kind == "article")

    @cached_property
    def newest_check(self) -> dt.date | None:
        checked = [c.checked for c in self.claims if c.checked]
        return max(checked) if checked else None

    def where(self, file: str, *path: str | int) -> str:
        """`knowledge/rules.yaml:42` for a path inside a file, for error messages."""
        doc = self.docs.get(file)
        return doc.where(tuple(path)) if doc else file

    def sources_of(self, claim_ids: list[str]) -> list[str]:
        """The source ids behind some claims, in first-seen order, with later sources of updates."""
        seen: dict[str, None] = {}
        for cid in claim_ids:
            claim = self.claim.get(cid)
            if claim:
                seen[claim.source] = None
        return list(seen)


Check = Callable[["KnowledgeBase"], list[str]]


def load(
    directory: Path | None = None, *, snapshot: bool = True, check: Check | None = None
) -> KnowledgeBase:
    """Load and validate every KB file; raise KnowledgeError naming file, line and problem.

    The directory is `directory`, else $FWADVISE_KNOWLEDGE (for people editing a copy of the
    knowledge base), else the knowledge/ package shipped with fwadvise. A knowledge base that
    validated once is kept as a JSON snapshot (advisor/snapshot.py) and reloaded from it while
    neither its files nor the schema change; `snapshot=False` always parses and validates
    (the lint needs the YAML's line numbers). `check` (kb/checked.py passes the lint) runs on a
    freshly validated knowledge base: any problem it names refuses the load, and only a checked
    knowledge base is kept as a snapshot.
    """
    env = os.environ.get("FWADVISE_KNOWLEDGE")
    directory = directory or (Path(env) if env else KNOWLEDGE_DIR)
    texts = {name: _read(directory, name) for name in schema.KB_FILES}
    key = snapshots.key(texts) if snapshot else None
    parts: dict[str, Any] | None = snapshots.read(key) if key else None
    docs: dict[str, YamlDoc] = {}
    fresh = parts is None
    if parts is None:
        parts = {}
        for name, model in schema.KB_FILES.items():
            docs[name] = _parse(directory, name, texts[name])
            parts[name] = validate(docs[name], model, error=KnowledgeError)
    kb = _assemble(directory, parts, docs)
    if fresh and check is not None:
        problems = check(kb)
        if problems:
            shown = "\n".join(problems[:8]) + (
                f"\n... and {len(problems) - 8} more" * (len(problems) > 8)
            )
            raise KnowledgeError(
                f"the knowledge base does not pass `fwadvise kb validate`:\n{shown}"
            )
        if key:
            snapshots.write(key, parts)
    return kb


def _assemble(directory: Path, parts: dict[str, Any], docs: dict[str, YamlDoc]) -> KnowledgeBase:
    return KnowledgeBase(
        directory=directory,
        settings=parts["settings.yaml"].settings,
        sources=parts["sources.yaml"].sources,
        claims=parts["claims.yaml"].claims,
        questions=parts["questions.yaml"].questions,
        criteria=parts["criteria.yaml"].criteria,
        rules=parts["rules.yaml"].rules,
        profiles=parts["profiles.yaml"].profiles,
        docs=docs,
    )


def _read(directory: Path, name: str) -> str:
    try:
        return read_text(directory / name, what="knowledge base file")
    except UserError as exc:
        raise KnowledgeError(str(exc)) from None


def _parse(directory: Path, name: str, text: str) -> YamlDoc:
    try:
        return parse(text, _display_name(directory, name))
    except UserError as exc:
        raise KnowledgeError(str(exc)) from None


def validate(doc: YamlDoc, model: type[BaseModel], *, error: type[UserError]) -> Any:
    """Validate a YAML document against a model; the error lists each problem at file:line."""
    if not isinstance(doc.data, dict):
        raise error(f"expected a mapping at the top, got {type(doc.data).__name__}", where=doc.name)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise error(format_validation_error(exc, doc)) from None


def format_validation_error(exc: ValidationError, doc: YamlDoc, limit: int = 8) -> str:
    lines = []
    for err in exc.errors()[:limit]:
        loc = tuple(err["loc"])
        dotted = ".".join(map(str, loc)) or "(top)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown field; allowed here: {_allowed_fields(exc, loc)}"
        elif err["type"] == "literal_error":
            message = f"{message} (got {err.get('input')!r})"
        lines.append(f"{doc.where(loc)}: {dotted}: {message}")
    more = len(exc.errors()) - limit
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    return "\n".join(lines)


def _allowed_fields(exc: ValidationError, loc: tuple) -> str:
    model = _model_at(exc.title, loc[:-1])
    return ", ".join(model.model_fields) if model else "see `fwadvise kb schema`"


def _model_at(title: str, loc: tuple) -> type[BaseModel] | None:
    """Follow a validation error's location through the schema models to the model there."""
    model: Any = next((m for m in schema.KB_FILES.values() if m.__name__ == title), None)
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _inner_model(info.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found:
            return found
    return None


def _display_name(directory: Path, name: str) -> str:
    path = directory / name
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
