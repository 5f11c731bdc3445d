"""Statistics units: quantiles, the repeat-until-stable harness, the bootstrap ratio interval."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fwadvise.probes.runner import notes_for
from fwadvise.probes.stats import (
    Budget,
    Measurement,
    bootstrap_ratio,
    iqr,
    measure,
    normal_ratio,
    quantile,
)


def test_quantile_interpolates_like_numpy() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert quantile(values, 0.0) == 1.0
    assert quantile(values, 1.0) == 4.0
    assert quantile(values, 0.5) == 2.5
    assert quantile(values, 0.25) == pytest.approx(1.75)
    assert quantile(values, 0.9) == pytest.approx(3.7)
    assert iqr(values) == pytest.approx(1.5)


def test_quantile_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        quantile([], 0.5)
    with pytest.raises(ValueError):
        quantile([1.0], 1.5)


@given(st.lists(st.floats(0.001, 1000.0), min_size=1, max_size=40), st.floats(0.0, 1.0))
def test_quantile_stays_within_the_data(values: list[float], q: float) -> None:
    assert min(values) <= quantile(values, q) <= max(values)
    assert quantile(values, q) <= quantile(values, min(1.0, q + 0.1)) + 1e-9


def test_measurement_reports_its_statistics() -> None:
    m = Measurement(samples_s=(1.0, 1.0, 1.0, 1.0, 2.0), first_call_s=5.0)
    assert m.median_s == 1.0
    assert m.repeats == 5
    assert m.p90_s == pytest.approx(1.6)
    assert m.reliable
    summary = m.summary()
    assert summary["samples_s"] == [1.0, 1.0, 1.0, 1.0, 2.0]
    assert summary["first_call_s"] == 5.0


def test_measurement_says_when_it_is_unreliable() -> None:
    few = Measurement(samples_s=(1.0, 1.0))
    assert not few.reliable and "only 2 samples" in (few.unreliable_reason or "")
    noisy = Measurement(samples_s=(1.0, 2.0, 1.0, 2.0, 3.0), capped=True)
    assert not noisy.reliable
    assert "time cap" in (noisy.unreliable_reason or "")
    # why matters to a reader: too few calls is not a noisy machine
    assert few.summary()["few_samples"] and not noisy.summary()["few_samples"]


def test_the_notes_tell_few_calls_from_noise() -> None:
    def row(workload: str, samples: tuple[float, ...]) -> dict[str, object]:
        summary = Measurement(samples_s=samples).summary()
        return {"workload": workload, "framework": "pytorch", "mode": "eager", **summary}

    rows = [row("resnet50_train", (1.0, 1.1)), row("gemm", (1.0, 2.0, 1.0, 2.0, 3.0))]
    notes = notes_for(rows)
    assert any(n.startswith("noisy") and "gemm" in n and "resnet" not in n for n in notes)
    assert any(n.startswith("fewer than 5 calls") and "resnet50_train" in n for n in notes)


class FakeClock:
    """Each fn() call advances time by the next step; reading the clock costs nothing."""

    def __init__(self, steps: Iterator[float]) -> None:
        self.now = 0.0
        self.steps = steps

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += next(self.steps)


def _forever(*values: float) -> Iterator[float]:
    while True:
        yield from values


def test_measure_stops_once_the_spread_is_small() -> None:
    clock = FakeClock(_forever(0.02))
    m = measure(clock.tick, Budget(max_time_s=100, clock=clock))
    assert m.repeats == 5  # stable from the start: the minimum, no more
    assert m.median_s == pytest.approx(0.02)
    assert m.first_call_s == pytest.approx(0.02)
    assert m.reliable


def test_measure_batches_fast_calls_into_samples_of_at_least_min_sample_s() -> None:
    clock = FakeClock(_forever(0.001))
    m = measure(clock.tick, Budget(max_time_s=100, min_sample_s=0.01, clock=clock))
    assert m.number >= 10
    assert m.median_s == pytest.approx(0.001)


def test_measure_gives_up_at_the_time_cap_and_says_so() -> None:
    clock = FakeClock(_forever(0.02, 0.06))  # alternating: IQR/median never below 10%
    m = measure(clock.tick, Budget(max_time_s=0.5, max_repeats=1000, clock=clock))
    assert m.capped
    assert not m.reliable
    assert m.repeats < 1000


def test_measure_per_call_keeps_every_call() -> None:
    clock = FakeClock(_forever(0.001, 0.002))
    m = measure(clock.tick, Budget(per_call=True, min_repeats=20, max_repeats=20, clock=clock))
    assert m.number == 1
    assert m.repeats == 20
    assert {round(s, 9) for s in m.samples_s} == {0.001, 0.002}


def test_measure_synchronises_before_reading_the_clock() -> None:
    clock = FakeClock(_forever(0.02))
    calls: list[float] = []
    measure(clock.tick, Budget(clock=clock), sync=lambda: calls.append(clock.now))
    assert len(calls) >= 7  # first call, warm-up, calibration, samples


def test_bootstrap_is_deterministic_and_brackets_the_ratio() -> None:
    a = [1.0, 1.1, 0.9, 1.05, 0.95, 1.02]
    b = [2.0, 2.2, 1.8, 2.1, 1.9, 2.05]
    first, second = bootstrap_ratio(a, b), bootstrap_ratio(a, b)
    assert first == second
    assert first.ratio == pytest.approx(statistics.median(a) / statistics.median(b))
    assert first.low <= first.ratio <= first.high
    assert first.clear  # PyTorch-side twice as fast, interval far from 1


def test_bootstrap_calls_overlapping_samples_no_clear_difference() -> None:
    a = [1.0, 1.2, 0.8, 1.1, 0.9]
    b = [1.05, 0.85, 1.15, 0.95, 1.0]
    result = bootstrap_ratio(a, b)
    assert result.low < 1.0 < result.high
    assert not result.clear


def test_bootstrap_needs_both_sides() -> None:
    with pytest.raises(ValueError):
        bootstrap_ratio([], [1.0])


def test_normal_ratio_from_summaries() -> None:
    tight = normal_ratio(1.0, 0.01, 20, 2.0, 0.02, 20)
    assert tight.ratio == 0.5 and tight.clear
    loose = normal_ratio(1.0, 1.0, 5, 1.1, 1.0, 5)
    assert not loose.clear
