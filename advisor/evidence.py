"""Measured evidence (probe results) -> facts the knowledge base's conditions can test.

For each workload both frameworks ran, the facts are `WORKLOAD.ratio` (PyTorch time over
TensorFlow time: below 1, PyTorch is faster), `WORKLOAD.faster` (`pytorch`, `tensorflow`, or
`none` when the 95% interval contains 1) and `WORKLOAD.summary` (a sentence with the figures);
then `pytorch.available`, `tensorflow.available` and a few hardware facts. Rules of kind
`measured` in knowledge/rules.yaml use them. Nothing here imports a framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import UserError

# Only compiled-vs-compiled comparisons inform the advice: TensorFlow's eager path (op by op)
# is not how TensorFlow trains (tf.function), and comparing it with PyTorch eager overstates
# PyTorch many times over. The quick suite compiles inference only; `probe --full` compiles all.
ADVICE_MODES = ("compiled",)


@dataclass(frozen=True)
class EvidenceFile:
    path: str
    label: str
    created: str
    document: dict[str, Any]


def load(paths: list[Path]) -> list[EvidenceFile]:
    """Read and validate evidence files; a bad or missing one is a UserError naming it."""
    from probes.evidence import EvidenceError, load_evidence

    files = []
    for path in paths:
        try:
            evidence = load_evidence(path)
        except EvidenceError as exc:
            raise UserError(str(exc)) from None
        document = evidence.model_dump(mode="json")
        label = document.get("label") or Path(path).stem
        files.append(EvidenceFile(str(path), label, str(document.get("created", "")), document))
    return files


def from_document(document: dict[str, Any], source: str) -> EvidenceFile:
    label = document.get("label") or "this machine"
    return EvidenceFile(source, label, str(document.get("created", "")), document)


def facts(files: list[EvidenceFile]) -> dict[str, Any]:
    """Facts from the first evidence file (the machine the advice is for)."""
    if not files:
        return {}
    from probes.compare import compare

    first = files[0]
    found: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    for comparison in compare(first.document):
        if comparison.ratio is not None and comparison.mode in ADVICE_MODES:
            chosen.setdefault(comparison.workload, comparison)
    date = first.created[:10]
    for workload, c in chosen.items():
        found[f"{workload}.ratio"] = round(c.ratio, 4)
        found[f"{workload}.faster"] = c.faster if c.clear and c.faster else "none"
        found[f"{workload}.summary"] = _summary(workload, c, first.label, date)
        found[f"{workload}.device"] = "cpu" if c.device == "cpu" else "gpu"
    for framework in ("pytorch", "tensorflow"):
        available = first.document.get("frameworks", {}).get(framework, {}).get("available")
        # null means "not known" (an interrupted run): never read it as "unavailable"
        if isinstance(available, bool) and not first.document.get("interrupted"):
            found[f"{framework}.available"] = available
    hardware = first.document.get("hardware", {})
    found["hardware.gpus"] = len(hardware.get("gpus") or [])
    found["hardware.tpu"] = bool(hardware.get("tpu"))
    found["hardware.apple_silicon"] = bool(hardware.get("apple_silicon"))
    return found


def _summary(workload: str, c: Any, label: str, date: str) -> str:
    if c.clear and c.faster:
        times = 1 / c.ratio if c.faster == "pytorch" else c.ratio
        lead = f"{'PyTorch' if c.faster == 'pytorch' else 'TensorFlow'} {times:.2f}x faster"
    else:
        lead = "no clear difference"
    interval = f", 95% interval {c.ci_low:.2f}-{c.ci_high:.2f}" if c.ci_low is not None else ""
    return (
        f"{workload} ({c.mode}, {c.device}): {lead} "
        f"(time ratio PyTorch/TensorFlow {c.ratio:.2f}{interval}), measured on {label} on {date}"
    )


def check_claims(kb: Any, measured: dict[str, Any]) -> list[dict[str, str]]:
    """Each performance claim of the documents beside what was measured here: confirmed,
    contradicted, no clear difference, or not measurable on this machine."""
    checks = []
    for claim in kb.claims:
        for m in claim.measures:
            faster = measured.get(f"{m.workload}.faster")
            device = measured.get(f"{m.workload}.device")
            if faster is None or (m.device != "any" and device != m.device):
                status = "not measurable on this machine"
            elif faster == "none":
                status = "no clear difference here"
            else:
                status = "confirmed here" if faster == m.expects else "contradicted here"
            checks.append(
                {
                    "claim": claim.id,
                    "source": claim.source,
                    "says": claim.summary,
                    "workload": m.workload,
                    "device": m.device,
                    "status": status,
                    "measured": measured.get(f"{m.workload}.summary", ""),
                }
            )
    return checks
