"""Data-parallel probes with the frameworks' real engines, on loopback, 2 workers of 1 thread.

Each real run checks what data parallelism promises: every rank ends with the same weights, and
those equal one worker's on the whole global batch (the all-reduced gradient is the global
mean), and training moved them. A fault (a rank killed, a rank hung) becomes a row with the
reason, leaving no process and no temporary folder behind.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fwadvise.probes.distributed import scaling
from fwadvise.probes.distributed.rank import FAULT_ENV, Settings, checksum, model_data
from fwadvise.probes.evidence import parse_evidence

pytest.importorskip("numpy")
SMALL = scaling.Plan(workers=2, warmup=2, windows=2, steps_per_window=3, timeout_s=120)
MARK = "FWADVISE_TEST_MARK"


@pytest.fixture()
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary folders under tmp_path, and a marker in every process the run starts."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv(MARK, uuid.uuid4().hex)
    yield scratch
    assert list(scratch.iterdir()) == [], "a temporary folder was left behind"
    assert marked_processes() == [], "a process was left behind"


def marked_processes() -> list[int]:
    mark = f"{MARK}={os.environ[MARK]}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if mark in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def measure(framework: str, workers: int, plan: scaling.Plan = SMALL) -> dict[str, Any]:
    outcome, first = scaling.launch(framework, plan, workers, scaling.Nodes())
    return scaling.rows_for(framework, workers, plan, outcome, first)


def initial_checksum() -> list[float]:
    data = model_data(Settings("", SMALL.global_batch, 0, 0, 0, 0), 0, 1)
    return checksum([data[name] for name in ("w1", "b1", "w2", "b2")])


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_two_workers_train_the_same_weights_as_one(framework: str, isolated: Path) -> None:
    pytest.importorskip("torch" if framework == "pytorch" else "tensorflow")
    one, two = measure(framework, 1), measure(framework, 2)
    assert "error" not in two, two.get("error")
    assert "error" not in one, one.get("error")
    assert sorted(two["rank_checksums"]) == ["0", "1"]
    assert two["ranks_agree"] is True
    rank0, rank1 = two["rank_checksums"]["0"], two["rank_checksums"]["1"]
    assert scaling.checksums_agree([rank0, rank1])
    assert scaling.checksums_agree([one["rank_checksums"]["0"], rank0])
    assert not scaling.checksums_agree([initial_checksum(), rank0]), "training changed nothing"
    scaling.add_efficiency(one, two)
    assert two["baseline_matches"] is True
    low, high = two["efficiency_ci"]
    assert 0 < low <= two["scaling_efficiency"] <= high
    assert two["communication"]["backend"] in ("gloo", "RING (gRPC)")
    assert two["time_to_first_step_s"] > 0 and two["throughput"] > 0


@pytest.mark.parametrize(
    ("framework", "fault", "expected"),
    [
        ("pytorch", "killed:1", "exited with status"),
        ("tensorflow", "killed:1", "SIGKILL"),
        ("pytorch", "hang:1", "timed out"),
    ],
)
def test_a_failed_rank_is_a_row_with_the_reason(
    framework: str, fault: str, expected: str, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch" if framework == "pytorch" else "tensorflow")
    monkeypatch.setenv(FAULT_ENV, fault)
    plan = scaling.Plan(workers=2, warmup=2, windows=2, steps_per_window=3, timeout_s=30)
    row = measure(framework, 2, plan)
    assert expected in row["error"], row["error"]
    assert "median_s" not in row and row["mode"] == "workers-2"


def test_efficiency_needs_both_rows_measured() -> None:
    one = {"samples_s": [0.01] * 5, "rank_checksums": {"0": [1.0, 2.0]}}
    two = {"params": {"workers": 2}, "error": "worker crashed"}
    scaling.add_efficiency(one, two)
    assert "scaling_efficiency" not in two


def node_document(node_rank: int, checksum_value: float, first_step: float) -> dict[str, Any]:
    row = {
        "workload": "data_parallel",
        "framework": "pytorch",
        "device": "cpu",
        "mode": "workers-4",
        "params": {"workers": 4, "node_rank": node_rank},
        "median_s": 0.01,
        "repeats": 5,
        "samples_s": [0.01] * 5,
        "throughput": 12800.0,
        "steps_per_s": 100.0,
        "time_to_first_step_s": first_step,
        "rank_checksums": {str(2 * node_rank + r): [checksum_value, 1.0] for r in range(2)},
        "ranks_agree": True,
    }
    return {
        "schema_version": 1,
        "created": "2026-11-28T12:00:00+00:00",
        "hardware": {"node": node_rank},
        "frameworks": {"pytorch": {"available": True}},
        "results": [row],
    }


def test_merging_nodes_joins_ranks_and_checks_them_all() -> None:
    merged = scaling.merge_nodes([node_document(1, 5.0, 9.0), node_document(0, 5.0, 7.0)])
    parse_evidence(merged)
    (row,) = merged["results"]
    assert sorted(row["rank_checksums"]) == ["0", "1", "2", "3"]
    assert row["ranks_agree"] is True and row["time_to_first_step_s"] == 9.0
    assert [n["node_rank"] for n in merged["nodes"]] == [0, 1]
    split = scaling.merge_nodes([node_document(0, 5.0, 7.0), node_document(1, 6.0, 7.0)])
    assert split["results"][0]["ranks_agree"] is False
