"""Dated knowledge: rules in force on a date, aged claims, the documents' verdict, staleness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fwadvise.advisor.inputs.answers import complete
from fwadvise.advisor.kb import loader as kb_mod
from fwadvise.advisor.kb.claims import claim_records
from fwadvise.advisor.reasoning.engine import recommend, staleness
from tests.conftest import TINY, write_tiny

# the web rule was the documents' advice until 2025-06-01; a later source replaced it
DATED = {
    "claims.yaml": TINY["claims.yaml"]
    + """
  - id: c.later
    topic: deploy
    favors: pytorch
    source: later
    quote: "PyTorch now deploys to the web too."
    summary: later
    checked: 2026-01-01
""".replace("  - id: c.later", "  - id: c.later"),
    "rules.yaml": """
rules:
  - id: web-tf
    kind: requirement
    when: {answer: targets, includes: web}
    favors: tensorflow
    points: 10
    because: web needs TF
    claims: [c.deploy]
    valid_until: 2025-06-01
  - id: web-either
    when: {answer: targets, includes: web}
    favors: pytorch
    points: 1
    because: PyTorch models run on the web since 2025
    claims: [c.later]
    valid_from: 2025-06-01
""",
}


def dated_kb(tmp_path: Path, update: bool = True) -> kb_mod.KnowledgeBase:
    claims = DATED["claims.yaml"]
    if update:
        claims = claims.replace(
            'quote: "TensorFlow deploys well.", summary: deploys}',
            'quote: "TensorFlow deploys well.", summary: deploys, checked: 2026-01-01, '
            "updates: [{text: PyTorch deploys to the web too, since: 2025-06-01, source: later}]}",
        )
    return kb_mod.load(
        write_tiny(tmp_path / "kb", **{**DATED, "claims.yaml": claims}), snapshot=False
    )


def test_as_of_before_and_after_an_update_give_the_two_advices(tmp_path: Path) -> None:
    kb = dated_kb(tmp_path)
    answers = complete(kb, {"targets": ["web"]}, origin="t")
    then = recommend(kb, answers, as_of=dt.date(2024, 6, 1))
    now = recommend(kb, answers, as_of=dt.date(2026, 11, 21))
    assert then.verdict == "tensorflow" and "web-tf" in {r.rule for r in then.reasons}
    assert now.verdict == "pytorch" and "web-tf" not in {r.rule for r in now.reasons}
    assert "web-either" in {r.rule for r in now.reasons}
    # today's advice says the documents differ, and why
    assert now.documents_verdict == "tensorflow"
    assert [r.rule for r in now.retired] == ["web-tf"]
    assert now.retired[0].aged[0].since == dt.date(2025, 6, 1)
    assert then.documents_verdict is None and then.retired == ()


def test_reason_on_an_aged_claim_is_marked_only_after_the_update(tmp_path: Path) -> None:
    kb = dated_kb(tmp_path)
    answers = complete(kb, {"role": "industry"}, origin="t")  # deploy criterion rests on c.deploy
    deploy = lambda rec: next(r for r in rec.reasons if r.rule == "criterion:deploy")  # noqa: E731
    assert deploy(recommend(kb, answers, as_of=dt.date(2026, 1, 1))).aged[0].claim == "c.deploy"
    assert deploy(recommend(kb, answers, as_of=dt.date(2024, 1, 1))).aged == ()


def test_claim_records_are_the_issue_format(tmp_path: Path) -> None:
    records = {r["id"]: r for r in claim_records(dated_kb(tmp_path))}
    aged = records["c.deploy"]
    assert set(aged) >= {"id", "text", "sources", "status", "checked", "update"}
    assert aged["status"] == "aged" and aged["checked"] == "2026-01-01"
    assert aged["update"]["since"] == "2025-06-01" and aged["update"]["source"] == "later"
    assert records["c.easy"]["status"] == "current" and records["c.easy"]["update"] is None


def test_staleness_warning(tmp_path: Path) -> None:
    kb = dated_kb(tmp_path)  # newest check: 2026-01-01
    assert staleness(kb, dt.date(2026, 12, 31)) is None
    warning = staleness(kb, dt.date(2027, 1, 2))
    assert warning and "more than 12 months" in warning
    unchecked = dated_kb(tmp_path / "b", update=False)
    unchecked_claims = [c for c in unchecked.claims if c.checked]
    assert len(unchecked_claims) == 1  # only c.later
