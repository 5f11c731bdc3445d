"""Terminal rendering of a recommendation with rich: fits 80 columns, honours NO_COLOR."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.engine import NAMES, Recommendation
from advisor.kb import KnowledgeBase
from advisor.report import VERDICT_NAMES, describe_change, summary_line

COLORS = {"pytorch": "red", "tensorflow": "dark_orange", "either": "cyan"}
BAR = 30


def bar(value: float, scale: float, framework: str, width: int = BAR) -> Text:
    filled = 0 if scale <= 0 else round(width * value / scale)
    return Text("█" * filled, style=COLORS[framework]) + Text("░" * (width - filled), style="dim")


def render(console: Console, rec: Recommendation, kb: KnowledgeBase, *, top: int = 8) -> None:
    verdict_style = f"bold {COLORS[rec.verdict]}"
    console.print(Text("Verdict: ", style="bold") + Text(summary_line(rec), style=verdict_style))
    scale = max(rec.scores.values()) or 1.0
    for fw in ("pytorch", "tensorflow"):
        line = Text(f"  {NAMES[fw]:<11}") + bar(rec.scores[fw], scale, fw)
        console.print(line + Text(f" {rec.scores[fw]:6.1f}"))
    console.print(
        Text(
            f"  confidence = |difference| / total points; below {rec.either_band:.2f}: either.",
            style="dim",
        )
    )
    _criteria(console, rec)
    _reasons(console, rec, kb, top)
    _changes(console, rec, kb)


def _criteria(console: Console, rec: Recommendation) -> None:
    console.print(
        Text("\nBy criterion", style="bold") + Text("  (weight x rating gap)", style="dim")
    )
    shown = sorted((c for c in rec.criteria if c.weight > 0), key=lambda c: -max(c.points.values()))
    scale = max((max(c.points.values()) for c in shown), default=0) or 1.0
    for c in shown:
        lead = max(c.points, key=lambda fw: c.points[fw])
        points = c.points[lead]
        line = Text(f"  {c.name:<26} w{c.weight:<4g}") + bar(points, scale, lead, width=16)
        line += (
            Text(f" {NAMES[lead]} +{points:g}", style=COLORS[lead])
            if points
            else Text(" tie", style="dim")
        )
        console.print(line)
    unweighted = len(rec.criteria) - len(shown)
    if unweighted:
        console.print(
            Text(f"  ({unweighted} criteria carry no weight for these answers)", style="dim")
        )


def _reasons(console: Console, rec: Recommendation, kb: KnowledgeBase, top: int) -> None:
    console.print(
        Text("\nTop reasons", style="bold")
        + Text("  (one quote each; all in --format markdown)", style="dim")
    )
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for n, r in enumerate(rec.reasons[:top], 1):
        cell = Text(r.because)
        if r.claims:
            claim = kb.claim[r.claims[0]]
            cell += Text(f'\n"{claim.quote}" ', style="italic") + Text(
                f"[{claim.source}]", style="dim"
            )
        grid.add_row(
            f"{n}.", Text(f"+{r.points:g} {NAMES[r.favors]}", style=COLORS[r.favors]), cell
        )
    console.print(grid)
    rest = len(rec.reasons) - top
    if rest > 0:
        console.print(
            Text(f"    ... {rest} more (--format markdown or json lists them all)", style="dim")
        )


def _changes(console: Console, rec: Recommendation, kb: KnowledgeBase) -> None:
    console.print(Text("\nWhat would change the verdict", style="bold"))
    changes = rec.what_would_change
    if not changes:
        console.print("  No single change or pair of changes to the answers changes it.")
    limit = kb.settings.what_would_change_limit
    for c in changes[:limit]:
        target = Text(f"{VERDICT_NAMES[c.verdict]} ({c.confidence:.2f})", style=COLORS[c.verdict])
        console.print(Text(f"  • {describe_change(c.answers, rec.answers)} → ") + target)
    if len(changes) > limit:
        console.print(Text(f"  ... {len(changes) - limit} more in --format json", style="dim"))
