"""Install advice: the command that installs a framework on the project's hardware.

The commands are data (knowledge/install.yaml, validated here); this module only chooses. The
answers' `accelerator` (the project's target) picks the platform; measured evidence, when
given, refines it: the machine's OS, and for NVIDIA the driver, which decides the CUDA wheels
(a driver of the CUDA 12 family cannot run CUDA 13 wheels) and the GPU's compute capability,
which decides whether the CUDA 13 builds run at all (they start at Turing). Without evidence
nothing is detected: the OS is assumed and said to be. The note also says when the Python
running fwadvise is outside the framework release's Python range, or past its end of life.
Nothing here imports a framework or spawns a process, and the table is read only when a
recommendation is rendered.

    advice(rec, kb)                   # [{"framework", "hardware", "command", "note", ...}]
    for_machine("tensorflow", evidence_document)   # for `fwadvise probe`
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.install.versions import version_key
from fwadvise.advisor.kb.schema import NAMES

if TYPE_CHECKING:
    from fwadvise.advisor.kb.loader import KnowledgeBase
    from fwadvise.advisor.kb.yamlio import YamlDoc
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
        return version_key(self.cuda or "0")


class PythonRange(NamedTuple):
    """The Python versions a framework release has wheels for (install_schema.PythonRange)."""

    framework: str
    version: str
    status: str  # stable | planned
    date: str
    python_min: str
    python_max: str | None
    source: str
    checked: str


class EndOfLife(NamedTuple):
    python: str
    date: str
    source: str
    checked: str


class GpuLimit(NamedTuple):
    """The NVIDIA GPUs one CUDA build runs on (install_schema.GpuLimit)."""

    framework: str
    cuda: str
    min_compute: str
    generations: str
    last_version: str | None
    sources: tuple[str, ...]
    date: str
    checked: str


class Table(NamedTuple):
    cuda_families: tuple[tuple[int, int], ...]  # (CUDA major, oldest driver major that runs it)
    commands: tuple[Entry, ...]
    python_ranges: tuple[PythonRange, ...] = ()
    end_of_life: tuple[EndOfLife, ...] = ()
    gpu_limits: tuple[GpuLimit, ...] = ()


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
    here = Path(__file__).parent
    code = {f"install_{n}": (here / n).read_text("utf-8") for n in ("schema.py", "versions.py")}
    key = snapshot.key({FILE: text, **code})
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
        raise KnowledgeError("\n".join(f"{_where(doc, p)}: {p}" for p in problems))
    return data


def _where(doc: YamlDoc, problem: str) -> str:
    """file:line of the item a lint problem names ("commands[3] ...", "python_ranges: ...")."""
    found = re.match(r"(\w+)(?:\[(\d+)\])?", problem)
    if not found or found.group(1) not in doc.data:
        return doc.name
    index = found.group(2)
    return doc.where((found.group(1), int(index)) if index else (found.group(1),))


def _table(data: dict[str, Any]) -> Table:
    return Table(
        tuple((f["cuda"], f["min_driver"]) for f in data["cuda_families"]),
        tuple(Entry(**{**c, "os": tuple(c["os"])}) for c in data["commands"]),
        tuple(PythonRange(**r) for r in data["python_ranges"]),
        tuple(EndOfLife(**e) for e in data["python_end_of_life"]),
        tuple(GpuLimit(**{**g, "sources": tuple(g["sources"])}) for g in data["gpu_limits"]),
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
    return problems + _lint_python(table) + _lint_gpus(table)


def _lint_python(table: Table) -> list[str]:
    """One stable Python range per framework (the release the commands install); one entry
    per release and per end-of-life version."""
    problems = []
    for framework in NAMES:
        stable = [
            r for r in table.python_ranges if r.framework == framework and r.status == "stable"
        ]
        if len(stable) != 1:
            problems.append(f"python_ranges: {framework} needs exactly one `status: stable` entry")
    releases = [(r.framework, r.version) for r in table.python_ranges]
    problems += [f"python_ranges: {f} {v} is listed twice" for f, v in _twice(releases)]
    problems += [
        f"python_end_of_life: {v} is listed twice"
        for v in _twice([e.python for e in table.end_of_life])
    ]
    return problems


def _lint_gpus(table: Table) -> list[str]:
    """Each GPU limit names a CUDA build that has a command, once."""
    problems = []
    builds = {(e.framework, e.cuda) for e in table.commands if e.cuda and e.command}
    for n, limit in enumerate(table.gpu_limits):
        if (limit.framework, limit.cuda) not in builds:
            problems.append(f"gpu_limits[{n}]: no {limit.framework} command with cuda {limit.cuda}")
    keys = [(g.framework, g.cuda) for g in table.gpu_limits]
    problems += [f"gpu_limits: {f} CUDA {c} is listed twice" for f, c in _twice(keys)]
    return problems


def _twice(items: list[Any]) -> list[Any]:
    return sorted({item for item in items if items.count(item) > 1})


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
    compute: str | None = None  # the NVIDIA GPU's compute capability, e.g. 6.1


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
    return [choose(table, framework, target, today=rec.as_of) for framework in frameworks]


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
    cuda = platform == "cuda"
    return Target(
        platform,
        measured.get("hardware.os"),
        measured.get("hardware.nvidia_driver") if cuda else None,
        measured.get("hardware.cuda_driver") if cuda else None,
        detected_on=label,
        compute=measured.get("hardware.compute_capability") if cuda else None,
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


def choose(
    table: Table,
    framework: str,
    target: Target,
    python: tuple[int, int] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The entry for this framework and target; its note adds what limits it here: the driver,
    the GPU generation, the Python version (`python`: default the one running fwadvise)."""
    entries = _entries_for(table, framework, target)
    entry, driver_note = _pick(table, _runs_on_gpu(table, entries, target), target)
    notes = [" ".join(entry.note.split()), driver_note, _gpu_note(table, entry, target)]
    python = python or (sys.version_info.major, sys.version_info.minor)
    notes += _python_notes(table, framework, python, today or dt.date.today())
    note = " ".join(n for n in notes if n)
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


def _runs_on_gpu(table: Table, entries: list[Entry], target: Target) -> list[Entry]:
    """Without the builds whose GPU limit excludes the measured GPU (CUDA 13 on a Pascal card);
    all of them when the GPU is not known or nothing would be left."""
    if not target.compute:
        return entries
    fits = [e for e in entries if _runs(_limit(table, e), target.compute)]
    return fits or entries


def _runs(limit: GpuLimit | None, compute: str) -> bool:
    return limit is None or version_key(compute) >= version_key(limit.min_compute)


def _limit(table: Table, entry: Entry) -> GpuLimit | None:
    return next(
        (g for g in table.gpu_limits if (g.framework, g.cuda) == (entry.framework, entry.cuda)),
        None,
    )


def _gpu_note(table: Table, entry: Entry, target: Target) -> str | None:
    """Which GPUs the chosen build leaves out and where they go instead; for a build that
    ended, its last release; for a measured GPU the newer builds exclude, why this one."""
    limit = _limit(table, entry)
    if limit is None:
        return None
    name = NAMES[entry.framework]
    if limit.last_version:
        text = (
            f"Last available: {name} {limit.last_version}; later releases publish no CUDA "
            f"{limit.cuda} wheels, so pip stops at {limit.last_version}.x ({_cite(limit)})."
        )
        newer = [g for g in _limits(table, entry.framework) if _above(g, limit)]
        if target.compute and newer and not _runs(newer[0], target.compute):
            text += (
                f" This GPU (compute capability {target.compute}) is below "
                f"{newer[0].min_compute}, which the newer builds need."
            )
        return text
    older = [g for g in _limits(table, entry.framework) if _above(limit, g)]
    if not older:
        return None
    old = min(older, key=lambda g: version_key(g.min_compute))
    last = f", last available: {name} {old.last_version}" if old.last_version else ""
    return (
        f"This build needs a GPU of compute capability {limit.min_compute} or newer "
        f"({limit.generations}); older GPUs need the CUDA {old.cuda} build ({old.generations})"
        f"{last} ({_cite(old)})."
    )


def _limits(table: Table, framework: str) -> list[GpuLimit]:
    return [g for g in table.gpu_limits if g.framework == framework]


def _above(newer: GpuLimit, older: GpuLimit) -> bool:
    return version_key(newer.min_compute) > version_key(older.min_compute)


def _cite(limit: GpuLimit) -> str:
    return f"{limit.sources[0]}, {limit.date}"


def _python_notes(
    table: Table, framework: str, python: tuple[int, int], today: dt.date
) -> list[str]:
    """Python outside the installed release's range (pip would find no wheel or an old one),
    below a planned release's minimum, or past its end of life as of `today`."""
    here = f"{python[0]}.{python[1]}"
    name = NAMES[framework]
    notes = []
    for r in table.python_ranges:
        if r.framework != framework:
            continue
        top = r.python_max or "newer"
        inside = version_key(r.python_min) <= python and (
            r.python_max is None or python <= version_key(r.python_max)
        )
        if r.status == "stable" and not inside:
            notes.append(
                f"Warning: this Python ({here}) is outside {name} {r.version}'s range, Python "
                f"{r.python_min}-{top} ({r.source}, checked {r.checked}): install a Python in "
                "that range first, or pip picks an older release or none."
            )
        elif r.status == "planned" and python < version_key(r.python_min):
            notes.append(
                f"{name} {r.version} (planned for {r.date}; not confirmed released when checked "
                f"on {r.checked}) needs Python {r.python_min} or newer ({r.source})."
            )
    for eol in table.end_of_life:
        if version_key(eol.python) == python and dt.date.fromisoformat(eol.date) <= today:
            notes.append(f"Python {here} reached its end of life on {eol.date} ({eol.source}).")
    return notes


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
