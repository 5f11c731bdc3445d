"""Property tests over random answer sets (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fwadvise.advisor.inputs.answers import complete
from fwadvise.advisor.kb.conditions import Facts
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.loader import load as load_kb
from fwadvise.advisor.reasoning.scoring import decide, score

KB = load_kb()


def answer_sets(kb: KnowledgeBase) -> st.SearchStrategy[dict[str, Any]]:
    fields = {}
    for q in kb.questions:
        values = [o.value for o in q.options]
        if q.kind == "many":
            fields[q.id] = st.lists(st.sampled_from(values), min_size=1, unique=True)
        else:
            fields[q.id] = st.sampled_from(values)
    return st.fixed_dictionaries(fields).map(lambda a: complete(kb, a, origin="hypothesis"))


def margin(answers: dict[str, Any], framework: str) -> float:
    scores = score(KB, Facts(answers)).scores
    other = "tensorflow" if framework == "pytorch" else "pytorch"
    return scores[framework] - scores[other]


def favoured_by_target(target: str) -> set[str]:
    """Which frameworks the rules and weights that mention this deployment target favour."""
    sides = set()
    for rule in KB.rules:
        if any(t.key == "deployment_targets" and target in t.values() for t in rule.when.tests()):
            sides.add(rule.favors)
    for c in KB.criteria:
        for w in c.weight.when:
            if any(t.key == "deployment_targets" and target in t.values() for t in w.when.tests()):
                gap = c.ratings.pytorch - c.ratings.tensorflow
                if gap:
                    sides.add("pytorch" if gap > 0 else "tensorflow")
    return sides


@settings(max_examples=300, deadline=None)
@given(answer_sets(KB))
def test_deterministic_finite_and_consistent(answers: dict[str, Any]) -> None:
    first = score(KB, Facts(answers))
    assert first == score(KB, Facts(dict(answers)))
    assert all(math.isfinite(v) and v >= 0 for v in first.scores.values())
    assert 0.0 <= first.confidence <= 1.0
    assert (first.verdict, first.confidence) == decide(first.scores, KB.settings.either_band)
    if first.verdict != "either":
        other = "tensorflow" if first.verdict == "pytorch" else "pytorch"
        assert first.scores[first.verdict] > first.scores[other]
        assert first.confidence >= KB.settings.either_band
    for fw in ("pytorch", "tensorflow"):
        assert math.isclose(
            first.scores[fw], sum(r.points for r in first.reasons if r.favors == fw)
        )


TARGETS = [o.value for o in KB.question["deployment_targets"].options]


@settings(max_examples=300, deadline=None)
@given(answer_sets(KB), st.sampled_from(TARGETS))
def test_adding_a_target_never_helps_the_framework_its_rules_disfavour(
    answers: dict[str, Any], target: str
) -> None:
    sides = favoured_by_target(target)
    if len(sides) != 1 or target in answers["deployment_targets"]:
        return  # rules for this target favour both sides (mobile), or it is already there
    favoured = sides.pop()
    disfavoured = "tensorflow" if favoured == "pytorch" else "pytorch"
    added = {**answers, "deployment_targets": [*answers["deployment_targets"], target]}
    assert margin(added, disfavoured) <= margin(answers, disfavoured) + 1e-9


def test_the_target_property_is_not_vacuous() -> None:
    assert favoured_by_target("browser") == {"tensorflow"}
    assert favoured_by_target("iot_embedded") == {"tensorflow"}
    assert favoured_by_target("mobile") == {"pytorch", "tensorflow"}


@settings(max_examples=40, deadline=None)
@given(answer_sets(KB))
def test_predicted_pairs_find_exactly_what_scoring_every_pair_finds(
    answers: dict[str, Any],
) -> None:
    from fwadvise.advisor.reasoning.sensitivity import what_would_change

    facts = Facts(answers)
    verdict = score(KB, facts).verdict
    assert what_would_change(KB, facts, verdict) == what_would_change(
        KB, facts, verdict, exact=True
    )
