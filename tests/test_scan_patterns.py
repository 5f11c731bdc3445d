"""Every text pattern in knowledge/scan.yaml runs in time linear in the file it reads.

Each pattern is fed adversarial files (blank lines, spaces, tabs, its own literal start repeated)
at doubling sizes up to 200 KB; the time on 200 KB is compared, as a ratio within one run, with
the time on 100 KB. Linear growth gives about 2, quadratic about 4. A doubling that grows more than
`LIMIT` fails at once, so a quadratic pattern fails on a small file instead of hanging the suite.
No absolute time is asserted: times under `NOISE` seconds are too small to judge and pass.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable

import pytest

from fwadvise.advisor.kb.loader import load
from fwadvise.advisor.scan import repository as scanner

SIZES = (6_250, 12_500, 25_000, 50_000, 100_000, 200_000)
LIMIT = 3.0  # time ratio for a doubling of the file: linear ~2, quadratic ~4
NOISE = 0.005  # seconds: on a shared machine a run this short says nothing about growth

Maker = Callable[[int], str]


def _repeat(unit: str) -> Maker:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def _head(pattern: str) -> str:
    """The literal a pattern starts with (after flags, anchors and blank space), or 'x'."""
    rest = re.sub(r"^\(\?[a-z]+\)", "", pattern).lstrip("^")
    rest = rest.removeprefix("[ \\t]*").removeprefix("\\b")
    literal = re.match(r"[#\-A-Za-z_ /.:]+", rest.replace("\\.", "."))
    return literal[0] if literal else "x"


def _adversarial(pattern: str) -> dict[str, Maker]:
    head = _head(pattern)
    makers = {"newlines": _repeat("\n"), "spaces": _repeat(" "), "tabs": _repeat("\t")}
    makers["space-newline"] = _repeat(" \n")
    for tail in ("", " ", "\t", "\n", " x"):
        makers[f"{head!r}+{tail!r}"] = _repeat(head + tail)
    makers[f"{head!r} then one long line"] = lambda size: head + " " + "x" * size
    return makers


def _seconds(regex: re.Pattern[str], text: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        regex.search(text)
        best = min(best, time.perf_counter() - start)
    return best


def growth(regex: re.Pattern[str], make: Maker) -> float:
    """The worst time ratio over the doublings that take long enough to measure; a ratio over the
    limit is measured again (up to three times, the least kept): the machine is shared."""
    worst = 0.0
    for small, large in itertools.pairwise(SIZES):
        ratio = 0.0
        for _ in range(3):
            before = _seconds(regex, make(small))
            now = _seconds(regex, make(large))
            ratio = now / max(before, 1e-9) if now > NOISE else 0.0
            if ratio <= LIMIT:
                break
        worst = max(worst, ratio)
        if worst > LIMIT:
            break  # already super-linear: do not wait for the larger files
    return worst


PATTERNS = sorted({t.pattern for s in scanner.load_config(load()).signatures for t in s.match.text})


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_time_grows_linearly(pattern: str) -> None:
    regex = re.compile(pattern)
    for what, make in _adversarial(pattern).items():
        ratio = growth(regex, make)
        assert ratio < LIMIT, f"{pattern!r} on {what}: doubling the file took {ratio:.1f}x"


def test_a_quadratic_pattern_is_caught() -> None:
    """The check above can fail: a pattern that backtracks over blank lines is caught."""
    regex = re.compile(r"(?m)^\s*FROM")
    assert growth(regex, _repeat("\n")) > LIMIT


def test_the_head_of_a_pattern_is_its_literal_start() -> None:
    assert _head("(?mi)^[ \\t]*FROM[ \\t]+x") == "FROM"
    assert _head("#SBATCH[ \\t]+--gres") == "#SBATCH"
    assert _head("[abc]") == "x"
