"""Answer sets: validate them against the questions, fill defaults, apply --set overrides."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fwadvise.advisor.errors import AnswersError, KnowledgeError, UserError
from fwadvise.advisor.files import read_head
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Question
from fwadvise.advisor.kb.yamlio import YamlDoc, load_file

Answers = dict[str, Any]
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def valid_values(question: Question) -> list[Any]:
    return [option.value for option in question.options]


def describe_values(question: Question) -> str:
    values = ", ".join(show_value(v) for v in valid_values(question))
    return f"one of {values}" if question.kind != "many" else f"a list of any of {values}"


def show_value(value: Any) -> str:
    """An answer as a person reads it: true/false, a list as `a, b`."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(map(show_value, value)) or "(none)"
    return str(value)


def check_value(question: Question, value: Any) -> Any:
    """Return `value` normalised for `question`, or raise ValueError saying what is allowed."""
    allowed = valid_values(question)
    if question.kind == "yesno":
        if not isinstance(value, bool):
            raise ValueError(f"takes true or false, got {value!r}")
        return value
    if question.kind == "one":
        if not isinstance(value, str):
            raise ValueError(f"takes one value ({describe_values(question)}), got {value!r}")
        if value not in allowed:
            raise ValueError(f"{value!r} is not a valid value; valid: {describe_values(question)}")
        return value
    if isinstance(value, str):  # a single value for a many-question is a list of one
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"takes a list of values ({describe_values(question)}), got {value!r}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))} not valid; valid: {describe_values(question)}"
        )
    return sorted(set(value), key=allowed.index)  # canonical order: the question's own


def validate(kb: KnowledgeBase, given: Mapping[str, Any], *, origin: YamlDoc | str) -> Answers:
    """Check each stated answer: known id, valid value; returned normalised, nothing added."""
    answers: Answers = {}
    for key, value in given.items():
        question = kb.question.get(str(key))
        if question is None:
            raise AnswersError(unknown_id(kb, key), where=_where(origin, key))
        try:
            answers[question.id] = check_value(question, value)
        except ValueError as exc:
            raise AnswersError(f"{question.id}: {exc}", where=_where(origin, key)) from None
    return answers


def complete(kb: KnowledgeBase, given: Mapping[str, Any], *, origin: YamlDoc | str) -> Answers:
    """Validate `given` and fill every question it leaves out with its default."""
    answers = validate(kb, given, origin=origin)
    for index, question in enumerate(kb.questions):
        if question.id not in answers:
            answers[question.id] = _default(kb, index, question)
    return {q.id: answers[q.id] for q in kb.questions}


def _default(kb: KnowledgeBase, index: int, question: Question) -> Any:
    """A question's default; one its own options do not allow is the knowledge base's error."""
    try:
        return check_value(question, question.default)
    except ValueError as exc:
        where = kb.where("questions.yaml", "questions", index, "default")
        raise KnowledgeError(f"{question.id}: the default {exc}", where=where) from None


def unknown_id(kb: KnowledgeBase, key: Any) -> str:
    return f"unknown question id {key!r}; valid ids: {', '.join(kb.question)}"


def _where(origin: YamlDoc | str, key: Any) -> str:
    return origin.where((key,)) if isinstance(origin, YamlDoc) else origin


def read_answers_file(kb: KnowledgeBase, path: Path) -> Answers:
    """The answers an answers file states (a YAML mapping of question id to value), validated."""
    try:
        doc = load_file(path, what="answers file")
    except UserError as exc:
        raise AnswersError(str(exc)) from None
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise AnswersError(
            "an answers file is a mapping of question id to value, e.g. 'role: researcher'",
            where=doc.where(),
        )
    return validate(kb, doc.data, origin=doc)


def profile_answers(kb: KnowledgeBase, name: str) -> Answers:
    """The answers a profile states (validated, no defaults filled in)."""
    profile = kb.profile.get(name)
    if profile is None:
        raise AnswersError(f"unknown profile {name!r}; valid profiles: {', '.join(kb.profile)}")
    index = kb.profiles.index(profile)
    return validate(kb, profile.answers, origin=kb.where("profiles.yaml", "profiles", index))


def resolve(
    kb: KnowledgeBase,
    *,
    profile: str | None = None,
    answers_file: Path | None = None,
    stated: Mapping[str, Any] | None = None,
    overrides: list[str] | None = None,
) -> Answers:
    """A complete answer set: profile, then the file's answers, then `stated`, then --set."""
    given: Answers = profile_answers(kb, profile) if profile else {}
    if answers_file is not None:
        given.update(read_answers_file(kb, answers_file))
    given.update(stated or {})
    for text in overrides or []:
        key, value = parse_override(kb, text)
        given[key] = value
    return complete(kb, given, origin="answers")


def parse_override(kb: KnowledgeBase, text: str) -> tuple[str, Any]:
    """`id=value` from the command line; many-questions take `a,b`; yes/no take true/false."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise AnswersError(f"--set takes id=value, got {text!r}")
    question = kb.question.get(key)
    if question is None:
        raise AnswersError(f"--set {text}: {unknown_id(kb, key)}")
    try:
        return key, parse_text(question, raw)
    except ValueError as exc:
        raise AnswersError(f"--set {text}: {key}: {exc}") from None


def parse_text(question: Question, raw: str) -> Any:
    """A typed answer from text: many-questions take `a,b`, yes/no take yes/no or true/false.
    Raises ValueError saying what is allowed."""
    raw = raw.strip()
    value: Any = raw
    if question.kind == "many":
        value = [part.strip() for part in raw.split(",") if part.strip()]
    elif question.kind == "yesno":
        lowered = raw.lower()
        value = True if lowered in _TRUE else False if lowered in _FALSE else raw
    return check_value(question, value)


ANSWERS_MARK = "# fwadvise answers"  # the first line of every answers file fwadvise writes


def answers_yaml(kb: KnowledgeBase, answers: Answers, notes: Mapping[str, str], header: str) -> str:
    """An answers file (YAML) that `recommend --answers` reads back to the same answers, each
    answer with its note as a comment. The first line marks it as written by fwadvise."""
    import yaml

    lines = [f"{ANSWERS_MARK}: {header}"]
    for question in kb.questions:
        if question.id not in answers:
            continue
        text = yaml.safe_dump(
            {question.id: answers[question.id]}, default_flow_style=True, width=1000
        )
        line = text.strip().removeprefix("{").removesuffix("}")
        note = notes.get(question.id)
        lines.append(f"{line}  # {note}" if note else line)
    return "\n".join(lines) + "\n"


def is_answers_file(path: Path) -> bool:
    """Whether `path` is an answers file fwadvise wrote (so writing over it loses nothing)."""
    return has_answers_mark(read_head(path) or b"")


def has_answers_mark(head: bytes) -> bool:
    return head.startswith(ANSWERS_MARK.encode())
