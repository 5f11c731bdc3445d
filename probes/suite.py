"""The probe suites as data: which workloads, in which modes, with which shapes.

Parent and workers both read this module, so the shapes that PyTorch and TensorFlow run are the
same by construction, and the parent knows every row it expects (a row that never arrives becomes
an error row, never a gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fwadvise.probes import architectures as arch

FRAMEWORKS = ("pytorch", "tensorflow")
SUITES = ("quick", "full")
DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class Task:
    """One row to measure: a workload in one mode."""

    workload: str
    mode: str  # eager | compiled | deploy formats (tflite, export, onnx) | cold
    params: dict[str, Any] = field(default_factory=dict)
    estimate_s: float = 1.0  # for the progress estimate, on a 2-core CPU
    frameworks: tuple[str, ...] = FRAMEWORKS

    @property
    def key(self) -> tuple[str, str]:
        return (self.workload, self.mode)


# Shapes per suite. The quick suite keeps every workload small enough to run in about a second.
SHAPES: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "gemm": {"n": 1024, "dtype": "float32"},
        "gemm_bf16": {"n": 1024, "dtype": "bfloat16"},
        "conv": {"batch": 8, "image": 32, "channels": [3, 32, 64], "classes": 10},
        "lstm": {"batch": 16, "seq": 32, "input": 64, "hidden": 128},
        "transformer": {"batch": 8, "seq": 64, "d_model": 128, "heads": 4, "ff": 512},
        "train_step": {"batch": 64, "features": 784, "hidden": 256, "classes": 10, "lr": 1e-3},
        "infer_latency": {"batch": 1, "features": 784, "hidden": 256, "classes": 10},
    },
    "full": {
        "gemm": {"n": 2048, "dtype": "float32"},
        "gemm_bf16": {"n": 2048, "dtype": "bfloat16"},
        "conv": {"batch": 32, "image": 64, "channels": [3, 32, 64], "classes": 10},
        "lstm": {"batch": 32, "seq": 64, "input": 128, "hidden": 256},
        "transformer": {"batch": 16, "seq": 128, "d_model": 256, "heads": 8, "ff": 1024},
        "train_step": {"batch": 128, "features": 784, "hidden": 512, "classes": 10, "lr": 1e-3},
        "infer_latency": {"batch": 1, "features": 784, "hidden": 512, "classes": 10},
    },
}

# Threads per framework worker (None: every usable core). The quick suite measures one core, as
# torch.utils.benchmark does by default: on a shared machine a second core's speed comes and goes
# with the neighbours (here the 2-thread step of a reduced LSTM, GPT-2 or ResNet switched between
# two speeds 40-50% apart every half minute or so, in one process with nothing else running,
# while the 1-thread step held within 5%), and the frameworks slow down by different amounts, so
# the ratio moved with the neighbours too. The full suite uses every core, as a training job
# does; `run_probes(threads=N)` sets any count, and the evidence records it.
THREADS: dict[str, int | None] = {"quick": 1, "full": None}

# Harness limits per suite: seconds of repeats per row before the cap, and the latency calls
# (tasks measured alone); for paired tasks, turns per worker per task and each turn's seconds,
# and in the full suite the seconds of recorded turns a task gets per side (a standard-size
# model's call takes 0.1-5 s on a CPU: the slow ones get fewer turns, never under two); and
# the calibration's turns per side after each task: one, its order alternating from task to
# task, so the noise floor still spans the run (two took ~20 s more in the full suite and ~5 s
# in the quick one, where a slow hour here brought the run to 90 s).
# `rotate`: a process pair sets every task up, then gives each one turn pair per round, so a
# slow spell of the host (seconds long here) lands on every task alike (probes/runner.py:
# Alternation._rotate); the full suite's standard-size models are too big to hold together.
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {
        "max_time_s": 1.0,
        "max_repeats": 30,
        "latency_max_time_s": 0.5,
        "turns": 6,
        "turn_s": 0.1,
        "calibration_turns": 1,
        "rotate": True,
    },
    "full": {
        "max_time_s": 4.0,
        "max_repeats": 100,
        "latency_max_time_s": 2.0,
        "turns": 12,
        "turn_s": 0.25,
        "calibration_turns": 1,
        "task_s": 1.0,
    },
}

COMPUTE = ("gemm", "gemm_bf16", "conv", "lstm", "transformer", "train_step", "infer_latency")
# The small stand-ins the real architectures replaced: a suite runs them only when named
# (`--workloads conv`). Both suites keep the batch-1 MLP (the deployment formats' model, and
# serving for a project no architecture matches); the quick suite also GEMM (the fidelity
# check), the full suite the MLP's training step (training for such a project).
QUICK_OPTIONAL = ("conv", "lstm", "transformer", "train_step")
FULL_OPTIONAL = ("gemm", "gemm_bf16", "conv", "lstm", "transformer")
# The quick suite's real-architecture rows (all reduced): the training step in float32. With
# the latency rows too it took ~145 s here (3 process pairs, TensorFlow's eager calls last up to
# 0.2 s each); latency, generation, throughput and bf16 are the full suite's (on a CPU some of
# them: CPU_FULL_KINDS), or the quick suite's when named (`--workloads resnet50_latency`).
QUICK_ARCH_KINDS = ("train",)
# A cold torch.compile costs ~15-30 s here, so the quick suite compiles only where serving would:
# the batch-1 inference model. The full suite compiles every float32 workload on a GPU, and on
# a CPU the rows the advice reads (CPU_FULL_KINDS).
QUICK_COMPILED = ("infer_latency",)
# The full suite on a CPU: the rows the advice reads, compiled (the training step; batch-1
# latency, or generation for GPT-2), and the training step eager too, all in float32. On a
# 2-core CPU a standard-size call takes 0.1-5 s and a cold torch.compile of a training step
# 8-38 s: the whole matrix took ~45 min, this plan 9-10 (README: "Probe figures"). The rest
# (bf16, batch throughput, eager inference, MobileNetV2's compiled training step, which the
# advice does not read) runs on a GPU, or when named (`probe --full --workloads NAME`).
CPU_FULL_KINDS = {"eager": ("train",), "compiled": ("train", "latency", "generate")}
CPU_NOT_COMPILED = ("mobilenet_v2_train",)
_EAGER_ESTIMATE = {"lstm": 2.0, "transformer": 2.0, "conv": 1.5}
ARCH_ESTIMATE_S = {"quick": 2.5, "full": 12.0}


def architecture_tasks(suite: str) -> list[tuple[Task, bool]]:
    """The real architectures' tasks (eager), each with whether the suite also compiles it:
    every kind in float32, and the training step again in mixed precision (bf16 autocast)."""
    tasks = []
    for name, kinds in arch.KINDS.items():
        for kind in kinds:
            precisions = ["float32"] + (["bfloat16"] if kind in arch.MIXED_PRECISION_KINDS else [])
            for precision in precisions:
                params = arch.workload_params(name, kind, suite, precision)
                task = Task(
                    arch.workload_name(name, kind, precision),
                    "eager",
                    params,
                    ARCH_ESTIMATE_S[suite],
                )
                tasks.append((task, suite == "full" and precision == "float32"))
    return tasks


def catalogue(suite: str) -> list[Task]:
    """Every task a suite knows, in run order: what `plan` chooses from, and what a worker
    accepts (the parent may name any of them)."""
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; valid: {', '.join(SUITES)}")
    shapes = SHAPES[suite]
    compiled = COMPUTE if suite == "full" else QUICK_COMPILED
    tasks = [Task("import", "cold", {}, estimate_s=0.0)]
    for name in COMPUTE:
        tasks.append(Task(name, "eager", shapes[name], _EAGER_ESTIMATE.get(name, 1.2)))
    architectures = architecture_tasks(suite)
    tasks += [task for task, _ in architectures]
    for name in COMPUTE:
        if name in compiled:
            tasks.append(Task(name, "compiled", shapes[name], estimate_s=8.0))
    tasks += [Task(t.workload, "compiled", t.params, 8.0) for t, both in architectures if both]
    deploy = shapes["infer_latency"]
    tasks += [
        Task("deploy", "tflite", deploy, estimate_s=2.5, frameworks=("tensorflow",)),
        Task("deploy", "export", deploy, estimate_s=2.5, frameworks=("pytorch",)),
        Task("deploy", "onnx", deploy, estimate_s=2.0, frameworks=("pytorch",)),
    ]
    return tasks


def plan(suite: str, workloads: tuple[str, ...] | None = None, target: str = "cpu") -> list[Task]:
    """The tasks of a suite on a target (cpu | cuda), in run order; `workloads` picks rows by
    name from everything the suite knows (tests, benchmarks, `probe --workloads`)."""
    tasks = catalogue(suite)
    if workloads is not None:
        unknown = set(workloads) - {t.workload for t in tasks}
        if unknown:
            known = ", ".join(sorted({t.workload for t in tasks} - {"import"}))
            raise ValueError(f"unknown workload(s): {', '.join(sorted(unknown))}; valid: {known}")
        return [t for t in tasks if t.workload in workloads or t.workload == "import"]
    return [t for t in tasks if _default(suite, t, target)]


def left_out(suite: str, target: str) -> list[Task]:
    """The suite's architecture rows its default plan leaves out on this target (named in the
    evidence, so that a reader knows what was not measured and how to ask for it)."""
    chosen = {t.key for t in plan(suite, target=target)}
    return [t for t in catalogue(suite) if "arch" in t.params and t.key not in chosen]


def _default(suite: str, task: Task, target: str) -> bool:
    optional = QUICK_OPTIONAL if suite == "quick" else FULL_OPTIONAL
    if task.workload in optional:
        return False
    if "arch" not in task.params:
        return True
    kind, precision = task.params["kind"], task.params["precision"]
    if suite == "quick":
        return kind in QUICK_ARCH_KINDS and precision == "float32"
    if target != "cpu":
        return True
    compiled_left_out = task.mode == "compiled" and task.workload in CPU_NOT_COMPILED
    kinds = CPU_FULL_KINDS[task.mode]
    return kind in kinds and precision == "float32" and not compiled_left_out


def tasks_for(framework: str, tasks: list[Task]) -> list[Task]:
    return [t for t in tasks if framework in t.frameworks]


IMPORT_ESTIMATE_S = {"pytorch": 2.0, "tensorflow": 4.0}
