"""Real probe runs with both frameworks on a small workload set, and the `probe` command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from fwadvise.cli.probe_cmd import probe
from fwadvise.probes import cache
from fwadvise.probes.evidence import load_evidence, write_evidence
from fwadvise.probes.suite import plan, tasks_for

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("gemm", "conv", "infer_latency", "deploy")
RUN = (
    "import json, sys, time; t = time.perf_counter(); from probes.runner import run_probes;"
    f"ev = run_probes(workloads={WORKLOADS!r}); wall = time.perf_counter() - t;"
    "print(json.dumps({'evidence': ev, 'wall': wall,"
    " 'imported': [m for m in ('torch', 'tensorflow') if m in sys.modules]}))"
)


@pytest.fixture(scope="module")
def real_run() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", RUN],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_parent_never_imports_a_framework(real_run: dict[str, Any]) -> None:
    assert real_run["imported"] == []


@pytest.mark.slow
def test_every_planned_task_has_exactly_one_row(real_run: dict[str, Any]) -> None:
    evidence = real_run["evidence"]
    expected = sorted(
        (fw, t.workload, t.mode)
        for fw in ("pytorch", "tensorflow")
        for t in tasks_for(fw, plan("quick", WORKLOADS))
    )
    got = sorted((r["framework"], r["workload"], r["mode"]) for r in evidence["results"])
    assert got == expected


@pytest.mark.slow
def test_measured_rows_are_consistent(real_run: dict[str, Any], tmp_path: Path) -> None:
    evidence = real_run["evidence"]
    assert {name: info["available"] for name, info in evidence["frameworks"].items()} == {
        "pytorch": True,
        "tensorflow": True,
    }
    threads = {json.dumps(r["threads"]) for r in evidence["results"] if "threads" in r}
    assert len(threads) == 1  # both frameworks ran with the same, recorded thread settings
    assert evidence["threads"] == 1 and json.loads(threads.pop())["intra_op"] == 1  # quick suite
    malloc = [info["malloc"] for info in evidence["frameworks"].values()]
    assert malloc[0] == malloc[1] and "glibc.malloc.trim_threshold" in malloc[0]["tunables"]
    measured = [r for r in evidence["results"] if r.get("median_s") and r["workload"] != "import"]
    assert {(r["framework"], r["workload"], r["mode"]) for r in measured} >= {
        ("pytorch", "gemm", "eager"),
        ("tensorflow", "gemm", "eager"),
        ("pytorch", "conv", "eager"),
        ("tensorflow", "conv", "eager"),
        ("pytorch", "infer_latency", "compiled"),
        ("tensorflow", "infer_latency", "compiled"),
        ("tensorflow", "deploy", "tflite"),
        ("pytorch", "deploy", "export"),
    }
    for r in measured:
        assert len(r["samples_s"]) == r["repeats"] >= 5
        assert r["throughput"] > 0 and r["peak_memory_mb"] > 100
        assert r["first_call_s"] > 0
    gemm = next(r for r in measured if r["workload"] == "gemm" and r["framework"] == "pytorch")
    assert gemm["throughput"] == pytest.approx(2 * 1024**3 / 1e9 / gemm["median_s"])
    tflite = next(r for r in measured if r["mode"] == "tflite")
    assert tflite["size_bytes"] > 700_000  # the weights are in the flatbuffer
    assert tflite["max_abs_diff"] < 1e-3
    load_evidence(write_evidence(evidence, tmp_path / "e.json"))  # the file format holds


@pytest.mark.slow
def test_comparisons_have_intervals(real_run: dict[str, Any]) -> None:
    comparisons = {(c["workload"], c["mode"]): c for c in real_run["evidence"]["comparisons"]}
    floor = real_run["evidence"]["noise_floor"]
    for key in (
        ("gemm", "eager"),
        ("conv", "eager"),
        ("infer_latency", "eager"),
        ("infer_latency", "compiled"),
    ):
        c = comparisons[key]
        assert c["method"] == "paired"  # both workers alive, turns alternated
        assert c["ci_low"] <= c["ratio"] <= c["ci_high"], c
        if c["clear"]:  # never inside the interval's reach of 1, nor inside the noise floor
            assert not c["ci_low"] <= 1 <= c["ci_high"]
            assert abs(math.log(c["ratio"])) > math.log1p(floor["margin"])


@pytest.mark.slow
def test_the_noise_floor_is_measured_and_shown(real_run: dict[str, Any]) -> None:
    evidence = real_run["evidence"]
    floor = evidence["noise_floor"]
    assert floor["processes"] == evidence["rounds"] == 3
    assert floor["ci_low"] <= floor["ratio"] <= floor["ci_high"]
    assert floor["too_noisy"] == (abs(floor["ratio"] - 1) > 0.05)
    assert floor["summary"] in evidence["notes"]
    assert {r["framework"] for r in evidence["calibration"]} == {"pytorch", "tensorflow"}
    assert all(len(r["process_turns_s"]) == 3 for r in evidence["calibration"])
    assert not any(r["workload"] == "calibration" for r in evidence["results"])


@pytest.mark.slow
def test_bf16_and_onnx_rows_say_why_when_they_cannot_run(real_run: dict[str, Any]) -> None:
    rows = real_run["evidence"]["results"]
    onnx = next(r for r in rows if r["mode"] == "onnx")
    if onnx.get("error"):
        assert onnx["error"].startswith("skipped:") and "median_s" not in onnx


@pytest.mark.slow
def test_quick_suite_wall_time_is_reported(real_run: dict[str, Any]) -> None:
    assert real_run["evidence"]["duration_s"] <= real_run["wall"] + 1


# --- the command --------------------------------------------------------------------------------


def app() -> typer.Typer:
    application = typer.Typer(pretty_exceptions_enable=False)
    application.command("probe")(probe)
    application.command("other")(lambda: None)
    return application


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--frameworks", "pytorch,jax"],
            "--frameworks: unknown 'jax'; valid: pytorch, tensorflow",
        ),
        (["--frameworks", ","], "--frameworks: unknown 'nothing'"),
        (["--timeout", "0"], "--timeout 0: give seconds per worker"),
        (["--timeout", "-5"], "--timeout -5"),
        (["--device", "tpu"], "--device 'tpu': valid: cpu, cuda, auto"),
    ],
)
def test_bad_input_is_one_message_and_status_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app(), ["probe", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cached_evidence_is_shown_with_its_age(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.test_probes_evidence import evidence, failed, row

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    import datetime as dt

    created = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)).isoformat()
    doc = evidence(
        row("pytorch"),
        row("tensorflow", samples=[0.02, 0.021, 0.0205, 0.0202, 0.0208]),
        failed("pytorch", "lstm"),
        row("tensorflow", "lstm"),
        created=created,
    )
    versions = {name: info["version"] for name, info in doc["frameworks"].items()}
    monkeypatch.setattr(cache, "framework_versions", lambda: versions)
    write_evidence(doc, cache.cache_path())
    output = tmp_path / "out.json"
    result = CliRunner().invoke(app(), ["probe", "--output", str(output)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "Using evidence measured 3 h ago" in result.output
    assert "pytorch 1.95x faster" in result.output  # conv: 0.0105 s against 0.0205 s
    assert "RuntimeError: boom" in result.output  # the failed lstm row, shown not hidden
    assert (
        json.loads(output.read_text())["results"]
        == json.loads(cache.cache_path().read_text())["results"]
    )
