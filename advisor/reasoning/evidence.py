"""Measured evidence (probe results) -> facts the knowledge base's conditions can test.

For each workload both frameworks ran, the facts are `WORKLOAD.ratio` (PyTorch time over
TensorFlow time: below 1, PyTorch is faster), `WORKLOAD.faster` (`pytorch`, `tensorflow`, or
`none` when the 95% interval contains 1 or the ratio is inside the run's noise floor),
`WORKLOAD.gap` (times faster at the interval's end nearest 1) and `WORKLOAD.summary` (a
sentence with the figures, the interval, the noise floor and the machine);
`WORKLOAD.memory_less` and `WORKLOAD.memory_summary` for peak memory; then
`pytorch.available`, `tensorflow.available` and hardware facts (`hardware.*`). Rules of kind
`measured` in knowledge/rules.yaml use them. Nothing here imports a framework.

Several evidence files: the first is the machine the advice is for, and only its facts drive
the rules (one machine's figures, never a blend of two). Every file, the first included, is
also listed under `machines` with its own facts and label, so each machine's measurements are
shown, labelled, beside the documents' claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.kb.schema import NAMES

# Only compiled-vs-compiled comparisons inform the advice: TensorFlow's eager path (op by op)
# is not how TensorFlow trains (tf.function), and comparing it with PyTorch eager overstates
# PyTorch many times over. The quick suite compiles inference only; `probe --full` compiles all.
ADVICE_MODES = ("compiled",)

# A peak-memory figure is one reading per round (the largest over rounds is kept), with no
# interval to judge it by; a gap under this fraction is read as no clear difference.
MEMORY_MARGIN = 0.10


@dataclass(frozen=True)
class EvidenceFile:
    path: str
    label: str
    created: str
    document: dict[str, Any]


def load(paths: list[Path]) -> list[EvidenceFile]:
    """Read and validate evidence files; a bad or missing one is a UserError naming it."""
    from fwadvise.probes.evidence import EvidenceError, load_evidence

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
    """The first file's facts (they drive the rules) and `machines`: every file's, labelled."""
    if not files:
        return {}
    machines: list[dict[str, Any]] = [
        {"path": f.path, "label": f.label, "created": f.created, "facts": file_facts(f)}
        for f in files
    ]
    return {**machines[0]["facts"], "machines": machines}


def file_facts(file: EvidenceFile) -> dict[str, Any]:
    """One machine's facts: speed and memory comparisons, availability, hardware."""
    from fwadvise.probes.compare import compare, noise_floor

    date = file.created[:10]
    noise = noise_floor(file.document)
    found: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    for comparison in compare(file.document):
        if comparison.ratio is not None and comparison.mode in ADVICE_MODES:
            chosen.setdefault(comparison.workload, comparison)
    for workload, c in chosen.items():
        found[f"{workload}.ratio"] = round(c.ratio, 4)
        found[f"{workload}.faster"] = c.faster if c.clear and c.faster else "none"
        found[f"{workload}.gap"] = conservative_gap(c)
        where = _where(c.device, file.document.get("threads"))
        measured = f"{file.label} on {date}"
        found[f"{workload}.summary"] = _summary(workload, c, measured, where, noise)
        found[f"{workload}.device"] = "cpu" if c.device == "cpu" else "gpu"
    found.update(memory_facts(file.document.get("results") or [], file.label, date))
    found.update(scaling_facts(file.document.get("results") or [], file.label, date))
    if noise is not None:
        found["noise.too_noisy"] = noise.too_noisy
        found["noise.summary"] = noise.summary
    for framework in ("pytorch", "tensorflow"):
        available = file.document.get("frameworks", {}).get(framework, {}).get("available")
        # null means "not known" (an interrupted run): never read it as "unavailable"
        if isinstance(available, bool) and not file.document.get("interrupted"):
            found[f"{framework}.available"] = available
    found.update(hardware_facts(file.document))
    return found


def conservative_gap(c: Any) -> float:
    """How many times faster the faster framework is at the interval's end nearest 1 (1.0 when
    there is no clear difference): the gap and its certainty in one number, for the rules."""
    if not (c.clear and c.faster and c.ci_low and c.ci_high):
        return 1.0
    return round(1 / c.ci_high if c.faster == "pytorch" else c.ci_low, 3)


def _where(device: str, threads: Any) -> str:
    """The device, and on a CPU the threads each framework had (the quick suite measures one)."""
    if device != "cpu" or not isinstance(threads, int):
        return device
    return f"cpu, {threads} thread{'' if threads == 1 else 's'} each"


def _summary(workload: str, c: Any, measured: str, where: str, noise: Any = None) -> str:
    if c.clear and c.faster:
        times = 1 / c.ratio if c.faster == "pytorch" else c.ratio
        lead = f"{NAMES[c.faster]} {times:.2f}x faster"
    else:
        lead = "no clear difference"
    interval = f", 95% interval {c.ci_low:.2f}-{c.ci_high:.2f}" if c.ci_low is not None else ""
    if c.method == "paired":
        interval += ", from turns alternated between the two frameworks"
    floor = f"; {_floor_phrase(noise)}" if noise else ""
    fallback = "".join(
        f"; {NAMES[name]}'s compiler compiled none of it and ran it eagerly ({why})"
        for name, why in c.fallback.items()
    )
    return (
        f"{workload} ({c.mode}, {where}): {lead} "
        f"(time ratio PyTorch/TensorFlow {c.ratio:.2f}{interval}{floor}{fallback}), "
        f"measured on {measured}"
    )


def _floor_phrase(noise: Any) -> str:
    if noise.too_noisy:
        return f"the machine was too noisy (calibration ratio {noise.ratio:.3f}, should be 1)"
    return f"noise floor +-{noise.margin:.1%}"


def memory_facts(results: list[dict[str, Any]], label: str, date: str) -> dict[str, Any]:
    """Peak memory per workload where both frameworks have a figure from the same mode and
    device: compiled where both ran compiled (as the advice compares speed), else eager."""
    peaks: dict[tuple[str, str, str], dict[str, float]] = {}
    for row in results:
        peak = row.get("peak_memory_mb")
        if peak and not row.get("error") and row.get("workload") not in ("import", "deploy"):
            key = (row["workload"], row.get("device") or "cpu", row["mode"])
            peaks.setdefault(key, {})[row["framework"]] = float(peak)
    found: dict[str, Any] = {}
    compiled_first = sorted(peaks.items(), key=lambda item: item[0][2] != "compiled")
    for (workload, device, mode), pair in compiled_first:
        if len(pair) < 2 or f"{workload}.memory_less" in found:
            continue
        ratio = pair["pytorch"] / pair["tensorflow"]
        less = "none"
        if abs(ratio - 1) > MEMORY_MARGIN:
            less = "pytorch" if ratio < 1 else "tensorflow"
        # On a CPU the peak is the worker's whole resident memory, the framework's own
        # runtime included; on a GPU it is the device memory the workload allocated.
        what = "whole process, framework included" if device == "cpu" else "device memory"
        found[f"{workload}.memory_ratio"] = round(ratio, 4)
        found[f"{workload}.memory_less"] = less
        found[f"{workload}.memory_device"] = "cpu" if device == "cpu" else "gpu"
        figures = (
            f"peak PyTorch {pair['pytorch']:,.0f} MB, TensorFlow {pair['tensorflow']:,.0f} MB "
            f"({what})"
        )
        found[f"{workload}.memory_figures"] = figures
        found[f"{workload}.memory_summary"] = (
            f"{workload} ({mode}, {device}) {figures}, measured on {label} on {date}"
        )
    return found


def scaling_facts(results: list[dict[str, Any]], label: str, date: str) -> dict[str, Any]:
    """Data-parallel scaling (probe --distributed): each framework's N-worker efficiency with
    its 95% interval; `data_parallel.scales_better` names a framework only when the two
    intervals do not overlap (a gap beyond the run's noise floor), else `none`."""
    rows = {
        row["framework"]: row
        for row in results
        if row.get("workload") == "data_parallel"
        and row.get("scaling_efficiency") is not None
        and row.get("efficiency_ci") is not None
    }
    if len(rows) < 2 or rows["pytorch"]["mode"] != rows["tensorflow"]["mode"]:
        return {}
    pt, tf = rows["pytorch"], rows["tensorflow"]
    better = "none"
    if pt["efficiency_ci"][0] > tf["efficiency_ci"][1]:
        better = "pytorch"
    elif tf["efficiency_ci"][0] > pt["efficiency_ci"][1]:
        better = "tensorflow"
    workers = pt["params"].get("workers", "N")
    figures = ", ".join(
        f"{name} {row['scaling_efficiency']:.0%} ({row['efficiency_ci'][0]:.0%}-"
        f"{row['efficiency_ci'][1]:.0%})"
        for name, row in (("PyTorch DDP", pt), ("TensorFlow MultiWorkerMirrored", tf))
    )
    lead = "no clear difference" if better == "none" else f"{NAMES[better]} scales better"
    return {
        "data_parallel.scales_better": better,
        "data_parallel.efficiency_ratio": round(
            pt["scaling_efficiency"] / tf["scaling_efficiency"], 4
        ),
        "data_parallel.scaling_device": "cpu" if pt.get("device") == "cpu" else "gpu",
        "data_parallel.scaling_summary": (
            f"data-parallel training at {workers} workers: {lead}; scaling efficiency "
            f"{figures}, measured on {label} on {date}"
        ),
    }


OS_NAMES = {"linux": "linux", "windows": "windows", "darwin": "macos"}


def hardware_facts(document: dict[str, Any]) -> dict[str, Any]:
    """What the install advice and the rules need to know about the measured machine."""
    hardware = document.get("hardware") or {}
    gpus = hardware.get("gpus") or []
    nvidia = [g for g in gpus if g.get("vendor") == "nvidia"]
    system = str((hardware.get("os") or {}).get("system") or "").lower()
    found: dict[str, Any] = {
        "hardware.gpus": len(gpus),
        "hardware.tpu": bool(hardware.get("tpu")),
        "hardware.apple_silicon": bool(hardware.get("apple_silicon")),
        "hardware.nvidia_gpus": len(nvidia) or _framework_gpus(document, rocm=False),
        "hardware.amd_gpus": len(gpus) - len(nvidia) or _framework_gpus(document, rocm=True),
    }
    if system:
        found["hardware.os"] = OS_NAMES.get(system, system)
    if nvidia:
        found["hardware.gpu_name"] = nvidia[0].get("name")
        found["hardware.nvidia_driver"] = nvidia[0].get("driver")
        found["hardware.cuda_driver"] = nvidia[0].get("cuda_driver")  # where the probe has it
        found["hardware.compute_capability"] = nvidia[0].get("compute_capability")
    return {key: value for key, value in found.items() if value is not None}


def _framework_gpus(document: dict[str, Any], *, rocm: bool) -> int:
    """GPUs a framework worker saw (when NVML or sysfs listed none), CUDA or ROCm ones."""
    seen = 0
    for info in (document.get("frameworks") or {}).values():
        devices = (info or {}).get("devices") or {}
        if bool(devices.get("rocm")) == rocm:
            seen = max(seen, len(devices.get("gpus") or []))
    return seen


def machines(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Every measured machine with its facts (a facts dict from before `machines`: one)."""
    return measured.get("machines") or [
        {"path": "", "label": "this machine", "created": "", "facts": measured}
    ]


def results(found: dict[str, Any]) -> list[dict[str, Any]]:
    """One machine's measured comparisons, time and memory, from its facts."""
    listed = []
    for metric, (winner_key, _, summary_key) in METRIC_KEYS.items():
        ratio_key = RATIO_KEYS[metric]
        for key, summary in found.items():
            workload, _, rest = key.partition(".")
            if rest == summary_key:
                listed.append(
                    {
                        "workload": workload,
                        "metric": metric,
                        "ratio": found.get(f"{workload}.{ratio_key}"),
                        "winner": found.get(f"{workload}.{winner_key}"),
                        "summary": summary,
                    }
                )
    return listed


def check_claims(kb: Any, measured: dict[str, Any]) -> list[dict[str, str]]:
    """Each performance claim of the documents beside what each machine measured: confirmed,
    contradicted, no clear difference, or not measurable on that machine."""
    checks = []
    for machine in machines(measured):
        for claim in kb.claims:
            for m in claim.measures:
                status, summary = _status(m, machine["facts"])
                figures = _figures(m, machine["facts"]) if summary else ""
                checks.append(
                    {
                        "claim": claim.id,
                        "source": claim.source,
                        "says": claim.summary,
                        "workload": m.workload,
                        "device": m.device,
                        "metric": m.metric,
                        "status": status,
                        "measured": summary,
                        "figures": figures,
                        "machine": machine["label"],
                        "file": machine["path"],
                        "created": machine["created"],
                    }
                )
    return checks


# Where each metric's facts live: (winner key, device key, summary key); `expects` is the
# faster framework for time and the one using less memory for memory.
METRIC_KEYS = {
    "time": ("faster", "device", "summary"),
    "memory": ("memory_less", "memory_device", "memory_summary"),
    "scaling": ("scales_better", "scaling_device", "scaling_summary"),
}
RATIO_KEYS = {"time": "ratio", "memory": "memory_ratio", "scaling": "efficiency_ratio"}


def _figures(m: Any, found: dict[str, Any]) -> str:
    """The measured figures a claim line shows: the time ratio, or both peak memories."""
    if m.metric == "memory":
        return found.get(f"{m.workload}.memory_figures", "")
    if m.metric == "scaling":
        ratio = found.get(f"{m.workload}.efficiency_ratio")
        return f"scaling efficiency PyTorch/TensorFlow {ratio:.2f}" if ratio is not None else ""
    ratio = found.get(f"{m.workload}.ratio")
    return f"time ratio PyTorch/TensorFlow {ratio:.2f}" if ratio is not None else ""


NOT_HERE = "not measurable on this machine"
GPU = ("gpus", "nvidia_gpus", "amd_gpus")


def _status(m: Any, found: dict[str, Any]) -> tuple[str, str]:
    winner_key, device_key, summary_key = METRIC_KEYS[m.metric]
    winner = found.get(f"{m.workload}.{winner_key}")
    device = found.get(f"{m.workload}.{device_key}")
    summary = found.get(f"{m.workload}.{summary_key}", "")
    if m.device != "any" and winner is not None and device != m.device:
        return NOT_HERE, ""  # its figures answer another question
    if winner is None and m.device == "gpu" and not any(found.get(f"hardware.{k}") for k in GPU):
        return NOT_HERE, ""
    if winner is None:  # the quick suite compiles inference only
        return "not measured in this run (`fwadvise probe --full` measures it)", ""
    if winner == "none":
        return "no clear difference here", summary
    return ("confirmed here" if winner == m.expects else "contradicted here"), summary
