"""Speed figures for the hardware probes (issue 3, part 8). Prints, never asserts.

1. wall time of `fwadvise probe --fresh` with the quick suite and both frameworks, start-up
   included (target <= 60 s on a 2-core machine); --cold-compile also runs it with an empty
   torch.compile cache, the worst case;
2. the GEMM probe's throughput against torch.utils.benchmark.Timer on the same op, shapes and
   thread count, interleaved in one process (target >= 95%);
3. the per-workload torch/TF time ratio over three quick runs, and its spread
   (max - min) / median (target <= 10%).

  .venv/bin/python scripts/bench_probes.py [--runs 3] [--cold-compile]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the probe command as cli/app.py registers it, without depending on that registration
PROBE_APP = (
    "import typer; from cli.probe_cmd import probe; app = typer.Typer();"
    "app.command('probe')(probe); app.command('_')(lambda: None); app()"
)


def quick_suite_wall(cold_compile: bool) -> tuple[float, dict]:
    """One `probe --fresh` in a fresh process with an empty evidence cache: (seconds, evidence)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp}
        if cold_compile:
            env["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "inductor")
        output = Path(tmp) / "evidence.json"
        command = [sys.executable, "-c", PROBE_APP, "probe", "--fresh", "--output", str(output)]
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        wall = time.perf_counter() - start
        return wall, json.loads(output.read_text())


GEMM_CHILD = """
import json, statistics, sys
import torch
import torch.utils.benchmark as tb
from fwadvise.probes.harness import budget_for
from fwadvise.probes.stats import measure
from fwadvise.probes.suite import plan
from fwadvise.probes.wl_torch import TorchBackend

threads = int(sys.argv[1])
backend = TorchBackend("cpu", threads, 0)
task = next(t for t in plan("quick") if t.workload == "gemm" and t.mode == "eager")
prepared = backend.prepare(task)
a, b = (torch.randn(task.params["n"], task.params["n"]) for _ in range(2))
timer = tb.Timer("torch.mm(a, b)", globals={"torch": torch, "a": a, "b": b}, num_threads=threads)
probe_s, timer_s = [], []
for _ in range(5):  # interleaved: drift on a shared machine hits both alike
    probe_s.append(measure(prepared.fn, budget_for("quick", per_call=False)).median_s)
    timer_s.append(timer.blocked_autorange(min_run_time=1.0).median)
print(json.dumps({"probe_s": probe_s, "timer_s": timer_s, "gflop": 2 * task.params["n"] ** 3 / 1e9,
                  "threads": backend.threads}))
"""


def gemm_against_timer(threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", GEMM_CHILD, str(threads)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio_spread(
    runs: int, rounds: int | None
) -> tuple[dict[tuple[str, str], list[float]], list[float]]:
    from fwadvise.probes.runner import run_probes

    ratios: dict[tuple[str, str], list[float]] = {}
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        evidence = run_probes(suite="quick", rounds=rounds)
        walls.append(time.perf_counter() - start)
        for c in evidence["comparisons"]:
            if c["ratio"] is not None and c["workload"] != "import":
                ratios.setdefault((c["workload"], c["mode"]), []).append(c["ratio"])
    return ratios, walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-compile", action="store_true")
    parser.add_argument("--rounds", type=int, default=None, help="worker processes per framework")
    args = parser.parse_args()
    from fwadvise.probes.detect import usable_cores

    threads = usable_cores()
    print(f"machine: {usable_cores()} usable cores; Python {sys.version.split()[0]}")

    wall, evidence = quick_suite_wall(cold_compile=False)
    warm = evidence["frameworks"].get("pytorch", {}).get("compile_cache_warm")
    print(
        f"\n1. quick suite, `probe --fresh`, start-up included: {wall:.1f} s (target <= 60 s); "
        f"torch.compile cache {'warm' if warm else 'cold'}"
    )
    if args.cold_compile:
        wall, _ = quick_suite_wall(cold_compile=True)
        print(f"   with an empty torch.compile cache: {wall:.1f} s")

    gemm = gemm_against_timer(threads)
    probe_gflops = gemm["gflop"] / statistics.median(gemm["probe_s"])
    timer_gflops = gemm["gflop"] / statistics.median(gemm["timer_s"])
    print(
        f"\n2. GEMM 1024^3 fp32, {gemm['threads']}: probe {probe_gflops:.0f} GFLOP/s, "
        f"torch.utils.benchmark {timer_gflops:.0f} GFLOP/s -> "
        f"{probe_gflops / timer_gflops:.1%} (target >= 95%)"
    )
    print(
        "   per round (probe / timer, ms): "
        + ", ".join(
            f"{p * 1e3:.2f}/{t * 1e3:.2f}"
            for p, t in zip(gemm["probe_s"], gemm["timer_s"], strict=True)
        )
    )

    ratios, walls = ratio_spread(args.runs, args.rounds)
    rounds = f", {args.rounds} worker rounds each" if args.rounds else ""
    print(
        f"\n3. torch/TF time ratio over {args.runs} quick runs{rounds} (library wall: "
        + ", ".join(f"{w:.1f} s" for w in walls)
        + ")"
    )
    print(f"   {'workload':<15}{'mode':<10}{'ratios':<28}spread (target <= 10%)")
    spreads = []
    for (workload, mode), values in ratios.items():
        spread = (max(values) - min(values)) / statistics.median(values)
        spreads.append(spread)
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"   {workload:<15}{mode:<10}{shown:<28}{spread:.1%}")
    if spreads:
        within = sum(s <= 0.10 for s in spreads)
        middle = statistics.median(spreads)
        print(f"   {within} of {len(spreads)} within 10%; median spread {middle:.1%}")


if __name__ == "__main__":
    main()
