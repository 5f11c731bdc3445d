"""Charts for the reports: inline SVG for HTML, text for Markdown. Stdlib only.

The SVGs use a viewBox about a phone's width (360 units), so on a phone one unit is one pixel
and text stays readable; on a desktop they scale up to their container. Colour is never the only
carrier of meaning: every bar and interval is labelled with its framework or figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from fwadvise.advisor.kb.schema import NAMES

COLORS = {"pytorch": "#c2410c", "tensorflow": "#1d4ed8"}
WIDTH = 360
FONT = "font-family:system-ui,sans-serif;font-size:12px"
MAX_RATING = 5


def _svg(height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:g}" role="img" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'style="{FONT}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def criteria_svg(criteria: Sequence[dict[str, Any]]) -> str:
    """Both frameworks' 1-5 ratings per criterion, one pair of bars each, with weight and
    points: the chart of the scores per criterion."""
    row, top, left, right = 46, 22, 78, WIDTH - 24
    body = [
        f'<rect x="0" y="2" width="10" height="10" fill="{COLORS["pytorch"]}"/>',
        _text(14, 11, "PyTorch"),
        f'<rect x="74" y="2" width="10" height="10" fill="{COLORS["tensorflow"]}"/>',
        _text(88, 11, "TensorFlow"),
        _text(WIDTH, 11, "rating out of 5", anchor="end", extra=' fill="#555"'),
    ]
    span = right - left
    for i, c in enumerate(criteria):
        y = top + i * row
        lead = max(c["points"], key=lambda fw: c["points"][fw])
        points = c["points"][lead]
        gained = f"{NAMES[lead]} +{points:g}" if points else "no points"
        body.append(_text(0, y + 12, c["name"], extra=' font-weight="600"'))
        body.append(
            _text(
                WIDTH,
                y + 12,
                f"weight {c['weight']:g} · {gained}",
                anchor="end",
                extra=' fill="#444"',
            )
        )
        for j, fw in enumerate(("pytorch", "tensorflow")):
            rating = c["ratings"][fw]
            by = y + 18 + j * 12
            body.append(_text(0, by + 9, NAMES[fw], extra=' fill="#555" font-size="10"'))
            body.append(f'<rect x="{left}" y="{by}" width="{span:g}" height="9" fill="#eee"/>')
            body.append(
                f'<rect x="{left}" y="{by}" width="{span * rating / MAX_RATING:g}" height="9" '
                f'fill="{COLORS[fw]}"><title>{NAMES[fw]}: {rating}/5</title></rect>'
            )
            body.append(_text(right + 4, by + 9, str(rating), extra=' font-size="10"'))
    height = top + len(criteria) * row
    return _svg(height, "Ratings per criterion, PyTorch and TensorFlow", body)


def factor_axis(rows: Sequence[dict[str, Any]]) -> float:
    """The widest speed factor to show on each side (log scale), from the data, 2x at least."""
    widest = 2.0
    for r in rows:
        for key in ("ratio", "ci_low", "ci_high"):
            value = r.get(key)
            if value:
                widest = max(widest, value, 1 / value)
    return min(widest * 1.1, 1000.0)


def _ticks(widest: float) -> list[float]:
    return [t for t in (2, 5, 10, 20, 50, 100, 200, 500) if t <= widest]


def evidence_svg(rows: Sequence[dict[str, Any]]) -> str:
    """A forest plot: each comparison's time ratio with its 95% interval, on a log scale where
    the middle line is 'same speed', PyTorch faster to the left, TensorFlow faster to the right."""
    row, top = 40, 34
    left, right = 8, WIDTH - 8
    mid = (left + right) / 2
    widest = factor_axis(rows)
    half = (right - left) / 2

    def x(ratio: float) -> float:
        return mid + half * math.log(ratio) / math.log(widest)

    height = top + len(rows) * row + 18
    body = [
        _text(left, 12, "← PyTorch faster", extra=f' fill="{COLORS["pytorch"]}"'),
        _text(
            right, 12, "TensorFlow faster →", anchor="end", extra=f' fill="{COLORS["tensorflow"]}"'
        ),
        f'<line x1="{mid:g}" y1="{top - 14}" x2="{mid:g}" y2="{height - 16:g}" stroke="#333"/>',
        _text(mid, height - 4, "same", anchor="middle", extra=' font-size="10"'),
    ]
    for t in _ticks(widest):
        for value in (1 / t, t):
            tx = x(value)
            body.append(
                f'<line x1="{tx:g}" y1="{top - 14}" x2="{tx:g}" y2="{height - 16:g}" '
                'stroke="#ddd"/>'
            )
            body.append(_text(tx, height - 4, f"{t:g}x", anchor="middle", extra=' font-size="10"'))
    for i, r in enumerate(rows):
        y = top + i * row
        label = f"{r['workload']} ({r['mode']}, {r['device']})"
        body.append(_text(left, y, label, extra=' font-weight="600"'))
        body.append(_text(right, y, r["verdict"][:40], anchor="end", extra=' fill="#444"'))
        if not r.get("ratio"):
            continue
        cy = y + 14
        color = COLORS[r["faster"]] if r.get("faster") else "#666"
        if r.get("ci_low") and r.get("ci_high"):
            x1, x2 = x(r["ci_low"]), x(r["ci_high"])
            body.append(
                f'<line x1="{x1:g}" y1="{cy}" x2="{x2:g}" y2="{cy}" stroke="{color}" '
                'stroke-width="2"/>'
            )
            body += [
                f'<line x1="{e:g}" y1="{cy - 5}" x2="{e:g}" y2="{cy + 5}" stroke="{color}" '
                'stroke-width="2"/>'
                for e in (x1, x2)
            ]
        body.append(
            f'<circle cx="{x(r["ratio"]):g}" cy="{cy}" r="4.5" fill="{color}">'
            f"<title>{escape(interval_text(r))}</title></circle>"
        )
    return _svg(height, "Measured time ratio PyTorch/TensorFlow with 95% intervals", body)


def interval_text(r: dict[str, Any]) -> str:
    """`ratio 0.42 (95% interval 0.39-0.46)` for one comparison; shared by every format."""
    if not r.get("ratio"):
        return r["verdict"]
    text = f"ratio {r['ratio']:.2f}"
    if r.get("ci_low") and r.get("ci_high"):
        text += f" (95% interval {r['ci_low']:.2f}-{r['ci_high']:.2f})"
    return text


def text_bar(rating: int, *, full: str = "█", empty: str = "░") -> str:
    """`███░░ 3`: a rating out of 5 as a text bar, for Markdown tables."""
    return full * rating + empty * (MAX_RATING - rating) + f" {rating}"


def text_interval(r: dict[str, Any], widest: float, cells: int = 21) -> str:
    """A one-line text forest plot: `│` is 'same speed', `●` the ratio, `━` its interval,
    PyTorch faster to the left; `widest` (factor_axis of all rows) keeps rows comparable."""
    if not r.get("ratio"):
        return ""
    mid = cells // 2

    def cell(ratio: float) -> int:
        offset = round(mid * math.log(ratio) / math.log(widest))
        return max(0, min(cells - 1, mid + offset))

    line = ["·"] * cells
    line[mid] = "│"
    if r.get("ci_low") and r.get("ci_high"):
        for i in range(cell(r["ci_low"]), cell(r["ci_high"]) + 1):
            line[i] = "━"
    line[cell(r["ratio"])] = "●"
    return "".join(line)


def scaling_curve(results: Sequence[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """Measured data-parallel throughput per framework: (workers, samples/s) by worker count
    (probe --distributed rows; failed rows have no point)."""
    curve: dict[str, list[tuple[int, float]]] = {}
    for row in results:
        if row.get("workload") != "data_parallel" or row.get("error"):
            continue
        workers, throughput = (row.get("params") or {}).get("workers"), row.get("throughput")
        if isinstance(workers, int) and isinstance(throughput, (int, float)):  # else no point
            curve.setdefault(row["framework"], []).append((workers, float(throughput)))
    return {framework: sorted(points) for framework, points in sorted(curve.items())}


def scaling_rows(curve: dict[str, list[tuple[int, float]]]) -> list[list[str]]:
    """The scaling curve as table rows: workers, then each framework's samples/s and its
    speedup over one worker (`-` where a framework has no figure at that count)."""
    workers = sorted({w for points in curve.values() for w, _ in points})
    rows = []
    for count in workers:
        cells = [str(count)]
        for framework in ("pytorch", "tensorflow"):
            points = dict(curve.get(framework, []))
            value, base = points.get(count), points.get(1)
            speedup = f" ({value / base:.2f}x)" if value and base and count > 1 else ""
            cells.append(f"{value:,.0f}{speedup}" if value else "-")
        rows.append(cells)
    return rows
