"""The parent side: start one worker per framework, collect rows, turn every fault into rows.

    evidence = run_probes(suite="quick", frameworks=("pytorch", "tensorflow"))

The parent never imports torch or tensorflow. Each worker runs in its own session (so Ctrl-C at the
terminal reaches only the parent, which then stops the worker and keeps what finished), writes
protocol lines to a file (probes/protocol.py) and its chatter to a log file whose tail explains a
crash. Every task the plan expected gets a row: measured, or an error saying why not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fwadvise.advisor.files import Terminated, terminate_as_interrupt
from fwadvise.probes import suite as suite_mod
from fwadvise.probes.compare import compare
from fwadvise.probes.detect import detect_hardware, fingerprint, usable_cores
from fwadvise.probes.protocol import Reader
from fwadvise.probes.stats import BUSY_CORES, Measurement

SCHEMA_VERSION = 1
DEFAULT_TIMEOUT_S = {"quick": 120.0, "full": 1200.0}
DEFAULT_ROUNDS = {"quick": 1, "full": 3}
POLL_S = 0.05


class Progress:
    """Callbacks the runner makes as work proceeds; subclass and override what you show (or
    pass any object with these three methods: cli/probe_cmd.py's progress bar is one)."""

    def plan(self, total: int, estimate_s: float) -> None:
        """Before anything runs: how many rows, and a rough estimate of the seconds."""

    def starting(self, framework: str, what: str) -> None:
        """A worker is starting (what="start-up") or a task is (what="conv eager")."""

    def row(self, row: dict[str, Any]) -> None:
        """A row is final (measured or failed)."""


class ProgressLike(Protocol):
    def plan(self, total: int, estimate_s: float) -> None: ...
    def starting(self, framework: str, what: str) -> None: ...
    def row(self, row: dict[str, Any]) -> None: ...


class ProbeInterrupted(KeyboardInterrupt):
    """Ctrl-C during a probe run; `evidence` holds what finished, marked interrupted."""

    def __init__(self, evidence: dict[str, Any]) -> None:
        super().__init__("probe run interrupted")
        self.evidence = evidence


@dataclass
class WorkerOutcome:
    framework: str
    hello: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None  # why the worker stopped early (crash, timeout, ...)
    done: bool = False
    wall_s: float = 0.0


def estimate_s(framework: str, task: suite_mod.Task, cache_warm: bool = False) -> float:
    """Seconds a task takes here (2-core CPU); a cold torch.compile dominates everything."""
    if task.mode == "compiled":
        return (5.0 if cache_warm else 20.0) if framework == "pytorch" else 1.5
    return task.estimate_s


def worker_command(
    framework: str,
    result: Path,
    suite: str,
    device: str,
    threads: int,
    workloads: Iterable[str] | None,
) -> list[str]:
    # -P (Python 3.11+): the working folder is not put on sys.path, so files in the folder
    # fwadvise was started from (a `torch.py`, an `argparse.py`) are never imported; the
    # worker also runs in its own temporary folder (run_worker's cwd), which covers 3.10.
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    command = [sys.executable, *safe_path, "-m", "fwadvise.probes.worker"]
    command += ["--framework", framework]
    command += ["--result", str(result), "--suite", suite, "--device", device]
    command += ["--threads", str(threads)]
    if workloads:
        command += ["--workloads", ",".join(workloads)]
    return command


def worker_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    # the same thread count for every library; TensorFlow ignores these, the worker sets it
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # less log noise; results do not use stdout
    return env


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[-400:]


def _exit_reason(code: int) -> str:
    if code < 0:
        name = (
            signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        )
        if -code == signal.SIGKILL:
            return f"worker killed by {name} (the system may have run out of memory)"
        return f"worker crashed (signal {name})"
    return f"worker exited with status {code} before finishing"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the worker and anything it started (compile sub-processes), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_worker(
    framework: str,
    tasks: list[suite_mod.Task],
    *,
    suite: str,
    device: str,
    threads: int,
    timeout_s: float,
    workloads: Iterable[str] | None = None,
    progress: ProgressLike | None = None,
    outcome: WorkerOutcome | None = None,
) -> WorkerOutcome:
    """Run one framework's worker to the end, its timeout, or Ctrl-C (re-raised after cleanup).

    Rows land in `outcome` as they arrive, so a caller that passes one keeps them on Ctrl-C.
    """
    progress = progress or Progress()
    outcome = outcome or WorkerOutcome(framework)
    with tempfile.TemporaryDirectory(prefix=f"fwadvise-{framework}-") as tmp:
        result, log = Path(tmp) / "result.jsonl", Path(tmp) / "worker.log"
        reader = Reader(result)
        start = time.monotonic()
        progress.starting(framework, "start-up")
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                worker_command(framework, result, suite, device, threads, workloads),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=worker_env(threads),
                cwd=tmp,  # nothing of the caller's working folder can be imported
                start_new_session=True,
            )
            try:
                while True:
                    code = process.poll()
                    _take(reader.poll(), outcome, progress)
                    if code is not None:
                        _take(reader.poll() + reader.flush_partial(), outcome, progress)
                        _stop(process)  # its compile helpers must not disturb the next worker
                        break
                    if time.monotonic() - start > timeout_s:
                        _stop(process)
                        _take(reader.poll(), outcome, progress)
                        outcome.failure = f"worker timed out after {timeout_s:g} s"
                        break
                    time.sleep(POLL_S)
            except BaseException:
                _stop(process)
                raise
        outcome.wall_s = time.monotonic() - start
        if outcome.failure is None and not outcome.done:
            outcome.failure = _explain(code, reader.malformed, log)
        elif reader.malformed:
            outcome.failure = f"worker sent malformed output: {reader.malformed[0]}"
    return outcome


def _explain(code: int | None, malformed: list[str], log: Path) -> str:
    if malformed:
        return f"worker sent malformed output and no result: {malformed[0]}"
    reason = _exit_reason(code) if code else "worker ended without a result"
    tail = _tail(log)
    return f"{reason}: {tail}" if tail else reason


def _take(messages: list[dict[str, Any]], outcome: WorkerOutcome, progress: ProgressLike) -> None:
    for message in messages:
        kind = message["type"]
        if kind == "hello":
            outcome.hello = message
        elif kind == "start":
            progress.starting(outcome.framework, f"{message.get('workload')} {message.get('mode')}")
        elif kind == "row":
            row = message["row"]
            row["framework"] = outcome.framework  # a worker speaks only for its own framework
            outcome.rows.append(row)
            progress.row(row)
        elif kind == "done":
            outcome.done = True


def error_row(framework: str, device: str, task: suite_mod.Task, error: str) -> dict[str, Any]:
    return {
        "workload": task.workload,
        "framework": framework,
        "device": device,
        "mode": task.mode,
        "params": dict(task.params),
        "error": error,
    }


def complete_rows(
    outcome: WorkerOutcome, tasks: list[suite_mod.Task], device: str
) -> list[dict[str, Any]]:
    """The worker's rows, plus an error row for every planned task it did not deliver."""
    hello = outcome.hello or {}
    if hello.get("available") is False:
        reason = f"{outcome.framework} unavailable: {hello.get('reason')}"
    else:
        reason = outcome.failure or "worker did not run this task"
    device = (hello.get("info") or {}).get("device") or device
    seen = {(row.get("workload"), row.get("mode")) for row in outcome.rows}
    missing = [error_row(outcome.framework, device, t, reason) for t in tasks if t.key not in seen]
    return outcome.rows + missing


def framework_entry(outcome: WorkerOutcome) -> dict[str, Any]:
    """The evidence file's `frameworks` entry for one framework."""
    hello = outcome.hello
    if hello is None:
        return {"available": False, "reason": outcome.failure or "worker never reported"}
    if not hello.get("available"):
        return {"available": False, "reason": hello.get("reason")}
    entry: dict[str, Any] = {"available": True, **(hello.get("info") or {})}
    if outcome.failure:
        entry["worker_error"] = outcome.failure
    entry["worker_wall_s"] = round(outcome.wall_s, 2)
    return entry


def notes_for(results: list[dict[str, Any]]) -> list[str]:
    """Plain-language remarks a reader of the figures needs (slow cold compiles, noisy rows)."""
    notes = []
    for row in results:
        first = row.get("first_call_s")
        if row.get("compile_cache") == "cold" and first and first > 5:
            notes.append(
                f"{row['framework']} {row['workload']} compiled: first call took {first:.1f} s "
                "because the torch.compile cache was cold (a warm cache takes a few seconds)"
            )
    noisy = [_name(r) for r in results if r.get("reliable") is False and r["workload"] != "import"]
    if noisy:
        notes.append("noisy (IQR/median above 10%): " + ", ".join(noisy))
    busy = [_name(r) for r in results if (r.get("other_load_cores") or 0) > BUSY_CORES]
    if busy:
        notes.append(
            "other processes kept a core busy while these ran (figures may be slow): "
            + ", ".join(busy)
        )
    return notes


def _name(row: dict[str, Any]) -> str:
    return f"{row['framework']} {row['workload']} {row['mode']}"


def new_evidence(
    hardware: dict[str, Any], suite: str, threads: int, label: str | None, device: str
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "label": label,
        "suite": suite,
        "fingerprint": fingerprint(hardware),
        "threads": threads,
        "device_requested": device,
        "interrupted": False,
        "hardware": hardware,
        "frameworks": {},
        "results": [],
    }


def finish(evidence: dict[str, Any], started: float) -> dict[str, Any]:
    evidence["duration_s"] = round(time.monotonic() - started, 2)
    evidence["notes"] = notes_for(evidence["results"])
    evidence["comparisons"] = [c.to_dict() for c in compare(evidence)]
    return evidence


@terminate_as_interrupt()  # SIGTERM/SIGHUP as Ctrl-C: the worker is stopped, its folder removed
def run_probes(
    *,
    suite: str = "quick",
    frameworks: Iterable[str] = suite_mod.FRAMEWORKS,
    device: str = "auto",
    timeout_s: float | None = None,
    workloads: Iterable[str] | None = None,
    threads: int | None = None,
    label: str | None = None,
    rounds: int | None = None,
    progress: ProgressLike | None = None,
) -> dict[str, Any]:
    """Measure, and return the evidence document (DESIGN.md's format plus comparisons).

    `rounds` fresh worker processes per framework, alternating frameworks (pyperf's lesson: a
    process has its own luck with memory placement and neighbours), pool their samples.
    Raises ProbeInterrupted (a KeyboardInterrupt) on Ctrl-C, carrying the partial evidence.
    """
    started = time.monotonic()
    progress = progress or Progress()
    frameworks = tuple(frameworks)
    workloads = tuple(workloads) if workloads else None
    tasks = suite_mod.plan(suite, workloads)
    threads = threads or usable_cores()
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S[suite]
    rounds = rounds or DEFAULT_ROUNDS[suite]
    evidence = new_evidence(detect_hardware(), suite, threads, label, device)
    evidence["rounds"] = rounds
    per_framework = {fw: suite_mod.tasks_for(fw, tasks) for fw in frameworks}
    total = rounds * sum(len(t) for t in per_framework.values())
    estimate = rounds * sum(
        suite_mod.IMPORT_ESTIMATE_S[fw] + sum(estimate_s(fw, t) for t in fw_tasks)
        for fw, fw_tasks in per_framework.items()
    )
    progress.plan(total, estimate)
    collected: dict[str, list[list[dict[str, Any]]]] = {fw: [] for fw in frameworks}
    interrupted = False
    for _ in range(rounds):
        for framework, fw_tasks in per_framework.items():
            outcome = WorkerOutcome(framework)
            try:
                run_worker(
                    framework,
                    fw_tasks,
                    suite=suite,
                    device=device,
                    threads=threads,
                    timeout_s=timeout_s,
                    workloads=workloads,
                    progress=progress,
                    outcome=outcome,
                )
            except KeyboardInterrupt as stop:
                why = stop if isinstance(stop, Terminated) else "Ctrl-C"
                outcome.failure = f"interrupted ({why})"
                interrupted = True
            _collect(evidence, collected[framework], outcome, fw_tasks, device, progress)
            if interrupted:
                break
        if interrupted:
            break
    evidence["results"] = [row for fw in frameworks for row in merge_rounds(collected[fw])]
    if interrupted:
        _interrupted(evidence, per_framework, device)
        raise ProbeInterrupted(finish(evidence, started))
    return finish(evidence, started)


def _collect(
    evidence: dict[str, Any],
    rounds: list[list[dict[str, Any]]],
    outcome: WorkerOutcome,
    tasks: list[suite_mod.Task],
    device: str,
    progress: ProgressLike,
) -> None:
    entry = framework_entry(outcome)
    known = evidence["frameworks"].get(outcome.framework)
    if known is None or (entry.get("available") and not known.get("available")):
        evidence["frameworks"][outcome.framework] = entry
    rows = complete_rows(outcome, tasks, device)
    for row in rows[len(outcome.rows) :]:
        progress.row(row)  # the error rows the worker could not send itself
    rounds.append(rows)


def merge_rounds(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per task from each round's row: samples pooled, errors kept beside them."""
    if len(rounds) <= 1:
        return rounds[0] if rounds else []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rows in rounds:
        for row in rows:
            groups.setdefault((row["workload"], row["mode"]), []).append(row)
    return [merge_row(group) for group in groups.values()]


def merge_row(group: list[dict[str, Any]]) -> dict[str, Any]:
    measured = [r for r in group if not r.get("error") and r.get("samples_s")]
    if not measured:
        return group[0]
    first = measured[0]
    pooled = Measurement(
        tuple(s for r in measured for s in r["samples_s"]),
        number=first.get("number") or 1,
        first_call_s=first.get("first_call_s"),  # a later process may find warm caches
    )
    row = {**first, **pooled.summary(), "rounds": len(measured)}
    if first.get("throughput"):
        row["throughput"] = first["throughput"] * first["median_s"] / pooled.median_s
    for key in ("peak_memory_mb", "peak_rss_mb", "other_load_cores"):
        values = [r[key] for r in measured if r.get(key) is not None]
        row[key] = max(values) if values else row.get(key)
    errors = [r["error"] for r in group if r.get("error")]
    if errors:
        row["round_errors"] = errors
    return row


def _interrupted(
    evidence: dict[str, Any], per_framework: dict[str, list[suite_mod.Task]], device: str
) -> None:
    """Mark the frameworks that never started as interrupted, with a row per planned task."""
    evidence["interrupted"] = True
    for framework, tasks in per_framework.items():
        if framework in evidence["frameworks"]:
            continue
        evidence["frameworks"][framework] = {"available": None, "reason": "interrupted (Ctrl-C)"}
        rows = [error_row(framework, device, t, "interrupted (Ctrl-C)") for t in tasks]
        evidence["results"] += rows
