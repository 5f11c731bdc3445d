"""One framework's benchmark worker: `python -m fwadvise.probes.worker --framework NAME`.

The parent (probes/runner.py) starts one fresh worker per framework, so torch and tensorflow never
share a process (they would fight over threads, allocators and oneDNN state). The worker imports
its framework, reports what that framework sees, then does what the parent's commands on its
stdin say (probes/protocol.py): run a task alone, or prepare one and measure it in short turns
that the parent alternates with the other framework's worker, then send the task's row. A task
that fails is an error row; the worker goes on with the next.

FWADVISE_PROBE_FAULT=KIND[:FRAMEWORK[:WORKLOAD]][,...] injects a fault for tests. KIND is one of
crash (abort), killed (SIGKILL, as the OOM killer does), hang, garbage (bytes that are not the
protocol, then exit), oom (a real failed allocation inside the task) or noframework (the import
fails). Without WORKLOAD, crash/killed/hang/garbage strike at start-up and oom at the first task.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from fwadvise.probes import suite as suite_mod
from fwadvise.probes.detect import usable_cores
from fwadvise.probes.harness import (
    CALIBRATION,
    Turns,
    describe,
    finish_turns,
    malloc_settings,
    prepare_turns,
    rss_mb,
    run_task,
    take_turn,
)
from fwadvise.probes.protocol import Channel, command

FAULT_ENV = "FWADVISE_PROBE_FAULT"
FAULT_KINDS = ("crash", "killed", "hang", "garbage", "oom", "noframework")
FRAMEWORK_MODULES = {"pytorch": "torch", "tensorflow": "tensorflow"}
BACKENDS = {"pytorch": "fwadvise.probes.wl_torch", "tensorflow": "fwadvise.probes.wl_tf"}


# --- faults -------------------------------------------------------------------------------------


def parse_faults(text: str, framework: str) -> dict[str, str | None]:
    """Faults for this framework: kind -> workload (None: at start-up / first task)."""
    faults: dict[str, str | None] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, _, rest = item.partition(":")
        target, _, workload = rest.partition(":")
        if kind not in FAULT_KINDS:
            raise SystemExit(
                f"{FAULT_ENV}: unknown fault {kind!r}; valid: {', '.join(FAULT_KINDS)}"
            )
        if target in ("", framework):
            faults[kind] = workload or None
    return faults


def strike(kind: str, channel: Channel) -> None:
    """Make the fault happen for real (the parent must cope with the genuine article)."""
    if kind == "crash":
        os.abort()
    elif kind == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "hang":
        while True:
            time.sleep(3600)
    elif kind == "garbage":
        print("\x00garbage {not json", flush=True)
        channel.write_raw('%%% this is not a protocol message %%%\n{"type": "row"}\n')
        os._exit(0)
    elif kind == "oom":
        bytearray(1 << 60)  # an exabyte: a real MemoryError from a real allocation


def faults_at(faults: dict[str, str | None], workload: str | None, first_task: bool) -> list[str]:
    """The faults that strike now: at start-up (workload None) or at this task."""

    def due(kind: str, target: str | None) -> bool:
        if kind == "noframework":
            return False  # strikes at the import, see import_framework
        if workload is None:
            return target is None and kind != "oom"
        if target is None:
            return kind == "oom" and first_task
        return target == workload

    return [kind for kind, target in faults.items() if due(kind, target)]


def import_row(framework: str, device: str, seconds: float) -> dict[str, Any]:
    return {
        "workload": "import",
        "framework": framework,
        "device": device,
        "mode": "cold",
        "params": {"module": FRAMEWORK_MODULES[framework]},
        "median_s": seconds,
        "iqr_s": 0.0,
        "repeats": 1,
        "samples_s": [seconds],
        "throughput": None,
        "unit": "s",
        "peak_memory_mb": rss_mb(),
        "reliable": False,
        "unreliable_reason": "one sample (one fresh process)",
    }


def import_framework(framework: str, faults: dict[str, str | None]) -> tuple[Any, float]:
    module = FRAMEWORK_MODULES[framework]
    if "noframework" in faults:
        sys.modules[module] = None  # type: ignore[assignment]  # the import below raises ImportError
    start = time.perf_counter()
    imported = importlib.import_module(module)
    return imported, time.perf_counter() - start


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fwadvise.probes.worker")
    parser.add_argument("--framework", required=True, choices=suite_mod.FRAMEWORKS)
    parser.add_argument("--result", required=True, help="file to append protocol lines to")
    parser.add_argument("--suite", default="quick", choices=suite_mod.SUITES)
    parser.add_argument("--device", default="auto", choices=suite_mod.DEVICES)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    channel = Channel(args.result)
    faults = parse_faults(os.environ.get(FAULT_ENV, ""), args.framework)
    for kind in faults_at(faults, None, first_task=False):
        strike(kind, channel)
    plan = suite_mod.catalogue(args.suite)
    threads = args.threads or usable_cores()
    try:
        _, import_s = import_framework(args.framework, faults)
        backend = importlib.import_module(BACKENDS[args.framework]).load(
            args.device, threads, args.seed
        )
    except Exception as exc:  # ImportError, or a framework that cannot start on this machine
        reason = describe(exc)
        module = FRAMEWORK_MODULES[args.framework]
        missing = getattr(exc, "name", None) or ""
        if isinstance(exc, ImportError) and missing and missing.split(".")[0] != module:
            # torch is there, a module it (or the workload) needs is not: say which
            top = missing.split(".")[0]
            reason = f"{module} is installed but needs {top}, which is not: pip install {top}"
        elif isinstance(exc, ImportError):
            reason = f"{module} cannot be imported: {reason}"
        hello = {"type": "hello", "framework": args.framework, "available": False}
        channel.send({**hello, "reason": reason})
        channel.send({"type": "done"})
        return 0
    info = {**backend.info(), "affinity": affinity(), "malloc": malloc_settings()}
    channel.send({"type": "hello", "framework": args.framework, "available": True, "info": info})
    tasks = {t.key: t for t in [*suite_mod.tasks_for(args.framework, plan), CALIBRATION]}
    Server(args.framework, backend, channel, faults, import_s, tasks, args.suite).serve(sys.stdin)
    channel.send({"type": "done"})
    channel.close()
    return 0


def affinity() -> list[int] | None:
    """The cores this worker may run on (both workers get the same set, recorded)."""
    getter = getattr(os, "sched_getaffinity", None)
    return sorted(getter(0)) if getter else None


class Server:
    """Answers the parent's commands (probes/protocol.py) until it says quit or stdin closes."""

    def __init__(
        self,
        framework: str,
        backend: Any,
        channel: Channel,
        faults: dict[str, str | None],
        import_s: float,
        tasks: dict[tuple[str, str], suite_mod.Task],
        suite: str,
    ) -> None:
        self.framework, self.backend, self.channel, self.suite = framework, backend, channel, suite
        self.faults, self.import_s, self.tasks = faults, import_s, tasks
        self.prepared: dict[tuple[str, str], Turns] = {}
        self.first = True

    def serve(self, commands: Iterable[str]) -> None:
        for line in commands:
            cmd = command(line)
            if cmd["cmd"] == "quit":
                return
            task = self.tasks[(cmd["workload"], cmd["mode"])]
            getattr(self, "_" + cmd["cmd"])(task, cmd)

    def _inject(self, task: suite_mod.Task) -> Callable[[], None]:
        due = faults_at(self.faults, task.workload, self.first)
        self.first = False

        def inject() -> None:
            for kind in due:
                strike(kind, self.channel)

        return inject

    def _run(self, task: suite_mod.Task, cmd: dict[str, Any]) -> None:
        """A task measured alone (import time, deployment formats)."""
        self.channel.send({"type": "start", "workload": task.workload, "mode": task.mode})
        if task.workload == "import":
            row = import_row(self.framework, self.backend.device, self.import_s)
        else:
            row = run_task(self.backend, task, self.suite, self._inject(task))
        self.channel.send({"type": "row", "row": row})

    def _prepare(self, task: suite_mod.Task, cmd: dict[str, Any]) -> None:
        self.channel.send({"type": "start", "workload": task.workload, "mode": task.mode})
        inject = self._inject(task) if task != CALIBRATION else (lambda: None)
        turns = prepare_turns(self.backend, task, inject)
        if isinstance(turns, dict):
            self.channel.send({"type": "row", "row": turns})
            return
        self.prepared[task.key] = turns
        ready = {"type": "ready", "workload": task.workload, "mode": task.mode}
        self.channel.send({**ready, "first_call_s": turns.first_call_s, "warm_s": turns.warm_s})

    def _turn(self, task: suite_mod.Task, cmd: dict[str, Any]) -> None:
        turns = self.prepared[task.key]
        estimate, calls = take_turn(turns, float(cmd["seconds"]), bool(cmd.get("record", True)))
        if cmd.get("record", True):
            # the row so far, before the reply: when the parent has a turn, it has the row
            # with that turn too, and keeps it if this worker later fails at another task of
            # a rotation (probes/runner.py). Flushed, it outlives this process.
            self.channel.send({"type": "partial", "row": finish_turns(turns)}, durable=False)
        turn = {"type": "turn", "workload": task.workload, "mode": task.mode}
        self.channel.send({**turn, "estimate_s": estimate, "calls": calls}, durable=False)

    def _finish(self, task: suite_mod.Task, cmd: dict[str, Any]) -> None:
        row = finish_turns(self.prepared.pop(task.key))
        self.channel.send({"type": "row", "row": row})


if __name__ == "__main__":
    sys.exit(main())
