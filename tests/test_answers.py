"""Answer sets: validation against the questions, defaults, profiles, overrides, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwadvise.advisor.errors import AnswersError
from fwadvise.advisor.inputs.answers import complete, parse_override, read_answers_file, resolve
from fwadvise.advisor.kb.loader import KnowledgeBase


def test_defaults_fill_what_is_left_out(tiny: KnowledgeBase) -> None:
    assert complete(tiny, {"role": "industry"}, origin="t") == {
        "role": "industry",
        "targets": ["lab"],
        "video": False,
    }


def test_many_values_are_canonical(tiny: KnowledgeBase) -> None:
    done = complete(tiny, {"targets": ["phone", "lab", "phone"]}, origin="t")
    assert done["targets"] == ["lab", "phone"]
    assert complete(tiny, {"targets": "web"}, origin="t")["targets"] == ["web"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"rol": "industry"}, "unknown question id 'rol'; valid ids: role, targets, video"),
        ({"role": "boss"}, "role: 'boss' is not a valid value; valid: one of researcher, industry"),
        ({"role": ["industry"]}, "role: takes one value"),
        (
            {"targets": ["web", "moon"]},
            "targets: 'moon' not valid; valid: a list of any of lab, web, phone",
        ),
        ({"targets": 3}, "targets: takes a list of values"),
        ({"video": "maybe"}, "video: takes true or false, got 'maybe'"),
    ],
)
def test_bad_answers_name_the_id_and_valid_values(
    tiny: KnowledgeBase, given: dict, message: str
) -> None:
    with pytest.raises(
        AnswersError, match="^t: " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        complete(tiny, given, origin="t")


def test_answers_file_errors_have_file_and_line(tiny: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("# my project\nrole: industry\ntargets: [web, moon]\n")
    with pytest.raises(AnswersError, match=rf"{path}:3: targets: 'moon' not valid"):
        read_answers_file(tiny, path)
    path.write_text("- role\n")
    with pytest.raises(AnswersError, match="a mapping of question id to value"):
        read_answers_file(tiny, path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("role=industry", ("role", "industry")),
        ("targets=web,phone", ("targets", ["web", "phone"])),
        ("video=yes", ("video", True)),
        ("video=False", ("video", False)),
    ],
)
def test_overrides(tiny: KnowledgeBase, text: str, expected: tuple) -> None:
    assert parse_override(tiny, text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("role", "--set takes id=value"),
        ("=x", "--set takes id=value"),
        ("colour=red", "unknown question id 'colour'"),
        ("video=perhaps", "video: takes true or false"),
        ("targets=web,moon", "'moon' not valid"),
    ],
)
def test_bad_overrides(tiny: KnowledgeBase, text: str, message: str) -> None:
    with pytest.raises(AnswersError, match=message):
        parse_override(tiny, text)


def test_resolve_order_profile_file_overrides(tiny: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("targets: [web]\n")
    got = resolve(tiny, profile="r", answers_file=path, overrides=["video=true"])
    assert got == {"role": "researcher", "targets": ["web"], "video": True}
    with pytest.raises(AnswersError, match="unknown profile 'x'; valid profiles: r"):
        resolve(tiny, profile="x")
