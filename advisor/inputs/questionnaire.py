"""The questionnaire's logic, without a terminal: which question comes next, reading a reply,
going back, and changing an answer at the review. The questions, their order, options, defaults
and when each is asked all come from knowledge/questions.yaml.
"""

from __future__ import annotations

from typing import Any

from fwadvise.advisor.inputs.answers import Answers, complete, parse_text
from fwadvise.advisor.kb.conditions import Facts
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Question


class Questionnaire:
    """The answers given so far, in the order given; a question is asked only where it applies
    (its `ask_when` holds for the answers so far, defaults standing in for the rest)."""

    def __init__(self, kb: KnowledgeBase, defaults: Answers | None = None) -> None:
        self.kb = kb
        self.defaults = complete(kb, defaults or {}, origin="profile")
        self.given: Answers = {}
        self.earlier: Answers = {}  # answers taken back: offered again as the default

    def answers(self) -> Answers:
        """Every answer: those given, else the defaults."""
        return {**self.defaults, **self.given}

    def applies(self, question: Question) -> bool:
        return question.ask_when is None or question.ask_when.holds(Facts(self.answers()))

    def asked(self) -> list[Question]:
        """The questions that apply now, in the knowledge base's order."""
        return [q for q in self.kb.questions if self.applies(q)]

    def next(self) -> Question | None:
        """The first question that applies and has no answer yet; None when all are answered."""
        return next((q for q in self.asked() if q.id not in self.given), None)

    def position(self, question: Question) -> tuple[int, int]:
        """(n, of): where this question stands among those that apply now."""
        asked = self.asked()
        return asked.index(question) + 1, len(asked)

    def answer(self, question: Question, value: Any) -> None:
        """Record an answer (already parsed); answers to questions that no longer apply go."""
        self.given[question.id] = value
        self._forget_inapplicable()

    def back(self) -> Question | None:
        """Undo the last answer and return its question (None at the first question)."""
        if not self.given:
            return None
        qid = list(self.given)[-1]
        self.earlier[qid] = self.given.pop(qid)
        self._forget_inapplicable()
        return self.kb.question[qid]

    def default(self, question: Question) -> Any:
        """What Enter takes: the current answer, else one taken back, else the default."""
        qid = question.id
        return self.given.get(qid, self.earlier.get(qid, self.defaults[qid]))

    def _forget_inapplicable(self) -> None:
        for qid in [q.id for q in self.kb.questions if q.id in self.given]:
            if not self.applies(self.kb.question[qid]):
                self.earlier[qid] = self.given.pop(qid)


def read_reply(question: Question, text: str, default: Any) -> Any:
    """A reply typed at the prompt -> the answer: empty takes the default; options go by
    number or by value, several (for a many-question) separated by commas or spaces.
    Raises ValueError saying what would be valid."""
    text = text.strip()
    if not text:
        return default
    if question.kind == "yesno":
        return parse_text(question, text)
    parts = [p for p in text.replace(",", " ").split() if p]
    if question.kind == "one" and len(parts) > 1:
        raise ValueError(f"one answer, please; {valid_replies(question)}")
    values = [_option_value(question, part) for part in parts]
    return parse_text(question, ",".join(values) if question.kind == "many" else values[0])


def _option_value(question: Question, part: str) -> str:
    if part.isdigit():
        n = int(part)
        if not 1 <= n <= len(question.options):
            raise ValueError(f"{part!r} is not an option; {valid_replies(question)}")
        return str(question.options[n - 1].value)
    if part not in [o.value for o in question.options]:
        raise ValueError(f"{part!r} is not an option; {valid_replies(question)}")
    return part


def valid_replies(question: Question) -> str:
    if question.kind == "yesno":
        return "answer y or n (Enter takes the default)"
    names = ", ".join(str(o.value) for o in question.options)
    many = " (several: separate them with commas)" if question.kind == "many" else ""
    return f"give a number 1-{len(question.options)} or one of: {names}{many}"
