"""Engine mechanics on a tiny knowledge base: points, verdict, band, what would change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fwadvise.advisor.inputs.answers import complete
from fwadvise.advisor.kb import loader as kb_mod
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning.engine import recommend
from fwadvise.advisor.reasoning.scoring import decide
from tests.conftest import write_tiny


def answers(kb: KnowledgeBase, **given: object) -> dict:
    return complete(kb, given, origin="test")


def test_points_trace_to_reasons(tiny: KnowledgeBase) -> None:
    rec = recommend(tiny, answers(tiny))
    # researcher: ease weight 1 + 1 = 2, gap 2 -> PyTorch 4; deploy weight 0 -> nothing
    assert rec.scores == {"pytorch": 4.0, "tensorflow": 0.0}
    assert [(r.rule, r.favors, r.points) for r in rec.reasons] == [
        ("criterion:ease", "pytorch", 4.0)
    ]
    assert rec.reasons[0].sources == ("doc",)
    assert rec.verdict == "pytorch" and rec.confidence == 1.0
    for fw in ("pytorch", "tensorflow"):
        assert rec.scores[fw] == sum(r.points for r in rec.reasons if r.favors == fw)


def test_requirement_rule_and_weights(tiny: KnowledgeBase) -> None:
    rec = recommend(tiny, answers(tiny, role="industry", targets=["web"]))
    # ease weight 1 -> PyTorch 2; deploy weight 1, gap 3 -> TensorFlow 3; web rule -> TensorFlow 10
    assert rec.scores == {"pytorch": 2.0, "tensorflow": 13.0}
    assert rec.verdict == "tensorflow"
    assert rec.confidence == round(11 / 15, 3)


@pytest.mark.parametrize(
    ("scores", "verdict"),
    [
        ({"pytorch": 10, "tensorflow": 9}, "either"),  # 1/19 = 0.053 < 0.1
        ({"pytorch": 11, "tensorflow": 9}, "pytorch"),  # 2/20 = 0.1, not below the band
        ({"pytorch": 1, "tensorflow": 3}, "tensorflow"),
        ({"pytorch": 0, "tensorflow": 0}, "either"),
    ],
)
def test_band(scores: dict, verdict: str) -> None:
    assert decide(scores, 0.1)[0] == verdict


def test_what_would_change_singles(tiny: KnowledgeBase) -> None:
    rec = recommend(tiny, answers(tiny))
    changes = {repr(c.answers): c.verdict for c in rec.what_would_change}
    assert changes == {
        repr({"targets": ["lab", "web"]}): "tensorflow",  # the web requirement
        repr({"role": "industry"}): "tensorflow",  # ease weight 1 (PT 2) < deploy weight 1 (TF 3)
    }


def test_what_would_change_pairs_only_when_no_single_flips(tiny_dir: Path) -> None:
    # make the web rule too weak to flip alone; phone + video together still can't; so pairs
    rules = """
rules:
  - {id: web-tf, when: {answer: targets, includes: web}, favors: tensorflow, points: 2, because: b, claims: [c.deploy]}
  - {id: phone-video, when: {all: [{answer: targets, includes: phone}, {answer: video, equals: true}]}, favors: tensorflow, points: 5, because: b, claims: [c.deploy]}
"""
    role_neutral = (
        (tiny_dir / "criteria.yaml")
        .read_text()
        .replace("add: 1, why: industry", "add: 0, why: industry")
    )
    kb = kb_mod.load(write_tiny(tiny_dir, **{"rules.yaml": rules, "criteria.yaml": role_neutral}))
    rec = recommend(kb, answers(kb))
    assert rec.verdict == "pytorch"
    flips = [c.answers for c in rec.what_would_change]
    assert {"targets": ["lab", "phone"], "video": True} in flips
    assert all(len(c) == 2 or len(next(iter(c.values()))) == 3 for c in flips)
    assert {"targets": ["lab", "web"]} not in flips  # a single change that does not flip


def test_deterministic(tiny: KnowledgeBase) -> None:
    a = recommend(tiny, answers(tiny, role="industry"), as_of=dt.date(2026, 1, 1))
    b = recommend(tiny, answers(tiny, role="industry"), as_of=dt.date(2026, 1, 1))
    assert a == b
