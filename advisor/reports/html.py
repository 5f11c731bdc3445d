"""The report as one self-contained HTML page: inline CSS and SVG, nothing fetched, no script.

Rendered from report_data.build()'s dict, the same data as the JSON and the Markdown. Every
string that comes from a file (project, knowledge base, evidence) goes through `esc`; links to
sources are plain citations (`<a href>`, http/https only), never something the page loads.
Readable on a phone (viewport, one column, tables scroll sideways, SVG scales by viewBox) and
printable (@media print).
"""

from __future__ import annotations

from html import escape
from string import Template
from typing import Any

from fwadvise.advisor.inputs.answers import show_value
from fwadvise.advisor.reports import charts
from fwadvise.advisor.reports.data import measured_on
from fwadvise.advisor.reports.markdown import machine_line
from fwadvise.advisor.reports.summary import VERDICT_NAMES as NAMES

CSS = """
:root { --pt: #c2410c; --tf: #1d4ed8; --either: #0f766e; --ink: #1f2328; --muted: #57606a;
  --line: #d0d7de; --soft: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .2rem 0 .5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
p, li { overflow-wrap: anywhere; }
.kicker { margin: 0; color: var(--muted); font-size: .85rem; text-transform: uppercase;
  letter-spacing: .06em; }
.description { font-size: 1.05rem; }
.verdict { border: 2px solid var(--either); border-radius: .6rem; padding: .8rem 1rem;
  margin: 1rem 0; background: var(--soft); }
.verdict.pytorch { border-color: var(--pt); }
.verdict.tensorflow { border-color: var(--tf); }
.verdict .name { font-size: 1.8rem; font-weight: 700; display: block; }
.verdict .pytorch-name { color: var(--pt); } .verdict .tensorflow-name { color: var(--tf); }
.verdict .either-name { color: var(--either); }
.score { display: grid; grid-template-columns: 6.5rem 1fr 3.5rem; gap: .5rem;
  align-items: center; margin: .3rem 0; }
.score .track { background: #e5e7eb; height: .8rem; border-radius: .4rem; overflow: hidden; }
.score .fill { display: block; height: 100%; }
.fill.pytorch { background: var(--pt); } .fill.tensorflow { background: var(--tf); }
.warning { border-left: 4px solid #bf8700; background: #fff8c5; padding: .5rem .8rem; }
.meta { color: var(--muted); font-size: .9rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; list-style: none;
  font-size: .9rem; }
svg.chart { display: block; width: 100%; max-width: 40rem; height: auto; margin: .5rem 0; }
.tag { display: inline-block; font-weight: 700; white-space: nowrap; }
.tag.pytorch { color: var(--pt); } .tag.tensorflow { color: var(--tf); }
ol.reasons > li { margin-bottom: 1rem; }
blockquote { margin: .4rem 0; padding: .2rem .8rem; border-left: 3px solid var(--line);
  color: #333; font-size: .95rem; }
blockquote cite { color: var(--muted); font-style: normal; font-size: .85rem; }
.aged { color: #9a6700; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--line); }
th { background: var(--soft); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .88rem; }
pre { background: var(--soft); padding: .6rem .8rem; border-radius: .4rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin: 2.5rem 0 1rem; color: var(--muted); font-size: .85rem; }
@media (min-width: 40rem) { main { padding: 2rem; } h1 { font-size: 2rem; } }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  nav { display: none; }
  .verdict, .warning, pre, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section, li, tr, svg.chart, blockquote { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  #sources a[href]::after { content: " <" attr(href) ">"; font-size: .8em;
    overflow-wrap: anywhere; }
  .scroll { overflow: visible; }
}
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="$generator">
<title>$title</title>
<style>$css</style>
</head>
<body>
<main>
$body
</main>
</body>
</html>
"""
)

SECTIONS = (
    ("criteria", "Scores by criterion"),
    ("reasons", "Reasons"),
    ("changes", "What would change the verdict"),
    ("evidence", "Measured evidence"),
    ("aged", "What has changed since the documents"),
    ("install", "Install"),
    ("next-steps", "Next steps"),
    ("answers", "Answers"),
    ("sources", "Sources"),
)


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def render(data: dict[str, Any]) -> str:
    parts = {
        "criteria": _criteria(data),
        "reasons": _reasons(data),
        "changes": _changes(data),
        "evidence": _evidence(data),
        "aged": _aged(data),
        "install": _install(data),
        "next-steps": _next_steps(data),
        "answers": _answers(data),
        "sources": _sources(data),
    }
    present = [(sid, title) for sid, title in SECTIONS if parts[sid]]
    nav = "".join(f'<li><a href="#{sid}">{esc(title)}</a></li>' for sid, title in present)
    sections = "\n".join(
        f'<section id="{sid}">\n<h2>{esc(title)}</h2>\n{parts[sid]}\n</section>'
        for sid, title in present
    )
    body = "\n".join(
        [
            _header(data),
            f'<nav aria-label="Contents"><ul>{nav}</ul></nav>',
            sections,
            f"<footer>Written by {esc(data['generator'])}; advice as of "
            f"{esc(data['knowledge']['as_of'])}.</footer>",
        ]
    )
    project = data.get("project")
    title = f"{project['name']}: fwadvise report" if project else f"fwadvise: {data['summary']}"
    return PAGE.substitute(
        generator=esc(data["generator"]), title=esc(title), css=CSS.strip(), body=body
    )


def _paragraphs(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    blocks = [" ".join(b.split()) for b in text.split("\n\n") if b.strip()]
    return "\n".join(f"<p{attr}>{esc(b)}</p>" for b in blocks)


def _header(data: dict[str, Any]) -> str:
    project = data.get("project")
    verdict = data["verdict"]
    out = ["<header>", '<p class="kicker">fwadvise report: PyTorch or TensorFlow</p>']
    if project:
        out.append(f"<h1>{esc(project['name'])}</h1>")
        out.append(_paragraphs(project["description"], "description"))
    else:
        out.append("<h1>PyTorch or TensorFlow?</h1>")
    scale = max(data["scores"].values()) or 1.0
    bars = "".join(
        f'<div class="score"><span>{NAMES[fw]}</span><span class="track">'
        f'<span class="fill {fw}" style="width:{100 * data["scores"][fw] / scale:.1f}%">'
        f"</span></span><span>{data['scores'][fw]:g}</span></div>"
        for fw in ("pytorch", "tensorflow")
    )
    out += [
        f'<div class="verdict {verdict}" id="verdict">',
        f'<span class="meta">Verdict</span>'
        f'<span class="name {verdict}-name">{NAMES[verdict]}</span>',
        f"<p>{esc(data['summary'])}</p>",
        bars,
        f'<p class="meta">Scores are points; confidence = |difference| / total; below '
        f"{data['either_band']:g} the verdict is <em>either</em>.</p>",
        "</div>",
    ]
    out += [f'<p class="warning"><strong>Warning:</strong> {esc(w)}</p>' for w in data["warnings"]]
    out += [f'<p class="note"><strong>Note:</strong> {esc(n)}</p>' for n in data["notes"]]
    k = data["knowledge"]
    out.append(
        f'<p class="meta">Knowledge: the documents date from {esc(k["documents_date"])}; the '
        f"knowledge base was reviewed on {esc(k['reviewed'])}; advice as of {esc(k['as_of'])}."
        "</p>"
    )
    out.append("</header>")
    return "\n".join(out)


def _criteria(data: dict[str, Any]) -> str:
    weighted = [c for c in data["criteria"] if c["weight"] > 0]
    weighted.sort(key=lambda c: -max(c["points"].values()))
    out = [
        "<p>Each criterion rates both frameworks out of 5; the answers weigh it, and the "
        "better-rated framework gains weight &times; difference points.</p>",
        charts.criteria_svg(weighted),
    ]
    unweighted = [c["name"] for c in data["criteria"] if c["weight"] <= 0]
    if unweighted:
        out.append(
            f'<p class="meta">No weight for these answers: {esc(", ".join(unweighted))}.</p>'
        )
    return "\n".join(out)


def _tag(framework: str, text: str) -> str:
    return f'<span class="tag {framework}">{esc(text)}</span>'


def _cite(data: dict[str, Any], sid: str) -> str:
    """A source id links to its entry under Sources; an address (install.yaml's) to itself."""
    source = data["sources"].get(sid)
    if source is None:
        href = _href(sid)
        return f'<a href="{esc(href)}">{esc(sid)}</a>' if href else esc(sid)
    title = f"{source['title']}, {source['publisher']}, {source['date']}"
    return f'<a href="#source-{esc(sid)}">{esc(title)}</a>'


def _reasons(data: dict[str, Any]) -> str:
    items = []
    for r in data["reasons"]:
        aged = {a["claim"]: a for a in r["aged"]}
        quotes = []
        for q in r["quotes"]:
            note = (
                f' <span class="aged">aged since {esc(aged[q["claim"]]["since"])}</span>'
                if q["claim"] in aged
                else ""
            )
            quotes.append(
                f"<blockquote><p>&ldquo;{esc(q['quote'])}&rdquo;</p>"
                f"<cite>{_cite(data, q['source'])}</cite>{note}</blockquote>"
            )
        label = f"+{r['points']:g} {NAMES[r['favors']]}"
        items.append(f"<li>{_tag(r['favors'], label)} {esc(r['because'])}{''.join(quotes)}</li>")
    return f'<ol class="reasons">{"".join(items)}</ol>'


def _changes(data: dict[str, Any]) -> str:
    changes = data["what_would_change"]
    if not changes:
        return "<p>No single change or pair of changes to the answers changes the verdict.</p>"
    items = "".join(
        f"<li>{esc(c['change'])} &rarr; {_tag(c['verdict'], NAMES[c['verdict']])} "
        f"(confidence {c['confidence']:.2f})</li>"
        for c in changes
    )
    return f"<ul>{items}</ul>"


def _evidence(data: dict[str, Any]) -> str:
    evidence = data["evidence"]
    if evidence is None:
        return (
            "<p>None: this advice rests on the documents only. <code>fwadvise probe --output "
            "FILE</code> measures both frameworks on a machine.</p>"
        )
    out = [_measured(shown) for shown in measured_on(evidence)]
    for u in evidence["used"]:
        gives = f"{NAMES[u['favors']]} +{u['points']:g}"
        out.append(
            f"<p>The measured {esc(u['workload'])} result gives {_tag(u['favors'], gives)} "
            f"points (rule <code>{esc(u['rule'])}</code>).</p>"
        )
    out.append(_claims(data, evidence.get("claims") or []))
    return "\n".join(out)


def _measured(shown: dict[str, Any]) -> str:
    """One evidence file: where it was measured, its forest plot and table, and the other
    measured figures (peak memory)."""
    hardware = f": {esc(machine_line(shown['machine']))}" if shown["machine"] else ""
    out = [
        f"<p>Measured on <strong>{esc(shown['label'])}</strong> "
        f"({esc(shown['created'][:10])}){hardware}. "
        f'<span class="meta">File: {esc(shown["file"])}</span></p>'
    ]
    rows = shown["comparisons"]
    if shown["summaries"]:
        items = "".join(f"<li>{esc(s)}</li>" for s in shown["summaries"])
        summaries = f"<ul>{items}</ul>"
    else:
        summaries = ""
    scaling = charts.scaling_rows((shown["machine"] or {}).get("scaling") or {})
    if scaling:
        out += [
            "<p>Data-parallel training, same model and global batch (samples/s, speedup over "
            "1 worker):</p>",
            _table(["workers", "PyTorch DDP", "TensorFlow MultiWorkerMirrored"], scaling),
        ]
    if not rows:
        return "\n".join([*out, summaries])
    out += [
        "<p>Time ratio PyTorch/TensorFlow per workload, with its 95% interval: left of the "
        "middle line PyTorch is faster, right of it TensorFlow.</p>",
        charts.evidence_svg(rows),
        _table(
            ["workload", "mode", "device", "result", "ratio (95% interval)", "in the advice"],
            [
                [
                    esc(r["workload"]),
                    esc(r["mode"]),
                    esc(r["device"]),
                    esc(r["verdict"]),
                    esc(charts.interval_text(r)),
                    "yes" if r["used_for_advice"] else "no",
                ]
                for r in rows
            ],
        ),
        summaries,
    ]
    return "\n".join(out)


def _claims(data: dict[str, Any], claims: list[dict[str, Any]]) -> str:
    if not claims:
        return ""
    several = len({c.get("machine") for c in claims}) > 1  # then say which machine
    head = ["the documents say", "source", "workload, device", "here"]
    if several:
        head.insert(3, "machine")
    rows = []
    for c in claims:
        row = [
            esc(c["says"]),
            _cite(data, c["source"]),
            esc(f"{c['workload']}, {c['device']}"),
            esc(c["status"] + (f" ({c['figures']})" if c.get("figures") else "")),
        ]
        if several:
            row.insert(3, esc(c.get("machine", "")))
        rows.append(row)
    return "<h3>The documents' performance claims, measured</h3>\n" + _table(head, rows)


def _table(head: list[str], rows: list[list[str]]) -> str:
    """A table whose cells are already HTML (escaped by the caller), scrolling on a phone."""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    table = f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _aged(data: dict[str, Any]) -> str:
    lines = data["changed"]
    if not lines:
        return ""
    items: list[list[str]] = []
    current: list[str] = []
    for line in lines:  # "  Since ..." lines belong to the line before them
        if line.startswith("  ") and current:
            current.append(line.strip())
        else:
            current = [line.strip()]
            items.append(current)
    html = []
    for first, *rest in items:
        sub = "".join(f"<li>{esc(x)}</li>" for x in rest)
        html.append(f"<li>{esc(first)}{f'<ul>{sub}</ul>' if sub else ''}</li>")
    return f"<ul>{''.join(html)}</ul>"


def _install(data: dict[str, Any]) -> str:
    items = data.get("install")
    if not items:
        return ""
    out = []
    for item in items:
        framework = NAMES.get(item.get("framework", ""), item.get("framework", ""))
        meta = " ".join(
            s
            for s in (
                esc(item.get("note") or ""),
                _cite(data, item["source"]) if item.get("source") else "",
                f"(checked {esc(item['checked'])})" if item.get("checked") else "",
            )
            if s
        )
        out.append(
            f"<h3>{esc(framework)}, {esc(item.get('hardware', ''))}</h3>"
            # a null command: not supported there, and the note says what instead
            + (f"<pre><code>{esc(item['command'])}</code></pre>" if item.get("command") else "")
            + (f'<p class="meta">{meta}</p>' if meta else "")
        )
    return "\n".join(out)


def _next_steps(data: dict[str, Any]) -> str:
    return "<ol>" + "".join(f"<li>{_inline_code(s)}</li>" for s in data["next_steps"]) + "</ol>"


def _inline_code(text: str) -> str:
    """Escape, then show `backticked` parts as code (the steps name commands)."""
    parts = esc(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _answers(data: dict[str, Any]) -> str:
    rows = [[f"<code>{esc(k)}</code>", esc(show_value(v))] for k, v in data["answers"].items()]
    return _table(["question", "answer"], rows)


def _href(url: str | None) -> str | None:
    """Only web addresses become links: a `javascript:` URL in a YAML file stays text."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def _sources(data: dict[str, Any]) -> str:
    if not data["sources"]:
        return ""
    items = []
    for sid, s in data["sources"].items():
        title = esc(s["title"])
        href = _href(s.get("url"))
        linked = f'<a href="{esc(href)}">{title}</a>' if href else title
        items.append(
            f'<li id="source-{esc(sid)}">{linked}, {esc(s["publisher"])}, {esc(s["date"])} '
            f'<span class="meta">[{esc(sid)}]</span></li>'
        )
    return f"<ul>{''.join(items)}</ul>"
