"""PyTorch against TensorFlow, workload by workload, from an evidence document.

    for c in compare(load_evidence("evidence.json")):
        c.ratio      # pytorch median / tensorflow median: below 1 means PyTorch was faster
        c.clear      # the 95% interval [c.ci_low, c.ci_high] leaves out 1

Pure Python: no framework, no numpy. The interval is a seeded bootstrap over the raw samples
(`samples_s`), so the same evidence always gives the same answer; rows without raw samples (a
hand-written file) fall back to a normal approximation from median, IQR and repeats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from fwadvise.probes.stats import (
    BUSY_CORES,
    RatioInterval,
    bootstrap_ratio,
    normal_ratio,
    paired_ratio,
)

PAIR = ("pytorch", "tensorflow")
MIN_SAMPLES = 3  # fewer raw samples than this give no interval (import time has one)
TOO_NOISY = 0.05  # the calibration (true ratio 1) strayed further than this: nothing is clear


@dataclass(frozen=True)
class NoiseFloor:
    """The calibration's paired ratio (numpy GEMM in both workers: truly 1) and what it implies:
    a comparison whose ratio lies within `margin` of 1 is no clear difference."""

    ratio: float
    ci_low: float
    ci_high: float
    margin: float  # relative: |ratio - 1| + the interval's half-width
    too_noisy: bool
    processes: int

    @property
    def summary(self) -> str:
        verdict = (
            f"too noisy: the calibration strayed over {TOO_NOISY:.0%} from 1, so no "
            "comparison of this run is read as a clear difference"
            if self.too_noisy
            else f"differences within +-{self.margin:.1%} are read as no clear difference"
        )
        return (
            f"noise floor: the same numpy GEMM in both workers measured a ratio of "
            f"{self.ratio:.3f} (interval {self.ci_low:.3f}-{self.ci_high:.3f}, "
            f"{self.processes} process pair(s)); {verdict}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary}


@dataclass(frozen=True)
class Comparison:
    workload: str
    mode: str
    device: str
    ratio: float | None  # pytorch_median_s / tensorflow_median_s
    ci_low: float | None
    ci_high: float | None
    clear: bool  # a difference the interval supports; False also when there is no interval
    faster: str | None  # the clearly faster framework, or None
    pytorch_median_s: float | None = None
    tensorflow_median_s: float | None = None
    method: str | None = None  # paired | bootstrap | normal | None (no interval)
    reliable: bool = False  # both rows met the harness's spread target
    unavailable: dict[str, str] = field(default_factory=dict)  # framework -> why no figure
    params: dict[str, Any] = field(default_factory=dict)
    # framework -> why its compiler compiled nothing: that side of a compiled row ran eager
    fallback: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """One phrase for a person: which is faster by how much, or no clear difference."""
        if self.unavailable:
            return "not comparable: " + "; ".join(f"{k}: {v}" for k, v in self.unavailable.items())
        if self.ratio is None:
            return "not comparable"
        if not self.clear:
            return "no clear difference"
        factor = 1 / self.ratio if self.ratio < 1 else self.ratio
        return f"{self.faster} {factor:.2f}x faster"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _rows(evidence: Any) -> list[dict[str, Any]]:
    if hasattr(evidence, "model_dump"):  # probes.evidence.Evidence
        evidence = evidence.model_dump()
    if not isinstance(evidence, Mapping):
        raise TypeError("compare() needs an evidence document (dict or Evidence)")
    return list(evidence.get("results") or [])


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    params = json.dumps(row.get("params") or {}, sort_keys=True)
    return (row["workload"], row["mode"], row.get("device") or "cpu", params)


def turns_by_process(row: dict[str, Any]) -> list[list[float]] | None:
    """A paired row's turn estimates, one list per worker process (None: not a paired row)."""
    if row.get("process_turns_s") is not None:
        return [list(turns) for turns in row["process_turns_s"]]
    if row.get("turns_s") is not None:
        return [list(row["turns_s"])]
    return None


def _interval(a: dict[str, Any], b: dict[str, Any]) -> tuple[RatioInterval | None, str | None]:
    turns_a, turns_b = turns_by_process(a), turns_by_process(b)
    if turns_a and turns_b:
        try:
            return paired_ratio(turns_a, turns_b), "paired"
        except ValueError:
            return None, None
    samples_a, samples_b = a.get("samples_s") or [], b.get("samples_s") or []
    if len(samples_a) >= MIN_SAMPLES and len(samples_b) >= MIN_SAMPLES:
        return bootstrap_ratio(samples_a, samples_b), "bootstrap"
    repeats_a, repeats_b = a.get("repeats") or 0, b.get("repeats") or 0
    if (
        min(repeats_a, repeats_b) >= MIN_SAMPLES
        and a.get("iqr_s") is not None
        and b.get("iqr_s") is not None
    ):
        interval = normal_ratio(
            a["median_s"], a["iqr_s"], repeats_a, b["median_s"], b["iqr_s"], repeats_b
        )
        return interval, "normal"
    return None, None


def _measured(row: dict[str, Any] | None) -> bool:
    return row is not None and not row.get("error") and bool(row.get("median_s"))


def _steady(row: dict[str, Any]) -> bool:
    """Met the spread target, with no busy neighbour while it ran."""
    return (
        row.get("reliable", True) is not False and (row.get("other_load_cores") or 0) <= BUSY_CORES
    )


def compare_pair(
    pt: dict[str, Any] | None, tf: dict[str, Any] | None, floor: NoiseFloor | None = None
) -> Comparison:
    """One comparison from the PyTorch and TensorFlow rows of the same task (either may fail)."""
    some = pt if _measured(pt) else tf or pt  # the measured side knows the real device
    assert some is not None
    base = {
        "workload": some["workload"],
        "mode": some["mode"],
        "device": some.get("device") or "cpu",
    }
    base["params"] = dict(some.get("params") or {})
    unavailable = {
        name: (row.get("error") if row else "no result") or "no timing"
        for name, row in zip(PAIR, (pt, tf), strict=True)
        if not _measured(row)
    }
    if unavailable:
        return Comparison(
            **base,
            ratio=None,
            ci_low=None,
            ci_high=None,
            clear=False,
            faster=None,
            unavailable=unavailable,
        )
    assert pt is not None and tf is not None
    interval, method = _interval(pt, tf)
    # paired: the ratio of the turns' estimates, which drift hits on both sides alike
    ratio = interval.ratio if method == "paired" and interval else pt["median_s"] / tf["median_s"]
    clear = interval is not None and interval.clear and outside(ratio, floor)
    return Comparison(
        **base,
        ratio=ratio,
        ci_low=interval.low if interval else None,
        ci_high=interval.high if interval else None,
        clear=clear,
        faster=("pytorch" if ratio < 1 else "tensorflow") if clear else None,
        pytorch_median_s=pt["median_s"],
        tensorflow_median_s=tf["median_s"],
        method=method,
        reliable=all(_steady(row) for row in (pt, tf)),
        fallback={
            name: row["compile_fallback"]
            for name, row in zip(PAIR, (pt, tf), strict=True)
            if row.get("compile_fallback")
        },
    )


def outside(ratio: float, floor: NoiseFloor | None) -> bool:
    """Whether a ratio stands clear of the run's noise floor (always, without a floor)."""
    if floor is None:
        return True
    return not floor.too_noisy and abs(math.log(ratio)) > math.log1p(floor.margin)


def noise_floor(evidence: Any) -> NoiseFloor | None:
    """The run's noise floor from its calibration rows; None when it has none (one framework,
    an older file) or they cannot be paired."""
    if hasattr(evidence, "model_dump"):
        evidence = evidence.model_dump()
    rows = {r.get("framework"): r for r in (evidence.get("calibration") or [])}
    pt, tf = rows.get("pytorch"), rows.get("tensorflow")
    if not (pt and tf and _measured(pt) and _measured(tf)):
        return None
    interval, method = _interval(pt, tf)
    if interval is None or method != "paired":
        return None
    half = max(interval.high / interval.ratio, interval.ratio / interval.low) - 1
    return NoiseFloor(
        ratio=interval.ratio,
        ci_low=interval.low,
        ci_high=interval.high,
        margin=abs(interval.ratio - 1) + half,  # its bias, plus its scatter
        too_noisy=abs(interval.ratio - 1) > TOO_NOISY,
        processes=getattr(interval, "processes", 1),
    )


def compare(evidence: Any) -> list[Comparison]:
    """Every task that both frameworks were asked to run, in the evidence's order.

    A task that only one framework has (TFLite, torch.export) is not a comparison and is left
    out; one where a framework failed or was unavailable is kept, with `unavailable` saying why.
    A difference inside the run's noise floor (noise_floor) is no clear difference.
    """
    floor = noise_floor(evidence)
    by_key: dict[tuple[str, str, str, str], dict[str, dict[str, Any]]] = {}
    undecided = []  # failed before choosing a device (--device auto): pair on the rest of the key
    for row in _rows(evidence):
        if row.get("framework") not in PAIR:
            continue
        if row.get("device") == "auto" and not _measured(row):
            undecided.append(row)
        else:
            by_key.setdefault(_key(row), {})[row["framework"]] = row
    for row in undecided:
        workload, mode, _, params = _key(row)
        match = next(
            (
                pair
                for (w, m, _, p), pair in by_key.items()
                if (w, m, p) == (workload, mode, params) and row["framework"] not in pair
            ),
            None,
        )
        if match is None:
            match = by_key.setdefault(_key(row), {})
        match[row["framework"]] = row
    return [
        compare_pair(pair.get("pytorch"), pair.get("tensorflow"), floor)
        for pair in by_key.values()
        if len(pair) == 2
    ]
