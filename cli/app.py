"""The command line: a thin skin over advisor/ (and probes/). `fwadvise --help` lists it all.

The command modules (this one, probe_cmd, report_cmd, scan_cmd) do not use `from __future__
import annotations`: typer reads every command's signature on every run, and string annotations
would make it evaluate them all (a few ms of start-up). Types imported only for type checking
are written in quotes instead.
"""

import datetime as dt
import json
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from fwadvise.advisor.errors import UserError
from fwadvise.cli.options import parse_as_of
from fwadvise.cli.probe_cmd import probe
from fwadvise.cli.report_cmd import report
from fwadvise.cli.scan_cmd import scan

if TYPE_CHECKING:  # the engine is imported only when a command needs it (start-up time)
    from fwadvise.advisor.api import Advice

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help=(
        "Advice on PyTorch vs TensorFlow for your project, with sources and measurements. "
        "Alone on a terminal: the questionnaire; with --profile or --answers: the advice."
    ),
)
kb_app = typer.Typer(help="Inspect and check the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class ListFormat(str, Enum):
    """For the lists of profiles, questions, dated changes and claims due for review."""

    text = "text"
    json = "json"


class ClaimsFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p", metavar="NAME", help="A named profile (see `fwadvise profiles`)."
    ),
]
AnswersOpt = Annotated[
    Path | None,
    typer.Option(
        "--answers", "-a", metavar="FILE", help="A YAML answers file (question id: value)."
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="ID=VALUE",
        help="Override one answer: id=value (lists: a,b). Repeatable.",
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]
EvidenceOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--evidence",
        "-e",
        metavar="FILE",
        help="Measured evidence (fwadvise probe -o). Repeatable.",
    ),
]
ProbeOpt = Annotated[
    bool,
    typer.Option("--probe", help="Use this machine's measurements (cached, else measure now)."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Advise with the knowledge as it stood on this date (default: today).",
    ),
]


def _version(shown: bool) -> None:
    if not shown:
        return
    from fwadvise import __version__
    from fwadvise.advisor.kb.checked import load

    date = load().settings.knowledge_date
    typer.echo(f"fwadvise {__version__} (knowledge base reviewed {date})")
    raise typer.Exit()


VersionOpt = Annotated[
    bool,
    typer.Option(
        "--version",
        callback=_version,
        is_eager=True,
        help="Print the version and the knowledge base's date.",
    ),
]


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    answers: AnswersOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    as_of: AsOfOpt = None,
    evidence: EvidenceOpt = None,
    probe_now: ProbeOpt = False,
    version: VersionOpt = False,
) -> None:
    """Without a command: advise for --profile or --answers (a terminal with neither: ask)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {
            "profile": profile,
            "answers": answers,
            "set": set_,
            "as_of": as_of,
            "evidence": evidence,
            "probe": probe_now,
        }
        return
    measure = Measure(evidence or [], probe_now)
    if profile is None and answers is None:
        if set_:
            raise UserError(
                "--set overrides the answers of --profile or --answers; give one of them"
            )
        _ask(None, None, None, format_, as_of, measure)
        return
    _advise(profile, answers, set_ or [], format_, as_of, measure)


@app.command()
def recommend(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    answers: AnswersOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    as_of: AsOfOpt = None,
    evidence: EvidenceOpt = None,
    probe_now: ProbeOpt = False,
) -> None:
    """Advise for an answers file and/or a profile, with overrides."""
    inherited = ctx.obj or {}
    profile = profile or inherited.get("profile")
    answers = answers or inherited.get("answers")
    overrides = [*(inherited.get("set") or []), *(set_ or [])]
    if profile is None and answers is None:
        raise UserError("recommend needs --answers FILE or --profile NAME")
    measure = Measure(
        [*(inherited.get("evidence") or []), *(evidence or [])],
        probe_now or bool(inherited.get("probe")),
    )
    _advise(profile, answers, overrides, format_, as_of or inherited.get("as_of"), measure)


class Measure(NamedTuple):
    """Where measured evidence comes from: files, and/or this machine (--probe)."""

    files: list[Path]
    probe: bool


NO_MEASURE = Measure([], False)


SaveOpt = Annotated[
    Path | None,
    typer.Option(
        "--save",
        metavar="FILE",
        help="Keep the answers in FILE (replay: fwadvise recommend --answers FILE).",
    ),
]


@app.command()
def ask(
    profile: ProfileOpt = None,
    answers: AnswersOpt = None,
    save: SaveOpt = None,
    format_: FormatOpt = Format.text,
    as_of: AsOfOpt = None,
    evidence: EvidenceOpt = None,
    probe_now: ProbeOpt = False,
) -> None:
    """The questionnaire, then the advice (--profile/--answers: start from those answers)."""
    _ask(profile, answers, save, format_, as_of, Measure(evidence or [], probe_now))


def _ask(
    profile: str | None,
    answers_file: Path | None,
    save: Path | None,
    fmt: Format,
    as_of: str | None,
    measure: Measure,
) -> None:
    """The questionnaire on this terminal, then the advice for its answers."""
    if not sys.stdin.isatty():
        raise UserError(
            "the questionnaire needs a terminal to ask on, and stdin is not one; "
            "give answers with --answers FILE or --profile NAME (see `fwadvise profiles`)"
        )
    from fwadvise.advisor.inputs.answers import resolve
    from fwadvise.advisor.kb import checked as kb_mod
    from fwadvise.cli import questionnaire

    on = parse_as_of(as_of)
    kb = kb_mod.load()
    start = resolve(kb, profile=profile, answers_file=answers_file)
    term = questionnaire.Terminal()
    try:
        stated = questionnaire.run(kb, start, save, term)
        if not measure.probe and not measure.files:
            measure = measure._replace(probe=questionnaire.offer_probes(term))
    except questionnaire.Stopped:
        raise typer.Exit(130) from None
    _advise(None, None, [], fmt, as_of, measure, stated=stated, on=on)


def _advise(
    profile: str | None,
    answers_file: Path | None,
    overrides: list[str],
    fmt: Format,
    as_of: str | None,
    measure: Measure = NO_MEASURE,
    *,
    stated: dict[str, Any] | None = None,
    on: dt.date | None = None,
) -> None:
    from fwadvise.advisor.api import advise

    with _progress(measure.probe) as progress:
        advice = advise(
            stated,
            profile=profile,
            answers_file=answers_file,
            overrides=overrides,
            evidence=measure.files,
            probe=measure.probe,
            as_of=on or parse_as_of(as_of),
            progress=progress,
        )
    for note in advice.notes:
        sys.stderr.write(f"fwadvise: {note}\n")
    _emit(advice, fmt)


@contextmanager
def _progress(probe: bool) -> Iterator[Any]:
    """While --probe measures (up to a minute): a progress bar on a terminal, else one line."""
    if not probe:
        yield None
        return
    sys.stderr.write(
        "fwadvise: using this machine's measurements (measuring now if none are cached)\n"
    )
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    from fwadvise.cli.probe_cmd import progress_bar

    with progress_bar(Console(stderr=True)) as bar:
        yield bar


def _emit(advice: "Advice", fmt: Format) -> None:
    from fwadvise.advisor import api

    if fmt is Format.json:
        sys.stdout.write(api.to_json(advice) + "\n")
    elif fmt is Format.markdown:
        sys.stdout.write(api.to_markdown(advice))
    elif fmt is Format.html:
        sys.stdout.write(api.to_html(advice))
    elif sys.stdout.isatty() or os.environ.get("FORCE_COLOR"):
        from rich.console import Console
        from rich.text import Text

        from fwadvise.advisor.reports.text import layout

        lines = [Text.assemble(*line) for line in layout(advice.recommendation, advice.kb)]
        Console(highlight=False).print(Text("\n").join(lines), soft_wrap=True)
    else:  # a pipe or a file: plain lines, without starting rich's console machinery
        sys.stdout.write(api.to_text(advice))


# after recommend and ask, so that `fwadvise --help` lists the commands in the order of use
app.command("report")(report)
app.command("scan")(scan)
app.command("probe")(probe)


@app.command()
def profiles(format_: ListFormatOpt = ListFormat.text) -> None:
    """The named profiles, one line each, with what they assume."""
    from fwadvise.advisor.kb import checked as kb_mod

    kb = kb_mod.load()
    if format_ is ListFormat.json:
        data = [
            {"id": p.id, "summary": p.summary, "assumes": p.assumes, "answers": p.answers}
            for p in kb.profiles
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    width = max(len(p.id) for p in kb.profiles)
    for p in kb.profiles:
        typer.echo(f"{p.id:<{width}}  {p.summary}")
        typer.echo(f"{'':<{width}}  assumes: {p.assumes}")


@app.command()
def questions(format_: ListFormatOpt = ListFormat.text) -> None:
    """Every question id, its values, default, and why it matters."""
    from fwadvise.advisor.inputs.answers import describe_values
    from fwadvise.advisor.kb import checked as kb_mod

    kb = kb_mod.load()
    if format_ is ListFormat.json:
        data = [q.model_dump(mode="json", exclude={"ask_when"}) for q in kb.questions]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for q in kb.questions:
        default = q.default if not isinstance(q.default, bool) else str(q.default).lower()
        typer.echo(f"{q.id} ({q.kind}): {q.prompt}")
        typer.echo(
            textwrap.fill(
                f"values: {describe_values(q)}", 78, initial_indent="  ", subsequent_indent="    "
            )
        )
        typer.echo(f"  default: {default}")
        if q.ask_when is not None:
            typer.echo(f"  asked when: {q.ask_when.describe()}")
        typer.echo(
            textwrap.fill(
                f"why: {' '.join(q.help.split())}",
                78,
                initial_indent="  ",
                subsequent_indent="    ",
            )
        )
        if q.claims:
            typer.echo(f"  sources: {', '.join(kb.sources_of(q.claims))}")
        typer.echo("")


@kb_app.command("validate")
def kb_validate(
    sources: Annotated[
        Path | None,
        typer.Option(
            help="The source documents, to check every quote (default: ../shared/sources)."
        ),
    ] = None,
) -> None:
    """Lint the knowledge base: references, ids, profiles, reachability, options, quotes."""
    from fwadvise.advisor.kb import loader as kb_mod
    from fwadvise.advisor.kb.lint import companion_problems, find_sources_dir, lint

    kb = kb_mod.load(snapshot=False)  # the lint needs the YAML's line numbers
    sources_dir = sources or find_sources_dir()
    if sources is not None and not sources.is_dir():
        raise UserError(f"--sources {sources}: not a directory")
    problems = [*lint(kb, sources_dir), *companion_problems(kb)]
    for problem in problems:
        typer.echo(str(problem), err=True)
    counted = (
        f"{len(kb.sources)} sources, {len(kb.claims)} claims, {len(kb.questions)} questions, "
        f"{len(kb.criteria)} criteria, {len(kb.rules)} rules, {len(kb.profiles)} profiles; "
        "install.yaml, scan.yaml"
    )
    quotes = (
        f"quotes checked against {sources_dir}"
        if sources_dir
        else "quotes not checked (no sources found)"
    )
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {counted}", err=True)
        raise typer.Exit(1)
    typer.echo(f"knowledge base OK: {counted}; {quotes}")


@kb_app.command("schema")
def kb_schema(
    file: Annotated[str | None, typer.Argument(help="One KB file name, e.g. rules.yaml.")] = None,
) -> None:
    """JSON Schema of the knowledge base files, for editors."""
    from fwadvise.advisor.kb.schema import KB_FILES

    if file is not None and file not in KB_FILES:
        raise UserError(f"unknown KB file {file!r}; valid: {', '.join(KB_FILES)}")
    names = [file] if file else list(KB_FILES)
    schemas = {name: KB_FILES[name].model_json_schema() for name in names}
    sys.stdout.write(json.dumps(schemas[file] if file else schemas, indent=2) + "\n")


@kb_app.command("claims")
def kb_claims(
    aged_only: Annotated[
        bool, typer.Option("--aged", help="Only claims that no longer hold.")
    ] = False,
    format_: Annotated[
        ClaimsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ClaimsFormat.text,
) -> None:
    """Every claim of the knowledge base: its source and date, and what has changed since."""
    from fwadvise.advisor.kb import checked as kb_mod
    from fwadvise.advisor.kb.claims import claim_records, claims_text

    kb = kb_mod.load()
    records = [r for r in claim_records(kb) if r["status"] == "aged" or not aged_only]
    if format_ is ClaimsFormat.json:
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(claims_text(records, markdown=format_ is ClaimsFormat.markdown))


@kb_app.command("changes")
def kb_changes(
    since: Annotated[
        str | None, typer.Option(help="Only changes on or after this date (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only changes on or before this date (YYYY-MM-DD).")
    ] = None,
    format_: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """What changed since the documents, by date: updates, re-ratings, rules that start or end."""
    from fwadvise.advisor.api import parse_date
    from fwadvise.advisor.kb import checked as kb_mod
    from fwadvise.advisor.kb.changes import changes, changes_text

    found = changes(
        kb_mod.load(), parse_date(since, what="--since"), parse_date(until, what="--until")
    )
    if format_ is ListFormat.json:
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(changes_text(found))


@kb_app.command("review")
def kb_review(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            help="A date (YYYY-MM-DD) or an age in days (365): claims last checked before it.",
        ),
    ] = "365",
    format_: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """The claims due for another check against public sources."""
    from fwadvise.advisor.kb import checked as kb_mod
    from fwadvise.advisor.kb.changes import due_for_review, review_text

    cutoff = _cutoff(older_than)
    kb = kb_mod.load()
    due = due_for_review(kb, cutoff)
    if format_ is ListFormat.json:
        sys.stdout.write(json.dumps(due, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(review_text(due, cutoff, len(kb.claims)))


def _cutoff(text: str) -> dt.date:
    from fwadvise.advisor.api import parse_date

    if text.isdigit():
        return dt.date.today() - dt.timedelta(days=int(text))
    found = parse_date(text, what="--older-than")
    if found is None:
        raise UserError("--older-than: give a date (YYYY-MM-DD) or a number of days, e.g. 365")
    return found


def main() -> None:
    """Console entry point: user errors become one message and exit status 2; SIGTERM and
    SIGHUP clean up as Ctrl-C does (workers stopped, temporary files removed)."""
    from fwadvise.advisor.files import terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            app()
    except UserError as exc:
        sys.stderr.write(f"fwadvise: error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("fwadvise: interrupted\n")
        sys.exit(130)
