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

# Harness limits per suite: seconds of repeats per row before the cap, and the latency calls
# (tasks measured alone); for paired tasks, turns per worker per task and each turn's seconds.
BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {
        "max_time_s": 1.0,
        "max_repeats": 30,
        "latency_max_time_s": 0.5,
        "turns": 6,
        "turn_s": 0.1,
    },
    "full": {
        "max_time_s": 4.0,
        "max_repeats": 100,
        "latency_max_time_s": 2.0,
        "turns": 12,
        "turn_s": 0.25,
    },
}

COMPUTE = ("gemm", "gemm_bf16", "conv", "lstm", "transformer", "train_step", "infer_latency")
# The small stand-ins the real architectures replaced: the quick suite runs them only when named
# (`--workloads conv`); the full suite runs them too.
QUICK_OPTIONAL = ("conv", "lstm", "transformer", "train_step")
# The quick suite's real-architecture rows (all reduced): the training step in float32. With
# the latency rows too it took ~145 s here (3 process pairs, TensorFlow's eager calls last up to
# 0.2 s each); latency, generation, throughput and bf16 are the full suite's, or the quick
# suite's when named (`--workloads resnet50_latency`).
QUICK_ARCH_KINDS = ("train",)
# A cold torch.compile costs ~15-30 s here, so the quick suite compiles only where serving would:
# the batch-1 inference model. The full suite compiles every float32 workload.
QUICK_COMPILED = ("infer_latency",)
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


def plan(suite: str, workloads: tuple[str, ...] | None = None) -> list[Task]:
    """The tasks of a suite, in run order; `workloads` narrows it (tests, benchmarks)."""
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
    if workloads is not None:
        unknown = set(workloads) - {t.workload for t in tasks}
        if unknown:
            raise ValueError(f"unknown workload(s): {', '.join(sorted(unknown))}")
        return [t for t in tasks if t.workload in workloads or t.workload == "import"]
    if suite == "quick":
        return [t for t in tasks if t.workload not in QUICK_OPTIONAL and _quick_default(t)]
    return tasks


def _quick_default(task: Task) -> bool:
    if "arch" not in task.params:
        return True
    return task.params["kind"] in QUICK_ARCH_KINDS and task.params["precision"] == "float32"


def tasks_for(framework: str, tasks: list[Task]) -> list[Task]:
    return [t for t in tasks if framework in t.frameworks]


IMPORT_ESTIMATE_S = {"pytorch": 2.0, "tensorflow": 4.0}
