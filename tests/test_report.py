"""`fwadvise report`: project files, the three formats, overwrite protection, and the HTML page
as a person sees it (headless Chromium: a phone and a desktop screenshot, the rendered DOM)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from fwadvise.advisor.inputs.project import load as load_project
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reports import charts
from fwadvise.advisor.reports import html as report_html
from fwadvise.advisor.reports import markdown as report_markdown
from fwadvise.advisor.reports.data import build, is_report
from tests.test_cli import run

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
PARCEL = PROJECTS / "parcel.yaml"
SUFFIX = {"markdown": ".md", "html": ".html", "json": ".json"}


# --- project files: bad input is one message naming file:line, exit 2, nothing written ---


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("malformed.yaml", 3, "malformed YAML"),
        ("unknown-key.yaml", 3, "unknown key 'colour'; allowed: name, description, profile"),
        ("bad-answer.yaml", 5, "deployment_targets: 'moon' not valid; valid: a list of any of"),
        ("missing-evidence.yaml", 5, "evidence file 'evidence/jetson.json' not found"),
        ("wrong-type.yaml", 1, "name: input should be a valid string; expected one line of text"),
    ],
)
def test_bad_project_file_exits_2_naming_file_and_line(
    tmp_path: Path, name: str, line: int, message: str
) -> None:
    out = tmp_path / "report.md"
    done = run("report", "--project", str(PROJECTS / name), "-o", str(out))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{PROJECTS / name}:{line}: " in done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_project_file_not_found_and_no_answers(tmp_path: Path) -> None:
    done = run("report", "--project", str(tmp_path / "nope.yaml"))
    assert done.returncode == 2
    assert "project file not found" in done.stderr
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: Nothing to go on\n")
    done = run("report", "--project", str(empty))
    assert done.returncode == 2
    assert "give a `profile`" in done.stderr


def test_project_answers_win_over_profile_and_evidence_is_relative_to_the_file(
    kb: KnowledgeBase,
) -> None:
    project = load_project(kb, PARCEL)
    assert project.answers["role"] == "industry"  # from the profile
    assert project.answers["deployment_targets"] == ["iot_embedded"]  # the file's own answer
    assert project.evidence == (PROJECTS / "evidence" / "laptop.json",)
    assert project.name == "Edge vision for parcel sorting"
    assert project.as_of is not None and project.as_of.isoformat() == "2026-11-21"


# --- the three formats say the same things ---


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The parcel project's report in each format, written by the real command (-o suffix)."""
    out = tmp_path_factory.mktemp("reports")
    written = {}
    for fmt, suffix in SUFFIX.items():
        path = out / f"report{suffix}"
        done = run("report", "--project", str(PARCEL), "-o", str(path))
        assert done.returncode == 0, done.stderr
        assert f"wrote {path} ({fmt})" in done.stderr
        written[fmt] = path.read_text(encoding="utf-8")
    return written


@pytest.fixture(scope="module")
def data(reports: dict[str, str]) -> dict[str, Any]:
    return json.loads(reports["json"])


def test_json_is_the_recommendation_plus_a_project_block(data: dict[str, Any]) -> None:
    assert next(iter(data)) == "generator"  # first, where the overwrite check reads
    assert data["generator"].startswith("fwadvise")
    for key in ("verdict", "confidence", "scores", "answers", "reasons", "what_would_change"):
        assert key in data
    assert data["project"]["name"] == "Edge vision for parcel sorting"
    assert data["as_of"] == "2026-11-21"
    machine = data["evidence"]["machines"][0]
    assert machine["label"] == "laptop"
    assert machine["frameworks"] == {"pytorch": "2.13.0", "tensorflow": "2.21.0"}
    conv = next(c for c in machine["comparisons"] if c["workload"] == "conv")
    assert conv["ci_low"] < conv["ratio"] < conv["ci_high"] < 1  # PyTorch clearly faster
    assert data["changed"], "the parcel project touches aged claims"


def _quotes(data: dict[str, Any]) -> list[str]:
    return [q["quote"] for r in data["reasons"] for q in r["quotes"]]


def test_markdown_holds_every_part(reports: dict[str, str], data: dict[str, Any]) -> None:
    md = reports["markdown"]
    assert md.startswith("<!-- generator: fwadvise")
    assert "# Edge vision for parcel sorting" in md
    assert f"**Verdict: {data['summary']}**" in md
    for quote in _quotes(data):
        assert report_markdown.text(quote) in md
    for change in data["what_would_change"]:
        assert report_markdown.text(change["change"]) in md
    for line in data["changed"]:  # the aged claims the advice touched
        assert report_markdown.text(line) in md
    assert "| conv | compiled | cpu | pytorch 2.00x faster |" in md
    assert "Measured on **laptop** (2026-11-20)" in md
    assert "`█████ 5`" in md  # a text bar in the criteria table
    assert "## Next steps" in md
    assert "<b>" not in md  # the project's markup is text


def test_html_holds_every_part(reports: dict[str, str], data: dict[str, Any]) -> None:
    page = reports["html"]
    assert f'<meta name="generator" content="{html.escape(data["generator"])}">' in page
    assert html.escape(data["summary"]) in page
    for quote in _quotes(data):
        assert html.escape(quote) in page
    for change in data["what_would_change"]:
        assert html.escape(change["change"]) in page
    for line in data["changed"]:
        assert html.escape(line.strip()) in page
    assert page.count("<svg") == 2  # criteria and evidence charts
    assert "95% interval" in page
    assert "Measured on <strong>laptop</strong>" in page
    assert "&lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;" in page
    assert "<b>markup" not in page


def test_html_is_self_contained_for_a_phone_and_a_printer(reports: dict[str, str]) -> None:
    page = reports["html"]
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"\bsrc\s*=", page, re.I)
    assert not re.search(r"@import|url\(", page, re.I)
    for href in re.findall(r'href="([^"]*)"', page):
        assert href.startswith(("#", "https://", "http://")), href  # citations and anchors
    assert re.search(r"<a [^>]*href=\"https://", page), "sources are cited with their address"
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page
    assert all("viewBox=" in svg for svg in re.findall(r"<svg[^>]*>", page))


def test_the_report_recognises_its_own_output(tmp_path: Path, reports: dict[str, str]) -> None:
    for fmt, text in reports.items():
        path = tmp_path / f"old{SUFFIX[fmt]}"
        path.write_text(text, encoding="utf-8")
        assert is_report(path), fmt
    other = tmp_path / "notes.md"
    other.write_text("# My notes\n\nfwadvise is mentioned here but did not write this.\n")
    assert not is_report(other)


def test_recommend_and_report_give_the_same_content(tmp_path: Path) -> None:
    """The profile command's Markdown and HTML are the report without the project's name."""
    project = PROJECTS / "no-evidence.yaml"
    advice = ["--profile", "researcher", "--as-of", "2026-11-21"]
    for fmt in ("markdown", "html"):
        report = run("report", "--project", str(project), "--format", fmt)
        recommend = run(*advice, "--format", fmt)
        assert report.returncode == recommend.returncode == 0, report.stderr + recommend.stderr
        start = "## Scores by criterion" if fmt == "markdown" else '<nav aria-label="Contents">'
        body = report.stdout[report.stdout.index(start) :]
        assert len(body) > 5000
        assert body == recommend.stdout[recommend.stdout.index(start) :]
        assert "Research prototype" in report.stdout
        assert "Research prototype" not in recommend.stdout


def test_format_and_suffix(tmp_path: Path) -> None:
    done = run("report", "--project", str(PARCEL), "-o", str(tmp_path / "report.txt"))
    assert done.returncode == 2
    assert "cannot tell the format from '.txt'" in done.stderr
    out = tmp_path / "report.txt"
    done = run("report", "--project", str(PARCEL), "-o", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["project"]["name"] == "Edge vision for parcel sorting"


def test_as_of_on_the_command_line_wins(tmp_path: Path) -> None:
    done = run("report", "--project", str(PARCEL), "--format", "json", "--as-of", "2024-01-01")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["as_of"] == "2024-01-01"
    done = run("report", "--project", str(PARCEL), "--as-of", "soon")
    assert done.returncode == 2
    assert "--as-of 'soon': not a date" in done.stderr


# --- writing: never over someone else's file, never half a file ---


def test_overwrite_protection(tmp_path: Path) -> None:
    precious = tmp_path / "report.html"
    precious.write_text("<html><body>my own page</body></html>\n")
    done = run("report", "--project", str(PARCEL), "-o", str(precious))
    assert done.returncode == 2
    assert "exists and is not a previous fwadvise report" in done.stderr
    assert "--force" in done.stderr
    assert precious.read_text() == "<html><body>my own page</body></html>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    done = run("report", "--project", str(PARCEL), "-o", str(precious), "--force")
    assert done.returncode == 0, done.stderr
    first = precious.read_text()
    assert '<meta name="generator" content="fwadvise' in first

    # a previous report is replaced without --force (here with a different project)
    done = run("report", "--project", str(PROJECTS / "no-evidence.yaml"), "-o", str(precious))
    assert done.returncode == 0, done.stderr
    assert "Research prototype" in precious.read_text()


def test_unwritable_output_exits_2_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    done = run("report", "--project", str(PARCEL), "-o", str(blocker / "report.md"))
    assert done.returncode == 2
    assert "cannot write here" in done.stderr
    assert "Traceback" not in done.stderr
    directory = tmp_path / "out.md"
    directory.mkdir()
    done = run("report", "--project", str(PARCEL), "-o", str(directory))
    assert done.returncode == 2
    assert "is a directory" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "out.md"]
    assert list(directory.iterdir()) == []


# --- the renderers on data the knowledge base does not give today ---


def test_install_commands_are_rendered_when_the_data_has_them(kb: KnowledgeBase) -> None:
    from fwadvise.advisor.inputs.answers import resolve
    from fwadvise.advisor.reasoning.engine import recommend

    rec = recommend(kb, resolve(kb, profile="industry"))
    data = build(rec, kb)
    data["install"] = [
        {
            "framework": "tensorflow",
            "hardware": "CPU <any>",
            "command": "pip install 'tensorflow-cpu==2.21.0'",
            "note": "no GPU needed",
            "source": "knowledgehut-2023",
            "checked": "2026-11-21",
        }
    ]
    md = report_markdown.render(data)
    assert "## Install" in md
    assert "pip install 'tensorflow-cpu==2.21.0'" in md
    assert "CPU &lt;any&gt;" in md
    page = report_html.render(data)
    assert "<pre><code>pip install &#x27;tensorflow-cpu==2.21.0&#x27;</code></pre>" in page
    assert "CPU &lt;any&gt;" in page
    assert "(checked 2026-11-21)" in page


def test_untrusted_text_cannot_become_markup(kb: KnowledgeBase) -> None:
    from fwadvise.advisor.inputs.answers import resolve
    from fwadvise.advisor.reasoning.engine import recommend

    rec = recommend(kb, resolve(kb, profile="beginner"))
    evil = {"name": "<script>alert(1)</script>", "description": "a | b\n\n<img src=x>"}
    page = report_html.render(build(rec, kb, project={**evil, "file": "p", "evidence": []}))
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    md = report_markdown.render(build(rec, kb, project={**evil, "file": "p", "evidence": []}))
    assert "<script>" not in md and "<img" not in md
    assert "a \\| b" in md
    data = build(rec, kb)
    data["sources"] = {"x": {"title": "t", "publisher": "p", "date": "d", "url": "javascript:x"}}
    sources = report_html._sources(data)
    assert "href" not in sources  # only http(s) addresses become links
    assert "javascript:x" not in sources  # not even shown: the title stands for the source


# --- charts ---


def test_criteria_chart_bars_are_proportional_to_ratings() -> None:
    svg = charts.criteria_svg(
        [
            {
                "name": "Ease",
                "weight": 1,
                "ratings": {"pytorch": 5, "tensorflow": 2},
                "points": {"pytorch": 3, "tensorflow": 0},
            }
        ]
    )
    widths = [
        float(w)
        for w in re.findall(r'<rect x="78" y="[\d.]+" width="([\d.]+)" height="9" fill="#', svg)
    ]
    track, pt, _, tf = widths
    assert pt == pytest.approx(track) and tf == pytest.approx(track * 2 / 5)
    assert "PyTorch +3" in svg


def test_evidence_chart_puts_the_faster_framework_on_its_side() -> None:
    rows = [
        {
            "workload": "a",
            "mode": "compiled",
            "device": "cpu",
            "ratio": 0.5,
            "ci_low": 0.45,
            "ci_high": 0.55,
            "faster": "pytorch",
            "verdict": "pytorch 2.00x faster",
        },
        {
            "workload": "b",
            "mode": "compiled",
            "device": "cpu",
            "ratio": 3.0,
            "ci_low": 2.5,
            "ci_high": 3.5,
            "faster": "tensorflow",
            "verdict": "tensorflow 3.00x faster",
        },
        {
            "workload": "c",
            "mode": "compiled",
            "device": "cpu",
            "ratio": None,
            "verdict": "not comparable: tensorflow: no module",
        },
    ]
    svg = charts.evidence_svg(rows)
    mid = charts.WIDTH / 2
    a, b = (float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg))
    assert a < mid < b
    assert "not comparable" in svg
    widest = charts.factor_axis(rows)
    assert (
        charts.text_interval(rows[0], widest).index("●")
        < 10
        < charts.text_interval(rows[1], widest).index("●")
    )


# --- the HTML page in a real browser ---


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    return found


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    chromium = _chromium()
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB/RGBA PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and color in (2, 6), (depth, color)
    size = 3 if color == 2 else 4
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * size
    rows, previous = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (
                    row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        rows.append(bytes(row))
        previous = row
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, size)]


@pytest.mark.parametrize(("width", "height"), [(390, 1400), (1280, 900)])
def test_chromium_screenshot_phone_and_desktop(
    tmp_path: Path, reports: dict[str, str], data: dict[str, Any], width: int, height: int
) -> None:
    page = tmp_path / "report.html"
    page.write_text(reports["html"], encoding="utf-8")
    shot = tmp_path / "shot.png"
    _browser(tmp_path, f"--screenshot={shot}", f"--window-size={width},{height}", page.as_uri())
    got_width, got_height, pixels = png_pixels(shot.read_bytes())
    assert (got_width, got_height) == (width, height)
    colors = set(pixels)
    assert len(colors) > 50, "the page rendered blank"
    white = sum(p == b"\xff\xff\xff" for p in pixels) / len(pixels)
    assert 0.3 < white < 0.98, white  # a page of text on white, not a blank or a black one
    verdict_color = bytes.fromhex(charts.COLORS[data["verdict"]].lstrip("#"))
    assert verdict_color in colors, "the verdict's box and bars are drawn in its colour"


def test_chromium_renders_the_verdict_and_prints(
    tmp_path: Path, reports: dict[str, str], data: dict[str, Any]
) -> None:
    page = tmp_path / "report.html"
    page.write_text(reports["html"], encoding="utf-8")
    dom = _browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    verdict = re.search(r'<div class="verdict (\w+)" id="verdict">(.*?)</div>', dom, re.S)
    assert verdict is not None
    assert verdict.group(1) == data["verdict"]
    assert html.escape(data["summary"]) in verdict.group(2)
    assert "Edge vision for parcel sorting" in dom
    pdf = tmp_path / "report.pdf"
    _browser(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    assert pages >= 2, "the whole report prints, page after page"


def test_every_evidence_file_is_shown_and_only_the_first_drives_the_advice(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    from fwadvise.advisor.api import load_evidence, recommend
    from fwadvise.advisor.reports.data import measured_on

    project = load_project(kb, PARCEL)
    laptop = PROJECTS / "evidence" / "laptop.json"
    other = tmp_path / "other.json"
    other.write_text(laptop.read_text().replace('"laptop"', '"other"'))
    files = load_evidence([laptop, other])
    rec = recommend(kb, project.answers, files, project.as_of)
    assert len(files) == 2
    shown = measured_on(build(rec, kb, evidence=files)["evidence"])
    assert [s["machine"] is not None for s in shown] == [True, True]
    used = [[r["used_for_advice"] for r in s["comparisons"]] for s in shown]
    assert any(used[0]) and not any(used[1])
    # given no files (a caller that has only the recommendation), the machines are still
    # named, with the figures to_dict carries, and nothing is made up
    bare = measured_on(build(rec, kb)["evidence"])
    assert [s["label"] for s in bare] == ["laptop", "other"]
    assert all(s["machine"] is None and not s["comparisons"] for s in bare)


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Atomic writes go through a private temporary file; the result must not stay private."""
    from fwadvise.advisor.files import write_atomic

    umask = os.umask(0o022)
    try:
        fresh = write_atomic(tmp_path / "new.md", "x\n")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.md"
        kept.write_text("old\n")
        kept.chmod(0o640)
        write_atomic(kept, "new\n")
        assert kept.stat().st_mode & 0o777 == 0o640
        assert kept.read_text() == "new\n"
    finally:
        os.umask(umask)
