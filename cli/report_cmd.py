"""`fwadvise report --project FILE -o OUT`: the recommendation report for a project.

Registered by cli/app.py as `app.command("report")(report)`. Module-level imports stay light
(typer, stdlib, advisor.errors): the rest loads when the command runs (start-up time).
"""

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fwadvise.advisor.errors import UserError

if TYPE_CHECKING:  # loaded only when the command runs
    from fwadvise.advisor.api import Advice


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    json = "json"


SUFFIXES = {
    ".md": ReportFormat.markdown,
    ".markdown": ReportFormat.markdown,
    ".html": ReportFormat.html,
    ".htm": ReportFormat.html,
    ".json": ReportFormat.json,
}


def report(
    ctx: typer.Context,
    project: Annotated[
        Path,
        typer.Option(
            "--project", "-P", metavar="FILE", help="The project file (YAML; see the README)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (.md, .html or .json picks the format); default: standard output.",
        ),
    ] = None,
    format_: Annotated[
        ReportFormat | None,
        typer.Option("--format", "-f", help="Format (default: from -o's suffix, else markdown)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Advise with the knowledge as it stood on this date (wins over the file's).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite -o even when it is not a previous report."),
    ] = False,
) -> None:
    """Write a recommendation report for a project: Markdown, HTML (one file) or JSON."""
    fmt = choose_format(output, format_)
    if output is not None:
        check_target(output, force=force)
    from fwadvise.advisor.api import advise_project
    from fwadvise.cli.options import parse_as_of

    inherited = (ctx.obj or {}).get("as_of") if ctx is not None else None
    advice = advise_project(project, as_of=parse_as_of(as_of or inherited))
    text = render(fmt, advice)
    if output is None:
        sys.stdout.write(text)
        return
    from fwadvise.advisor.files import write_atomic
    from fwadvise.advisor.reports.summary import summary_line

    write_atomic(output, text)
    sys.stderr.write(
        f"fwadvise: wrote {output} ({fmt.value}): {summary_line(advice.recommendation)}\n"
    )


def choose_format(output: Path | None, given: ReportFormat | None) -> ReportFormat:
    if given is not None:
        return given
    if output is None:
        return ReportFormat.markdown
    found = SUFFIXES.get(output.suffix.lower())
    if found is None:
        raise UserError(
            f"-o {output}: cannot tell the format from {output.suffix or 'no suffix'!r}; "
            f"name it {', '.join(SUFFIXES)} or give --format markdown|html|json"
        )
    return found


def check_target(output: Path, *, force: bool) -> None:
    """Refuse to replace a file this tool did not write (unless --force): a report's name is
    easy to mistype onto something precious."""
    from fwadvise.advisor.files import check_replaceable
    from fwadvise.advisor.reports.data import has_report_marker

    check_replaceable(
        output, flag="-o", force=force, ours=has_report_marker, kind="a previous fwadvise report"
    )


def render(fmt: ReportFormat, advice: "Advice") -> str:
    from fwadvise.advisor import api

    if fmt is ReportFormat.json:
        import json

        return json.dumps(api.report_data(advice), indent=2, ensure_ascii=False) + "\n"
    if fmt is ReportFormat.html:
        return api.to_html(advice)
    return api.to_markdown(advice)
