"""Each persona of KnowledgeHut (knowledgehut-2023, "Which is Better PyTorch or TensorFlow?")
gets the advice the document gives it, as of the document's date (later updates change some of
it: tests/test_dated.py and the last tests here). Each test quotes the sentence it checks."""

from __future__ import annotations

import datetime as dt

from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning.engine import Recommendation, recommend

DOCUMENT_DATE = dt.date(2023, 7, 1)  # knowledgehut-2023, as sources.yaml dates it


def advise(
    kb: KnowledgeBase, profile: str, *overrides: str, on: dt.date = DOCUMENT_DATE
) -> Recommendation:
    return recommend(kb, resolve(kb, profile=profile, overrides=list(overrides)), as_of=on)


def rules(rec: Recommendation) -> set[str]:
    return {r.rule for r in rec.reasons}


def test_researcher_pytorch(kb: KnowledgeBase) -> None:
    # "So, if you are a researcher, you are certainly using PyTorch; for now, you should
    #  continue using it."
    rec = advise(kb, "researcher")
    assert rec.verdict == "pytorch"
    assert "researcher-pytorch" in rules(rec)


def test_researcher_rl_exception_tensorflow(kb: KnowledgeBase) -> None:
    # "There are a few known exceptions to this rule, the most important one being that those
    #  in RL (Reinforcement Learning) should consider using TensorFlow."
    # "should consider" is guidance on the weight scale, not a requirement (settings.yaml)
    rec = advise(kb, "rl-researcher")
    exception = next(r for r in rec.reasons if r.rule == "researcher-rl-tensorflow")
    assert exception.kind == "guidance" and exception.favors == "tensorflow"
    assert exception.points <= kb.settings.weight_scale.guidance.max
    assert "researcher-pytorch" not in rules(rec)  # the exception replaces the rule
    # and it is the RL answer that narrows PyTorch's lead
    without = advise(kb, "rl-researcher", "use_cases=computer_vision")
    assert without.verdict == "pytorch" and "researcher-rl-tensorflow" not in rules(without)
    assert rec.scores["tensorflow"] > without.scores["tensorflow"]
    assert rec.confidence < without.confidence


def test_industry_tensorflow(kb: KnowledgeBase) -> None:
    # "If your work involves Deep Learning engineering in an industry setting, maybe you're
    #  using TensorFlow and should probably continue with it for now."
    rec = advise(kb, "industry")
    assert rec.verdict == "tensorflow"
    assert "industry-tensorflow" in rules(rec)


def test_industry_sota_exception_moves_toward_pytorch_with_onnx(kb: KnowledgeBase) -> None:
    # "If you have a good reason, such as a need to access SOTA models that are only available
    #  in PyTorch, with the recent release of TorchServe, you can consider using PyTorch."
    base = advise(kb, "industry")
    rec = advise(kb, "industry", "needs_sota_models=true")
    margin = lambda r: r.scores["pytorch"] - r.scores["tensorflow"]  # noqa: E731
    assert margin(rec) > margin(base)
    sota = next(r for r in rec.reasons if r.rule == "industry-sota-pytorch")
    assert sota.favors == "pytorch" and "ONNX" in sota.because
    assert "persona.industry-onnx" in sota.claims
    # a research-only industry team that needs SOTA models: the exception decides it
    assert (
        advise(
            kb,
            "industry",
            "needs_sota_models=true",
            "deployment_targets=research_only",
            "production_serving=false",
            "training_scale=single_device",
        ).verdict
        == "pytorch"
    )


def test_iot_tensorflow(kb: KnowledgeBase) -> None:
    # "In that case, you should be using TensorFlow, given the TFLite + Coral pipeline."
    rec = advise(kb, "iot-engineer")
    assert rec.verdict == "tensorflow"
    assert "iot-tflite-coral" in rules(rec)
    # even for a researcher profile, an IoT target is a requirement that decides it
    assert advise(kb, "researcher", "deployment_targets=iot_embedded").verdict == "tensorflow"
    # a browser target is no requirement (the documents only list TF.js among TF's tools): it
    # weighs the browser criterion, rated as the documents rate it on their date
    browser = advise(kb, "researcher", "deployment_targets=browser")
    reason = next(r for r in browser.reasons if r.rule == "criterion:browser")
    assert reason.favors == "tensorflow" and reason.points == 3 * (5 - 1)
    assert not any(r.kind == "requirement" for r in browser.reasons)


def test_mobile_pytorch_unless_video_or_audio(kb: KnowledgeBase) -> None:
    # "If you are working on building mobile applications, you can prefer to use PyTorch, given
    #  the recent release of PyTorch Live, unless you require video or audio input; in that
    #  case, you should be using TensorFlow."
    plain = advise(kb, "mobile-developer")
    assert plain.verdict == "pytorch"
    assert "mobile-pytorch-live" in rules(plain)
    media = advise(kb, "mobile-developer", "mobile_media_input=true")
    assert media.verdict == "tensorflow"
    assert "mobile-media-tensorflow" in rules(media)
    assert "mobile-pytorch-live" not in rules(media)


def test_beginner_keras_or_fastai(kb: KnowledgeBase) -> None:
    # "If you're a beginner interested in learning Deep Learning and want to get started
    #  quickly, you can use Keras (that's part of TensorFlow) or FastAI (a third-party
    #  high-level API for PyTorch)."
    rec = advise(kb, "beginner")
    keras = next(r for r in rec.reasons if r.rule == "beginner-keras")
    fastai = next(r for r in rec.reasons if r.rule == "beginner-fastai")
    assert (keras.favors, fastai.favors) == ("tensorflow", "pytorch")
    assert keras.points == fastai.points  # the document names both, favouring neither
    assert "persona.beginner" in keras.claims


def test_every_reason_cites_a_quoted_source(kb: KnowledgeBase) -> None:
    for profile in kb.profile:
        for reason in advise(kb, profile).reasons:
            assert reason.sources, reason.rule
            assert all(kb.claim[c].quote for c in reason.claims)


TODAY = dt.date(2026, 11, 21)


def test_today_rl_no_longer_points_to_tensorflow_and_says_so(kb: KnowledgeBase) -> None:
    rec = advise(kb, "rl-researcher", on=TODAY)
    assert rec.verdict == "pytorch"
    retired = {r.rule: r for r in rec.retired}  # the documents' own advice, kept and shown
    assert "researcher-rl-tensorflow" in retired
    assert any(a.source == "tf-agents-releases" for a in retired["researcher-rl-tensorflow"].aged)


def test_today_iot_and_mobile_rest_on_later_sources(kb: KnowledgeBase) -> None:
    iot = advise(kb, "iot-engineer", on=TODAY)
    assert iot.verdict == "tensorflow"
    assert "iot-litert" in rules(iot) and "iot-tflite-coral" not in rules(iot)
    mobile = advise(kb, "mobile-developer", on=TODAY)
    assert "mobile-executorch" in rules(mobile) and "mobile-pytorch-live" not in rules(mobile)
