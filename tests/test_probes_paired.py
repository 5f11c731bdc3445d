"""Paired turns: the ratio, its interval from turns and processes, and the run's noise floor."""

from __future__ import annotations

import math
from typing import Any

import pytest

from fwadvise.probes.compare import compare, noise_floor
from fwadvise.probes.runner import merge_rounds
from fwadvise.probes.stats import PAIRED_FLOOR, paired_ratio


def test_drift_that_hits_both_sides_cancels() -> None:
    # the machine slows 3x halfway: each side's turns drift alike, the ratio stays 2
    drift = [1.0, 1.0, 3.0, 3.0, 1.5, 1.5]
    a = [[0.02 * d for d in drift]]
    b = [[0.01 * d for d in drift]]
    result = paired_ratio(a, b)
    assert result.ratio == pytest.approx(2.0)
    assert result.low == pytest.approx(2.0 / (1 + PAIRED_FLOOR))  # no scatter: the floor
    assert result.clear and result.processes == 1 and result.turns == 6


def test_spread_between_processes_widens_the_interval() -> None:
    steady = paired_ratio([[2.0] * 6] * 3, [[1.0] * 6] * 3)
    scattered = paired_ratio([[2.0] * 6, [2.4] * 6, [1.7] * 6], [[1.0] * 6] * 3)
    assert scattered.ratio == pytest.approx(2.0)
    assert scattered.high / scattered.low > 1.3 > steady.high / steady.low
    # the interval is sized to hold another run's ratio: every single process's is inside
    assert scattered.low < 1.7 and scattered.high > 2.4


def test_every_turn_counts_not_three_medians() -> None:
    # two pairs whose turns split 4:2 between 1.0 and 1.2, a third at 1.2 throughout: most
    # turns say 1.2, while the median of the three pairs' medians would say 1.0
    split = [1.0, 1.0, 1.0, 1.0, 1.2, 1.2]
    result = paired_ratio([split, split, [1.2] * 6], [[1.0] * 6] * 3)
    assert result.ratio == pytest.approx(1.2)
    assert result.turns == 18 and result.processes == 3


def test_turns_pair_by_position_and_unequal_lengths_are_cut() -> None:
    result = paired_ratio([[1.0, 1.0, 1.0]], [[1.0, 1.0]])
    assert result.turns == 2 and result.ratio == pytest.approx(1.0)
    assert not result.clear
    with pytest.raises(ValueError):
        paired_ratio([[]], [[1.0]])


def paired_row(framework: str, workload: str, turns: list[list[float]]) -> dict[str, Any]:
    flat = [t for process in turns for t in process]
    return {
        "workload": workload,
        "framework": framework,
        "device": "cpu",
        "mode": "eager",
        "params": {},
        "median_s": sorted(flat)[len(flat) // 2],
        "repeats": len(flat),
        "samples_s": flat,
        "process_turns_s": turns,
    }


def evidence(gap: float, calibration: float) -> dict[str, Any]:
    return {
        "results": [
            paired_row("pytorch", "gemm", [[0.01 * gap] * 6] * 3),
            paired_row("tensorflow", "gemm", [[0.01] * 6] * 3),
        ],
        "calibration": [
            paired_row("pytorch", "calibration", [[0.001 * calibration] * 4] * 3),
            paired_row("tensorflow", "calibration", [[0.001] * 4] * 3),
        ],
    }


def test_a_gap_inside_the_noise_floor_is_no_clear_difference() -> None:
    floor = noise_floor(evidence(1.06, 1.03))
    assert floor is not None and not floor.too_noisy
    assert floor.margin == pytest.approx(PAIRED_FLOOR + 0.03 * 1.04, rel=0.05)
    [gemm] = compare(evidence(1.06, 1.03))
    assert gemm.method == "paired" and gemm.ratio == pytest.approx(1.06)
    assert gemm.ci_low is not None and gemm.ci_low > 1.0  # the turns alone would call it
    assert gemm.verdict == "no clear difference"  # but the noise floor does not
    [wide] = compare(evidence(1.5, 1.03))
    assert wide.verdict == "pytorch 1.50x faster".replace("pytorch", "tensorflow")


def test_a_machine_too_noisy_says_so_and_calls_nothing_clear() -> None:
    floor = noise_floor(evidence(3.0, 1.08))
    assert floor is not None and floor.too_noisy
    assert "too noisy" in floor.summary
    [gemm] = compare(evidence(3.0, 1.08))
    assert not gemm.clear and gemm.verdict == "no clear difference"


def test_without_calibration_there_is_no_floor() -> None:
    document = evidence(2.0, 1.0)
    document["calibration"] = []
    assert noise_floor(document) is None
    [gemm] = compare(document)
    assert gemm.clear and math.isclose(gemm.ratio or 0, 2.0)


def test_rounds_keep_each_process_turns_apart() -> None:
    def row(process: int, turns: list[float]) -> dict[str, Any]:
        return {
            "workload": "gemm",
            "mode": "eager",
            "framework": "pytorch",
            "median_s": 1.0 + process,
            "repeats": 10,
            "samples_s": turns,
            "turns_s": turns,
            "process": process,
        }

    failed = {"workload": "gemm", "mode": "eager", "framework": "pytorch", "error": "boom"}
    [merged] = merge_rounds([[row(0, [1.0, 1.1])], [{**failed, "process": 1}], [row(2, [3.0])]])
    assert merged["process_turns_s"] == [[1.0, 1.1], [], [3.0]]
    assert merged["median_s"] == 2.0 and merged["repeats"] == 3
    assert merged["round_errors"] == ["boom"]
