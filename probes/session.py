"""The parent's end of one framework worker: start it, send it commands, await its replies.

A session turns every way a worker can go wrong into `outcome.failure` (crash, kill, hang past its
time limit, malformed output) and returns None from `await_reply`; the caller then stops asking
it anything, and the rows it never sent become error rows (probes/runner.py). The worker runs in
its own session (Ctrl-C at the terminal reaches only the parent) and its own temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fwadvise.advisor.files import cache_dir
from fwadvise.probes.detect import framework_versions
from fwadvise.probes.protocol import Reader, encode_command

# glibc's malloc tunes its own thresholds to each process's history: in one worker the memory
# a training step frees stays in the heap for the next step, in another it goes back to the
# kernel and the next step faults it in again (a reduced speech LSTM: 17,000 page faults per
# 0.1 s turn, 5.3 ms a step against 3.8 ms; which one a worker got depended on what it built
# before). Fixed thresholds (at most 32 MiB, glibc's own ceiling) give every worker, of either
# framework, the steady heap, as PyTorch's tuning guide gets from jemalloc or tcmalloc
# (https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html, "Switch Memory allocator").
# Freed memory is handed back between tasks instead (probes/harness.py: release_free_memory).
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824"
POLL_S = 0.002  # a turn lasts ~0.1 s: a coarse poll would add idle time to every turn
QUIT_WAIT_S = 5.0


class ProgressLike(Protocol):
    def plan(self, total: int, estimate_s: float) -> None: ...
    def starting(self, framework: str, what: str) -> None: ...
    def row(self, row: dict[str, Any]) -> None: ...


@dataclass
class WorkerOutcome:
    framework: str
    hello: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None  # why the worker stopped early (crash, timeout, ...)
    done: bool = False
    wall_s: float = 0.0
    # the task (workload, mode) of the command awaiting its reply: where a failure struck
    in_flight: tuple[str, str] | None = None
    # each paired task's row so far (the worker sends one after every recorded turn)
    partial: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def worker_command(
    framework: str,
    result: Path,
    suite: str,
    device: str,
    threads: int,
) -> list[str]:
    # -P (Python 3.11+): the working folder is not put on sys.path, so files in the folder
    # fwadvise was started from (a `torch.py`, an `argparse.py`) are never imported; the
    # worker also runs in its own temporary folder (the session's cwd), which covers 3.10.
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    command = [sys.executable, *safe_path, "-m", "fwadvise.probes.worker"]
    command += ["--framework", framework]
    command += ["--result", str(result), "--suite", suite, "--device", device]
    command += ["--threads", str(threads)]
    return command


def worker_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    # the same thread count for every library; TensorFlow ignores these, the worker sets it
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    # OpenBLAS (numpy's BLAS, the calibration) keeps its threads spinning ~0.1 s after a call,
    # into the other worker's turn; 4 is its shortest wait. OMP_WAIT_POLICY=PASSIVE would do the
    # same for OpenMP but makes PyTorch's LSTM several times slower: left alone on purpose.
    env["OPENBLAS_THREAD_TIMEOUT"] = "4"
    env.pop("OMP_WAIT_POLICY", None)
    env["GLIBC_TUNABLES"] = with_malloc_tunables(env.get("GLIBC_TUNABLES", ""))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # less log noise; results do not use stdout
    xla = xla_cache()
    if xla is not None:  # as torch.compile keeps its own: a later process reuses the programs
        flag = f"--tf_xla_persistent_cache_directory={xla}"
        env["TF_XLA_FLAGS"] = f"{env.get('TF_XLA_FLAGS', '')} {flag}".strip()
    return env


def with_malloc_tunables(current: str) -> str:
    """GLIBC_TUNABLES with the workers' malloc thresholds; a user's own malloc tunables stand
    (and are recorded with the worker's info). Other C libraries ignore the variable."""
    if "glibc.malloc." in current:
        return current
    return ":".join(filter(None, [current, MALLOC_TUNABLES]))


def xla_cache() -> Path | None:
    """XLA's on-disk compile cache for TensorFlow workers, one folder per TensorFlow version
    (programs of another release are never loaded); None when it cannot be made, or its path
    has a space (TF_XLA_FLAGS splits on spaces): XLA then compiles from scratch, as before."""
    version = framework_versions().get("tensorflow") or "none"
    folder = cache_dir() / "xla" / version
    if any(c.isspace() for c in str(folder)):
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


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


def _explain(code: int | None, malformed: list[str], log: Path) -> str:
    if malformed:
        return f"worker sent malformed output and no result: {malformed[0]}"
    reason = _exit_reason(code) if code else "worker ended without a result"
    tail = _tail(log)
    return f"{reason}: {tail}" if tail else reason


class WorkerSession:
    """One live worker. Use as a context manager: leaving it always stops the process."""

    def __init__(
        self,
        framework: str,
        progress: ProgressLike,
        *,
        suite: str,
        device: str,
        threads: int,
        timeout_s: float,
        outcome: WorkerOutcome | None = None,
    ) -> None:
        self.framework, self.progress, self.timeout_s = framework, progress, timeout_s
        self.outcome = outcome or WorkerOutcome(framework)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"fwadvise-{framework}-")
        folder = Path(self._tmp.name)
        self._log_path = folder / "worker.log"
        self._reader = Reader(folder / "result.jsonl")
        self._pending: deque[dict[str, Any]] = deque()
        self._command = worker_command(framework, folder / "result.jsonl", suite, device, threads)
        self._env = worker_env(threads)
        self._process: subprocess.Popen[bytes] | None = None
        self._started = 0.0

    def __enter__(self) -> WorkerSession:
        self.progress.starting(self.framework, "start-up")
        self._started = time.monotonic()
        with open(self._log_path, "wb") as log_file:
            self._process = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._tmp.name,  # nothing of the caller's working folder can be imported
                start_new_session=True,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(quit_first=exc[0] is None)

    @property
    def gone(self) -> bool:
        return self.outcome.failure is not None or self._process is None

    @property
    def available(self) -> bool:
        hello = self.outcome.hello
        return not self.gone and hello is not None and bool(hello.get("available"))

    def send(self, cmd: str, **fields: Any) -> bool:
        """Send a command; False when the worker can no longer take one."""
        if self.gone or self._process is None or self._process.stdin is None:
            return False
        workload, mode = fields.get("workload"), fields.get("mode")
        self.outcome.in_flight = (workload, mode) if workload and mode else None
        try:
            self._process.stdin.write(encode_command(cmd, **fields))
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._await_exit()  # it died: the exit status says why
            return False
        return True

    def await_reply(self, kinds: tuple[str, ...]) -> dict[str, Any] | None:
        """The next message of one of `kinds`; None when the worker failed first (see outcome)."""
        while not self.gone:
            while self._pending:
                message = self._pending.popleft()
                self._take(message)
                if message["type"] in kinds:
                    self.outcome.in_flight = None
                    return message
            assert self._process is not None
            code = self._process.poll()
            self._pending.extend(self._reader.poll())
            if self._pending:
                continue
            if code is not None:
                self._ended(code)
            elif time.monotonic() - self._started > self.timeout_s:
                self._kill()
                self._pending.extend(self._reader.poll())
                self.outcome.failure = f"worker timed out after {self.timeout_s:g} s"
            else:
                time.sleep(POLL_S)
        while self._pending:  # rows that arrived with the failure still count
            self._take(self._pending.popleft())
        return None

    def ask(self, cmd: str, kinds: tuple[str, ...], **fields: Any) -> dict[str, Any] | None:
        return self.await_reply(kinds) if self.send(cmd, **fields) else None

    def _take(self, message: dict[str, Any]) -> None:
        kind, outcome = message["type"], self.outcome
        if kind == "hello":
            outcome.hello = message
        elif kind == "start":
            self.progress.starting(self.framework, f"{message['workload']} {message['mode']}")
        elif kind in ("row", "partial"):
            row = message["row"]
            row["framework"] = self.framework  # a worker speaks only for its own framework
            key = (row.get("workload"), row.get("mode"))
            if kind == "partial":
                outcome.partial[key] = row
                return
            outcome.partial.pop(key, None)
            outcome.rows.append(row)
            self.progress.row(row)
        elif kind == "done":
            outcome.done = True

    def _await_exit(self) -> None:
        assert self._process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=QUIT_WAIT_S)
        code = self._process.poll()
        if code is None:
            self._kill()
        self._ended(code if code is not None else -signal.SIGKILL)

    def _ended(self, code: int) -> None:
        """The process has exited: take its last lines, and say why if it did not finish."""
        self._pending.extend(self._reader.poll() + self._reader.flush_partial())
        while self._pending:
            self._take(self._pending.popleft())
        self._kill()  # its compile helpers must not disturb the other worker
        reader, outcome = self._reader, self.outcome
        if outcome.failure is None and not outcome.done:
            outcome.failure = _explain(code, reader.malformed, self._log_path)
        elif reader.malformed and outcome.failure is None:
            outcome.failure = f"worker sent malformed output: {reader.malformed[0]}"
        if outcome.failure is None:
            self._process = None  # finished cleanly: nothing more to ask

    def _kill(self) -> None:
        """Kill the worker and anything it started (compile sub-processes), then reap it."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def close(self, quit_first: bool = True) -> None:
        """Ask the worker to quit (when it is healthy), else kill it; remove its folder."""
        if quit_first and not self.gone and self.send("quit"):
            self._await_exit()
        elif self._process is not None:
            self._kill()
        if self._process is not None and self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        self.outcome.wall_s = time.monotonic() - self._started
        self._tmp.cleanup()
