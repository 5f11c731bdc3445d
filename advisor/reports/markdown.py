"""The report as Markdown, rendered from data.build()'s dict (the same data as the JSON and the
HTML), so `recommend --format markdown` and `fwadvise report` say the same things.
"""

from __future__ import annotations

from typing import Any

from fwadvise.advisor.inputs.answers import show_value
from fwadvise.advisor.reports import charts
from fwadvise.advisor.reports.data import measured_on
from fwadvise.advisor.reports.summary import VERDICT_NAMES as NAMES


def marker(data: dict[str, Any]) -> str:
    """The first line: says which tool wrote the file (the overwrite check looks for it)."""
    return f"<!-- generator: {data['generator']} -->"


def render(data: dict[str, Any]) -> str:
    sections = [
        _head(data),
        _criteria(data),
        _reasons(data),
        _changes(data),
        _evidence(data),
        _aged(data),
        _install(data),
        _next_steps(data),
        _sources(data),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def text(value: Any) -> str:
    """User or knowledge text inside Markdown: one line, no raw HTML, no table breaks."""
    return (
        " ".join(str(value).split())
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
    )


def _head(data: dict[str, Any]) -> str:
    project = data.get("project")
    title = text(project["name"]) if project else f"fwadvise: {data['summary']}"
    out = [marker(data), f"# {title}", ""]
    if project and project["description"]:
        out += [text(project["description"]), ""]
    out += [f"**Verdict: {data['summary']}**", ""]
    remarks = [f"> **Warning:** {text(w)}" for w in data["warnings"]]
    remarks += [f"> **Note:** {text(n)}" for n in data["notes"]]
    out += [*remarks, ""] if remarks else []
    knowledge = data["knowledge"]
    out += [
        f"Scores: PyTorch **{data['scores']['pytorch']:g}**, "
        f"TensorFlow **{data['scores']['tensorflow']:g}** "
        f"(confidence = |difference| / total; below {data['either_band']:g} the verdict is "
        "*either*).",
        "",
        f"Knowledge: the documents date from {knowledge['documents_date']}; the knowledge base "
        f"was reviewed on {knowledge['reviewed']}; advice as of {knowledge['as_of']}.",
        "",
        "## Answers",
        "",
        *(f"- `{qid}`: {text(show_value(value))}" for qid, value in data["answers"].items()),
    ]
    return "\n".join(out)


def _criteria(data: dict[str, Any]) -> str:
    out = [
        "## Scores by criterion",
        "",
        "Each criterion rates both frameworks out of 5; the better-rated one gains "
        "weight x difference points.",
        "",
        "| criterion | weight | PyTorch | TensorFlow | points |",
        "| --- | ---: | --- | --- | --- |",
    ]
    for c in data["criteria"]:
        lead = max(c["points"], key=lambda fw: c["points"][fw])
        pts = f"{NAMES[lead]} +{c['points'][lead]:g}" if c["points"][lead] else "-"
        out.append(
            f"| {text(c['name'])} | {c['weight']:g} | `{charts.text_bar(c['ratings']['pytorch'])}` "
            f"| `{charts.text_bar(c['ratings']['tensorflow'])}` | {pts} |"
        )
    return "\n".join(out)


def _reasons(data: dict[str, Any]) -> str:
    out = ["## Reasons", ""]
    for n, r in enumerate(data["reasons"], 1):
        out.append(f"{n}. **+{r['points']:g} {NAMES[r['favors']]}**: {text(r['because'])}")
        aged = {a["claim"]: a for a in r["aged"]}
        for q in r["quotes"]:
            note = f" *(aged since {aged[q['claim']]['since']})*" if q["claim"] in aged else ""
            out.append(f'   > "{text(q["quote"])}" ({q["source"]}){note}')
    return "\n".join(out)


def _changes(data: dict[str, Any]) -> str:
    out = ["## What would change the verdict", ""]
    if not data["what_would_change"]:
        out.append("No single change or pair of changes to the answers changes the verdict.")
    for c in data["what_would_change"]:
        out.append(f"- {text(c['change'])} -> **{NAMES[c['verdict']]}** ({c['confidence']:.2f})")
    return "\n".join(out)


def _evidence(data: dict[str, Any]) -> str:
    evidence = data["evidence"]
    out = ["## Measured evidence", ""]
    if evidence is None:
        out.append(
            "None: this advice rests on the documents only. `fwadvise probe --output FILE` "
            "measures both frameworks on a machine; give the file under `evidence:`."
        )
        return "\n".join(out)
    for shown in measured_on(evidence):
        out += _measured(shown)
    for u in evidence["used"]:
        out.append(
            f"The measured {u['workload']} result gives {NAMES[u['favors']]} "
            f"+{u['points']:g} points (rule {u['rule']}).\n"
        )
    out += _claims(evidence.get("claims") or [])
    return "\n".join(out).rstrip()


def _measured(shown: dict[str, Any]) -> list[str]:
    """One evidence file: where it was measured, its comparisons as a table and text chart,
    and the other measured figures (peak memory)."""
    hardware = f": {text(machine_line(shown['machine']))}" if shown["machine"] else ""
    out = [f"Measured on **{text(shown['label'])}** ({shown['created'][:10]}){hardware}.", ""]
    out += _scaling(shown["machine"])
    rows = shown["comparisons"]
    if not rows:
        return out + _summaries(shown)
    widest = charts.factor_axis(rows)
    out += [
        "Time ratio PyTorch/TensorFlow with its 95% interval: below 1 PyTorch is faster. "
        "Chart: `│` same speed, `●` the ratio, `━` the interval, PyTorch faster to the left.",
        "",
        "| workload | mode | device | result | ratio (95% interval) | chart | in the advice |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        chart = charts.text_interval(r, widest)
        out.append(
            f"| {text(r['workload'])} | {text(r['mode'])} | {text(r['device'])} "
            f"| {text(r['verdict'])} | {charts.interval_text(r)} "
            f"| {f'`{chart}`' if chart else ''} | {'yes' if r['used_for_advice'] else 'no'} |"
        )
    return [*out, "", *_summaries(shown)]


def _scaling(machine: dict[str, Any] | None) -> list[str]:
    """The data-parallel scaling curve (probe --distributed), where the file has one."""
    rows = charts.scaling_rows((machine or {}).get("scaling") or {})
    if not rows:
        return []
    return [
        "Data-parallel training, same model and global batch (samples/s, speedup over 1 worker):",
        "",
        "| workers | PyTorch DDP | TensorFlow MultiWorkerMirrored |",
        "| --- | --- | --- |",
        *[f"| {' | '.join(cells)} |" for cells in rows],
        "",
    ]


def _summaries(shown: dict[str, Any]) -> list[str]:
    return [f"- {text(s)}" for s in shown["summaries"]] + ([""] if shown["summaries"] else [])


def _claims(claims: list[dict[str, Any]]) -> list[str]:
    if not claims:
        return []
    several = len({c.get("machine") for c in claims}) > 1  # then say which machine
    head = "| the documents say | source | workload, device | here |"
    out = ["### The documents' performance claims, measured", ""]
    out += [head.replace(" here |", " machine | here |") if several else head]
    out.append("| --- " * (5 if several else 4) + "|")
    for c in claims:
        machine = f" {text(c.get('machine', ''))} |" if several else ""
        out.append(
            f"| {text(c['says'])} | {c['source']} | {c['workload']}, {c['device']} |"
            f"{machine} {c['status']}{_figures(c)} |"
        )
    return out


def _figures(claim: dict[str, Any]) -> str:
    """` (time ratio PyTorch/TensorFlow 0.21)`: what a claim was checked against, if measured."""
    return f" ({text(claim['figures'])})" if claim.get("figures") else ""


def machine_line(m: dict[str, Any]) -> str:
    """`Xeon, 2 cores, 23.5 GB memory, no GPU, Linux 6.1 x86_64; PyTorch 2.13, TensorFlow 2.21`
    (plain text: each format escapes it its own way)."""
    parts = [m["cpu"] or "unknown CPU"]
    if m["cores"]:
        parts.append(f"{m['cores']} cores")
    if m["memory_gb"]:
        parts.append(f"{m['memory_gb']:g} GB memory")
    parts.append(", ".join(m["gpus"]) if m["gpus"] else "no GPU")
    if m["tpu"]:
        parts.append("TPU")
    if m["os"]:
        parts.append(m["os"])
    versions = ", ".join(
        f"{NAMES.get(fw, fw)} {version or 'not available'}"
        for fw, version in m["frameworks"].items()
    )
    note = " (interrupted run)" if m["interrupted"] else ""
    return ", ".join(parts) + (f"; {versions}" if versions else "") + note


def _aged(data: dict[str, Any]) -> str:
    if not data["changed"]:
        return ""
    out = ["## What has changed since the documents", ""]
    out += [("  " if line.startswith("  ") else "") + f"- {text(line)}" for line in data["changed"]]
    return "\n".join(out)


def _install(data: dict[str, Any]) -> str:
    items = data.get("install")
    if not items:
        return ""
    out = ["## Install", ""]
    for item in items:
        where = f"{NAMES.get(item['framework'], item['framework'])}, {text(item['hardware'])}"
        out += [f"- {where}:", ""]
        if item.get("command"):  # null: not supported there, and the note says what instead
            out += ["  ```", f"  {item['command']}", "  ```", ""]
        note = " ".join(s for s in (text(item.get("note") or ""), _checked(item)) if s)
        if note:
            out += [f"  {note}", ""]
    return "\n".join(out).rstrip()


def _checked(item: dict[str, Any]) -> str:
    if not item.get("source"):
        return ""
    checked = f", checked {item['checked']}" if item.get("checked") else ""
    source = item["source"]
    return f"(<{source}>{checked})" if source.startswith("https://") else f"({source}{checked})"


def _next_steps(data: dict[str, Any]) -> str:
    steps = data["next_steps"]
    return "\n".join(["## Next steps", "", *(f"{n}. {s}" for n, s in enumerate(steps, 1))])


def _sources(data: dict[str, Any]) -> str:
    if not data["sources"]:
        return ""
    out = ["## Sources", ""]
    for sid, s in data["sources"].items():
        where = f" <{s['url']}>" if s.get("url") else ""
        out.append(f"- `{sid}`: {text(s['title'])}, {text(s['publisher'])}, {s['date']}{where}")
    return "\n".join(out)
