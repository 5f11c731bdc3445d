"""Start a distributed run's processes, watch their result files, and always end them.

    outcome = run_group([command, ...], [env, ...], workdir, timeout_s=300, ranks=[0, 1])

Each command (torchrun, or one TensorFlow worker) starts in its own session in `workdir`, a
temporary folder, with `python -P` semantics (PYTHONSAFEPATH: nothing of the caller's folder is
importable, in the launcher's children too). The run ends when every rank said `done`, a process
exits with an error (the others are killed at once: a peer of a dead rank would wait in its
all-reduce forever), the timeout passes, or the caller is interrupted. Every way out kills each
process group and each rank's own session (torchrun starts ranks with a new session), and reaps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fwadvise.probes.protocol import Reader
from fwadvise.probes.session import _exit_reason, _tail

POLL_S = 0.05  # a rank group runs for seconds to minutes: a coarse poll costs nothing
TERM_GRACE_S = 3.0  # torchrun, sent SIGTERM, stops its ranks itself; then SIGKILL for all


@dataclass
class GroupOutcome:
    hellos: dict[int, dict[str, Any]] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    failure: str | None = None
    wall_s: float = 0.0
    retried_because: str | None = None  # the first attempt's failure (a port taken meanwhile)


def free_port(host: str = "127.0.0.1") -> int:
    """A port the system reports free now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def python_command(*module_args: str) -> list[str]:
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, *safe_path, *module_args]


def group_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = "1"  # one thread per worker: N workers use N cores
    env["PYTHONSAFEPATH"] = "1"  # -P for the processes torchrun starts, too
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["FWADVISE_LAUNCH_TIME"] = repr(time.time())
    return {**env, **extra}


def run_group(
    commands: list[list[str]],
    envs: list[dict[str, str]],
    workdir: Path,
    *,
    timeout_s: float,
    ranks: list[int],
) -> GroupOutcome:
    """Run each command with its environment until the ranks in `ranks` (those whose result
    files land in workdir) all finish."""
    outcome = GroupOutcome()
    readers = {r: Reader(workdir / f"rank-{r}.jsonl") for r in ranks}
    started = time.monotonic()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index, (command, env) in enumerate(zip(commands, envs, strict=True)):
            with open(workdir / f"process-{index}.log", "wb") as log:  # the child keeps its copy
                processes.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=workdir,
                        start_new_session=True,
                    )
                )
        outcome.failure = _watch(processes, readers, outcome, workdir, started, timeout_s)
    finally:
        stop_all(processes, outcome)
        for rank, reader in readers.items():
            _take(rank, reader.poll() + reader.flush_partial(), outcome)
        outcome.wall_s = time.monotonic() - started
    return outcome


def _watch(
    processes: list[subprocess.Popen[bytes]],
    readers: dict[int, Reader],
    outcome: GroupOutcome,
    workdir: Path,
    started: float,
    timeout_s: float,
) -> str | None:
    while True:
        for rank, reader in readers.items():
            _take(rank, reader.poll(), outcome)
        if len(outcome.rows) == len(readers):
            return None
        for index, process in enumerate(processes):
            code = process.poll()
            if code:  # a crash or a failed rank: its peers would hang in their collectives
                tail = _tail(workdir / f"process-{index}.log")
                reason = _exit_reason(code)
                return f"{reason}: {tail}" if tail else reason
        if all(p.poll() is not None for p in processes):
            return "the workers ended without sending their results"
        if time.monotonic() - started > timeout_s:
            return f"timed out after {timeout_s:g} s (a worker hung or never joined)"
        time.sleep(POLL_S)


def _take(rank: int, messages: list[dict[str, Any]], outcome: GroupOutcome) -> None:
    for message in messages:
        if message["type"] == "hello":
            outcome.hellos[rank] = message.get("info") or {}
        elif message["type"] == "row":
            outcome.rows[rank] = message["row"]


def stop_all(processes: list[subprocess.Popen[bytes]], outcome: GroupOutcome) -> None:
    """SIGTERM first (torchrun then stops its ranks), SIGKILL to every group left, reap."""
    for process in processes:
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + TERM_GRACE_S
    while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    rank_sessions = [int(info["pid"]) for info in outcome.hellos.values() if info.get("pid")]
    for pgid in [p.pid for p in processes] + rank_sessions:
        _signal_group(pgid, signal.SIGKILL)
    for process in processes:
        process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
