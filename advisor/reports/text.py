"""A recommendation as text lines that fit 80 columns.

The lines are laid out here (textwrap, hanging indents) as styled spans (rich style names); the
command line hands them to rich on a terminal, and a pipe gets their plain text without importing
rich at all (rich's own layout engine, even its Text, costs more start-up time than the whole
recommendation).
"""

from __future__ import annotations

import textwrap

from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import NAMES
from fwadvise.advisor.reasoning.engine import Recommendation
from fwadvise.advisor.reports.summary import (
    VERDICT_NAMES,
    changed_lines,
    claim_check_lines,
    describe_change,
    install_advice,
    summary_line,
)

Line = list[tuple[str, str]]  # spans of (text, rich style; "" for none)

COLORS = {"pytorch": "red", "tensorflow": "dark_orange", "either": "cyan"}
WIDTH = 80
BAR = 30


def span(text: str, style: str = "") -> Line:
    """A line of one styled span; longer lines are built by adding them (`+`)."""
    return [(text, style)]


def plain_text(line: Line) -> str:
    return "".join(text for text, _ in line)


def bar(value: float, scale: float, framework: str, width: int = BAR) -> Line:
    filled = 0 if scale <= 0 else round(width * value / scale)
    return span("█" * filled, style=COLORS[framework]) + span("░" * (width - filled), style="dim")


def layout(rec: Recommendation, kb: KnowledgeBase, *, top: int = 8) -> list[Line]:
    lines = [
        *_warnings(rec),
        *_verdict(rec),
        *_notes(rec),
        *_criteria(rec),
        *_reasons(rec, kb, top),
    ]
    return [*lines, *_install(rec, kb), *_measured(rec, kb), *_since(rec), *_changes(rec, kb)]


def plain(rec: Recommendation, kb: KnowledgeBase) -> str:
    """The same lines without styles: what rich itself would write to a pipe."""
    return "\n".join(plain_text(line) for line in layout(rec, kb)) + "\n"


def _verdict(rec: Recommendation) -> list[Line]:
    lines = [
        span("Verdict: ", style="bold")
        + span(summary_line(rec), style=f"bold {COLORS[rec.verdict]}")
    ]
    scale = max(rec.scores.values()) or 1.0
    for fw in ("pytorch", "tensorflow"):
        lines.append(
            span(f"  {NAMES[fw]:<11}")
            + bar(rec.scores[fw], scale, fw)
            + span(f" {rec.scores[fw]:6.1f}")
        )
    band = f"  confidence = |difference| / total points; below {rec.either_band:.2f}: either."
    return [*lines, span(band, style="dim")]


def _criteria(rec: Recommendation) -> list[Line]:
    lines = [
        span(""),
        span("By criterion", style="bold") + span("  (weight x rating gap)", style="dim"),
    ]
    shown = sorted((c for c in rec.criteria if c.weight > 0), key=lambda c: -max(c.points.values()))
    scale = max((max(c.points.values()) for c in shown), default=0) or 1.0
    for c in shown:
        lead = max(c.points, key=lambda fw: c.points[fw])
        points = c.points[lead]
        line = span(f"  {c.name:<26} w{c.weight:<4g}") + bar(points, scale, lead, width=16)
        line += (
            span(f" {NAMES[lead]} +{points:g}", style=COLORS[lead])
            if points
            else span(" tie", style="dim")
        )
        lines.append(line)
    unweighted = len(rec.criteria) - len(shown)
    if unweighted:
        lines.append(
            span(f"  ({unweighted} criteria carry no weight for these answers)", style="dim")
        )
    return lines


def _reasons(rec: Recommendation, kb: KnowledgeBase, top: int) -> list[Line]:
    lines = [
        span(""),
        span("Top reasons", style="bold")
        + span("  (one quote each; all in --format markdown)", style="dim"),
    ]
    shown = rec.reasons[:top]
    labels = [f"+{r.points:g} {NAMES[r.favors]}" for r in shown]
    indent = " " * (5 + max(map(len, labels), default=0))
    for n, (r, label) in enumerate(zip(shown, labels, strict=True), 1):
        body = textwrap.wrap(r.because, WIDTH - len(indent))
        lines.append(
            span(f"{n:>2}. ")
            + span(label.ljust(len(indent) - 5), style=COLORS[r.favors])
            + span(" " + body[0])
        )
        lines += [span(indent + part) for part in body[1:]]
        if r.claims:
            claim = kb.claim[r.claims[0]]
            quoted = textwrap.wrap(f'"{claim.quote}" [{claim.source}]', WIDTH - len(indent))
            lines += [span(indent + part, style="italic") for part in quoted]
    rest = len(rec.reasons) - top
    if rest > 0:
        lines.append(
            span(f"    ... {rest} more (--format markdown or json lists them all)", style="dim")
        )
    return lines


def _warnings(rec: Recommendation) -> list[Line]:
    return [span(f"Warning: {w}", style="bold yellow") for w in rec.warnings]


def _notes(rec: Recommendation) -> list[Line]:
    return [span(f"Note: {n}", style="cyan") for n in rec.notes]


def _measured(rec: Recommendation, kb: KnowledgeBase) -> list[Line]:
    groups = claim_check_lines(rec, kb)
    if not groups:
        return []
    lines = [span(""), span("The documents' performance claims, measured", style="bold")]
    for header, checks in groups:
        lines.append(span("  " + header))
        for line in checks:
            wrapped = textwrap.wrap(line, WIDTH - 6)
            lines += [span(("  • " if i == 0 else "    ") + part) for i, part in enumerate(wrapped)]
    return lines


def _install(rec: Recommendation, kb: KnowledgeBase) -> list[Line]:
    lines = []
    for item in install_advice(rec, kb):
        framework = item["framework"]
        lines += [
            span(""),
            span("Install ", style="bold")
            + span(NAMES[framework], style=f"bold {COLORS[framework]}"),
            *(
                span("  " + part, style="dim")
                for part in textwrap.wrap(item["hardware"], WIDTH - 2)
            ),
        ]
        if item["command"]:
            lines += [
                span(part, style="bold") for part in command_lines(item["command"], item["os"])
            ]
        else:
            lines.append(span("  No supported install for this combination.", style="yellow"))
        lines += [span("  " + part) for part in textwrap.wrap(item["note"], WIDTH - 2)]
        lines.append(span(f"  source: {item['source']} (checked {item['checked']})", style="dim"))
    return lines


def command_lines(command: str, os_name: str | None) -> list[str]:
    """A command in 80 columns: a long one is split with `\\` line continuations, which a POSIX
    shell joins back; a Windows command line has no portable continuation, so it stays whole."""
    if len(command) + 4 <= WIDTH or os_name == "windows":
        return ["    " + command]
    parts = textwrap.wrap(command, WIDTH - 8, break_long_words=False, break_on_hyphens=False)
    return [
        ("    " if i == 0 else "      ") + part + (" \\" if i < len(parts) - 1 else "")
        for i, part in enumerate(parts)
    ]


def _since(rec: Recommendation) -> list[Line]:
    changed = changed_lines(rec)
    if not changed:
        return []
    lines = [span(""), span("What has changed since the documents", style="bold")]
    for line in changed:
        indent = "    " if line.startswith("  ") else "  "
        wrapped = textwrap.wrap(line.strip(), WIDTH - len(indent) - 2)
        lines += [
            span(indent + ("• " if i == 0 else "  ") + part) for i, part in enumerate(wrapped)
        ]
    return lines


def _changes(rec: Recommendation, kb: KnowledgeBase) -> list[Line]:
    lines = [span(""), span("What would change the verdict", style="bold")]
    changes = rec.what_would_change
    if not changes:
        lines.append(span("  No single change or pair of changes to the answers changes it."))
    limit = kb.settings.what_would_change_limit
    for c in changes[:limit]:
        target = span(f"{VERDICT_NAMES[c.verdict]} ({c.confidence:.2f})", style=COLORS[c.verdict])
        wrapped = textwrap.wrap(describe_change(c.answers, rec.answers) + " →", WIDTH - 4)
        wrapped = [("  • " if i == 0 else "    ") + part for i, part in enumerate(wrapped)]
        if len(wrapped[-1]) + 1 + len(plain_text(target)) > WIDTH:
            wrapped.append("   ")
        lines += [span(part) for part in wrapped[:-1]] + [span(wrapped[-1] + " ") + target]
    if len(changes) > limit:
        lines.append(span(f"  ... {len(changes) - limit} more in --format json", style="dim"))
    return lines
