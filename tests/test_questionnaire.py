"""The questionnaire: its logic (advisor/questionnaire.py) and a person at a real terminal
(a pseudo-terminal driven by pexpect): help, an invalid answer, going back, review-and-edit,
saving, Ctrl-C, and no terminal at all."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fwadvise.advisor.inputs.answers import ANSWERS_MARK, check_value
from fwadvise.advisor.inputs.questionnaire import Questionnaire, read_reply
from fwadvise.advisor.kb.loader import load as load_kb

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the terminal tests")

ROOT = Path(__file__).resolve().parents[1]


# --- the logic ---------------------------------------------------------------------------


def test_questions_come_in_the_knowledge_base_order(kb) -> None:
    session = Questionnaire(kb)
    asked = []
    while (question := session.next()) is not None:
        asked.append(question.id)
        session.answer(question, session.default(question))
    expected = [q.id for q in kb.questions if q.ask_when is None]  # defaults: no mobile target
    assert asked == expected


def test_the_media_question_is_asked_only_for_a_mobile_target(kb) -> None:
    session = Questionnaire(kb)
    media = kb.question["mobile_media_input"]
    assert media not in session.asked()
    session.answer(kb.question["deployment_targets"], ["mobile"])
    assert media in session.asked()
    session.answer(media, True)
    session.answer(kb.question["deployment_targets"], ["cloud_server"])
    assert media not in session.asked()
    assert "mobile_media_input" not in session.given  # an answer that no longer applies goes


def test_back_undoes_the_last_answer_and_offers_it_again(kb) -> None:
    session = Questionnaire(kb)
    role, uses = kb.question["role"], kb.question["use_cases"]
    assert session.back() is None  # nothing to go back to
    session.answer(role, "industry")
    session.answer(uses, ["nlp", "speech_audio"])
    assert session.back() is uses
    assert session.next() is uses
    assert session.default(uses) == ["nlp", "speech_audio"]
    assert session.given == {"role": "industry"}


def test_a_profile_gives_the_defaults(kb) -> None:
    from fwadvise.advisor.inputs.answers import profile_answers

    session = Questionnaire(kb, profile_answers(kb, "mobile-developer"))
    assert session.default(kb.question["deployment_targets"]) == ["mobile"]
    assert kb.question["mobile_media_input"] in session.asked()


@pytest.mark.parametrize(
    ("qid", "text", "expected"),
    [
        ("role", "", "researcher"),
        ("role", "2", "industry"),
        ("role", " beginner ", "beginner"),
        ("use_cases", "1, nlp", ["computer_vision", "nlp"]),
        ("use_cases", "5 2", ["nlp", "generative_ai"]),
        ("needs_sota_models", "y", True),
        ("needs_sota_models", "No", False),
    ],
)
def test_replies_by_number_name_or_default(kb, qid: str, text: str, expected: object) -> None:
    question = kb.question[qid]
    default = Questionnaire(kb).default(question)
    assert read_reply(question, text, default) == expected


@pytest.mark.parametrize(
    ("qid", "text", "says"),
    [
        ("role", "4", "give a number 1-3"),
        ("role", "0", "not an option"),
        ("role", "1 2", "one answer"),
        ("role", "chef", "researcher, industry, beginner"),
        ("use_cases", "1, robotics", "'robotics' is not an option"),
        ("needs_sota_models", "maybe", "true or false"),
    ],
)
def test_invalid_replies_say_what_is_valid(kb, qid: str, text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        read_reply(kb.question[qid], text, None)


# --- at a terminal -----------------------------------------------------------------------


def _spawn(args: list[str], tmp_path: Path) -> pexpect.spawn:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # no cached measurements to offer
        "COLUMNS": "100",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fwadvise", *args],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 100),
    )
    return child


def _answer(child: pexpect.spawn, reply: str) -> None:
    child.expect(r"\n> ")
    child.sendline(reply)


def _decline_probes(child: pexpect.spawn) -> None:
    """The offer to measure first appears only where a framework is installed."""
    if child.expect([r"Before the advice.*\[y/N\] ", "Verdict|\\{"]) == 0:
        child.sendline("n")


def _transcript(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    return child.before.replace("\r\n", "\n")


def test_a_person_answers_with_help_an_error_back_and_an_edit(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    child = _spawn(["ask", "--save", str(saved), "--format", "json"], tmp_path)
    _answer(child, "?")  # role: why it matters
    child.expect("Why it matters:")
    child.expect("Sources:")
    _answer(child, "7")
    child.expect("Not valid: '7' is not an option; give a number 1-3")
    _answer(child, "industry")
    _answer(child, "1,nlp")  # use_cases
    _answer(child, "<")  # team_skill: back to use_cases, offered with the answer given
    child.expect(r"\[2/\d+\] What will the models do")
    child.expect("default: computer_vision, nlp")
    _answer(child, "nlp")
    _answer(child, "")  # team_skill: default
    _answer(child, "mobile")  # deployment_targets: the media question now applies
    child.expect(r"\[5/12\] Will the mobile app take video or audio input\?")
    _answer(child, "y")
    for _ in range(7):  # the rest: defaults
        _answer(child, "")
    child.expect("Your answers:")
    child.expect("change that answer: ")
    child.sendline("4")  # deployment_targets -> cloud_server: the media question goes
    _answer(child, "cloud_server")
    child.expect("Your answers:")
    child.expect("change that answer: ")
    review = child.before
    assert "mobile_media_input" not in review and "cloud_server" in review
    child.sendline("")
    child.expect("Saved the answers to")
    _decline_probes(child)
    out = _transcript(child)
    assert child.exitstatus == 0, out
    advice = json.loads(out[out.index("{") :])
    assert advice["answers"]["role"] == "industry"
    assert advice["answers"]["use_cases"] == ["nlp"]
    assert advice["answers"]["deployment_targets"] == ["cloud_server"]

    assert saved.read_text().startswith(ANSWERS_MARK)
    replay = subprocess.run(
        [
            sys.executable,
            "-m",
            "fwadvise",
            "recommend",
            "--answers",
            str(saved),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    replayed = json.loads(replay.stdout)
    for key in ("verdict", "confidence", "scores", "answers", "what_would_change"):
        assert replayed[key] == advice[key], key


def test_ctrl_c_offers_to_save_what_was_answered(tmp_path: Path) -> None:
    saved = tmp_path / "partial.yaml"
    child = _spawn(["ask"], tmp_path)
    _answer(child, "beginner")
    _answer(child, "2")
    child.expect(r"\n> ")
    child.sendintr()
    child.expect("Stopped.")
    child.expect(r"Save the 2 answer\(s\) given so far\? \[y/N\] ")
    child.sendline("y")
    child.expect(r"File name \[answers.yaml\]: ")
    child.sendline(str(saved))
    child.expect("Saved to")
    _transcript(child)
    assert child.exitstatus == 130
    text = saved.read_text()
    assert text.startswith(ANSWERS_MARK)
    assert "role: beginner" in text and "use_cases: [nlp]" in text
    assert "team_skill" not in text  # not answered: not saved

    resumed = _spawn(["ask", "--answers", str(saved)], tmp_path)  # the saved answers as defaults
    resumed.expect("default: beginner")
    resumed.sendintr()
    resumed.expect(r"\[y/N\] |Stopped")
    resumed.terminate(force=True)


def test_end_of_input_stops_without_a_traceback(tmp_path: Path) -> None:
    child = _spawn([], tmp_path)  # `fwadvise` alone on a terminal: the questionnaire
    child.expect(r"\n> ")
    child.sendeof()
    out = _transcript(child)
    assert "Stopped." in out and "Traceback" not in out
    assert child.exitstatus == 130


def test_no_terminal_means_exit_2_not_a_hang(tmp_path: Path) -> None:
    for args in ([], ["ask"]):
        run = subprocess.run(
            [sys.executable, "-m", "fwadvise", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        )
        assert run.returncode == 2
        assert "--answers FILE or --profile NAME" in run.stderr
        assert "Traceback" not in run.stderr


def test_save_never_overwrites_a_file_fwadvise_did_not_write(tmp_path: Path) -> None:
    precious = tmp_path / "notes.yaml"
    precious.write_text("my: notes\n")
    child = _spawn(["ask", "--save", str(precious)], tmp_path)
    out = _transcript(child)
    assert child.exitstatus == 2
    assert "is not an answers file written by fwadvise" in out
    assert precious.read_text() == "my: notes\n"


# --- any sequence of replies ---------------------------------------------------------------

KB = load_kb()
REPLIES = st.lists(
    st.one_of(
        st.just("<"),
        st.just(""),
        st.integers(0, 8).map(str),
        st.sampled_from(["y", "n", "nlp", "mobile", "1,3", "browser, 2", "chef", "1 2"]),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(REPLIES)
def test_any_replies_leave_valid_answers_for_questions_that_apply(replies: list[str]) -> None:
    """Whatever a person types (valid, invalid, back, Enter), the answers so far are valid,
    only questions that apply hold answers, and Enter to the end finishes the questionnaire."""
    session = Questionnaire(KB)
    for text in replies:
        question = session.next()
        if question is None:
            break
        if text == "<":
            session.back()
            continue
        with contextlib.suppress(ValueError):  # an invalid reply: re-asked at the terminal
            session.answer(question, read_reply(question, text, session.default(question)))
    for qid, value in session.given.items():
        question = KB.question[qid]
        assert check_value(question, value) == value
        assert session.applies(question)
    for _ in range(len(KB.questions) + 1):  # Enter from here on
        question = session.next()
        if question is None:
            break
        session.answer(question, session.default(question))
    assert session.next() is None
    assert {q.id for q in session.asked()} <= set(session.given)
