"""The workers' heap: fixed glibc malloc thresholds (a steady step time in every process) and
freed memory handed back before each task (an honest memory baseline)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from typing import Any

import pytest

from fwadvise.probes import session

# In a worker's environment: free 300 MB of 1 MB blocks (below the mmap threshold, so they come
# from the heap), then read the resident set before and after release_free_memory().
FREE_THEN_RELEASE = """
import json
from fwadvise.probes.harness import release_free_memory, rss_mb
before = rss_mb()
blocks = [b"\\x01" * (1 << 20) for _ in range(300)]
grown = rss_mb()
del blocks
freed = rss_mb()
release_free_memory()
print(json.dumps({"before": before, "grown": grown, "freed": freed, "released": rss_mb()}))
"""


def test_workers_get_the_malloc_thresholds_and_a_users_own_stand(monkeypatch: Any) -> None:
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert session.worker_env(2)["GLIBC_TUNABLES"] == session.MALLOC_TUNABLES
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.cpu.x86_shstk=off")
    assert session.worker_env(2)["GLIBC_TUNABLES"] == (
        "glibc.cpu.x86_shstk=off:" + session.MALLOC_TUNABLES
    )
    own = "glibc.malloc.arena_max=2"
    monkeypatch.setenv("GLIBC_TUNABLES", own)
    assert session.worker_env(2)["GLIBC_TUNABLES"] == own


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc tunables only")
def test_freed_memory_is_handed_back_before_a_task_measures_its_growth() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREE_THEN_RELEASE],
        env=session.worker_env(1),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rss = json.loads(done.stdout)
    assert rss["grown"] - rss["before"] > 250
    assert rss["freed"] - rss["before"] > 250  # the thresholds keep freed memory resident
    assert rss["released"] - rss["before"] < 50  # until it is handed back
