"""`fwadvise kb validate`: what the schema alone cannot check.

References between files resolve; ids are unique; every profile is a valid answer set; every
rule and weight can fire for some answer set; every option is used by a condition or marked
neutral with a reason; every quote is found in its source document (when the documents are
at hand).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.inputs.answers import check_value, complete
from fwadvise.advisor.kb import honesty
from fwadvise.advisor.kb.conditions import Condition
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Criterion, Rule
from fwadvise.advisor.kb.search import Problem, satisfiable


@dataclass(frozen=True)
class Located:
    """A condition and where it stands in the knowledge base."""

    file: str
    path: tuple[str | int, ...]
    condition: Condition


def conditions(kb: KnowledgeBase) -> Iterator[Located]:
    for i, q in enumerate(kb.questions):
        if q.ask_when is not None:
            yield Located("questions.yaml", ("questions", i, "ask_when"), q.ask_when)
    for i, c in enumerate(kb.criteria):
        for j, w in enumerate(c.weight.when):
            yield Located("criteria.yaml", ("criteria", i, "weight", "when", j, "when"), w.when)
    for i, r in enumerate(kb.rules):
        yield Located("rules.yaml", ("rules", i, "when"), r.when)


def lint(kb: KnowledgeBase, sources_dir: Path | None = None) -> list[Problem]:
    problems: list[Problem] = []
    checks = (
        _unique_ids,
        _references,
        _dates,
        _condition_tests,
        _profiles,
        _options_used,
        _can_fire,
        honesty.checks,
    )
    for check in checks:
        problems.extend(check(kb))
    if sources_dir is not None:
        problems.extend(_quotes(kb, sources_dir))
    return problems


def _unique_ids(kb: KnowledgeBase) -> Iterator[Problem]:
    files: tuple[tuple[str, str, Sequence[Any]], ...] = (
        ("sources.yaml", "sources", kb.sources),
        ("claims.yaml", "claims", kb.claims),
        ("questions.yaml", "questions", kb.questions),
        ("criteria.yaml", "criteria", kb.criteria),
        ("rules.yaml", "rules", kb.rules),
        ("profiles.yaml", "profiles", kb.profiles),
    )
    for file, key, items in files:
        counts = Counter(item.id for item in items)
        for i, item in enumerate(items):
            if counts[item.id] > 1:
                yield Problem(kb.where(file, key, i), f"duplicate id {item.id!r}")
    for i, q in enumerate(kb.questions):
        values = Counter(o.value for o in q.options)
        for j, o in enumerate(q.options):
            if values[o.value] > 1:
                yield Problem(
                    kb.where("questions.yaml", "questions", i, "options", j),
                    f"duplicate option {o.value!r}",
                )


def _references(kb: KnowledgeBase) -> Iterator[Problem]:
    def claims(file: str, path: tuple, ids: list[str]) -> Iterator[Problem]:
        for n, cid in enumerate(ids):
            if cid not in kb.claim:
                yield Problem(kb.where(file, *path, n), f"unknown claim {cid!r}")

    for i, c in enumerate(kb.claims):
        if c.source not in kb.source:
            yield Problem(
                kb.where("claims.yaml", "claims", i, "source"),
                f"unknown source {c.source!r}; known: {', '.join(kb.source)}",
            )
        for j, update in enumerate(c.updates):
            if update.source not in kb.source:
                yield Problem(
                    kb.where("claims.yaml", "claims", i, "updates", j, "source"),
                    f"unknown source {update.source!r}",
                )
    for i, q in enumerate(kb.questions):
        yield from claims("questions.yaml", ("questions", i, "claims"), q.claims)
        try:
            check_value(q, q.default)
        except ValueError as exc:
            yield Problem(kb.where("questions.yaml", "questions", i, "default"), f"default {exc}")
    for i, criterion in enumerate(kb.criteria):
        yield from claims("criteria.yaml", ("criteria", i, "claims"), criterion.claims)
        for j, change in enumerate(criterion.rating_changes):
            path = ("criteria", i, "rating_changes", j, "claims")
            yield from claims("criteria.yaml", path, change.claims)
    for i, r in enumerate(kb.rules):
        yield from claims("rules.yaml", ("rules", i, "claims"), r.claims)
    for i, p in enumerate(kb.profiles):
        yield from claims("profiles.yaml", ("profiles", i, "claims"), p.claims)


def _dates(kb: KnowledgeBase) -> Iterator[Problem]:
    """Every claim is dated (by its source), later sources have an address, an updated claim
    says when it was checked, and date ranges are ordered."""
    for i, source in enumerate(kb.sources):
        if source.kind == "later" and not source.url:
            yield Problem(
                kb.where("sources.yaml", "sources", i), f"later source {source.id} needs a url"
            )
    for i, claim in enumerate(kb.claims):
        where = kb.where("claims.yaml", "claims", i)
        said = kb.source[claim.source].date if claim.source in kb.source else None
        if claim.checked and said and claim.checked < said:
            yield Problem(
                where, f"{claim.id} is checked ({claim.checked}) before its source said it"
            )
        for update in claim.updates:
            later = kb.source.get(update.source)
            if later and later.kind != "later":
                yield Problem(where, f"{claim.id}: an update cites a later source, not {later.id}")
        if claim.checked is None:
            yield Problem(
                where, f"{claim.id} has no `checked` date: check it against current sources"
            )
    dated: tuple[tuple[str, str, Sequence[Criterion | Rule]], ...] = (
        ("criteria.yaml", "criteria", kb.criteria),
        ("rules.yaml", "rules", kb.rules),
    )
    for file, key, items in dated:
        for i, item in enumerate(items):
            if item.valid_from and item.valid_until and item.valid_until <= item.valid_from:
                yield Problem(
                    kb.where(file, key, i), f"{item.id}: valid_until is not after valid_from"
                )


def _condition_tests(kb: KnowledgeBase) -> Iterator[Problem]:
    """Every test names a real question, a value it can take, and an operator that fits it."""
    for located in conditions(kb):
        where = kb.where(located.file, *located.path)
        for test in located.condition.tests():
            if test.subject != "answer":
                continue
            question = kb.question.get(test.key)
            if question is None:
                yield Problem(
                    where, f"unknown question id {test.key!r}; known: {', '.join(kb.question)}"
                )
                continue
            fits = {
                "many": ("includes", "includes_any", "present"),
                "one": ("equals", "in", "present"),
                "yesno": ("equals", "present"),
            }[question.kind]
            if test.op not in fits:
                yield Problem(
                    where,
                    f"{test.key} is a {question.kind}-question: "
                    f"use {', '.join(fits)}, not {test.op}",
                )
            allowed = [o.value for o in question.options]
            for value in test.values():
                if value not in allowed or type(value) is not type(allowed[0]):
                    yield Problem(
                        where,
                        f"{test.key} has no value {value!r}; valid: {', '.join(map(str, allowed))}",
                    )


def _profiles(kb: KnowledgeBase) -> Iterator[Problem]:
    for i, p in enumerate(kb.profiles):
        try:
            complete(kb, p.answers, origin=kb.where("profiles.yaml", "profiles", i, "answers"))
        except UserError as exc:
            yield Problem(kb.where("profiles.yaml", "profiles", i), f"profile {p.id}: {exc}")


def _options_used(kb: KnowledgeBase) -> Iterator[Problem]:
    used: dict[tuple[str, Any], str] = {}
    for located in conditions(kb):
        for test in located.condition.tests():
            if test.subject == "answer":
                for value in test.values():
                    used.setdefault((test.key, value), kb.where(located.file, *located.path))
    for i, q in enumerate(kb.questions):
        for j, o in enumerate(q.options):
            where = kb.where("questions.yaml", "questions", i, "options", j)
            if (q.id, o.value) in used and o.neutral:
                yield Problem(
                    where, f"{q.id}={o.value} is marked neutral but {used[(q.id, o.value)]} uses it"
                )
            elif (q.id, o.value) not in used and not o.neutral:
                yield Problem(
                    where,
                    f"no rule or weight uses {q.id}={o.value}; "
                    "use it, or mark it `neutral:` with the reason",
                )


def _can_fire(kb: KnowledgeBase) -> Iterator[Problem]:
    defaults = complete(kb, {}, origin="defaults")
    for located in conditions(kb):
        if located.file == "questions.yaml":
            continue
        if not satisfiable(kb, located.condition, defaults):
            yield Problem(
                kb.where(located.file, *located.path),
                "this condition holds for no answer set: it can never fire",
            )


_QUOTE_CHARS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_MOJIBAKE = {
    "\u00e2\u20ac\u2122": "'",
    "\u00e2\u20ac\u0153": '"',
    "\u00e2\u20ac\u009d": '"',
    "\u00e2\u20ac": '"',
}


def normalise(text: str) -> str:
    """The form quotes and sources are compared in: plain quotes, single spaces, lower case,
    Markdown links and bold markers reduced to their text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("**", "")
    for bad, good in _MOJIBAKE.items():
        text = text.replace(bad, good)
    return re.sub(r"\s+", " ", text.translate(_QUOTE_CHARS)).strip().casefold()


def _quotes(kb: KnowledgeBase, sources_dir: Path) -> Iterator[Problem]:
    texts: dict[str, str] = {}
    for source in kb.sources:
        if source.file:
            path = sources_dir / source.file
            if not path.is_file():
                yield Problem(str(path), f"source document of {source.id} not found")
                continue
            texts[source.id] = normalise(path.read_text(encoding="utf-8", errors="replace"))
    for i, claim in enumerate(kb.claims):
        text = texts.get(claim.source)
        if text is not None and normalise(claim.quote) not in text:
            yield Problem(
                kb.where("claims.yaml", "claims", i, "quote"),
                f"quote of {claim.id} is not found in {claim.source} "
                f"({kb.source[claim.source].file})",
            )


def find_sources_dir(start: Path | None = None) -> Path | None:
    """shared/sources beside the checkout, or FWADVISE_SOURCES; None if neither is there."""
    import os

    env = os.environ.get("FWADVISE_SOURCES")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for base in (here, *here.parents, Path(__file__).resolve().parents[2]):  # the checkout
        for candidate in (base / "shared" / "sources", base.parent / "shared" / "sources"):
            if (candidate / "README.md").is_file():
                return candidate
    return None


def companion_problems(kb: KnowledgeBase) -> list[str]:
    """install.yaml and scan.yaml, which their own modules load and check (each with its own
    schema): any problem, as the message that names its file and line."""
    from fwadvise.advisor.install import advice as install
    from fwadvise.advisor.scan import repository as scan

    checks = (
        lambda: install.load(kb.directory),
        lambda: scan.load_config(kb, kb.directory / scan.SCAN_FILE.name),
    )
    problems = []
    for check in checks:
        try:
            check()
        except KnowledgeError as exc:
            problems.append(str(exc))
    return problems
