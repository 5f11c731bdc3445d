"""The worker's side of the harness: run one task through probes/stats.py into one evidence row.

Shared by both framework backends (probes/wl_torch.py, probes/wl_tf.py); imports no framework.
Kept apart from probes/worker.py because that module runs as __main__, and classes defined there
would exist twice (once as __main__.Skipped, once as fwadvise.probes.worker.Skipped).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from fwadvise.probes import suite as suite_mod
from fwadvise.probes.stats import BUSY_CORES, Budget, Measurement, measure, quantile

DEPLOY_MODES = ("tflite", "export", "onnx")


@dataclass(frozen=True)
class Prepared:
    """A task ready to time: fn does one step; `work` units of work per call."""

    fn: Callable[[], object]
    work: float
    unit: str
    per_call: bool = False  # every call is a sample (latency, p90)
    extra: dict[str, Any] = field(default_factory=dict)  # more row fields (compile cache state)


def compiled_with_cache(prepared: Prepared, task: suite_mod.Task, warm: bool) -> Prepared:
    """A compiled row says whether the framework's on-disk compile cache held anything when
    the worker started (its first call is then mostly tracing, not compiling)."""
    if task.mode != "compiled":
        return prepared
    return replace(prepared, extra={**prepared.extra, "compile_cache": "warm" if warm else "cold"})


def xla_cache_warm(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether XLA's on-disk cache (probes/session.py points TF_XLA_FLAGS at it) holds any
    compiled program yet."""
    flags = environ.get("TF_XLA_FLAGS", "").split()
    for flag in flags:
        name, _, folder = flag.partition("=")
        if name == "--tf_xla_persistent_cache_directory" and folder:
            return any(Path(folder).glob("*.pb"))
    return False


class Backend(Protocol):
    framework: str
    device: str
    threads: dict[str, int]

    def info(self) -> dict[str, Any]: ...
    def sync(self) -> Callable[[], None] | None: ...
    def prepare(self, task: suite_mod.Task) -> Prepared: ...
    def deploy(self, task: suite_mod.Task, budget: Budget) -> dict[str, Any]: ...
    def reset_device_peak(self) -> None: ...
    def device_peak_mb(self) -> float | None: ...
    def compile_facts(self) -> dict[str, Any]: ...


class Skipped(Exception):
    """A task that cannot run here for a known reason (no bf16, no onnx): a skipped row."""


# --- memory -------------------------------------------------------------------------------------

_STATUS = Path("/proc/self/status")


def _status_kb(field_name: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field_name + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def reset_rss_peak() -> bool:
    """Reset the process's RSS high-water mark (Linux >= 4.0), so the next peak is this task's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def release_free_memory() -> None:
    """Hand the heap's free pages back to the kernel (glibc), so that a task's memory baseline
    is what is alive, not what earlier tasks freed: the workers keep freed memory while a task
    runs (probes/session.py: MALLOC_TUNABLES) and would otherwise hide the next task's growth."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back
        ctypes.CDLL(None).malloc_trim(0)


def malloc_settings() -> dict[str, str]:
    """The C library and its malloc tunables as this worker got them (the evidence records
    them with the threads and the affinity)."""
    name, version = platform.libc_ver()
    return {"libc": f"{name} {version}".strip(), "tunables": os.environ.get("GLIBC_TUNABLES", "")}


def rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return round(kb / 1024, 1) if kb is not None else None


def rss_peak_mb() -> float | None:
    kb = _status_kb("VmHWM")
    if kb is None:  # not Linux: the whole-process peak (cannot be reset)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
    return round(kb / 1024, 1)


# --- tasks --------------------------------------------------------------------------------------


# --- interference -------------------------------------------------------------------------------

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_ticks() -> tuple[float, int, int] | None:
    """(wall clock, busy ticks of the whole machine incl. steal, ticks of this process)."""
    try:
        total = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in total[:8])
    mine = sum(int(v) for v in own[11:15])  # utime stime cutime cstime
    return time.monotonic(), user + nice + system + irq + softirq + steal, mine


class Interference:
    """How many cores other processes (and the hypervisor's steal) took while a block ran."""

    def __init__(self) -> None:
        self._start = _cpu_ticks()
        self.cores: float | None = None

    def stop(self) -> float | None:
        end = _cpu_ticks()
        if self._start is None or end is None or end[0] <= self._start[0]:
            return None
        others = (end[1] - self._start[1]) - (end[2] - self._start[2])
        self.cores = round(max(0.0, others / _HZ / (end[0] - self._start[0])), 2)
        return self.cores


def measure_undisturbed(
    fn: Callable[[], object], budget: Budget, sync: Callable[[], None] | None, attempts: int = 2
) -> tuple[Measurement, float | None]:
    """Measure, and once more if other processes were busy meanwhile; keep the quieter attempt.

    A shared machine's neighbours can slow a multi-threaded kernel many times over (a thread
    waits at a barrier for a core someone else holds); retrying costs seconds, a wrong verdict
    costs more. The first attempt's first-call time (tracing, compilation) is kept.
    """
    best: tuple[Measurement, float | None] | None = None
    first_call = None
    for _ in range(attempts):
        meter = Interference()
        result = measure(fn, budget, sync)
        busy = meter.stop()
        first_call = first_call if first_call is not None else result.first_call_s
        if best is None or (busy or 0.0) < (best[1] or 0.0):
            best = (result, busy)
        if busy is None or busy <= BUSY_CORES:
            break
    assert best is not None
    return replace(best[0], first_call_s=first_call), best[1]


def describe(exc: BaseException) -> str:
    """One line for an error row; out-of-memory errors say so first."""
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return f"out of memory: {message}"
    return message


def budget_for(suite: str, per_call: bool) -> Budget:
    limits = suite_mod.BUDGETS[suite]
    if per_call:
        return Budget(
            max_time_s=limits["latency_max_time_s"],
            max_repeats=limits["max_repeats"] * 20,
            min_repeats=20,
            warmup=5,
            per_call=True,
        )
    return Budget(max_time_s=limits["max_time_s"], max_repeats=limits["max_repeats"])


def base_row(framework: str, backend_device: str, task: suite_mod.Task) -> dict[str, Any]:
    return {
        "workload": task.workload,
        "framework": framework,
        "device": backend_device,
        "mode": task.mode,
        "params": dict(task.params),
    }


def start_row(backend: Backend, task: suite_mod.Task) -> dict[str, Any]:
    """A task's row before it runs: what it is, the threads, and the memory it starts from
    (the peaks are reset, so the ones read after it are its own)."""
    row = base_row(backend.framework, backend.device, task)
    row["threads"] = backend.threads
    release_free_memory()
    row["memory_baseline_mb"] = rss_mb()
    reset_rss_peak()
    backend.reset_device_peak()
    return row


def run_task(
    backend: Backend, task: suite_mod.Task, suite: str, before: Callable[[], None]
) -> dict[str, Any]:
    """Measure one task; any exception becomes the row's error (faults cost only their row)."""
    row = start_row(backend, task)
    try:
        before()
        if task.mode in DEPLOY_MODES:
            row.update(backend.deploy(task, budget_for(suite, per_call=True)))
        else:
            prepared = backend.prepare(task)
            budget = budget_for(suite, prepared.per_call)
            result, busy = measure_undisturbed(prepared.fn, budget, backend.sync())
            row.update(result.summary())
            row["other_load_cores"] = busy
            row["throughput"] = prepared.work / result.median_s
            row["unit"] = prepared.unit
            row.update(prepared.extra)
    except Exception as exc:  # MemoryError and framework OOM errors included
        failed(row, exc)
    if "error" not in row:
        add_peaks(row, backend)
    return row


def failed(row: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """The row of a task that raised: skipped (a known reason) or an error with its traceback."""
    if isinstance(exc, Skipped):
        row["error"] = f"skipped: {exc}"
        row["skipped"] = True
    else:
        row["error"] = describe(exc)
        row["traceback"] = traceback.format_exc(limit=-3)[-2000:]
    return row


def add_peaks(row: dict[str, Any], backend: Backend) -> None:
    device_peak = backend.device_peak_mb()
    row["peak_rss_mb"] = rss_peak_mb()
    row["peak_memory_mb"] = device_peak if device_peak is not None else row["peak_rss_mb"]
    baseline = row.get("memory_baseline_mb")
    if device_peak is None and baseline is not None and row["peak_rss_mb"] is not None:
        # CPU: what the task added to the process (the framework's runtime was there before)
        row["memory_growth_mb"] = round(max(0.0, row["peak_rss_mb"] - baseline), 1)


# --- paired turns -------------------------------------------------------------------------------

TURN_QUANTILE = 0.10  # a turn's estimate: its least disturbed calls, not its unluckiest
CALIBRATION = suite_mod.Task("calibration", "numpy", {"n": 512})


@dataclass
class Turns:
    """A task set up for paired turns (probes/runner.py alternates the two workers' turns)."""

    prepared: Prepared
    sync: Callable[[], None] | None
    row: dict[str, Any]
    first_call_s: float
    warm_s: float = 0.0  # the last warm-up call (the parent sizes the turns by it)
    calls_s: list[float] = field(default_factory=list)
    estimates_s: list[float] = field(default_factory=list)


def calibration(params: dict[str, Any], seed: int) -> Prepared:
    """The noise floor's workload: the same numpy GEMM in both workers, true ratio 1."""
    import numpy as np

    from fwadvise.probes import data

    a, b = data.gemm(params, seed)
    return Prepared(lambda: np.matmul(a, b), work=data.gemm_gflop(params), unit="GFLOP/s")


def prepare_turns(
    backend: Backend, task: suite_mod.Task, before: Callable[[], None]
) -> Turns | dict[str, Any]:
    """Build the task and make its first call (compilation, tracing) and a warm-up; a failure
    is the task's error row instead."""
    row = start_row(backend, task)
    try:
        before()
        if task == CALIBRATION:
            prepared, sync = calibration(task.params, 0), None
        else:
            prepared, sync = backend.prepare(task), backend.sync()
        first = _timed_call(prepared.fn, sync)
        if task.mode == "compiled":
            row.update(backend.compile_facts())  # what the first call compiled
        for _ in range(5 if prepared.per_call else 1):
            warm = _timed_call(prepared.fn, sync)
    except Exception as exc:
        return failed(row, exc)
    # the peaks now, after the first calls made the task's memory (weights, gradients,
    # optimizer state, activations): later, other tasks' turns may share the process
    add_peaks(row, backend)
    return Turns(prepared, sync, row, first, warm)


def _timed_call(fn: Callable[[], object], sync: Callable[[], None] | None) -> float:
    start = time.perf_counter()
    fn()
    if sync is not None:
        sync()
    return time.perf_counter() - start


def take_turn(turns: Turns, seconds: float, record: bool = True) -> tuple[float, int]:
    """Call the task until `seconds` have passed (at least once): (the turn's estimate, calls).
    An unrecorded turn (a warm-up) leaves the task's figures as they were."""
    times: list[float] = []
    end = time.perf_counter() + seconds
    while not times or time.perf_counter() < end:
        times.append(_timed_call(turns.prepared.fn, turns.sync))
    estimate = quantile(times, TURN_QUANTILE)
    if not record:
        return estimate, len(times)
    turns.calls_s += times
    turns.estimates_s.append(estimate)
    return estimate, len(times)


def finish_turns(turns: Turns) -> dict[str, Any]:
    """The task's row: per-call statistics over all its turns, and each turn's estimate."""
    row = turns.row
    if not turns.calls_s:
        row["error"] = "no turn was measured"
        return row
    result = Measurement(tuple(turns.calls_s), number=1, first_call_s=turns.first_call_s)
    row.update(result.summary())
    # the per-call times can number thousands; the turns' estimates are what the ratio uses
    row["samples_s"] = list(turns.estimates_s)
    row["turns_s"] = list(turns.estimates_s)
    row["repeats"] = len(turns.estimates_s)  # samples_s holds one estimate per turn
    row["calls"] = len(turns.calls_s)
    row["throughput"] = turns.prepared.work / result.median_s
    row["unit"] = turns.prepared.unit
    row.update(turns.prepared.extra)
    return row


def deployed(
    call: Callable[[], Any],
    expected: Any,
    budget: Budget,
    size_bytes: int,
    convert_s: float,
    runtime: str,
) -> dict[str, Any]:
    """Row fields for a deployed model: checked against the framework's output, then timed."""
    import numpy as np

    got = np.asarray(call())
    diff = float(np.max(np.abs(got - expected)))
    if not diff <= 1e-3 * max(1.0, float(np.max(np.abs(expected)))):  # also catches NaN
        raise RuntimeError(f"{runtime}: output differs from the framework's by {diff:.3g}")
    result, busy = measure_undisturbed(call, budget, None)
    return {
        **result.summary(),
        "other_load_cores": busy,
        "throughput": 1.0 / result.median_s,
        "unit": "inferences/s",
        "size_bytes": size_bytes,
        "convert_s": convert_s,
        "max_abs_diff": diff,
        "runtime": runtime,
    }
