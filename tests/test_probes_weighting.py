"""The real architectures' rows are weighed by use case (knowledge/rules.yaml): vision teams are
advised from ResNet-50 (MobileNetV2 on the edge), NLP teams from BERT-base, generative ones from
GPT-2, speech teams from the LSTM; training rows for everyone of that use case, latency rows only
for teams that serve or deploy to the edge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning import evidence
from fwadvise.advisor.reasoning.engine import recommend
from tests.test_evidence_advice import document, row, write

# PyTorch 2x faster on the vision rows, TensorFlow 2x faster on the language and speech rows
ROWS = {
    "resnet50_train": (0.010, 0.020),
    "mobilenet_v2_train": (0.010, 0.020),
    "resnet50_latency": (0.010, 0.020),
    "mobilenet_v2_latency": (0.010, 0.020),
    "bert_base_train": (0.020, 0.010),
    "gpt2_small_train": (0.020, 0.010),
    "bert_base_latency": (0.020, 0.010),
    "gpt2_small_generate": (0.020, 0.010),
    "lstm_speech_train": (0.020, 0.010),
    "lstm_speech_latency": (0.020, 0.010),
}


@pytest.fixture
def facts(tmp_path: Path) -> dict[str, Any]:
    doc = document()
    for workload, (pt, tf) in ROWS.items():
        doc["results"] += [row(workload, "pytorch", pt), row(workload, "tensorflow", tf)]
    return evidence.facts(evidence.load([write(tmp_path, doc)]))


def measured_rows(kb: KnowledgeBase, facts: dict[str, Any], **stated: Any) -> dict[str, float]:
    answers = resolve(kb, profile="researcher", stated=stated)
    advice = recommend(kb, answers, measured=facts)
    rows: dict[str, float] = {}
    for reason in advice.reasons:
        if reason.kind == "measured":
            workload = reason.rule.removeprefix("measured-").rsplit("-wide", 1)[0]
            workload = workload.removesuffix("-pytorch").removesuffix("-tensorflow")
            rows[workload] = rows.get(workload, 0.0) + reason.points
    return rows


def test_vision_and_language_teams_use_different_architecture_rows(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    vision = measured_rows(kb, facts, use_cases=["computer_vision"])
    language = measured_rows(kb, facts, use_cases=["nlp"])
    generative = measured_rows(kb, facts, use_cases=["generative_ai"])
    assert set(vision) - {"train-step"} == {"resnet50-train"}
    assert set(language) - {"train-step"} == {"bert-base-train"}
    assert set(generative) - {"train-step"} == {"gpt2-small-train"}
    # the stand-in rows are not counted again once the real architecture was measured
    assert "conv" not in vision and "transformer" not in language


def test_serving_and_edge_teams_also_use_the_latency_rows(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    served = measured_rows(kb, facts, use_cases=["generative_ai"], production_serving=True)
    assert {"gpt2-small-train", "gpt2-small-generate"} <= set(served)
    server = measured_rows(
        kb, facts, use_cases=["computer_vision"], deployment_targets=["cloud_server"]
    )
    edge = measured_rows(kb, facts, use_cases=["computer_vision"], deployment_targets=["mobile"])
    assert "resnet50-latency" in server and "mobilenet-v2-latency" not in server
    assert "mobilenet-v2-latency" in edge and "resnet50-latency" not in edge
    research = measured_rows(kb, facts, use_cases=["generative_ai"])
    assert not any(w.endswith(("latency", "generate")) for w in research)


def test_architecture_points_grow_with_the_gap_and_stop_at_2_per_use(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    # 2x with a tight interval: clear and wide, so 2 points for each row a team's answers use
    for use_case, used in (
        ("computer_vision", "resnet50-train"),
        ("nlp", "bert-base-train"),
        ("speech_audio", "lstm-speech-train"),
    ):
        rows = measured_rows(kb, facts, use_cases=[use_case])
        assert rows[used] == pytest.approx(2.0), use_case


def test_the_reason_quotes_the_figures_and_the_machine(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    answers = resolve(kb, profile="researcher", stated={"use_cases": ["speech_audio"]})
    advice = recommend(kb, answers, measured=facts)
    [reason] = [r for r in advice.reasons if r.rule == "measured-lstm-speech-train-tensorflow"]
    assert "TensorFlow 2.00x faster" in reason.because and "laptop" in reason.because
