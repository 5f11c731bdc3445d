"""The project file of `fwadvise report --project FILE` (shared/DESIGN.md, "Project file").

    name: Edge vision for parcel sorting
    description: one paragraph, free text
    profile: industry                    # optional: start from a profile ...
    answers: {deployment_targets: [iot_embedded]}   # ... and/or answers (these win)
    evidence: [evidence/jetson.json]     # optional, relative to this file
    as_of: 2026-06-01                    # optional: the knowledge as it stood then

Loaded with the safe YAML loader; every error names file:line and what is allowed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.inputs.answers import (
    Answers,
    AnswersError,
    profile_answers,
    resolve,
    validate,
)
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.yamlio import YamlDoc, load_file

if TYPE_CHECKING:
    pass

WHAT = "project file"


class ProjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    profile: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    evidence: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None


ALLOWED_KEYS = tuple(ProjectSpec.model_fields)


class Project(NamedTuple):
    """A validated project: its text, the complete answers, and the evidence files' paths."""

    path: Path
    name: str
    description: str
    profile: str | None
    answers: Answers
    evidence: tuple[Path, ...]
    as_of: dt.date | None

    def block(self) -> dict[str, Any]:
        """The report's `project` block (JSON): what the project file said, paths as given."""
        return {
            "name": self.name,
            "description": self.description,
            "file": str(self.path),
            "profile": self.profile,
            "evidence": [str(p) for p in self.evidence],
        }


def load(kb: KnowledgeBase, path: Path) -> Project:
    """Read, validate and resolve a project file; every problem is a UserError with file:line."""
    doc = load_file(path, what=WHAT)
    if not isinstance(doc.data, dict):
        raise UserError(
            f"a project file is a mapping with keys {', '.join(ALLOWED_KEYS)} "
            "(at least `name`, and a `profile` or `answers`)",
            where=doc.where(),
        )
    spec = _spec(doc)
    if spec.profile is None and not spec.answers:
        raise UserError(
            "give a `profile` (see `fwadvise profiles`) and/or `answers` "
            "(see `fwadvise questions`)",
            where=doc.where(),
        )
    stated = validate(kb, spec.answers, origin=_inside(doc, "answers"))
    if spec.profile is not None:
        try:
            profile_answers(kb, spec.profile)
        except AnswersError as exc:
            raise UserError(str(exc), where=doc.where(("profile",))) from None
    return Project(
        path=path,
        name=spec.name.strip(),
        description=spec.description.strip(),
        profile=spec.profile,
        answers=resolve(kb, profile=spec.profile, stated=stated),
        evidence=tuple(_evidence_path(doc, path, i, p) for i, p in enumerate(spec.evidence)),
        as_of=spec.as_of,
    )


def _spec(doc: YamlDoc) -> ProjectSpec:
    try:
        return ProjectSpec.model_validate(doc.data)
    except ValidationError as exc:
        error = exc.errors()[0]  # the first problem, precisely placed, beats a list of guesses
        raise UserError(_explain(error), where=doc.where(tuple(error["loc"]))) from None


def _explain(error: Any) -> str:
    loc = ".".join(map(str, error["loc"])) or "project"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {loc!r}; allowed: {', '.join(ALLOWED_KEYS)}"
    if kind == "missing":
        return f"`{loc}` is required (the project's name, one line)"
    expected = {
        "name": "one line of text",
        "description": "text (one paragraph)",
        "profile": "a profile name (see `fwadvise profiles`)",
        "answers": "a mapping of question id to value (see `fwadvise questions`)",
        "evidence": "a list of evidence file paths (from `fwadvise probe --output FILE`)",
        "as_of": "a date, YYYY-MM-DD",
    }.get(str(error["loc"][0]), "a different value")
    return f"{loc}: {error['msg'].lower()}; expected {expected}, got {error.get('input')!r}"


def _inside(doc: YamlDoc, key: str) -> YamlDoc:
    """The part of `doc` under `key`, keeping file:line, so answer errors point into the file."""
    lines = {path[1:]: line for path, line in doc.lines.items() if path[:1] == (key,)}
    return YamlDoc(doc.name, doc.data.get(key), lines)


def _evidence_path(doc: YamlDoc, project: Path, index: int, given: str) -> Path:
    path = Path(given).expanduser()
    if not path.is_absolute():
        path = project.parent / path
    if not path.is_file():
        raise UserError(
            f"evidence file {given!r} not found (looked for {path.absolute()}); paths are "
            "relative to the project file; make one with `fwadvise probe --output FILE`",
            where=doc.where(("evidence", index)),
        )
    return path
