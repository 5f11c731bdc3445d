"""The real architectures' rows are weighed by use case (knowledge/rules.yaml): vision teams are
advised from ResNet/MobileNet, language teams from BERT/GPT-2, speech teams from the LSTM;
training rows for everyone of that use case, latency rows only for teams that serve."""

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
    architectures = {"resnet50", "mobilenet-v2", "bert-base", "gpt2-small", "lstm-speech"}
    used_vision = {w for w in vision if w.split("-train")[0].split("-latency")[0] in architectures}
    used_language = {w for w in language if w.startswith(("bert", "gpt2"))}
    assert used_vision == {"resnet50-train", "mobilenet-v2-train"}
    assert used_language == {"bert-base-train", "gpt2-small-train"}
    assert not any(w.startswith(("bert", "gpt2", "lstm")) for w in vision)
    assert not any(w.startswith(("resnet", "mobilenet", "lstm")) for w in language)
    # the stand-in rows are not counted again once the real architecture was measured
    assert "conv" not in vision and "transformer" not in language


def test_serving_teams_also_use_the_latency_rows(kb: KnowledgeBase, facts: dict[str, Any]) -> None:
    serving = measured_rows(
        kb, facts, use_cases=["generative_ai"], deployment_targets=["cloud_server"]
    )
    assert {"bert-base-latency", "gpt2-small-generate"} <= set(serving)
    research = measured_rows(kb, facts, use_cases=["generative_ai"])
    assert not any(w.endswith(("latency", "generate")) for w in research)


def test_architecture_points_are_capped_per_use_case(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    # 2x with a tight interval: every row clear and wide; training rows sum to 2 per use case
    for use_case, prefixes in (
        ("computer_vision", ("resnet50-train", "mobilenet-v2-train")),
        ("nlp", ("bert-base-train", "gpt2-small-train")),
        ("speech_audio", ("lstm-speech-train",)),
    ):
        rows = measured_rows(kb, facts, use_cases=[use_case])
        assert sum(rows[p] for p in prefixes) == pytest.approx(2.0), use_case


def test_the_reason_quotes_the_figures_and_the_machine(
    kb: KnowledgeBase, facts: dict[str, Any]
) -> None:
    answers = resolve(kb, profile="researcher", stated={"use_cases": ["speech_audio"]})
    advice = recommend(kb, answers, measured=facts)
    [reason] = [r for r in advice.reasons if r.rule == "measured-lstm-speech-train-tensorflow"]
    assert "TensorFlow 2.00x faster" in reason.because and "laptop" in reason.because
