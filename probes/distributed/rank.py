"""What every distributed worker shares, whatever its framework: arguments, the synthetic
data and starting weights (numpy, seeded: the same in both frameworks and at any worker count),
the timed windows, and its result file (probes/protocol.py's JSON lines, one file per rank).

A worker imports this first and its framework second; nothing here imports a framework.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fwadvise.probes.protocol import Channel

FAULT_ENV = "FWADVISE_DIST_FAULT"  # KIND:RANK, KIND one of killed, hang: strikes after step 1
LAUNCH_TIME_ENV = "FWADVISE_LAUNCH_TIME"  # the parent's time.time() when it started the run
FEATURES, HIDDEN, CLASSES = 512, 1024, 10
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class Settings:
    result_dir: str
    global_batch: int
    warmup: int
    windows: int
    steps_per_window: int
    seed: int


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser()
    parser.add_argument("--result-dir", required=True)
    parser.add_argument("--global-batch", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--steps-per-window", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return Settings(
        args.result_dir,
        args.global_batch,
        args.warmup,
        args.windows,
        args.steps_per_window,
        args.seed,
    )


def die_with_parent() -> None:
    """Linux: be killed when the launcher dies (torchrun puts each rank in its own session, so
    killing the launcher's process group alone would leave the ranks running)."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def channel(settings: Settings, rank: int) -> Channel:
    return Channel(os.path.join(settings.result_dir, f"rank-{rank}.jsonl"))


def hello(out: Channel, rank: int, world: int, info: dict[str, Any]) -> None:
    out.send({"type": "hello", "available": True, "info": {**info, "rank": rank, "world": world}})
    out.send({"type": "start", "workload": "data_parallel", "mode": f"workers-{world}"})


def model_data(settings: Settings, rank: int, world: int) -> dict[str, Any]:
    """Starting weights (input-major) and this rank's shard of the global batch, float32."""
    import numpy as np

    if settings.global_batch % world:
        raise SystemExit(f"global batch {settings.global_batch} does not split into {world}")
    rng = np.random.default_rng(settings.seed)
    shard = settings.global_batch // world
    x = rng.standard_normal((settings.global_batch, FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, settings.global_batch).astype(np.int64)
    return {
        "w1": (rng.standard_normal((FEATURES, HIDDEN)) / FEATURES**0.5).astype(np.float32),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": (rng.standard_normal((HIDDEN, CLASSES)) / HIDDEN**0.5).astype(np.float32),
        "b2": np.zeros(CLASSES, np.float32),
        "x": x[rank * shard : (rank + 1) * shard],
        "y": y[rank * shard : (rank + 1) * shard],
    }


def checksum(arrays: list[Any]) -> list[float]:
    """Sum and sum of squares of all weights (float64): equal weights give equal figures."""
    import numpy as np

    flat = np.concatenate([np.asarray(a, np.float64).ravel() for a in arrays])
    return [float(flat.sum()), float((flat * flat).sum())]


def strike(rank: int) -> None:
    kind, _, target = os.environ.get(FAULT_ENV, "").partition(":")
    if kind and target == str(rank):
        if kind == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        while kind == "hang":
            time.sleep(3600)


def run(
    out: Channel,
    settings: Settings,
    rank: int,
    step: Callable[[], None],
    weights: Callable[[], list[Any]],
    barrier: Callable[[], None],
) -> None:
    """Warm up, time the windows, send this rank's row: per-step seconds per window, the time
    from launch to the first finished step, and the weights' checksum after all steps."""
    launched = float(os.environ.get(LAUNCH_TIME_ENV, time.time()))
    step()
    first_step_s = time.time() - launched
    strike(rank)
    for _ in range(settings.warmup - 1):
        step()
    samples = []
    for _ in range(settings.windows):
        barrier()
        start = time.perf_counter()
        for _ in range(settings.steps_per_window):
            step()
        samples.append((time.perf_counter() - start) / settings.steps_per_window)
    row = {
        "rank": rank,
        "samples_s": samples,
        "time_to_first_step_s": first_step_s,
        "steps": settings.warmup + settings.windows * settings.steps_per_window,
        "weights_checksum": checksum(weights()),
    }
    out.send({"type": "row", "row": row})
    out.send({"type": "done"})
    out.close()
