"""Measured evidence moves the advice through the knowledge base's rules, by a bounded amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor import evidence
from advisor.answers import resolve
from advisor.engine import recommend
from advisor.errors import UserError
from advisor.kb import KnowledgeBase
from tests.test_cli import run


def row(workload: str, framework: str, seconds: float, **extra: object) -> dict:
    samples = [seconds * (1 + 0.01 * ((i % 5) - 2)) for i in range(20)]
    return {
        "workload": workload,
        "framework": framework,
        "device": "cpu",
        "mode": "compiled",
        "params": {},
        "median_s": seconds,
        "iqr_s": seconds * 0.02,
        "repeats": 20,
        "samples_s": samples,
        "throughput": None,
        "unit": "s",
        "peak_memory_mb": 10.0,
        **extra,
    }


def document(tf_available: bool = True) -> dict:
    results = [
        row("conv", "pytorch", 0.010),
        row("train_step", "pytorch", 0.020),
        row("train_step", "tensorflow", 0.0201),
    ]
    if tf_available:
        results.append(row("conv", "tensorflow", 0.020))
    else:
        results.append(
            {
                "workload": "conv",
                "framework": "tensorflow",
                "device": "cpu",
                "mode": "compiled",
                "params": {},
                "error": "No module named 'tensorflow'",
            }
        )
    tf = (
        {"available": True, "version": "2.21.0"}
        if tf_available
        else {"available": False, "reason": "not installed"}
    )
    return {
        "schema_version": 1,
        "created": "2026-11-20T10:00:00+00:00",
        "label": "laptop",
        "hardware": {"cpu": {"model": "test"}, "memory_gb": 8, "gpus": [], "tpu": None},
        "frameworks": {"pytorch": {"available": True, "version": "2.13.0"}, "tensorflow": tf},
        "results": results,
    }


def write(tmp_path: Path, doc: dict, name: str = "ev.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_clear_difference_moves_the_score_by_a_bounded_amount(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    files = evidence.load([write(tmp_path, document())])
    facts = evidence.facts(files)
    assert facts["conv.faster"] == "pytorch" and facts["conv.ratio"] == pytest.approx(0.5, rel=0.05)
    assert facts["train_step.faster"] == "none"  # 0.5% apart: the interval contains 1
    answers = resolve(kb, profile="iot-engineer")
    without = recommend(kb, answers)
    with_ev = recommend(kb, answers, measured=facts)
    measured = [r for r in with_ev.reasons if r.kind == "measured"]
    assert [r.rule for r in measured] == ["measured-conv-pytorch"]
    assert (
        "PyTorch 2.00x faster" in measured[0].because
        and "laptop on 2026-11-20" in measured[0].because
    )
    assert with_ev.scores["pytorch"] - without.scores["pytorch"] == 2.0
    assert with_ev.verdict == without.verdict == "tensorflow"  # informs, does not override


def test_unavailable_framework_is_a_fact(kb: KnowledgeBase, tmp_path: Path) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, document(tf_available=False))]))
    assert facts["tensorflow.available"] is False
    rec = recommend(kb, resolve(kb, profile="industry"), measured=facts)
    assert "measured-tensorflow-unavailable" in {r.rule for r in rec.reasons}


def test_cli_evidence_json_block(tmp_path: Path) -> None:
    path = write(tmp_path, document())
    done = run("--profile", "researcher", "--evidence", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    block = json.loads(done.stdout)["evidence"]
    assert block["file"] == str(path)
    assert block["used"] == [
        {
            "workload": "conv",
            "ratio": pytest.approx(0.5, rel=0.05),
            "points": 2.0,
            "favors": "pytorch",
            "rule": "measured-conv-pytorch",
        }
    ]


def test_bad_evidence_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        evidence.load([tmp_path / "missing.json"])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run("--profile", "researcher", "--evidence", str(bad))
    assert done.returncode == 2 and str(bad) in done.stderr and "Traceback" not in done.stderr


def test_documents_performance_claims_beside_the_measurements(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, document())]))
    checks = {
        (c["claim"], c["workload"], c["device"]): c["status"]
        for c in evidence.check_claims(kb, facts)
    }
    # "TensorFlow exhibits better training performance on CNN models": here PyTorch was 2x faster
    assert checks[("speed.kh-cnn-rnn", "conv", "any")] == "contradicted here"
    # "training time for PyTorch is significantly higher than TensorFlow on the CPU": 0.5% apart
    assert checks[("speed.kh-cpu", "train_step", "cpu")] == "no clear difference here"
    # GPU claims cannot be checked on a CPU-only measurement; LSTM was not measured at all
    assert checks[("speed.kh-gpu-cnn-lstm", "conv", "gpu")] == "not measurable on this machine"
    assert checks[("speed.kh-cnn-rnn", "lstm", "any")] == "not measurable on this machine"


def test_unknown_availability_is_not_unavailable(tmp_path: Path) -> None:
    doc = document()
    doc["frameworks"]["tensorflow"] = {"available": None}
    assert "tensorflow.available" not in evidence.facts(evidence.load([write(tmp_path, doc)]))
    doc = document(tf_available=False)
    doc["interrupted"] = True
    assert "tensorflow.available" not in evidence.facts(
        evidence.load([write(tmp_path, doc, "b.json")])
    )


def test_eager_comparisons_do_not_inform_the_advice(tmp_path: Path) -> None:
    doc = document()
    for result in doc["results"]:
        result["mode"] = "eager"
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    assert not any(key.endswith(".faster") for key in facts)


def test_neither_framework_available_adds_no_points(kb: KnowledgeBase, tmp_path: Path) -> None:
    doc = document(tf_available=False)
    doc["frameworks"]["pytorch"] = {"available": False, "reason": "not installed"}
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    rec = recommend(kb, resolve(kb, profile="industry"), measured=facts)
    assert not {r.rule for r in rec.reasons} & {"measured-tensorflow-unavailable", "measured-pytorch-unavailable"}
