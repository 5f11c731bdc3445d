"""Evidence files (validation, atomic writes), the comparison helper and the per-machine cache."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fwadvise.probes import cache
from fwadvise.probes.compare import compare
from fwadvise.probes.evidence import EvidenceError, load_evidence, write_evidence


def row(
    framework: str, workload: str = "conv", samples: list[float] | None = None, **extra: Any
) -> dict[str, Any]:
    samples = samples or [0.010, 0.011, 0.0105, 0.0102, 0.0108]
    ordered = sorted(samples)
    return {
        "workload": workload,
        "framework": framework,
        "device": "cpu",
        "mode": "eager",
        "params": {"batch": 8},
        "median_s": ordered[len(ordered) // 2],
        "iqr_s": 0.0005,
        "repeats": len(samples),
        "samples_s": samples,
        "throughput": 100.0,
        "unit": "images/s",
        "peak_memory_mb": 300.0,
        "reliable": True,
        **extra,
    }


def failed(
    framework: str, workload: str = "conv", error: str = "RuntimeError: boom"
) -> dict[str, Any]:
    return {
        "workload": workload,
        "framework": framework,
        "device": "cpu",
        "mode": "eager",
        "params": {"batch": 8},
        "error": error,
    }


def evidence(*rows: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "created": "2026-01-02T03:04:05+00:00",
        "fingerprint": "abc",
        "suite": "quick",
        "device_requested": "auto",
        "hardware": {"cpu": {"model": "x"}, "memory_gb": 8, "gpus": [], "tpu": None},
        "frameworks": {
            "pytorch": {"available": True, "version": "2.13.0+cpu"},
            "tensorflow": {"available": True, "version": "2.21.0"},
        },
        "results": list(rows),
        **top,
    }


def test_round_trip(tmp_path: Path) -> None:
    doc = evidence(row("pytorch"), failed("tensorflow"))
    path = write_evidence(doc, tmp_path / "sub" / "e.json")
    loaded = load_evidence(path)
    assert loaded.results[0].median_s == pytest.approx(0.0105)
    assert loaded.results[1].failed and loaded.results[1].median_s is None
    assert loaded.model_dump()["fingerprint"] == "abc"  # extra keys survive
    assert [p.name for p in path.parent.iterdir()] == ["e.json"]  # no temp file left behind


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["results"].append({**failed("pytorch"), "median_s": 1.0}),
            "results[0]: a failed row (with `error`) must not carry a timing",
        ),
        (
            lambda d: d["results"].append(
                {k: v for k, v in row("pytorch").items() if k != "median_s"}
            ),
            "results[0]: a row without `error` needs median_s",
        ),
        (lambda d: d["results"].append(row("jax")), "results[0].framework"),
        (
            lambda d: d["results"].append(row("pytorch", median_s=-1.0)),
            "results[0].median_s: Input should be greater than 0",
        ),
        (lambda d: d.pop("hardware"), "hardware: Field required"),
        (lambda d: d.update(schema_version=7), "schema_version 7 unknown"),
        (
            lambda d: d["frameworks"].update(pytorch={"version": "1"}),
            "frameworks.pytorch.available: Field required",
        ),
    ],
)
def test_invalid_evidence_names_file_and_problem(
    tmp_path: Path, change: Any, expected: str
) -> None:
    doc = evidence()
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(EvidenceError) as caught:
        load_evidence(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_unreadable_evidence(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="not found"):
        load_evidence(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1,\n  "created": }')
    with pytest.raises(EvidenceError, match=r"not JSON: .* line 2, column 14"):
        load_evidence(broken)
    broken.write_text("[1, 2]")
    with pytest.raises(EvidenceError, match="expected a JSON object"):
        load_evidence(broken)


def test_write_refuses_invalid_evidence_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = write_evidence(evidence(row("pytorch")), tmp_path / "e.json")
    before = path.read_text()
    with pytest.raises(EvidenceError):
        write_evidence(evidence({**failed("pytorch"), "median_s": 2.0}), path)
    assert path.read_text() == before


# --- compare ------------------------------------------------------------------------------------


def test_compare_ratio_interval_and_verdict() -> None:
    fast = [0.010, 0.0101, 0.0099, 0.0100, 0.0102]
    slow = [0.020, 0.0202, 0.0198, 0.0201, 0.0199]
    [c] = compare(evidence(row("pytorch", samples=fast), row("tensorflow", samples=slow)))
    assert c.ratio == pytest.approx(0.5, rel=0.02)
    assert c.ci_low is not None and c.ci_high is not None and c.ci_low <= c.ratio <= c.ci_high < 1
    assert c.clear and c.faster == "pytorch" and c.method == "bootstrap"
    assert c.verdict == "pytorch 2.00x faster"
    assert compare(evidence(row("pytorch", samples=fast), row("tensorflow", samples=slow)))[0] == c


def test_compare_no_clear_difference_when_the_interval_holds_one() -> None:
    a = [0.010, 0.012, 0.009, 0.011, 0.0105]
    b = [0.0105, 0.0095, 0.0115, 0.010, 0.011]
    [c] = compare(evidence(row("pytorch", samples=a), row("tensorflow", samples=b)))
    assert not c.clear and c.faster is None
    assert c.verdict == "no clear difference"


def test_compare_reports_which_framework_failed() -> None:
    [c] = compare(
        evidence(row("pytorch"), failed("tensorflow", error="tensorflow unavailable: ImportError"))
    )
    assert c.ratio is None and not c.clear
    assert c.unavailable == {"tensorflow": "tensorflow unavailable: ImportError"}
    assert "not comparable" in c.verdict


def test_compare_skips_single_framework_tasks_and_accepts_the_model(tmp_path: Path) -> None:
    doc = evidence(
        row("pytorch"),
        row("tensorflow"),
        {**row("tensorflow"), "workload": "deploy", "mode": "tflite"},
    )
    assert [c.workload for c in compare(doc)] == ["conv"]
    model = load_evidence(write_evidence(doc, tmp_path / "e.json"))
    assert [c.workload for c in compare(model)] == ["conv"]


def test_compare_without_raw_samples_uses_summaries() -> None:
    a = {k: v for k, v in row("pytorch").items() if k != "samples_s"}
    b = {k: v for k, v in row("tensorflow", median_s=0.05).items() if k != "samples_s"}
    [c] = compare(evidence(a, b))
    assert c.method == "normal" and c.clear and c.faster == "pytorch"


def test_compare_gives_no_interval_for_single_samples() -> None:
    a = row("pytorch", workload="import", samples=[1.0])
    b = row("tensorflow", workload="import", samples=[2.0])
    [c] = compare(evidence(a, b))
    assert c.ratio == pytest.approx(0.5) and c.ci_low is None and not c.clear


# --- cache --------------------------------------------------------------------------------------

INSTALLED = {"pytorch": "2.13.0+cpu", "tensorflow": "2.21.0"}


def cached(doc: dict[str, Any], age_s: float = 60.0) -> cache.Cached:
    return cache.Cached(Path("x.json"), doc, age_s)


def problem(
    doc: dict[str, Any], suite: str = "quick", device: str = "auto", age_s: float = 60.0
) -> str | None:
    return cache.reuse_problem(
        cached(doc, age_s),
        suite=suite,
        frameworks=("pytorch", "tensorflow"),
        device=device,
        installed=INSTALLED,
    )


def test_cache_reuse_rules() -> None:
    doc = evidence(row("pytorch"), row("tensorflow"))
    assert problem(doc) is None
    assert problem({**doc, "suite": "full"}) is None  # a full run answers a quick request
    assert "--full" in (problem(doc, suite="full") or "")
    assert "interrupted" in (problem({**doc, "interrupted": True}) or "")
    assert "older" in (problem(doc, age_s=1e9) or "")
    assert "--device auto" in (problem(doc, device="cuda") or "")
    newer = {
        **doc,
        "frameworks": {**doc["frameworks"], "pytorch": {"available": True, "version": "2.12.0"}},
    }
    assert "pytorch is now 2.13.0+cpu" in (problem(newer) or "")


def test_cache_round_trip_and_get_evidence_reuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cache, "framework_versions", lambda: INSTALLED)
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    doc = evidence(row("pytorch"), row("tensorflow"), fingerprint="m1", created=now)
    monkeypatch.setattr(cache, "fingerprint", lambda hw: "m1")
    runs: list[dict[str, Any]] = []

    def fake_run(**options: Any) -> dict[str, Any]:
        runs.append(options)
        return doc

    monkeypatch.setattr("fwadvise.probes.runner.run_probes", fake_run)
    first, came_from = cache.get_evidence()
    assert came_from is None and len(runs) == 1
    assert (tmp_path / "fwadvise" / "evidence-m1.json").exists()
    second, came_from = cache.get_evidence()
    assert came_from is not None and came_from.age_s >= 0 and len(runs) == 1
    assert second["results"][0]["median_s"] == first["results"][0]["median_s"]
    cache.get_evidence(fresh=True)
    assert len(runs) == 2


def test_interrupted_runs_are_not_cached(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.save_cached(evidence(interrupted=True)) is None
    assert not (tmp_path / "fwadvise").exists()
