"""Speed and repeatability figures for the hardware probes (issues 3 and 11). Prints, never asserts.

1. wall time of `fwadvise probe --fresh` with the quick suite and both frameworks, start-up
   included (target <= 90 s on a 2-core machine); --cold-compile also runs it with an empty
   torch.compile cache, the worst case; --full also times the full suite with an empty
   torch.compile cache (target <= 10 min);
2. GEMM fidelity: the probe's turn estimate (probes/harness.py take_turn) against
   torch.utils.benchmark for PyTorch and against a plain timing loop around the same
   tf.function for TensorFlow, interleaved in one process (target >= 95%);
3. the paired torch/TF time ratio of each comparison over three quick runs and its spread
   (max - min) / median (target: within 10% for every comparison outside the noise floor), and
   each run's calibration ratio (numpy GEMM in both workers, target 1.00 +- 0.05); with
   --runs above 3, also how many of the three-run sets meet that target; with --compare-order,
   the same for runs that measure the tasks one after another instead of in rotation,
   interleaved with the rotated runs.

  .venv/bin/python scripts/bench_probes.py [--runs 3] [--cold-compile] [--full]
      [--keep FILE] [--keep-full FILE] [--compare-order]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the probe command as cli/app.py registers it, without depending on that registration
PROBE_APP = (
    "import typer; from cli.probe_cmd import probe; app = typer.Typer();"
    "app.command('probe')(probe); app.command('_')(lambda: None); app()"
)


def suite_wall(suite: str, cold_compile: bool) -> tuple[float, dict]:
    """One `probe --fresh` in a fresh process with an empty evidence cache: (seconds, evidence)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp}
        if cold_compile:
            env["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "inductor")
        output = Path(tmp) / "evidence.json"
        command = [sys.executable, "-c", PROBE_APP, "probe", "--fresh", "--output", str(output)]
        command += ["--full"] if suite == "full" else []
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        wall = time.perf_counter() - start
        return wall, json.loads(output.read_text())


GEMM_CHILD = """
import json, statistics, sys
from fwadvise.probes.harness import prepare_turns, take_turn
from fwadvise.probes.suite import Task, plan

framework, threads, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
task = Task("gemm", mode, next(t for t in plan("quick") if t.workload == "gemm").params)
if framework == "pytorch":
    import torch
    import torch.utils.benchmark as tb
    from fwadvise.probes.wl_torch import TorchBackend
    backend = TorchBackend("cpu", threads, 0)
    a, b = (torch.randn(task.params["n"], task.params["n"]) for _ in range(2))
    timer = tb.Timer("torch.mm(a, b)", globals={"torch": torch, "a": a, "b": b},
                     num_threads=threads)
    reference = lambda: timer.blocked_autorange(min_run_time=1.0).median
else:
    import time
    from fwadvise.probes.wl_tf import TFBackend
    backend = TFBackend("cpu", threads, 0)

def plain_loop(fn):  # the reference for TensorFlow: a bare loop around the same tf.function
    fn()
    start = time.perf_counter()
    for _ in range(20):
        fn()
    return (time.perf_counter() - start) / 20

turns = prepare_turns(backend, task, lambda: None)
if framework != "pytorch":
    reference = lambda: plain_loop(turns.prepared.fn)
probe_s, reference_s = [], []
for _ in range(8):  # interleaved: drift on a shared machine hits both alike
    probe_s.append(take_turn(turns, 0.25)[0])
    reference_s.append(reference())
print(json.dumps({"probe_s": probe_s, "reference_s": reference_s,
                  "gflop": 2 * task.params["n"] ** 3 / 1e9, "threads": backend.threads}))
"""


def gemm_fidelity(framework: str, threads: int, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", GEMM_CHILD, framework, str(threads), mode],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


Comparisons = dict[tuple[str, str], list[dict]]


def ratio_spread(
    runs: int, rounds: int | None, keep: Path | None, label: str | None, orders: tuple[bool, ...]
) -> dict[bool, tuple[Comparisons, list[float], list[dict | None]]]:
    """`runs` quick runs per task order (rotated, or one task after another), the orders
    interleaved run by run so that both see the same hours of the host."""
    from fwadvise.probes import suite
    from fwadvise.probes.evidence import write_evidence
    from fwadvise.probes.runner import run_probes

    found: dict[bool, tuple[Comparisons, list[float], list[dict | None]]] = {
        rotate: ({}, [], []) for rotate in orders
    }
    for i in range(runs):
        for rotate in orders if i % 2 == 0 else orders[::-1]:
            suite.BUDGETS["quick"]["rotate"] = rotate
            comparisons, walls, floors = found[rotate]
            start = time.perf_counter()
            evidence = run_probes(suite="quick", rounds=rounds, label=label)
            walls.append(time.perf_counter() - start)
            floors.append(evidence.get("noise_floor"))
            for c in evidence["comparisons"]:
                if c["ratio"] is not None and c["workload"] != "import":
                    comparisons.setdefault((c["workload"], c["mode"]), []).append(c)
            if keep and rotate == orders[0]:
                write_evidence(evidence, keep)
    return found


def report_fidelity(threads: int) -> None:
    for framework, mode, against in (
        ("pytorch", "eager", "torch.utils.benchmark"),
        ("tensorflow", "compiled", "a plain loop around the same tf.function"),
    ):
        gemm = gemm_fidelity(framework, threads, mode)
        probe = gemm["gflop"] / statistics.median(gemm["probe_s"])
        reference = gemm["gflop"] / statistics.median(gemm["reference_s"])
        print(
            f"   {framework} GEMM 1024^3 fp32 ({mode}, threads {gemm['threads']}): probe "
            f"{probe:.0f} GFLOP/s, {against} {reference:.0f} GFLOP/s -> "
            f"{probe / reference:.1%} (target >= 95%)"
        )


def report_spread(comparisons: Comparisons, floors: list) -> None:
    print(f"   {'workload':<22}{'mode':<10}{'ratios (verdict)':<60}spread")
    inside, outside = 0, []
    for (workload, mode), found in comparisons.items():
        row_spread = spread([c["ratio"] for c in found])
        clear = any(c["clear"] for c in found)
        shown = ", ".join(f"{c['ratio']:.3f}{'' if c['clear'] else '~'}" for c in found)
        print(f"   {workload:<22}{mode:<10}{shown:<60}{row_spread:.1%}")
        if clear:
            outside.append(row_spread)
        else:
            inside += 1
    within = sum(s <= 0.10 for s in outside)
    print(
        f"   outside the noise floor: {within} of {len(outside)} within 10% (target: all); "
        f"{inside} inside it (~: no clear difference)"
    )
    report_subsets(comparisons)
    for i, floor in enumerate(floors, 1):
        if floor:
            ok = abs(floor["ratio"] - 1) <= 0.05
            print(
                f"   run {i} calibration ratio {floor['ratio']:.3f} "
                f"({floor['ci_low']:.3f}-{floor['ci_high']:.3f}); target 1.00 +- 0.05: "
                f"{'met' if ok else 'MISSED'}"
            )
        else:
            print(f"   run {i}: no calibration (a framework failed)")


def spread(ratios: list[float]) -> float:
    return (max(ratios) - min(ratios)) / statistics.median(ratios)


def report_subsets(comparisons: Comparisons) -> None:
    """With more than three runs: how many three-run sets meet the target, the chance that
    a reviewer's own three runs would (one set is a coin toss near the 10% line)."""
    runs = min(len(found) for found in comparisons.values())
    if runs <= 3:
        return
    met, worst = 0, Counter[str]()
    subsets = list(itertools.combinations(range(runs), 3))
    for subset in subsets:
        over = [
            workload
            for (workload, _), found in comparisons.items()
            if any(found[i]["clear"] for i in subset)
            and spread([found[i]["ratio"] for i in subset]) > 0.10
        ]
        met += not over
        worst.update(over)
    missed = ", ".join(f"{w} {n}" for w, n in worst.most_common()) or "none"
    print(
        f"   every three of the {runs} runs: {met} of {len(subsets)} sets meet the target "
        f"(comparisons over 10% apart, by sets: {missed})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold-compile", action="store_true")
    parser.add_argument("--full", action="store_true", help="also time the full suite (minutes)")
    parser.add_argument("--rounds", type=int, default=None, help="process pairs per run")
    parser.add_argument("--keep", type=Path, default=None, help="write the last run's evidence")
    parser.add_argument("--keep-full", type=Path, default=None, help="write the full suite's")
    parser.add_argument("--label", default=None, help="the machine's name in that evidence")
    parser.add_argument(
        "--compare-order",
        action="store_true",
        help="also time the quick suite's tasks one after another (the full suite's order), "
        "its runs interleaved with the rotated ones",
    )
    args = parser.parse_args()
    from fwadvise.probes.detect import usable_cores
    from fwadvise.probes.suite import THREADS

    threads = THREADS["quick"] or usable_cores()  # the fidelity check times the quick suite's GEMM
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {usable_cores()} usable cores; Python {sys.version.split()[0]}; "
        f"load average {load:.2f} at the start (other processes share these cores)"
    )

    wall, evidence = suite_wall("quick", cold_compile=False)
    warm = evidence["frameworks"].get("pytorch", {}).get("compile_cache_warm")
    print(
        f"\n1. quick suite, `probe --fresh`, start-up included: {wall:.1f} s (target <= 90 s); "
        f"torch.compile cache {'warm' if warm else 'cold'}"
    )
    if args.cold_compile:
        wall, _ = suite_wall("quick", cold_compile=True)
        print(f"   with an empty torch.compile cache: {wall:.1f} s")
    if args.full:  # a new machine's first run: nothing compiled yet, the worst case
        wall, full = suite_wall("full", cold_compile=True)
        if args.keep_full:
            from fwadvise.probes.evidence import write_evidence

            write_evidence(full, args.keep_full)
        rows = [r for r in full["results"] if r.get("median_s")]
        print(
            f"   full suite, `probe --full --fresh`, empty torch.compile cache: {wall:.1f} s "
            f"(target <= 600 s); {len(rows)} rows measured, {full['rounds']} process pairs"
        )
    else:
        print("   full suite: not timed (pass --full; it takes minutes)")

    print("\n2. GEMM fidelity: the probe's turn estimate against a reference, interleaved")
    report_fidelity(threads)

    orders = (True, False) if args.compare_order else (True,)
    found = ratio_spread(args.runs, args.rounds, args.keep, args.label, orders)
    for rotate, (comparisons, walls, floors) in found.items():
        order = " (tasks one after another, interleaved with the above)" if not rotate else ""
        print(
            f"\n3. torch/TF time ratio over {args.runs} quick runs{order} (library wall: "
            + ", ".join(f"{w:.1f} s" for w in walls)
            + ")"
        )
        report_spread(comparisons, floors)


if __name__ == "__main__":
    main()
