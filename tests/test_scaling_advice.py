"""Measured data-parallel scaling enters the advice for multi-GPU and multi-node training, and
only when the two frameworks' efficiency intervals do not overlap (beyond the noise floor)."""

from __future__ import annotations

from typing import Any

from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning import evidence
from fwadvise.advisor.reasoning.engine import recommend
from fwadvise.advisor.reports.charts import scaling_curve


def scaling_row(framework: str, workers: int, steps_s: float, ci: list[float] | None) -> Any:
    row: dict[str, Any] = {
        "workload": "data_parallel",
        "framework": framework,
        "device": "cpu",
        "mode": f"workers-{workers}",
        "params": {"workers": workers, "global_batch": 128},
        "median_s": 1 / steps_s,
        "repeats": 7,
        "steps_per_s": steps_s,
        "throughput": steps_s * 128,
        "unit": "samples/s",
    }
    if ci is not None:
        row.update(scaling_efficiency=sum(ci) / 2, efficiency_ci=ci)
    return row


def document(pt_ci: list[float], tf_ci: list[float]) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "created": "2026-11-28T10:00:00+00:00",
        "label": "two-core box",
        "hardware": {"cpu": {}, "gpus": []},
        "frameworks": {"pytorch": {"available": True}, "tensorflow": {"available": True}},
        "results": [
            scaling_row("pytorch", 1, 100.0, None),
            scaling_row("pytorch", 2, 180.0, pt_ci),
            scaling_row("tensorflow", 1, 120.0, None),
            scaling_row("tensorflow", 2, 150.0, tf_ci),
        ],
    }


def facts(document: dict[str, Any]) -> dict[str, Any]:
    return evidence.facts([evidence.from_document(document, "scaling.json")])


def test_clearly_better_scaling_moves_multi_gpu_advice(kb: KnowledgeBase) -> None:
    found = facts(document([0.85, 0.95], [0.55, 0.70]))
    assert found["data_parallel.scales_better"] == "pytorch"
    assert "PyTorch DDP 90% (85%-95%)" in found["data_parallel.scaling_summary"]
    for scale in ("multi_gpu", "multi_node"):
        answers = resolve(kb, profile="industry", overrides=[f"training_scale={scale}"])
        rec = recommend(kb, answers, measured=found)
        assert "measured-scaling-pytorch" in [r.rule for r in rec.reasons]
    single = resolve(kb, profile="industry", overrides=["training_scale=single_device"])
    rules = [r.rule for r in recommend(kb, single, measured=found).reasons]
    assert not [r for r in rules if r.startswith("measured-scaling")]


def test_overlapping_intervals_are_no_clear_difference(kb: KnowledgeBase) -> None:
    found = facts(document([0.60, 0.95], [0.55, 0.70]))
    assert found["data_parallel.scales_better"] == "none"
    answers = resolve(kb, profile="industry", overrides=["training_scale=multi_node"])
    rules = [r.rule for r in recommend(kb, answers, measured=found).reasons]
    assert not [r for r in rules if r.startswith("measured-scaling")]


def test_the_documents_distributed_claims_beside_the_measurement(kb: KnowledgeBase) -> None:
    found = facts(document([0.45, 0.55], [0.80, 0.90]))
    checks = {c["claim"]: c for c in evidence.check_claims(kb, found) if c["metric"] == "scaling"}
    assert checks["dist.spheron-table"]["status"] == "confirmed here"
    assert checks["dist.kh-pt-async"]["status"] == "contradicted here"
    assert "scaling efficiency PyTorch/TensorFlow 0.59" in checks["dist.kh-pt-async"]["figures"]


def test_a_failed_run_gives_no_scaling_fact() -> None:
    doc = document([0.85, 0.95], [0.55, 0.70])
    failed = doc["results"][3]
    for key in ("median_s", "scaling_efficiency", "efficiency_ci"):
        failed.pop(key)
    failed["error"] = "worker killed by SIGKILL"
    assert "data_parallel.scales_better" not in facts(doc)


def test_a_row_without_its_interval_or_worker_count_is_no_crash() -> None:
    doc = document([0.85, 0.95], [0.55, 0.70])
    doc["results"][1]["params"] = {}  # a hand-edited file: the worker count is gone
    assert "at N workers: PyTorch scales better" in facts(doc)["data_parallel.scaling_summary"]
    assert scaling_curve(doc["results"])["pytorch"] == [(1, 12800.0)]  # that row has no point
    doc["results"][3].pop("efficiency_ci")
    assert "data_parallel.scales_better" not in facts(doc)


def test_scaling_curve_lists_each_framework_by_workers() -> None:
    doc = document([0.85, 0.95], [0.55, 0.70])
    assert scaling_curve(doc["results"]) == {
        "pytorch": [(1, 12800.0), (2, 23040.0)],
        "tensorflow": [(1, 15360.0), (2, 19200.0)],
    }
