"""Timing statistics: the repeat-until-stable harness, Measurement, and a bootstrap ratio interval.

Pure Python (no numpy, no framework) so the parent process and the tests can use it cheaply.
The model is torch.utils.benchmark: a Measurement carries its raw samples and says itself when
it should not be trusted.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

TARGET_REL_IQR = 0.10  # stop repeating once IQR/median is below this
MIN_REPEATS = 5  # fewer samples than this never count as reliable
MIN_SAMPLE_S = 0.01  # one sample runs the op enough times to last at least this long
BUSY_CORES = 0.25  # other processes using more cores than this while we measure: disturbed


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} outside [0, 1]")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def iqr(values: Sequence[float]) -> float:
    return quantile(values, 0.75) - quantile(values, 0.25)


@dataclass(frozen=True)
class Measurement:
    """Per-call times (seconds) of one op, each sample the mean over `number` calls."""

    samples_s: tuple[float, ...]
    number: int = 1
    first_call_s: float | None = None
    capped: bool = False  # the time cap stopped the repeats before the spread target was met
    target_rel_iqr: float = TARGET_REL_IQR

    def __post_init__(self) -> None:
        if not self.samples_s:
            raise ValueError("a Measurement needs at least one sample")

    @property
    def repeats(self) -> int:
        return len(self.samples_s)

    # each figure is computed once: a latency row's turns hold tens of thousands of calls, and
    # a worker summarises its turns after every one (probes/worker.py: the partial row)
    @cached_property
    def _ordered(self) -> list[float]:
        return sorted(self.samples_s)

    @cached_property
    def median_s(self) -> float:
        return statistics.median(self._ordered)

    @cached_property
    def iqr_s(self) -> float:
        return iqr(self._ordered)

    @cached_property
    def p90_s(self) -> float:
        return quantile(self._ordered, 0.9)

    @property
    def rel_iqr(self) -> float:
        return self.iqr_s / self.median_s if self.median_s > 0 else math.inf

    @property
    def unreliable_reason(self) -> str | None:
        """Why the figure should not be trusted, or None when it can be."""
        if self.repeats < MIN_REPEATS:
            return f"only {self.repeats} samples (need {MIN_REPEATS})"
        if self.rel_iqr > self.target_rel_iqr:
            why = "time cap reached" if self.capped else "spread target missed"
            return (
                f"IQR/median {self.rel_iqr:.0%} > {self.target_rel_iqr:.0%} ({why}); "
                "the machine was noisy"
            )
        return None

    @property
    def reliable(self) -> bool:
        return self.unreliable_reason is None

    @property
    def few_samples(self) -> bool:
        """Unreliable for want of samples, not for their spread (a standard-size model's step
        takes seconds: the full suite times it a few times per process pair)."""
        return self.repeats < MIN_REPEATS

    def summary(self) -> dict[str, object]:
        """The evidence-row fields this measurement fills in."""
        return {
            "median_s": self.median_s,
            "iqr_s": self.iqr_s,
            "p90_s": self.p90_s,
            "repeats": self.repeats,
            "number": self.number,
            "first_call_s": self.first_call_s,
            "reliable": self.reliable,
            "unreliable_reason": self.unreliable_reason,
            "few_samples": self.few_samples,
            "samples_s": list(self.samples_s),
        }


@dataclass
class Budget:
    """How long the harness may repeat one op, and when it may stop early."""

    max_time_s: float = 1.0
    min_repeats: int = MIN_REPEATS
    max_repeats: int = 50
    warmup: int = 1
    target_rel_iqr: float = TARGET_REL_IQR
    min_sample_s: float = MIN_SAMPLE_S
    per_call: bool = False  # latency: every call is its own sample (p90 means something)
    clock: Callable[[], float] = field(default=time.perf_counter, repr=False)


def _calibrate(run: Callable[[int], float], budget: Budget) -> int:
    """Calls per sample so that one sample lasts at least min_sample_s (timeit's autorange)."""
    if budget.per_call:
        return 1
    number = 1
    while True:
        elapsed = run(number)
        if elapsed >= budget.min_sample_s or number >= 1 << 20:
            return number
        # aim a little past the floor so the next sample clears it
        number = max(number * 2, math.ceil(number * budget.min_sample_s * 1.2 / max(elapsed, 1e-9)))


def measure(
    fn: Callable[[], object],
    budget: Budget | None = None,
    sync: Callable[[], None] | None = None,
) -> Measurement:
    """Time fn: first call apart, warm-up, then repeat until IQR/median < target or the cap.

    `sync` waits for queued device work (CUDA) before a clock is read; on CPU it is None.
    """
    budget = budget or Budget()
    clock = budget.clock

    def run(number: int) -> float:
        start = clock()
        for _ in range(number):
            fn()
        if sync is not None:
            sync()
        return clock() - start

    first = run(1)
    for _ in range(budget.warmup):
        run(1)
    number = _calibrate(run, budget)
    samples: list[float] = []
    deadline = clock() + budget.max_time_s
    capped = False
    while len(samples) < budget.max_repeats:
        samples.append(run(number) / number)
        if len(samples) >= budget.min_repeats:
            if iqr(samples) / statistics.median(samples) < budget.target_rel_iqr:
                break
            if clock() >= deadline:
                capped = True
                break
    return Measurement(
        samples_s=tuple(samples),
        number=number,
        first_call_s=first,
        capped=capped,
        target_rel_iqr=budget.target_rel_iqr,
    )


@dataclass(frozen=True)
class RatioInterval:
    ratio: float  # median(a) / median(b)
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """A clear difference: the interval does not contain 1."""
        return not self.low <= 1.0 <= self.high


def bootstrap_ratio(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> RatioInterval:
    """median(a)/median(b) with a percentile-bootstrap interval; seeded, so deterministic."""
    if not a or not b:
        raise ValueError("bootstrap needs samples on both sides")
    rng = random.Random(seed)
    median = statistics.median
    ratios = sorted(
        median(rng.choices(a, k=len(a))) / median(rng.choices(b, k=len(b)))
        for _ in range(resamples)
    )
    tail = (1.0 - confidence) / 2.0
    return RatioInterval(
        ratio=median(a) / median(b),
        low=quantile(ratios, tail),
        high=quantile(ratios, 1.0 - tail),
    )


def normal_ratio(
    median_a: float, iqr_a: float, n_a: int, median_b: float, iqr_b: float, n_b: int
) -> RatioInterval:
    """The ratio interval from summaries alone (no raw samples): a normal approximation.

    The standard error of a median is about 1.2533 * sigma / sqrt(n), sigma about IQR / 1.349;
    the log ratio's error adds the two relative errors in quadrature.
    """

    def rel_se(med: float, spread: float, n: int) -> float:
        return 1.2533 * (spread / 1.349) / math.sqrt(max(n, 1)) / med

    ratio = median_a / median_b
    half = 1.96 * math.hypot(rel_se(median_a, iqr_a, n_a), rel_se(median_b, iqr_b, n_b))
    return RatioInterval(ratio=ratio, low=ratio * math.exp(-half), high=ratio * math.exp(half))


PAIRED_FLOOR = 0.04  # the narrowest half-width a paired interval may claim (+-4%)


@dataclass(frozen=True)
class PairedRatio(RatioInterval):
    processes: int = 1
    turns: int = 0


def paired_ratio(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], floor: float = PAIRED_FLOOR
) -> PairedRatio:
    """The time ratio a/b from paired turns, process by process (pyperf's model).

    The ratio is the median of every paired turn's log ratio, pooled over the process pairs
    (pyperf pools its worker processes' values the same way). Over 15 quick runs on a 2-core
    VM it moved less from run to run than the median of each pair's median, which rests on
    three numbers: of 40 three-run subsets, 7 had a comparison over 10% apart, against 16.
    The interval's half-width (in log terms) is the widest of: the floor, the turns' own
    scatter (1.96 standard errors of a median), and the spread between process pairs'
    medians, sized to contain another run's ratio (2 standard deviations * sqrt(2/K)).
    """
    per_process: list[float] = []
    errors: list[float] = []
    pooled: list[float] = []
    for side_a, side_b in zip(a, b, strict=False):
        logs = [math.log(x / y) for x, y in zip(side_a, side_b, strict=False) if x > 0 and y > 0]
        if not logs:
            continue
        pooled += logs
        per_process.append(statistics.median(logs))
        if len(logs) > 1:
            errors.append(1.2533 * statistics.stdev(logs) / math.sqrt(len(logs)))
    if not per_process:
        raise ValueError("no paired turns on both sides")
    k = len(per_process)
    half = math.log1p(floor)
    if errors:
        half = max(half, 1.96 * math.sqrt(statistics.fmean(e * e for e in errors) / k))
    if k > 1:
        half = max(half, 2.0 * statistics.stdev(per_process) * math.sqrt(2.0 / k))
    center = statistics.median(pooled)
    return PairedRatio(
        ratio=math.exp(center),
        low=math.exp(center - half),
        high=math.exp(center + half),
        processes=k,
        turns=len(pooled),
    )
