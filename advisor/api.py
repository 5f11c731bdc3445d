"""fwadvise as a library: answers (and evidence) in, advice out, and the renderers.

    import fwadvise

    advice = fwadvise.advise({"role": "researcher"}, evidence=["jetson.json"])
    advice.verdict, advice.confidence          # "pytorch", 0.41
    print(fwadvise.to_markdown(advice))

The command line (cli/) parses its options into these calls and prints what they return; a
program calls them the same way. A bad answer, file or date raises UserError (its message says
what and where). Nothing here imports torch or tensorflow: `probe=True` measures in worker
processes (probes/), one framework each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from fwadvise.advisor.errors import UserError

if TYPE_CHECKING:  # the engine is imported only when advice is asked for (start-up time)
    from fwadvise.advisor.kb.loader import KnowledgeBase
    from fwadvise.advisor.reasoning.engine import Recommendation
    from fwadvise.advisor.reasoning.evidence import EvidenceFile
    from fwadvise.advisor.scan.repository import ScanResult

AsOf = dt.date | str | None


class Advice(NamedTuple):
    """A recommendation with what it was made from: the renderers need the knowledge base (for
    quotes and sources) and the evidence files (for the machines and intervals)."""

    recommendation: Recommendation
    kb: KnowledgeBase
    evidence: tuple[EvidenceFile, ...] = ()
    notes: tuple[str, ...] = ()  # for the person, e.g. that neither framework runs here
    project: dict[str, Any] | None = None  # a project file's name and description (reports)

    @property
    def verdict(self) -> str:
        return self.recommendation.verdict

    @property
    def confidence(self) -> float:
        return self.recommendation.confidence

    @property
    def scores(self) -> dict[str, float]:
        return self.recommendation.scores


def parse_date(value: AsOf, *, what: str = "as_of") -> dt.date | None:
    """A date, an ISO 'YYYY-MM-DD' string, or None (today)."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise UserError(f"{what} {value!r}: not a date; give YYYY-MM-DD, e.g. 2024-06-01") from None


def advise(
    answers: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    answers_file: str | PathLike[str] | None = None,
    overrides: Iterable[str] = (),
    evidence: Iterable[str | PathLike[str]] = (),
    probe: bool = False,
    as_of: AsOf = None,
    progress: Any = None,
    kb: KnowledgeBase | None = None,
) -> Advice:
    """Advice for a set of answers: a profile's, then an answers file's, then `answers`, then
    `overrides` ("id=value" strings, as --set takes them); questions left out take their
    defaults. `evidence`: evidence files (fwadvise probe -o); `probe=True` adds this machine's
    measurements (cached, else measured now; `progress` receives the probes' progress)."""
    from fwadvise.advisor.inputs.answers import resolve
    from fwadvise.advisor.kb.checked import load

    on = parse_date(as_of)
    kb = kb or load()
    resolved = resolve(
        kb,
        profile=profile,
        answers_file=Path(answers_file) if answers_file is not None else None,
        stated=answers,
        overrides=list(overrides),
    )
    files, notes = gather_evidence(evidence, probe=probe, progress=progress)
    return Advice(recommend(kb, resolved, files, on), kb, tuple(files), tuple(notes))


def advise_project(project_file: str | PathLike[str], *, as_of: AsOf = None) -> Advice:
    """Advice for a project file (DESIGN.md): its profile, answers and evidence files.
    `as_of` wins over the project file's own."""
    from fwadvise.advisor.inputs import project as project_mod
    from fwadvise.advisor.kb.checked import load

    kb = load()
    spec = project_mod.load(kb, Path(project_file))
    on = parse_date(as_of) or spec.as_of
    files = load_evidence(list(spec.evidence))
    return Advice(recommend(kb, spec.answers, files, on), kb, tuple(files), (), spec.block())


def recommend(
    kb: KnowledgeBase,
    answers: Mapping[str, Any],
    files: list[EvidenceFile],
    as_of: dt.date | None,
) -> Recommendation:
    """The engine's recommendation; the first evidence file's facts drive the rules."""
    from fwadvise.advisor.reasoning import engine, evidence

    if not files:
        return engine.recommend(kb, answers, as_of=as_of)
    described = tuple({"path": f.path, "label": f.label, "created": f.created} for f in files)
    return engine.recommend(
        kb, answers, as_of=as_of, measured=evidence.facts(files), evidence_files=described
    )


def load_evidence(paths: Iterable[str | PathLike[str]]) -> list[EvidenceFile]:
    """Evidence files, each validated (a bad one raises UserError naming it)."""
    from fwadvise.advisor.reasoning import evidence

    return evidence.load([Path(p) for p in paths])


def gather_evidence(
    paths: Iterable[str | PathLike[str]] = (), *, probe: bool = False, progress: Any = None
) -> tuple[list[EvidenceFile], list[str]]:
    """This machine's evidence first (probe=True), then the files; and notes for the person."""
    files: list[EvidenceFile] = []
    notes: list[str] = []
    if probe:
        file, notes = this_machine(progress)
        files.append(file)
    return files + load_evidence(paths), notes


def this_machine(progress: Any = None) -> tuple[EvidenceFile, list[str]]:
    """This machine's cached measurements, else measured now; with a note and each framework's
    install command when neither framework could run here."""
    from fwadvise.advisor.install.advice import hint
    from fwadvise.advisor.reasoning.evidence import from_document
    from fwadvise.probes.cache import get_evidence

    document, cached = get_evidence(progress=progress)
    frameworks = document.get("frameworks", {})
    notes = []
    if not any(info.get("available") for info in frameworks.values()):
        notes.append("neither framework runs here, so nothing was measured")
        notes += [hint(name, document) for name in frameworks]
    source = str(cached.path) if cached is not None else "this machine (just measured)"
    return from_document(document, source), notes


def scan_repository(path: str | PathLike[str]) -> ScanResult:
    """Draft answers read from a repository (never run): `.inferred`, with file:line evidence,
    and `.not_inferred`, with why; `fwadvise scan` prints the same."""
    from fwadvise.advisor.scan.repository import scan

    return scan(Path(path))


def to_dict(advice: Advice) -> dict[str, Any]:
    """The JSON recommendation of DESIGN.md, as a dict."""
    from fwadvise.advisor.reports.summary import to_dict as summary

    return summary(advice.recommendation, advice.kb)


def to_json(advice: Advice) -> str:
    from fwadvise.advisor.reports.summary import to_json as summary_json

    return summary_json(advice.recommendation, advice.kb)


def report_data(advice: Advice) -> dict[str, Any]:
    """Everything a report shows (the JSON plus sources, machines, next steps), as a dict."""
    from fwadvise.advisor.reports.data import build

    return build(advice.recommendation, advice.kb, project=advice.project, evidence=advice.evidence)


def to_markdown(advice: Advice) -> str:
    from fwadvise.advisor.reports.markdown import render

    return render(report_data(advice))


def to_html(advice: Advice) -> str:
    """One HTML file: inline CSS and SVG, no script."""
    from fwadvise.advisor.reports.html import render

    return render(report_data(advice))


def to_text(advice: Advice) -> str:
    """Plain text lines of at most 80 columns, as the command line prints to a pipe."""
    from fwadvise.advisor.reports.text import plain

    return plain(advice.recommendation, advice.kb)
