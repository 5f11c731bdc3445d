"""Scan speed and memory on the real-repository corpus (issue 13). Prints, never asserts.

Each scan runs in a fresh Python process (so its memory is its own): the wall time of `scan()`
alone (the knowledge base loaded before the clock starts) and the peak resident memory of the
whole process (interpreter, fwadvise and its dependencies included). It scans each corpus
repository, then all sixteen as one tree; several runs each, the median time printed. Targets:
<= 2 s and <= 100 MB for a repository of the corpus's size.

    .venv/bin/python scripts/bench_scan.py [--runs 3] [--corpus ../shared/scan-corpus]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from fwadvise.advisor.kb.loader import load
from fwadvise.advisor.scan.repository import load_config, scan
kb = load(); config = load_config(kb)
start = time.perf_counter()
result = scan(sys.argv[1], kb=kb, config=config)
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024, "files": result.files_seen}))
"""


def measure(path: Path, runs: int) -> dict[str, float]:
    rows = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(done.stdout))
    return {
        "seconds": statistics.median(r["seconds"] for r in rows),
        "peak_mb": max(r["peak_mb"] for r in rows),
        "files": rows[0]["files"],
    }


def main() -> None:
    here = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=here.parent / "shared" / "scan-corpus")
    args = parser.parse_args()
    archive = args.corpus / "repos.tar.xz"
    if not archive.is_file():
        sys.exit(f"no corpus at {archive}")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        repos = Path(tmp) / "repos"
        print(f"{'repository':<26} {'files':>6} {'scan s':>8} {'peak MB':>8}")
        targets = [*sorted(p for p in repos.iterdir() if p.is_dir()), repos]
        for path in targets:
            m = measure(path, args.runs)
            name = "ALL 16 as one tree" if path == repos else path.name
            print(f"{name:<26} {m['files']:>6.0f} {m['seconds']:>8.3f} {m['peak_mb']:>8.1f}")


if __name__ == "__main__":
    main()
