"""Evidence cached per machine in the user's cache directory, reused with its age.

    evidence, cached = get_evidence()             # cached figures when they still fit, else measure
    evidence, cached = get_evidence(fresh=True)   # always measure

The file is $XDG_CACHE_HOME/fwadvise/evidence-<fingerprint>.json (default ~/.cache), where the
fingerprint names this machine (probes.detect.fingerprint). Cached evidence is reused only when
it covers what is asked (suite, frameworks, device), was not interrupted, and the installed
framework versions are the ones it measured.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwadvise.advisor.files import UserError, cache_dir, read_text
from fwadvise.probes import suite as suite_mod
from fwadvise.probes.detect import detect_hardware, fingerprint, framework_versions
from fwadvise.probes.evidence import EvidenceError, decode, parse_evidence, write_evidence

MAX_AGE_S = 30 * 24 * 3600.0
FUTURE_SLACK_S = 300.0  # clocks disagree a little; evidence from the future is never fresh


def cache_path(machine: str | None = None) -> Path:
    return cache_dir() / f"evidence-{machine or fingerprint(detect_hardware())}.json"


@dataclass(frozen=True)
class Cached:
    path: Path
    evidence: dict[str, Any]
    age_s: float


def load_cached(machine: str | None = None) -> Cached | None:
    """This machine's cached evidence, or None (absent, or unreadable: then it is re-measured)."""
    path = cache_path(machine)
    if not path.exists():
        return None
    try:  # one bounded read, validated; the document as written (no defaults added)
        document = decode(read_text(path, what="cached evidence"), path)
        model = parse_evidence(document, path)
    except (EvidenceError, UserError):
        return None
    return Cached(path, document, model.age_s())


def reuse_problem(
    cached: Cached,
    *,
    suite: str,
    frameworks: Iterable[str],
    device: str,
    max_age_s: float = MAX_AGE_S,
    installed: dict[str, str | None] | None = None,
) -> str | None:
    """Why cached evidence does not answer this request, or None when it does."""
    evidence = cached.evidence
    if evidence.get("interrupted"):
        return "the cached run was interrupted"
    if cached.age_s < -FUTURE_SLACK_S:
        return "dated in the future (a wrong clock, then or now)"
    if cached.age_s > max_age_s:
        return f"older than {max_age_s / 86400:g} days"
    if suite == "full" and evidence.get("suite") != "full":
        return "the cache holds the quick suite, --full was asked"
    if device != "auto" and evidence.get("device_requested") not in (device, None):
        return f"measured with --device {evidence.get('device_requested')}"
    installed = framework_versions() if installed is None else installed
    measured = evidence.get("frameworks") or {}
    for framework in frameworks:
        entry = measured.get(framework)
        if entry is None:
            return f"{framework} was not measured"
        if entry.get("available") and entry.get("version") != installed.get(framework):
            return f"{framework} is now {installed.get(framework)}, measured {entry.get('version')}"
        if not entry.get("available") and installed.get(framework):
            return f"{framework} was unavailable then and is installed now"
    return None


def save_cached(evidence: dict[str, Any]) -> Path | None:
    """Keep a complete run for next time (an interrupted one is not worth reusing); None also
    when the cache folder cannot be written (the next run measures again, nothing is lost)."""
    if evidence.get("interrupted"):
        return None
    try:
        return write_evidence(evidence, cache_path(evidence.get("fingerprint")))
    except UserError:
        return None


def get_evidence(
    *,
    fresh: bool = False,
    suite: str = "quick",
    frameworks: Iterable[str] = suite_mod.FRAMEWORKS,
    device: str = "auto",
    timeout_s: float | None = None,
    progress: Any = None,
) -> tuple[dict[str, Any], Cached | None]:
    """Evidence for this machine: (document, the Cached it came from, or None if just measured).

    Measuring may raise probes.runner.ProbeInterrupted (Ctrl-C), carrying the partial evidence.
    """
    from fwadvise.probes.runner import run_probes  # only when measuring

    frameworks = tuple(frameworks)
    cached = None if fresh else load_cached()
    if (
        cached is not None
        and reuse_problem(cached, suite=suite, frameworks=frameworks, device=device) is None
    ):
        return cached.evidence, cached
    evidence = run_probes(
        suite=suite, frameworks=frameworks, device=device, timeout_s=timeout_s, progress=progress
    )
    save_cached(evidence)
    return evidence, None
