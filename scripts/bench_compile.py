"""What torch.compile does with the full suite's compiled PyTorch rows in one worker. Prints, never
asserts.

Replays a PyTorch worker's compiled rows in the full suite's order, in one fresh process with an
empty Inductor cache (a new machine's first run), as probes/worker.py prepares them: per row the
first call (the compile), the median of three later steps, and how many graphs Dynamo made
(0: the row ran eagerly, and why). `--no-reset` skips the `torch.compiler.reset()` each compiled
row now gets, to show what every row after the first used to be: a recompile of Dynamo's shared
wrapper frame, with dynamic shapes.

  .venv/bin/python scripts/bench_compile.py [--no-reset] [--threads N] [--workloads a,b]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-reset", action="store_true", help="as before the fix")
    parser.add_argument("--threads", type=int, default=None, help="default: every usable core")
    parser.add_argument("--workloads", default=None, help="comma-separated; default: all")
    args = parser.parse_args()
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-compile-")

    import torch

    from fwadvise.probes import suite
    from fwadvise.probes.detect import usable_cores
    from fwadvise.probes.harness import Turns, prepare_turns
    from fwadvise.probes.wl_torch import load

    if args.no_reset:
        torch.compiler.reset = lambda: None  # type: ignore[assignment]
    backend = load("cpu", args.threads or usable_cores(), 0)
    chosen = set(args.workloads.split(",")) if args.workloads else None
    print(f"torch {torch.__version__}, {backend.threads['intra_op']} threads, empty Inductor cache")
    for task in suite.plan("full", target="cpu"):
        if task.mode != "compiled" or (chosen and task.workload not in chosen):
            continue
        turns = prepare_turns(backend, task, lambda: None)  # as the worker sets a row up
        if not isinstance(turns, Turns):
            print(f"{task.workload:22s} failed: {turns.get('error')}", flush=True)
            continue
        steps = []
        for _ in range(3):
            start = time.perf_counter()
            turns.prepared.fn()
            steps.append(time.perf_counter() - start)
        graphs = turns.row["compiled_graphs"]
        fallback = f"  ran eagerly: {turns.row['compile_fallback']}" if graphs == 0 else ""
        step_ms = statistics.median(steps) * 1e3
        print(
            f"{task.workload:22s} first call {turns.first_call_s:7.1f} s   step {step_ms:8.1f} ms"
            f"   graphs {graphs}{fallback}",
            flush=True,
        )


if __name__ == "__main__":
    main()
