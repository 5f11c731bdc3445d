"""Install advice: the command that installs a framework on the project's hardware.

The commands are data (knowledge/install.yaml, validated here); this module only chooses. The
answers' `accelerator` (the project's target) picks the platform; measured evidence, when
given, refines it: the machine's OS, and for NVIDIA the driver, which decides the CUDA wheels
(a driver of the CUDA 12 family cannot run CUDA 13 wheels). Without evidence nothing is
detected: the OS is assumed and said to be. Nothing here imports a framework or spawns a
process, and the table is read only when a recommendation is rendered.

    advice(rec, kb)                   # [{"framework", "hardware", "command", "note", ...}]
    for_machine("tensorflow", evidence_document)   # for `fwadvise probe`
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.kb.schema import NAMES

if TYPE_CHECKING:
    from fwadvise.advisor.kb.loader import KnowledgeBase
    from fwadvise.advisor.reasoning.engine import Recommendation

FILE = "install.yaml"

# The answers' accelerator -> the platform whose wheels it needs.
PLATFORM_OF = {
    "cpu_only": "cpu",
    "nvidia_gpu": "cuda",
    "amd_gpu": "rocm",
    "apple_silicon": "apple",
    "google_tpu": "tpu",
}
PLATFORM_NAMES = {
    "cpu": "CPU only",
    "cuda": "NVIDIA GPU",
    "rocm": "AMD GPU",
    "apple": "Apple silicon",
    "tpu": "Google TPU",
}
OS_NAMES = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}
# Where each platform runs: every one must have an entry per framework (the lint checks).
PLATFORM_OSES: dict[str, tuple[str, ...]] = {
    "cpu": ("linux", "windows"),
    "cuda": ("linux", "windows"),
    "rocm": ("linux", "windows"),
    "apple": ("macos",),
    "tpu": ("linux",),
}


class Entry(NamedTuple):
    """One install command of knowledge/install.yaml (validated by advisor/install_schema.py)."""

    framework: str
    platform: str
    os: tuple[str, ...]
    command: str | None
    note: str
    source: str
    checked: str
    cuda: str | None = None
    default: bool = False
    experimental: bool = False

    @property
    def cuda_major(self) -> int:
        return self.cuda_key[0]

    @property
    def cuda_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in (self.cuda or "0").split("."))


class Table(NamedTuple):
    cuda_families: tuple[tuple[int, int], ...]  # (CUDA major, oldest driver major that runs it)
    commands: tuple[Entry, ...]


def load(directory: Path) -> Table:
    """knowledge/install.yaml, validated and linted; a problem is a KnowledgeError at file:line."""
    return _load(directory.resolve())


@cache
def _load(directory: Path) -> Table:
    from fwadvise.advisor.kb import snapshot
    from fwadvise.advisor.kb.yamlio import read_text

    path = directory / FILE
    try:
        text = read_text(path, what="knowledge base file")
    except UserError as exc:  # missing or unreadable: the message names the file
        raise KnowledgeError(str(exc)) from None
    # Validated once, then kept as a JSON snapshot like the rest of the knowledge base: keyed
    # by this file and the code that validates it, so an edit to either validates again. A run
    # with a snapshot never builds the pydantic validators (they cost more than the choice).
    schema_source = Path(__file__).with_name("schema.py").read_text("utf-8")
    key = snapshot.key({FILE: text, "install_schema.py": schema_source})
    data = snapshot.read_json(f"install-{key}") if key else None
    if data is None:
        data = _validate(text, str(path))
        if key:
            snapshot.write_json(f"install-{key}", data)
    return _table(data)


def _validate(text: str, name: str) -> dict[str, Any]:
    from fwadvise.advisor.install.schema import InstallTable
    from fwadvise.advisor.kb.loader import validate
    from fwadvise.advisor.kb.yamlio import parse

    try:
        doc = parse(text, name)
    except UserError as exc:
        raise KnowledgeError(str(exc)) from None
    data = validate(doc, InstallTable, error=KnowledgeError).model_dump(mode="json")
    problems = lint(_table(data))
    if problems:
        raise KnowledgeError("\n".join(f"{name}: {p}" for p in problems))
    return data


def _table(data: dict[str, Any]) -> Table:
    return Table(
        tuple((f["cuda"], f["min_driver"]) for f in data["cuda_families"]),
        tuple(Entry(**{**c, "os": tuple(c["os"])}) for c in data["commands"]),
    )


def lint(table: Table) -> list[str]:
    """What the model alone cannot see: every platform covered, one choice per situation,
    CUDA facts consistent with the index URLs they name."""
    problems = []
    for framework in NAMES:
        for platform, oses in PLATFORM_OSES.items():
            for os_name in oses:
                problems += _coverage(table, framework, platform, os_name)
    families = {cuda for cuda, _ in table.cuda_families}
    for n, entry in enumerate(table.commands):
        where = f"commands[{n}] ({entry.framework}, {entry.platform})"
        if entry.cuda and entry.platform != "cuda":
            problems.append(f"{where}: `cuda` belongs on CUDA entries only")
        if entry.platform == "cuda" and entry.command and not entry.cuda:
            problems.append(f"{where}: a CUDA command needs `cuda`, the CUDA of its wheels")
        if (entry.default or entry.experimental) and entry.platform != "cuda":
            problems.append(f"{where}: default/experimental apply to CUDA entries only")
        if entry.cuda and entry.cuda_major not in families:
            problems.append(f"{where}: CUDA {entry.cuda} has no entry in cuda_families")
        index = re.search(r"download\.pytorch\.org/whl/(cu\d+)", entry.command or "")
        if index and entry.cuda and index.group(1) != "cu" + entry.cuda.replace(".", ""):
            problems.append(f"{where}: index {index.group(1)} does not match CUDA {entry.cuda}")
    return problems


def _coverage(table: Table, framework: str, platform: str, os_name: str) -> list[str]:
    found = _entries(table, framework, platform, os_name)
    what = f"{framework} on {platform}/{os_name}"
    if not found:
        return [f"no entry for {what} (give one, with command: null if unsupported)"]
    if len(found) > 1 and sum(e.default for e in found) != 1:
        return [f"{len(found)} entries for {what}: mark exactly one `default: true`"]
    return []


def _entries(table: Table, framework: str, platform: str, os_name: str) -> list[Entry]:
    return [
        e
        for e in table.commands
        if e.framework == framework and e.platform == platform and os_name in e.os
    ]


class Target(NamedTuple):
    """Where the framework is to be installed, and what is known about it."""

    platform: str
    os: str | None  # None: not known (no evidence)
    driver: str | None = None  # NVIDIA driver version, e.g. 550.54.15
    cuda_driver: str | None = None  # the CUDA version the driver supports, where recorded
    detected_on: str | None = None  # the evidence file's label, when the evidence says so
    mismatch: str | None = None  # why the evidence could not refine the answer
    assumed: bool = False  # the accelerator is the question's default: nobody said so


def advice(rec: Recommendation, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """One install entry for the recommended framework; both when the verdict is either."""
    table = load(kb.directory)
    frameworks = list(NAMES) if rec.verdict == "either" else [rec.verdict]
    label = rec.evidence_files[0]["label"] if rec.evidence_files else None
    accelerator = rec.answers.get("accelerator")
    target = target_of(accelerator, rec.measured, label)
    question = kb.question.get("accelerator")
    if question is not None and accelerator == question.default:
        target = target._replace(assumed=True)
    return [choose(table, framework, target) for framework in frameworks]


def for_machine(
    framework: str, document: Mapping[str, Any], directory: Path | None = None
) -> dict[str, Any]:
    """The install entry for a measured machine as it is (what `fwadvise probe` found)."""
    from fwadvise.advisor.reasoning.evidence import hardware_facts
    from fwadvise.knowledge import KNOWLEDGE_DIR

    found = hardware_facts(dict(document))
    label = str(document.get("label") or "this machine")
    return choose(load(directory or KNOWLEDGE_DIR), framework, target_of(None, found, label))


def hint(framework: str, document: Mapping[str, Any]) -> str:
    """One line: how to install a framework on a measured machine (or why there is no way)."""
    item = for_machine(framework, document)
    how = item["command"] or f"none supported here: {item['note']}"
    return f"to install {framework} ({item['hardware']}): {how}"


def target_of(accelerator: str | None, measured: Mapping[str, Any], label: str | None) -> Target:
    """The platform from the answers (else from the machine); OS and driver from the evidence
    where the measured machine has that platform, so one machine's facts never leak into
    advice for another kind of hardware."""
    seen = _platform_seen(measured) if label else None
    platform = PLATFORM_OF.get(accelerator or "", seen or "cpu")
    if label is None:
        return Target(platform, None)
    if seen != platform and platform != "cpu":
        return Target(platform, None, mismatch=f"no {PLATFORM_NAMES[platform]} on {label}")
    return Target(
        platform,
        measured.get("hardware.os"),
        measured.get("hardware.nvidia_driver") if platform == "cuda" else None,
        measured.get("hardware.cuda_driver") if platform == "cuda" else None,
        detected_on=label,
    )


def _platform_seen(measured: Mapping[str, Any]) -> str:
    if measured.get("hardware.tpu"):
        return "tpu"
    if measured.get("hardware.apple_silicon"):
        return "apple"
    if measured.get("hardware.nvidia_gpus"):
        return "cuda"
    if measured.get("hardware.amd_gpus"):
        return "rocm"
    return "cpu"


def choose(table: Table, framework: str, target: Target) -> dict[str, Any]:
    entries = _entries_for(table, framework, target)
    entry, driver_note = _pick(table, entries, target)
    note = " ".join(entry.note.split()) + (f" {driver_note}" if driver_note else "")
    return {
        "framework": framework,
        "hardware": _hardware(target, entry, _family(table, target)),
        "os": target.os,  # the detected OS, None where assumed
        "command": entry.command,
        "note": note,
        "source": entry.source,
        "checked": entry.checked,
    }


def _entries_for(table: Table, framework: str, target: Target) -> list[Entry]:
    """The entries for the target's platform and OS. A Mac runs the macOS wheels whatever the
    answers say (there is no CUDA or ROCm for macOS); an OS the platform does not run on (a TPU
    VM is Linux) gets the platform's own."""
    if target.os == "macos":
        return _entries(table, framework, "apple", "macos")
    os_name = target.os if target.os in PLATFORM_OSES[target.platform] else None
    return _entries(table, framework, target.platform, os_name or PLATFORM_OSES[target.platform][0])


def _pick(table: Table, entries: list[Entry], target: Target) -> tuple[Entry, str | None]:
    """The entry for this situation; for CUDA the newest stable build the driver can run."""
    default = next((e for e in entries if e.default), entries[0])
    if not (target.driver or target.cuda_driver):
        return default, None
    family = _family(table, target) or 0
    runnable = [e for e in entries if e.command and not e.experimental and e.cuda_major <= family]
    if runnable:
        return max(runnable, key=lambda e: e.cuda_key), None
    stable = [e for e in entries if e.command and not e.experimental]
    if not stable:  # not supported here at all: the driver is beside the point
        return default, None
    oldest = min(driver for _, driver in table.cuda_families)
    note = f"Update the NVIDIA driver first: the oldest build here needs {oldest} or newer."
    return min(stable, key=lambda e: e.cuda_key), note


def _family(table: Table, target: Target) -> int | None:
    """The newest CUDA major version the NVIDIA driver runs, or None when not known or too old."""
    if target.cuda_driver:
        return int(str(target.cuda_driver).split(".")[0])
    major = _leading_int(target.driver)
    if major is None:
        return None
    fits = [cuda for cuda, driver in table.cuda_families if driver <= major]
    return max(fits) if fits else None


def _leading_int(text: str | None) -> int | None:
    found = re.match(r"\s*(\d+)", text or "")
    return int(found.group(1)) if found else None


def _hardware(target: Target, entry: Entry, family: int | None) -> str:
    """`NVIDIA GPU, Linux, driver 550.54.15 (CUDA 12): detected on gpu-node`."""
    name = PLATFORM_NAMES[target.platform]
    if target.os in OS_NAMES:
        where = OS_NAMES[target.os]
    else:
        where = " or ".join(OS_NAMES[o] for o in entry.os) + " assumed"
    parts = [name, where]
    if target.driver or target.cuda_driver:
        runs = f"CUDA {target.cuda_driver or family}" if family else "too old for these builds"
        driver = f"driver {target.driver}" if target.driver else "driver"
        parts.append(f"{driver} ({runs})")
    text = ", ".join(parts)
    if target.detected_on:
        return f"{text}: detected on {target.detected_on}"
    source = "the default answer; --set accelerator=..." if target.assumed else "from the answers"
    if target.mismatch:
        return f"{text} ({source}; {target.mismatch})"
    return f"{text} ({source})"
