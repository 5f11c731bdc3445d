"""The questionnaire on a terminal: `fwadvise` alone, or `fwadvise ask [--save FILE]`.

It talks on stderr and reads stdin, so that stdout carries only the advice
(`fwadvise ask --format json > advice.json` works). The logic is advisor/questionnaire.py.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import IO, Any

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.files import check_replaceable, write_atomic
from fwadvise.advisor.inputs.answers import Answers, answers_yaml, has_answers_mark, show_value
from fwadvise.advisor.inputs.questionnaire import Questionnaire, read_reply, valid_replies
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import Question

WIDTH = 78
HELP_KEYS = ("?", "help")
BACK_KEYS = ("<", "back")


class Stopped(Exception):
    """The person pressed Ctrl-C or Ctrl-D."""


class Terminal:
    """Writes to stderr, reads lines from stdin; Ctrl-C and end of input raise Stopped."""

    def __init__(self, out: IO[str] = sys.stderr, inp: IO[str] = sys.stdin) -> None:
        self.out, self.inp = out, inp

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def wrap(self, text: str, indent: str = "  ") -> None:
        self.say(
            textwrap.fill(
                " ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=indent
            )
        )

    def ask(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        try:
            line = self.inp.readline()
        except KeyboardInterrupt:
            raise Stopped from None
        if not line:  # end of input (Ctrl-D)
            raise Stopped
        return line.strip()


def check_save_path(path: Path | None) -> None:
    """Refuse, before any question, a --save that would overwrite another file or cannot be
    written: the answers must not be lost at the end."""
    if path is None:
        return
    # no --force here: fwadvise never overwrites a file it did not write
    check_replaceable(
        path,
        flag="--save",
        force=False,
        ours=has_answers_mark,
        kind="an answers file written by fwadvise",
        hint="give another name (fwadvise never overwrites a file it did not write)",
    )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"--save {path}: no such directory {parent}")


def run(kb: KnowledgeBase, defaults: Answers, save: Path | None, term: Terminal) -> Answers:
    """Ask, review, save; return the answers. Ctrl-C offers to save what was answered, then
    raises Stopped."""
    check_save_path(save)
    session = Questionnaire(kb, defaults)
    term.say(
        "fwadvise asks a few questions about your project (Enter takes the default shown,\n"
        "? explains why a question matters, < goes back, Ctrl-C stops)."
    )
    try:
        _ask_all(session, term)
        _review(session, term)
    except (Stopped, KeyboardInterrupt):
        term.say("\nStopped.")
        _offer_save(kb, session, save, term)
        raise Stopped from None
    answers = session.answers()
    if save is not None:
        notes = {
            q.id: "your answer" if q.id in session.given else "default" for q in session.asked()
        }
        _save(kb, session, save, notes, header="written by `fwadvise ask`")
        term.say(f"Saved the answers to {save} (replay: fwadvise recommend --answers {save})")
    return answers


def _ask_all(session: Questionnaire, term: Terminal) -> None:
    """Ask every question that applies and has no answer, going back on request."""
    while (question := session.next()) is not None:
        reply = _ask_one(session, question, term)
        if reply is _BACK:
            if session.back() is None:
                term.say("  (this is the first question)")
            continue
        session.answer(question, reply)


_BACK = object()


def _ask_one(session: Questionnaire, question: Question, term: Terminal) -> Any:
    """Show one question and read replies until one is valid (or `<`)."""
    n, of = session.position(question)
    default = session.default(question)
    term.say()
    term.say(f"[{n}/{of}] {question.prompt}")
    _show_options(question, term)
    while True:
        text = term.ask(f"  default: {_show(default)}\n> ")
        if text.lower() in HELP_KEYS:
            _show_help(session.kb, question, term)
        elif text.lower() in BACK_KEYS:
            return _BACK
        else:
            try:
                return read_reply(question, text, default)
            except ValueError as exc:
                term.say(f"  Not valid: {exc}")


def _show_options(question: Question, term: Terminal) -> None:
    if question.kind == "yesno":
        term.say("  y = yes, n = no")
        return
    width = max(len(str(o.value)) for o in question.options)
    for i, option in enumerate(question.options, 1):
        term.say(f"  {i}. {option.value!s:<{width}}  {option.label}")
    if question.kind == "many":
        term.say("  (choose all that apply: numbers or names, separated by commas)")


def _show_help(kb: KnowledgeBase, question: Question, term: Terminal) -> None:
    term.say("  Why it matters:")
    term.wrap(question.help, indent="    ")
    sources = [kb.source[s] for s in kb.sources_of(question.claims)]
    if sources:
        term.say("  Sources:")
        for source in sources:
            term.wrap(f"{source.title} ({source.date}) {source.url or ''}", indent="    ")
    term.say(f"  ({valid_replies(question)}; < goes back)")


def _review(session: Questionnaire, term: Terminal) -> None:
    """List every answer; change any by number until the person accepts them."""
    while True:
        asked = session.asked()
        term.say("\nYour answers:")
        for i, question in enumerate(asked, 1):
            term.say(f"  {i:>2}. {question.id:<20} {_show(session.default(question))}")
        text = term.ask("Enter to get the advice, or a number to change that answer: ")
        if not text:
            return
        if not text.isdigit() or not 1 <= int(text) <= len(asked):
            term.say(f"  Not valid: give a number 1-{len(asked)}, or press Enter")
            continue
        question = asked[int(text) - 1]
        reply = _ask_one(session, question, term)
        if reply is not _BACK:
            session.answer(question, reply)
        _ask_all(session, term)  # a changed answer can make another question apply


def _offer_save(
    kb: KnowledgeBase, session: Questionnaire, save: Path | None, term: Terminal
) -> None:
    if not session.given:
        return
    count = len(session.given)
    try:
        if term.ask(f"Save the {count} answer(s) given so far? [y/N] ").lower() not in ("y", "yes"):
            return
        target = save or Path(term.ask("File name [answers.yaml]: ") or "answers.yaml")
        check_save_path(target)
    except Stopped:
        return
    except UserError as exc:
        term.say(f"Not saved: {exc}")
        return
    notes = dict.fromkeys(session.given, "your answer")
    _save(kb, session, target, notes, header=f"partial: {count} answered in `fwadvise ask`")
    term.say(f"Saved to {target}; continue with: fwadvise ask --answers {target}")


def _save(
    kb: KnowledgeBase, session: Questionnaire, path: Path, notes: dict[str, str], *, header: str
) -> None:
    """The answers named in `notes`, each with its note (your answer, or the default)."""
    chosen = {qid: session.answers()[qid] for qid in notes}
    write_atomic(path, answers_yaml(kb, chosen, notes, header))


def _show(value: Any) -> str:
    """As show_value, but yes/no: the prompt asks y or n."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return show_value(value)


def offer_probes(term: Terminal) -> bool:
    """Offer to measure both frameworks here before the advice; True if the person accepts.
    Not offered where neither framework is installed (there would be nothing to measure)."""
    from fwadvise.probes.cache import load_cached
    from fwadvise.probes.detect import framework_versions

    installed = [name for name, version in framework_versions().items() if version]
    if not installed:
        return False
    cached = load_cached()
    if cached is not None:
        from fwadvise.cli.probe_cmd import age_text

        what = f"use this machine's measurements from {age_text(cached.age_s)} ago"
    else:
        what = f"measure {' and '.join(installed)} on this machine first (about 2 minutes)"
    reply = term.ask(f"\nBefore the advice, {what}? [y/N] ")
    return reply.lower() in ("y", "yes")
