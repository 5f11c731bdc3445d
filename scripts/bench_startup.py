"""Start-up figures for `fwadvise --profile researcher` (issues 2 and 9). Prints, never asserts.

Compares, in one run and interleaved (the machine is shared and noisy), the wall time of
  base:  python importing the base dependencies as fwadvise uses them: typer, rich.console,
         pydantic.BaseModel and yaml (a bare `import pydantic` or `import rich` loads almost
         nothing, so the plain package imports are printed too, for reference)
  cmd:   python -m fwadvise --profile researcher  (text to a pipe, and --format json)
and prints the medians and the ratio cmd/base (target: <= 1.5). It also runs the command under
`python -X importtime` and says whether torch or tensorflow was imported (target: neither).

fwadvise's own modules are byte-compiled first, as `pip install` does for an installed package
(the base dependencies in site-packages were compiled when pip installed them). Where
PYTHONDONTWRITEBYTECODE is set, a source checkout would otherwise recompile every module on
every run; `--from-source` measures that case too.

    .venv/bin/python scripts/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time

BASE = [
    sys.executable,
    "-c",
    "import typer, yaml; from rich.console import Console; from pydantic import BaseModel",
]
PLAIN = [sys.executable, "-c", "import typer, rich, pydantic, yaml"]
BASE_NAME = "base: typer, rich.console, pydantic.BaseModel, yaml"
PLAIN_NAME = "plain `import typer, rich, pydantic, yaml`"
CMDS = {
    "text": [sys.executable, "-m", "fwadvise", "--profile", "researcher"],
    "json": [sys.executable, "-m", "fwadvise", "--profile", "researcher", "--format", "json"],
}


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def medians(cmds: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command, the commands interleaved run by run."""
    for cmd in cmds.values():  # warm the OS file cache
        wall(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(wall(cmd, env))
    return {name: statistics.median(found) for name, found in times.items()}


PACKAGES = ("advisor", "cli", "knowledge", "probes")  # the folders of the fwadvise package
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def set_bytecode(compiled: bool) -> None:
    """Byte-compile fwadvise's packages (as pip install does), or remove their .pyc files."""
    for package in PACKAGES:
        directory = os.path.join(ROOT, package)
        if compiled:
            compileall.compile_dir(directory, quiet=1)
        else:
            for parent, dirs, _ in os.walk(directory):
                if "__pycache__" in dirs:
                    shutil.rmtree(os.path.join(parent, "__pycache__"))


def framework_imports() -> list[str]:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *CMDS["text"][1:]],
        capture_output=True,
        text=True,
        check=True,
    )
    names = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
    return sorted({n for n in names if n.split(".")[0] in ("torch", "tensorflow")})


def report(found: dict[str, float], label: str) -> None:
    base = found["base"]
    for name in CMDS:
        med = found[name]
        print(
            f"fwadvise --profile researcher ({name}{label}): median {med * 1000:6.1f} ms,"
            f" ratio to base {med / base:4.2f} (target <= 1.50)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--from-source",
        action="store_true",
        help="also measure without fwadvise's .pyc files (PYTHONDONTWRITEBYTECODE)",
    )
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1"}
    print(f"runs: {args.runs} (interleaved), python {sys.version.split()[0]}")
    set_bytecode(compiled=True)
    found = medians({"base": BASE, "plain": PLAIN, **CMDS}, args.runs, env)
    for name, what in (("base", BASE_NAME), ("plain", f"({PLAIN_NAME})")):
        print(f"{what:<52} median {found[name] * 1000:6.1f} ms")
    report(found, "")
    if args.from_source:
        set_bytecode(compiled=False)
        no_pyc = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        source = medians({"base": BASE, **CMDS}, args.runs, no_pyc)
        print(f"without fwadvise's .pyc files (base median {source['base'] * 1000:6.1f} ms):")
        report(source, ", from source")
        set_bytecode(compiled=True)
    found_imports = framework_imports()
    print(
        "framework imports (python -X importtime):",
        ", ".join(found_imports) if found_imports else "none",
    )


if __name__ == "__main__":
    main()
