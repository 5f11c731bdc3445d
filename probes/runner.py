"""The parent side: start a worker per framework, alternate their turns, turn every fault into rows.

    evidence = run_probes(suite="quick", frameworks=("pytorch", "tensorflow"))

The parent never imports torch or tensorflow. Each round starts one worker per framework, all
alive together (probes/session.py), and measures every task in alternating short turns
(Alternation), with a numpy GEMM in both workers as the run's noise floor. A worker that
crashes, hangs or prints garbage drops out, and every task the plan expected still gets a row:
measured (with the turns it took before a failure elsewhere), or an error saying why not; the
task that brought a worker down is left out of that framework's later rounds. Ctrl-C stops the
workers and keeps every turn taken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import subprocess  # noqa: F401 - tests patch runner.subprocess.Popen
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fwadvise.advisor.files import Terminated, terminate_as_interrupt
from fwadvise.probes import suite as suite_mod
from fwadvise.probes.architectures import published_figure
from fwadvise.probes.compare import compare, noise_floor
from fwadvise.probes.detect import detect_hardware, fingerprint, nvidia_driver, usable_cores
from fwadvise.probes.harness import CALIBRATION
from fwadvise.probes.session import ProgressLike, WorkerOutcome, WorkerSession
from fwadvise.probes.stats import BUSY_CORES, Measurement

SCHEMA_VERSION = 1
DEFAULT_TIMEOUT_S = {"quick": 120.0, "full": 1200.0}
DEFAULT_ROUNDS = {"quick": 3, "full": 3}
# Process pairs of the full suite on a CPU: each pair builds every standard-size model again
# and pays a first call (a compile) per row; on a 2-core CPU the first pair (cold compiles)
# took 324 s and the second 200 s of a 575 s run. Two still give the interval its spread
# between processes.
CPU_FULL_ROUNDS = 2
PAIRED_MODES = ("eager", "compiled")
MIN_TURNS = 2  # recorded turns per side and process pair: the fewest that show their scatter


class Progress:
    """Callbacks the runner makes as work proceeds; subclass and override what you show (or
    pass any object with these three methods: cli/probe_cmd.py's progress bar is one)."""

    def plan(self, total: int, estimate_s: float) -> None:
        """Before anything runs: how many rows, and a rough estimate of the seconds."""

    def starting(self, framework: str, what: str) -> None:
        """A worker is starting (what="start-up") or a task is (what="conv eager")."""

    def row(self, row: dict[str, Any]) -> None:
        """A row is final (measured or failed)."""


class ProbeInterrupted(KeyboardInterrupt):
    """Ctrl-C during a probe run; `evidence` holds what finished, marked interrupted."""

    def __init__(self, evidence: dict[str, Any]) -> None:
        super().__init__("probe run interrupted")
        self.evidence = evidence


def estimate_s(framework: str, task: suite_mod.Task, cache_warm: bool = False) -> float:
    """Seconds a task takes here (2-core CPU); a cold torch.compile dominates everything."""
    if task.mode == "compiled":
        return (5.0 if cache_warm else 20.0) if framework == "pytorch" else 1.5
    return task.estimate_s


def run_worker(
    framework: str,
    tasks: list[suite_mod.Task],
    *,
    suite: str,
    device: str,
    threads: int,
    timeout_s: float,
    progress: ProgressLike | None = None,
    outcome: WorkerOutcome | None = None,
) -> WorkerOutcome:
    """Run one framework's worker alone through `tasks` (its turns unpaired), to the end, its
    timeout, or Ctrl-C (re-raised after cleanup). Rows land in `outcome` as they arrive."""
    outcome = outcome or WorkerOutcome(framework)
    session = WorkerSession(
        framework,
        progress or Progress(),
        suite=suite,
        device=device,
        threads=threads,
        timeout_s=timeout_s,
        outcome=outcome,
    )
    with session:
        Alternation([session], suite).run(tasks, calibrate=False)
    return outcome


class Alternation:
    """Live workers measuring the same tasks in alternating short turns (A B B A ...).

    Drift of a shared machine (a neighbour's burst, a slow period of the host) then lands on
    both sides of a comparison instead of on whichever framework ran second; each side of a
    turn pair is estimated by the 10th percentile of its calls (probes/harness.py). Where the
    suite rotates its tasks, every task takes one turn pair per round, so a slow spell lands
    on every task too. A worker that fails drops out: the others go on alone, its tasks keep
    the turns they took, and the rest become error rows.
    """

    def __init__(
        self,
        sessions: list[WorkerSession],
        suite: str,
        *,
        concurrent_setup: bool = False,
        dropped: dict[str, set[tuple[str, str]]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.dropped = dropped or {}  # per framework: tasks left out (they failed its worker)
        budget = suite_mod.BUDGETS[suite]
        self.turns, self.turn_s = budget["turns"], budget["turn_s"]
        self.task_s: float | None = budget.get("task_s")
        self.calibration_turns: int = budget["calibration_turns"]
        self.rotate: bool = budget.get("rotate", False)
        self._calibrated = 0  # calibration turns taken (their order alternates)
        # each side builds its model on a core of its own (the workers' threads fit the cores)
        self.concurrent_setup = concurrent_setup

    def live(self) -> list[WorkerSession]:
        return [s for s in self.sessions if s.available]

    def run(self, tasks: list[suite_mod.Task], *, calibrate: bool) -> list[dict[str, Any]]:
        """Every task in order; returns the calibration rows (empty without calibration)."""
        solo = [t for t in tasks if t.mode not in PAIRED_MODES]
        for session in self.sessions:
            session.await_reply(("hello",))
            self._alone(session, [t for t in solo if t.workload == "import"])
        calibrating = list(self._ready(CALIBRATION)) if calibrate and len(self.live()) > 1 else []
        for group in self.groups([t for t in tasks if t.mode in PAIRED_MODES]):
            self._rotate(group, calibrating)
        for session in self.live():
            self._alone(session, [t for t in solo if t.workload != "import"])
        return [row for s in calibrating if (row := self._finish(s, CALIBRATION))]

    def groups(self, tasks: list[suite_mod.Task]) -> list[list[suite_mod.Task]]:
        """The paired tasks measured together: all at once where the suite rotates its tasks,
        else one at a time."""
        if self.rotate and tasks:
            return [tasks]
        return [[task] for task in tasks]

    def _alone(self, session: WorkerSession, tasks: list[suite_mod.Task]) -> None:
        """Tasks with nothing to pair (import time, one framework's deployment formats)."""
        for task in tasks:
            if session.available and self._runs(session, task):
                session.ask("run", ("row",), workload=task.workload, mode=task.mode)

    def _runs(self, session: WorkerSession, task: suite_mod.Task) -> bool:
        framework = session.framework
        return framework in task.frameworks and task.key not in self.dropped.get(framework, ())

    def _sides(self, task: suite_mod.Task) -> list[WorkerSession]:
        return [s for s in self.live() if self._runs(s, task)]

    def _ready(self, task: suite_mod.Task) -> dict[WorkerSession, dict[str, Any]]:
        """The sides set up for turns, each with its `ready` reply (its warm-up call's time).

        With concurrent_setup, both sides build and warm up an eager task at once: nothing of
        the set-up is recorded but the first call, which the output shows for compiled rows
        only (a compile timed beside the other side's would be slower than alone)."""
        fields = {"workload": task.workload, "mode": task.mode}
        kinds = ("ready", "row")
        if self.concurrent_setup and task.mode != "compiled":
            sent = [s for s in self._sides(task) if s.send("prepare", **fields)]
            replies = [(s, s.await_reply(kinds)) for s in sent]
        else:
            replies = [(s, s.ask("prepare", kinds, **fields)) for s in self._sides(task)]
        return {s: r for s, r in replies if r is not None and r["type"] == "ready"}

    def _warm_up(
        self, task: suite_mod.Task, ready: dict[WorkerSession, dict[str, Any]]
    ) -> tuple[list[WorkerSession], int]:
        """A task's sides ready for recorded turns: (the sides, how many turns each gets)."""
        sides = list(ready)
        calls_s = [float(reply.get("warm_s") or 0.0) for reply in ready.values()]
        if not calls_s or min(calls_s) < self.turn_s:
            # a warm-up turn first, unrecorded: the first calls after the other worker's turn
            # find cold caches and sleeping threads; its length sizes the recorded turns. Where
            # every call fills a turn alone, each recorded turn is such a first call anyway, and
            # the set-up's warm-up call is the warm-up (a standard-size model: seconds saved).
            warm_up = self._turns(task, sides, range(-1, 0), record=False)
            calls_s = [r["calls"] * r["estimate_s"] for r in warm_up]
        return sides, self.turn_count(calls_s)

    def _rotate(self, group: list[suite_mod.Task], calibrating: list[WorkerSession]) -> None:
        """Set every task of the group up, then give them their turns in rotation (one turn
        pair of each task per round, the calibration's among them), so that a slow spell of
        the host falls on every task of the group alike instead of on whichever ran in it.

        The warm-up turns come after every set-up: a set-up hands the heap's free memory back
        (harness.release_free_memory), and a task's first step after that faults its memory in
        again (TensorFlow's reduced ResNet-50: 150-220 ms against 90)."""
        spent = [0.0] * len(group)  # each task's set-up and own turns, both sides
        ready = []
        for i, task in enumerate(group):
            with charged(spent, i):
                ready.append(self._ready(task))
        planned: list[tuple[list[WorkerSession], int]] = []  # each task's sides and turns
        for i, task in enumerate(group):
            with charged(spent, i):
                planned.append(self._warm_up(task, ready[i]))
        rounds = max([1, *(count for _, count in planned)])  # the calibration's turns regardless
        calibration_turns = self.calibration_turns * len(group)
        for r in range(rounds):
            for i, (task, (sides, count)) in enumerate(zip(group, planned, strict=True)):
                if r < count:
                    with charged(spent, i):
                        self._turns(task, sides, range(r, r + 1))
            # the noise floor's turns, spread evenly over the rounds
            due = calibration_turns * (r + 1) // rounds - calibration_turns * r // rounds
            self._turns(CALIBRATION, calibrating, range(self._calibrated, self._calibrated + due))
            self._calibrated += due
        for task, (sides, _), wall in zip(group, planned, spent, strict=True):
            rows = [self._finish(session, task) for session in sides]
            for row in rows:  # the very dicts the outcome holds: the row as it will be merged
                if row is not None:
                    row["task_wall_s"] = round(wall, 2)

    def turn_count(self, turn_s: list[float]) -> int:
        """Recorded turns per side: the suite's count, or fewer where a standard-size model's
        calls take seconds, as many as fit the suite's seconds per task (at least MIN_TURNS).
        `turn_s`: how long a warm-up turn of each side lasted (its calls' estimated seconds)."""
        if self.task_s is None or not turn_s:
            return self.turns
        longest = max(self.turn_s, *turn_s)
        return max(MIN_TURNS, min(self.turns, int(self.task_s / longest)))

    def _turns(
        self,
        task: suite_mod.Task,
        sides: list[WorkerSession],
        turns: range,
        record: bool = True,
    ) -> list[dict[str, Any]]:
        """One turn per side for each index, in ABBA order (linear drift cancels); the replies."""
        replies = []
        for turn in turns:
            order = sides if turn % 2 == 0 else sides[::-1]
            for session in order:
                if session.available:
                    reply = session.ask(
                        "turn",
                        ("turn",),
                        workload=task.workload,
                        mode=task.mode,
                        seconds=self.turn_s,
                        record=record,
                    )
                    replies += [reply] if reply else []
        return replies

    def _finish(self, session: WorkerSession, task: suite_mod.Task) -> dict[str, Any] | None:
        reply = session.ask("finish", ("row",), workload=task.workload, mode=task.mode)
        return reply["row"] if reply else None


@contextlib.contextmanager
def charged(spent: list[float], i: int) -> Iterator[None]:
    """Add the seconds the block took to spent[i] (where a rotated task's time went)."""
    started = time.monotonic()
    try:
        yield
    finally:
        spent[i] += time.monotonic() - started


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
    """The worker's rows, plus a row for every planned task it did not deliver: its turns so
    far where it had some and the failure struck elsewhere, else an error saying why."""
    hello = outcome.hello or {}
    if hello.get("available") is False:
        reason = f"{outcome.framework} unavailable: {hello.get('reason')}"
    else:
        reason = outcome.failure or "worker did not run this task"
    device = (hello.get("info") or {}).get("device") or device
    seen = {(row.get("workload"), row.get("mode")) for row in outcome.rows}
    missing = []
    for task in (t for t in tasks if t.key not in seen):
        partial = outcome.partial.get(task.key)
        if partial is not None and task.key != outcome.in_flight:
            # its turns before the worker stopped (at another task, or interrupted) stand
            missing.append({**partial, "incomplete": reason})
        else:
            missing.append(error_row(outcome.framework, device, task, reason))
    return outcome.rows + missing


def planned_for(
    framework: str, tasks: list[suite_mod.Task], dropped: dict[str, set[tuple[str, str]]]
) -> list[suite_mod.Task]:
    """A framework's tasks in a process pair: those it runs, less those that failed it before."""
    return [t for t in suite_mod.tasks_for(framework, tasks) if t.key not in dropped[framework]]


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
            cache = "torch.compile" if row["framework"] == "pytorch" else "XLA"
            notes.append(
                f"{row['framework']} {row['workload']} compiled: first call took {first:.1f} s "
                f"because the {cache} cache was cold (a warm cache takes a few seconds)"
            )
        if row.get("compile_fallback"):
            notes.append(
                f"{row['framework']} {row['workload']} compiled: the compiler compiled none of "
                f"it, so the row ran eagerly ({row['compile_fallback']})"
            )
    notes += published_notes(results)
    unsteady = [r for r in results if r.get("reliable") is False and r["workload"] != "import"]
    noisy = [_name(r) for r in unsteady if not r.get("few_samples")]
    if noisy:
        notes.append("noisy (IQR/median above 10%): " + ", ".join(noisy))
    few = [_name(r) for r in unsteady if r.get("few_samples")]
    if few:
        notes.append(
            "fewer than 5 calls per process pair (each takes seconds; the interval, from the "
            "turns of every process pair, says how sure the comparison is): " + ", ".join(few)
        )
    cut = [_name(r) for r in results if r.get("incomplete")]
    if cut:
        notes.append(
            "cut short, with the turns taken before (see each row's `incomplete`): "
            + ", ".join(cut)
        )
    busy = [_name(r) for r in results if (r.get("other_load_cores") or 0) > BUSY_CORES]
    if busy:
        notes.append(
            "other processes kept a core busy while these ran (figures may be slow): "
            + ", ".join(busy)
        )
    return notes


def published_notes(results: list[dict[str, Any]]) -> list[str]:
    """NVIDIA's published figure beside ours, for a GPU of the class it was measured on."""
    notes = []
    for row in results:
        gpu = row.get("gpu_name")
        published = published_figure(row["workload"], gpu) if row.get("throughput") else None
        if published:
            notes.append(
                f"{row['framework']} {row['workload']} {row['mode']} on {gpu}: "
                f"{row['throughput']:,.0f} {row['unit']} (batch {row.get('batch')}); "
                f"published: {published['figure']:,.0f} {published['unit']}, "
                f"{published['setting']} ({published['source']})"
            )
    return notes


def left_out_note(plan: dict[str, Any] | None) -> list[str]:
    left_out = (plan or {}).get("left_out") or []
    if not left_out:
        return []
    by_mode: dict[str, list[str]] = {}
    for entry in left_out:
        workload, _, mode = entry.partition(" ")
        by_mode.setdefault(mode, []).append(workload)
    listed = "; ".join(f"{mode}: {', '.join(names)}" for mode, names in by_mode.items())
    return [
        f"not measured: {len(left_out)} rows the full suite runs on a GPU but leaves out on a "
        f"CPU to stay within about 10 minutes ({listed}); to measure some of them: "
        f"fwadvise probe --full --workloads {left_out[0].partition(' ')[0]},..."
    ]


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
    evidence["notes"] = notes_for(evidence["results"]) + left_out_note(evidence.get("plan"))
    evidence["comparisons"] = [c.to_dict() for c in compare(evidence)]
    floor = noise_floor(evidence)
    evidence["noise_floor"] = floor.to_dict() if floor else None
    if floor:
        evidence["notes"].append(floor.summary)
    return evidence


@terminate_as_interrupt()  # SIGTERM/SIGHUP as Ctrl-C: the workers are stopped, folders removed
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

    Each round starts a fresh worker per framework, all alive together, and alternates their
    turns task by task (Alternation); `rounds` such process pairs (pyperf's lesson: a process
    has its own luck with memory placement and neighbours) give the interval its spread between
    processes. A numpy GEMM run in every worker along the way is the run's noise floor.
    Raises ProbeInterrupted (a KeyboardInterrupt) on Ctrl-C, carrying the partial evidence.
    """
    started = time.monotonic()
    progress = progress or Progress()
    frameworks = tuple(frameworks)
    workloads = tuple(workloads) if workloads else None
    hardware = detect_hardware()
    target = plan_target(device, hardware)
    tasks = suite_mod.plan(suite, workloads, target)
    threads = threads or suite_mod.THREADS[suite] or usable_cores()
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S[suite]
    rounds = rounds or default_rounds(suite, target)
    evidence = new_evidence(hardware, suite, threads, label, device)
    evidence["rounds"] = rounds
    evidence["plan"] = plan_entry(suite, target, workloads)
    per_round = [round_tasks(tasks, k) for k in range(rounds)]
    _plan(progress, frameworks, per_round)
    collected: dict[str, list[list[dict[str, Any]]]] = {fw: [] for fw in frameworks}
    calibration: dict[str, list[list[dict[str, Any]]]] = {fw: [] for fw in frameworks}
    interrupted = False
    # a task that crashed or hung its worker would likely do so again: later process pairs
    # leave it out of that framework's plan (the whole framework, when it failed at start-up)
    failed: set[str] = set()
    dropped: dict[str, set[tuple[str, str]]] = {fw: set() for fw in frameworks}
    for k, round_plan in enumerate(per_round):
        outcomes = [WorkerOutcome(fw) for fw in frameworks if fw not in failed]
        if not outcomes:
            break
        calibration_rows: list[dict[str, Any]] = []
        try:
            with contextlib.ExitStack() as stack:
                sessions = [
                    stack.enter_context(
                        WorkerSession(
                            o.framework,
                            progress,
                            suite=suite,
                            device=device,
                            threads=threads,
                            timeout_s=timeout_s,
                            outcome=o,
                        )
                    )
                    for o in outcomes
                ]
                fits = target == "cpu" and threads * len(sessions) <= usable_cores()
                alternation = Alternation(sessions, suite, concurrent_setup=fits, dropped=dropped)
                calibration_rows = alternation.run(round_plan, calibrate=len(outcomes) > 1)
        except KeyboardInterrupt as stop:
            interrupted = True
            why = stop if isinstance(stop, Terminated) else "Ctrl-C"
            for outcome in outcomes:
                outcome.in_flight = None  # interrupted, not at fault: its turns so far count
                if outcome.failure is None and not outcome.done:
                    outcome.failure = f"interrupted ({why})"
        for outcome in outcomes:
            fw_tasks = planned_for(outcome.framework, round_plan, dropped)
            if not (outcome.hello or {}).get("available"):
                failed.add(outcome.framework)
            elif outcome.failure and not interrupted:
                culprit = outcome.in_flight
                if culprit is not None and culprit in {t.key for t in fw_tasks}:
                    dropped[outcome.framework].add(culprit)
                else:  # between tasks: nothing to leave out but the worker
                    failed.add(outcome.framework)
            _collect(evidence, collected[outcome.framework], outcome, fw_tasks, device, progress, k)
        for row in calibration_rows:
            calibration[row["framework"]].append([{**row, "process": k}])
        if interrupted:
            break
    evidence["results"] = [row for fw in frameworks for row in merge_rounds(collected[fw])]
    evidence["calibration"] = [row for fw in frameworks for row in merge_rounds(calibration[fw])]
    if interrupted:
        per_framework = {fw: suite_mod.tasks_for(fw, tasks) for fw in frameworks}
        _interrupted(evidence, per_framework, device)
        raise ProbeInterrupted(finish(evidence, started))
    return finish(evidence, started)


def plan_target(device: str, hardware: dict[str, Any]) -> str:
    """The device a run plans for: the one asked for, or with `auto` a CUDA GPU when the
    machine shows one (the worker decides for itself, and says which it used)."""
    if device != "auto":
        return device
    nvidia = any(g.get("vendor") == "nvidia" for g in hardware.get("gpus") or [])
    return "cuda" if nvidia or nvidia_driver() else "cpu"


def default_rounds(suite: str, target: str) -> int:
    return CPU_FULL_ROUNDS if suite == "full" and target == "cpu" else DEFAULT_ROUNDS[suite]


def plan_entry(suite: str, target: str, workloads: tuple[str, ...] | None) -> dict[str, Any]:
    """What the run planned for, and the architecture rows its suite left out there."""
    left_out = [] if workloads else suite_mod.left_out(suite, target)
    return {
        "target": target,
        "workloads": list(workloads) if workloads else None,
        "left_out": [f"{t.workload} {t.mode}" for t in left_out],
    }


def round_tasks(tasks: list[suite_mod.Task], k: int) -> list[suite_mod.Task]:
    """Every round measures the import and the paired tasks; the deployment formats (one
    framework each, nothing to pair) are measured in the first round only."""
    return [t for t in tasks if k == 0 or t.mode in PAIRED_MODES or t.workload == "import"]


def _plan(
    progress: ProgressLike, frameworks: tuple[str, ...], per_round: list[list[suite_mod.Task]]
) -> None:
    total, estimate = 0, 0.0
    for round_plan in per_round:
        for fw in frameworks:
            fw_tasks = suite_mod.tasks_for(fw, round_plan)
            total += len(fw_tasks)
            estimate += suite_mod.IMPORT_ESTIMATE_S[fw] / len(frameworks)  # they start together
            estimate += sum(estimate_s(fw, t) for t in fw_tasks)
    progress.plan(total, estimate)


def _collect(
    evidence: dict[str, Any],
    rounds: list[list[dict[str, Any]]],
    outcome: WorkerOutcome,
    tasks: list[suite_mod.Task],
    device: str,
    progress: ProgressLike,
    process: int,
) -> None:
    entry = framework_entry(outcome)
    known = evidence["frameworks"].get(outcome.framework)
    if known is None or (entry.get("available") and not known.get("available")):
        evidence["frameworks"][outcome.framework] = entry
    # the calibration's rows are the noise floor's, kept apart from the frameworks' results
    outcome.rows = [r for r in outcome.rows if r.get("workload") != CALIBRATION.workload]
    rows = complete_rows(outcome, tasks, device)
    for row in rows[len(outcome.rows) :]:
        progress.row(row)  # the error rows the worker could not send itself
    rounds.append([{**row, "process": process} for row in rows])


def merge_rounds(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per task from each round's row: samples pooled, errors kept beside them."""
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
    if first.get("turns_s") is not None:
        row = merge_turns(measured)
    else:
        pooled = Measurement(
            tuple(s for r in measured for s in r["samples_s"]),
            number=first.get("number") or 1,
            first_call_s=first.get("first_call_s"),  # a later process may find warm caches
        )
        row = {**first, **pooled.summary(), "rounds": len(measured)}
        if first.get("throughput"):
            row["throughput"] = first["throughput"] * first["median_s"] / pooled.median_s
    for key in ("peak_memory_mb", "peak_rss_mb", "memory_growth_mb", "other_load_cores"):
        values = [r[key] for r in measured if r.get(key) is not None]
        row[key] = max(values) if values else row.get(key)
    errors = [r["error"] for r in group if r.get("error")]
    if errors:
        row["round_errors"] = errors
    row.pop("incomplete", None)  # a process pair cut short says so, whichever pair it was
    cut = [r["incomplete"] for r in measured if r.get("incomplete")]
    if cut:
        row["incomplete"] = cut[0]
    return row


def merge_turns(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """Paired rows of several processes: each process's turns kept apart (the comparison pairs
    them process by process); the per-call figures are the median over processes."""
    median = statistics.median
    first = measured[0]
    processes = max(r.get("process", 0) for r in measured) + 1
    by_process: list[list[float]] = [[] for _ in range(processes)]
    for r in measured:
        by_process[r.get("process", 0)] = list(r["turns_s"])
    row = {**first, "rounds": len(measured), "process_turns_s": by_process}
    for key in ("median_s", "p90_s", "iqr_s", "throughput"):
        values = [r[key] for r in measured if r.get(key) is not None]
        row[key] = median(values) if values else None
    row["samples_s"] = [s for r in measured for s in r["turns_s"]]
    row["repeats"] = len(row["samples_s"])
    row["calls"] = sum(r.get("calls") or 0 for r in measured)
    row["reliable"] = all(r.get("reliable") is not False for r in measured)
    row["few_samples"] = all(r.get("few_samples") for r in measured)
    row["task_wall_s"] = [r.get("task_wall_s") for r in measured]
    row.pop("turns_s", None)
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
