"""Issue 10: dated ratings, honest dates, one fact scored once, the weight scale, and the
`kb changes` / `kb review` commands. The knowledge base is edited in a copy to show each check
catches what it is for; the real one must pass them all."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.kb import loader as kb_mod
from fwadvise.advisor.kb.conditions import Facts
from fwadvise.advisor.kb.honesty import latest_mention, speaks_of_later
from fwadvise.advisor.kb.lint import lint
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning.engine import Recommendation, recommend
from fwadvise.advisor.reasoning.scoring import rating_steps
from tests.test_lint import edit, problems

TODAY = dt.date(2026, 11, 28)


def advise(kb: KnowledgeBase, profile: str, *sets: str, on: dt.date = TODAY) -> Recommendation:
    return recommend(kb, resolve(kb, profile=profile, overrides=list(sets)), as_of=on)


# --- dated ratings ---


def test_a_criterion_is_read_with_the_ratings_of_the_date(kb: KnowledgeBase) -> None:
    browser = next(c for c in kb.criteria if c.id == "browser")
    seen = {}
    for on in (dt.date(2024, 1, 1), dt.date(2025, 1, 1), TODAY):
        ratings, _ = rating_steps(browser, Facts({}, as_of=on))
        seen[on.year] = (ratings.pytorch, ratings.tensorflow)
    assert seen == {2024: (1, 5), 2025: (3, 5), 2026: (3, 3)}
    documents, steps = rating_steps(browser, Facts({}, as_of=TODAY, documents_only=True))
    assert (documents.pytorch, documents.tensorflow, steps) == (1, 5, [])


def test_the_reason_says_rated_until_and_since_because(kb: KnowledgeBase) -> None:
    rec = advise(kb, "industry")
    reason = next(r for r in rec.reasons if r.rule == "criterion:deployment_serving")
    assert "TensorFlow rated 4/5" in reason.because
    assert "until 2026-02-03" in reason.because and "because TF Serving" in reason.because
    assert "tf-serving-lag" in reason.sources  # the re-rating's own dated source


def test_a_lead_evened_by_later_facts_is_shown_as_retired(kb: KnowledgeBase) -> None:
    rec = advise(kb, "researcher", "deployment_targets=browser")
    retired = {r.rule: r for r in rec.retired}
    assert retired["criterion:browser"].favors == "tensorflow"
    assert retired["criterion:browser"].until == dt.date(2026, 6, 10)
    assert "criterion:browser" not in {r.rule for r in rec.reasons}


@pytest.mark.parametrize(
    ("profile", "sets"),
    [
        ("industry", ["existing_stack=tensorflow"]),
        ("iot-engineer", []),
        ("data-scientist", []),
        ("mobile-developer", ["mobile_media_input=true"]),
    ],
)
def test_no_overshoot_teams_best_served_by_tensorflow_still_hear_it(
    kb: KnowledgeBase, profile: str, sets: list[str]
) -> None:
    assert advise(kb, profile, *sets).verdict == "tensorflow"


def test_a_close_verdict_says_keras_lets_the_team_defer(kb: KnowledgeBase) -> None:
    close = advise(kb, "industry")
    assert close.confidence < kb.settings.close_calls[0].below
    assert any("Keras 3" in n and "keras-3-release" in n for n in close.notes)
    assert not advise(kb, "researcher").notes  # not close
    assert not advise(kb, "industry", on=dt.date(2023, 7, 1)).notes  # before Keras 3


# --- honest dates ---


def test_latest_mention_reads_years_months_and_days() -> None:
    assert latest_mention("2.19 (Mar 2025), 2.21 (Mar 2026)") == (2026, 3, 1)
    assert latest_mention("1.0 in October 2025") == (2025, 10, 1)
    assert latest_mention("archived on 2024-09-04, announced 2019") == (2024, 9, 4)
    assert latest_mention("TF 2.16 and torch 2.13") is None  # versions are not years
    assert speaks_of_later("1.0 in October 2025", dt.date(2024, 10, 24)) == "2025-10-01"
    assert speaks_of_later("1.0 in October 2025", dt.date(2025, 10, 21)) is None


def test_an_update_dated_before_its_source_is_refused(kb_copy: Path) -> None:
    edit(kb_copy / "claims.yaml", "since: 2019-09-30", "since: 2019-09-01")
    found = problems(kb_copy)
    assert any(
        "claims.yaml:" in p and "before its source tf-eager-default (2019-09-30)" in p
        for p in found
    )


def test_a_text_that_speaks_of_a_later_event_is_refused(kb_copy: Path) -> None:
    edit(
        kb_copy / "claims.yaml", "reached Beta (v0.4).", "reached Beta (v0.4), 1.0 in October 2025."
    )
    found = problems(kb_copy)
    assert any("read from 2024-10-24 on but speaks of 2025-10-01" in p for p in found)


def test_a_rule_starting_before_its_later_source_is_refused(kb_copy: Path) -> None:
    edit(kb_copy / "rules.yaml", "valid_from: 2024-10-24", "valid_from: 2024-10-01")
    found = problems(kb_copy)
    assert any(
        "mobile-executorch: dated 2024-10-01, before later.executorch-beta" in p for p in found
    )


# --- one fact scores once ---


def test_a_claim_in_a_criterion_and_a_rule_for_the_same_side_is_refused(kb_copy: Path) -> None:
    edit(kb_copy / "rules.yaml", "claims: [persona.iot]\n", "claims: [persona.iot, iot.kh-coral]\n")
    found = problems(kb_copy)
    assert any(
        "iot.kh-coral supports both criterion iot_embedded and rule iot-tflite-coral" in p
        for p in found
    )


def test_rules_that_never_hold_together_may_share_a_claim(kb: KnowledgeBase) -> None:
    # researcher-pytorch (not RL) and rl-pytorch-now (RL) both rest on the researcher claim
    sharing = [r for r in kb.rules if "persona.researcher-defacto" in r.claims]
    assert {r.id for r in sharing} >= {"researcher-pytorch", "rl-pytorch-now"}
    assert not [p for p in map(str, lint(kb)) if "supports both" in p]


@pytest.mark.parametrize("on", [dt.date(2023, 7, 1), dt.date(2024, 6, 1), TODAY])
def test_no_claim_supports_two_reasons_for_one_side_in_any_profile(
    kb: KnowledgeBase, on: dt.date
) -> None:
    for profile in kb.profiles:
        rec = advise(kb, profile.id, on=on)
        for side in ("pytorch", "tensorflow"):
            seen: dict[str, str] = {}
            for reason in rec.reasons:
                if reason.favors != side or reason.kind == "measured":
                    continue
                for cid in reason.claims:
                    if kb.claim[cid].favors == side:
                        assert cid not in seen, (profile.id, cid, seen.get(cid), reason.rule)
                        seen[cid] = reason.rule


# --- the weight scale ---


def test_guidance_above_the_scale_is_refused(kb_copy: Path) -> None:
    edit(kb_copy / "rules.yaml", "    points: 8\n", "    points: 30\n")
    assert any("guidance gives 0.5 to 8 points, not 30" in p for p in problems(kb_copy))


def test_a_requirement_needs_should_use_wording(kb_copy: Path) -> None:
    edit(
        kb_copy / "rules.yaml",
        "  - id: beginner-keras\n    kind: guidance",
        "  - id: beginner-keras\n    kind: requirement",
    )
    found = problems(kb_copy)
    assert any("beginner-keras: a requirement gives 30 points" in p for p in found)
    assert any("beginner-keras: a requirement needs a source that says" in p for p in found)


def test_a_criterion_weight_above_the_scale_is_refused(kb_copy: Path) -> None:
    edit(kb_copy / "criteria.yaml", "add: 3, why: models must run", "add: 5, why: models must run")
    assert any("browser: its weight can reach 5" in p for p in problems(kb_copy))


# --- every claim used or kept ---


def test_an_unused_claim_needs_a_reason(kb_copy: Path) -> None:
    kept = (
        "    kept: \"the quote behind the LiteRT step of the IoT claims' updates; LiteRT still "
        'takes TensorFlow models natively, so it re-rates nothing"\n'
    )
    edit(kb_copy / "claims.yaml", kept, "")
    assert any("later.litert is cited by no criterion" in p for p in problems(kb_copy))
    # and a reason on a claim that is cited is refused too
    edit(
        kb_copy / "claims.yaml",
        "    topic: ease_of_use\n",
        "    topic: ease_of_use\n    kept: why\n",
    )
    assert any("is cited, so it needs no `kept:` reason" in p for p in problems(kb_copy))


def test_the_shipped_knowledge_base_passes_every_check(kb: KnowledgeBase) -> None:
    fresh = kb_mod.load(snapshot=False)
    assert [str(p) for p in lint(fresh)] == []


# --- kb changes and kb review ---


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwadvise", *args], capture_output=True, text=True, timeout=120
    )


def test_kb_changes_lists_dated_changes_in_order() -> None:
    done = run("kb", "changes", "--since", "2024-10-01", "--until", "2026-12-31", "-f", "json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    dates = [c["date"] for c in found]
    assert dates == sorted(dates) and dates[0] >= "2024-10-01"
    browser = [c for c in found if c["item"] == "browser" and c["kind"] == "re-rating"]
    assert [c["date"] for c in browser] == ["2024-10-22", "2026-06-10"]
    assert "PyTorch 3/5, TensorFlow 5/5 -> PyTorch 3/5, TensorFlow 3/5" in browser[1]["text"]
    assert browser[1]["sources"] == ["tfjs-dormant"]


def test_kb_review_lists_claims_checked_before_a_date() -> None:
    done = run("kb", "review", "--older-than", "2026-11-25", "-f", "json")
    assert done.returncode == 0, done.stderr
    due = json.loads(done.stdout)
    assert due and all(d["checked"] is None or d["checked"] < "2026-11-25" for d in due)
    assert "later.horovod-dead" not in {d["id"] for d in due}  # checked 2026-11-28
    bad = run("kb", "review", "--older-than", "soon")
    assert bad.returncode == 2 and "--older-than" in bad.stderr


def test_an_as_of_date_before_the_documents_says_so(kb: KnowledgeBase) -> None:
    early = advise(kb, "researcher", on=dt.date(2021, 1, 1))
    assert any("spheron-2024 (2024-05-23) had not been published yet" in w for w in early.warnings)
    assert not [w for w in advise(kb, "researcher").warnings if "not been published" in w]
