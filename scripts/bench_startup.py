"""Start-up figures for `fwadvise --profile researcher` (issue 2, part 9). Prints, never asserts.

Compares, in one run and interleaved (the machine is shared and noisy), the wall time of
  base:  python importing the base dependencies as fwadvise uses them: typer, rich.console,
         pydantic.BaseModel and yaml (a bare `import pydantic` or `import rich` loads almost
         nothing, so the plain package imports are printed too, for reference)
  cmd:   python -m cli --profile researcher  (text to a pipe, and --format json)
and prints the medians and the ratio cmd/base (target: <= 1.5). It also runs the command under
`python -X importtime` and says whether torch or tensorflow was imported (target: neither).

    .venv/bin/python scripts/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

BASE = [
    sys.executable, "-c",
    "import typer, yaml; from rich.console import Console; from pydantic import BaseModel",
]
PLAIN = [sys.executable, "-c", "import typer, rich, pydantic, yaml"]
CMDS = {
    "text": [sys.executable, "-m", "cli", "--profile", "researcher"],
    "json": [sys.executable, "-m", "cli", "--profile", "researcher", "--format", "json"],
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    return time.perf_counter() - start


def framework_imports() -> list[str]:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *CMDS["text"][1:]],
        capture_output=True, text=True, check=True,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
    return sorted({n for n in names if n.split(".")[0] in ("torch", "tensorflow")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for cmd in (BASE, PLAIN, *CMDS.values()):  # warm the OS file cache and .pyc files
        wall(cmd)
    times: dict[str, list[float]] = {"base": [], "plain": [], **{k: [] for k in CMDS}}
    for _ in range(args.runs):
        times["base"].append(wall(BASE))
        times["plain"].append(wall(PLAIN))
        for name, cmd in CMDS.items():
            times[name].append(wall(cmd))
    base = statistics.median(times["base"])
    print(f"runs: {args.runs} (interleaved), python {sys.version.split()[0]}")
    plain = statistics.median(times["plain"])
    print(f"base: typer, rich.console, pydantic.BaseModel, yaml   median {base * 1000:7.1f} ms")
    print(f"(plain `import typer, rich, pydantic, yaml`            median {plain * 1000:7.1f} ms)")
    for name in CMDS:
        med = statistics.median(times[name])
        print(f"fwadvise --profile researcher ({name:4})             median {med * 1000:7.1f} ms"
              f"   ratio {med / base:4.2f} (target <= 1.50), {med / plain:4.2f} to plain")
    found = framework_imports()
    print("framework imports (python -X importtime):", ", ".join(found) if found else "none")


if __name__ == "__main__":
    main()
