"""The data of a report: the JSON recommendation (summary.to_dict) plus what a reader needs around
it. Markdown, HTML and the report's JSON are all rendered from this one dict, so they cannot
drift apart; the sentences come from summary.py's helpers, shared with the terminal.

Additions to to_dict (never renames): `generator`, `project` (reports only), `summary`,
`knowledge`, `sources` (the cited ones), `what_would_change[].change`, `changed` (since the
documents), `evidence.machines` (each file's hardware and its comparisons with 95% intervals;
the first is the machine the advice is for), `next_steps`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwadvise.advisor.files import read_head
from fwadvise.advisor.reports import charts
from fwadvise.advisor.reports.summary import (
    VERDICT_NAMES,
    changed_lines,
    describe_change,
    summary_line,
    to_dict,
)

if TYPE_CHECKING:
    from fwadvise.advisor.kb.loader import KnowledgeBase
    from fwadvise.advisor.reasoning.engine import Recommendation
    from fwadvise.advisor.reasoning.evidence import EvidenceFile

GENERATOR_NAME = "fwadvise"


def generator() -> str:
    """`fwadvise 0.1.0`: the marker that says a file is a report this tool may overwrite."""
    from importlib import metadata

    try:
        return f"{GENERATOR_NAME} {metadata.version('fwadvise')}"
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return GENERATOR_NAME


def build(
    rec: Recommendation,
    kb: KnowledgeBase,
    *,
    project: dict[str, Any] | None = None,
    evidence: Sequence[EvidenceFile] = (),
) -> dict[str, Any]:
    """The report's data. `evidence`: the files behind rec (their hardware and raw rows)."""
    data: dict[str, Any] = {"generator": generator()}  # first: found by reading a file's head
    if project is not None:
        data["project"] = project
    data.update(to_dict(rec, kb))
    data["summary"] = summary_line(rec)
    data["knowledge"] = {
        "documents_date": _iso(kb.documents_date),
        "reviewed": _iso(kb.settings.knowledge_date),
        "as_of": rec.as_of.isoformat(),
    }
    data["sources"] = _sources(kb, data)
    for entry, change in zip(data["what_would_change"], rec.what_would_change, strict=True):
        entry["change"] = describe_change(change.answers, rec.answers)
    data["changed"] = changed_lines(rec)
    if data["evidence"] is not None and evidence:
        # setdefault: where to_dict's evidence block grows these keys itself, it wins
        machines = [machine(f, advice=n == 0) for n, f in enumerate(evidence)]
        data["evidence"].setdefault("machines", machines)
    data["next_steps"] = next_steps(data)
    return data


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _sources(kb: KnowledgeBase, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Title, publisher, date and address of every source the report cites."""
    cited: dict[str, None] = {}
    for reason in data["reasons"]:
        cited.update(dict.fromkeys(q["source"] for q in reason["quotes"]))
        cited.update(dict.fromkeys(a["source"] for a in reason["aged"]))
    for retired in data["documents"]["retired"]:
        cited.update(dict.fromkeys(a["source"] for a in retired["aged"]))
    for check in (data["evidence"] or {}).get("claims", []):
        cited[check["source"]] = None
    for item in data.get("install") or []:
        if item.get("source"):
            cited[item["source"]] = None
    found = {}
    for sid in cited:
        source = kb.source.get(sid)
        if source is not None:
            found[sid] = {
                "title": source.title,
                "publisher": source.publisher,
                "date": source.date.isoformat(),
                "url": source.url,
            }
    return found


def machine(file: EvidenceFile, *, advice: bool = True) -> dict[str, Any]:
    """Where an evidence file was measured: label, date, hardware, framework versions, and its
    comparisons. `advice`: this file's figures drove the rules (the first file's do)."""
    doc = file.document
    hardware = doc.get("hardware") or {}
    cpu = hardware.get("cpu") or {}
    system = hardware.get("os") or {}
    frameworks = doc.get("frameworks") or {}
    return {
        "file": file.path,
        "label": file.label,
        "created": file.created,
        "cpu": cpu.get("model"),
        "cores": cpu.get("usable_cores") or cpu.get("logical_cores"),
        "memory_gb": hardware.get("memory_gb"),
        "gpus": [g.get("name") or "GPU" for g in hardware.get("gpus") or []],
        "tpu": bool(hardware.get("tpu")),
        "os": " ".join(str(system[k]) for k in ("system", "release", "machine") if system.get(k)),
        "frameworks": {
            name: (info.get("version") if info.get("available") else None)
            for name, info in frameworks.items()
        },
        "interrupted": bool(doc.get("interrupted")),
        "comparisons": comparisons(file, advice=advice),
        "scaling": charts.scaling_curve(doc.get("results") or []),
    }


def comparisons(file: EvidenceFile, *, advice: bool = True) -> list[dict[str, Any]]:
    """Every PyTorch-vs-TensorFlow comparison in the file, with its interval (probes.compare)."""
    from fwadvise.advisor.reasoning.evidence import ADVICE_MODES
    from fwadvise.probes.compare import compare

    keep = {
        *("workload", "mode", "device", "ratio", "ci_low", "ci_high", "clear", "faster"),
        *("verdict", "pytorch_median_s", "tensorflow_median_s", "unavailable", "params"),
    }
    rows = []
    for c in compare(file.document):
        row = {k: v for k, v in c.to_dict().items() if k in keep}
        # the engine reads the first file's compiled rows only
        row["used_for_advice"] = advice and c.mode in ADVICE_MODES
        rows.append(row)
    return rows


def next_steps(data: dict[str, Any]) -> list[str]:
    """What to do after reading the report, from what the report found (not boilerplate)."""
    names = VERDICT_NAMES
    verdict = data["verdict"]
    steps = []
    if verdict == "either":
        steps.append(
            "Build the riskiest part of the project in both frameworks and measure it: "
            "the knowledge base cannot separate them for these answers."
        )
    else:
        install = " with the install command above" if data.get("install") else ""
        steps.append(
            f"Install {names[verdict]}{install} and prototype the riskiest part of the "
            "project first (the deployment path, where the reasons say it matters)."
        )
    if data["what_would_change"]:
        first = data["what_would_change"][0]
        steps.append(
            f"Check the answers that would change the verdict; the nearest: {first['change']} "
            f"(-> {names[first['verdict']]})."
        )
    if data["evidence"] is None:
        steps.append(
            "Measure both frameworks on the hardware you will use: `fwadvise probe --output "
            "evidence/this-machine.json`, then advise again with it (`evidence:` in a project "
            "file, or `--evidence FILE`)."
        )
    if data["changed"]:
        steps.append(
            "Read what has changed since the documents: some claims behind this advice have "
            "aged, and the dated updates say how."
        )
    steps.append(
        "Run the report again when the project's answers change or the knowledge base is "
        f"updated (this one was reviewed on {data['knowledge']['reviewed']})."
    )
    return steps


# How each format carries the generator (report_markdown.marker, report_html's <meta>, the JSON's
# first key). A file whose head holds one of these was written by this tool and may be replaced.
MARKERS = (
    f"<!-- generator: {GENERATOR_NAME}",
    f'<meta name="generator" content="{GENERATOR_NAME}',
    f'"generator": "{GENERATOR_NAME}',
)
HEAD_BYTES = 4096


def is_report(path: Path) -> bool:
    """Whether `path` holds a report this tool wrote (looked for in the file's head only)."""
    return has_report_marker(read_head(path, HEAD_BYTES) or b"")


def has_report_marker(head: bytes) -> bool:
    return any(m.encode() in head for m in MARKERS)


def measured_on(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Each evidence file as the reports show it: its `machines` entry (hardware, comparisons
    with intervals; present when the renderer was given the files) joined by path with its
    `files` entry from to_dict (`results`: one summary per time or memory comparison). Time
    summaries are left out where the comparisons show the same figures with a chart."""
    machines = {m["file"]: m for m in evidence.get("machines", [])}
    files = evidence.get("files") or [
        {"path": m["file"], "label": m["label"], "created": m["created"]} for m in machines.values()
    ]
    shown = []
    for f in files:
        found = machines.get(f["path"])
        summaries = [
            r["summary"]
            for r in f.get("results", [])
            if r.get("summary") and not (found and r.get("metric") == "time")
        ]
        shown.append(
            {
                "label": f["label"],
                "created": f["created"],
                "file": f["path"],
                "machine": found,
                "comparisons": found["comparisons"] if found else [],
                "summaries": summaries,
            }
        )
    return shown
