"""`fwadvise scan PATH`: a draft answers file from what a repository already says.

Registered by cli/app.py as `app.command("scan")(scan)`. The reading and inferring live in
advisor/scan.py (imported when the command runs: start-up time); this is the terminal skin.
"""

import json
import sys
import textwrap
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fwadvise.advisor.errors import printable

if TYPE_CHECKING:
    from fwadvise.advisor.scan.repository import ScanResult

EVIDENCE_SHOWN = 4  # per answer in the text summary; --format json lists all
WIDTH = 80  # like the advice's text output


class ScanFormat(str, Enum):
    text = "text"
    json = "json"


def scan(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="The repository's folder (read, never run).")
    ],
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            metavar="FILE",
            help="Write the draft answers file (for `recommend --answers FILE`).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Let --save replace a file that is not an answers draft."),
    ] = False,
    format_: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ScanFormat.text
    ),
) -> None:
    """Infer draft answers from a repository's code, manifests, model files and configs."""
    from fwadvise.advisor.files import write_atomic
    from fwadvise.advisor.scan import repository as scanner

    if save is not None:
        _check_target(save, force)
    result = scanner.scan(path)
    if save is not None:
        write_atomic(save, scanner.draft_yaml(result))
    if format_ is ScanFormat.json:
        data = result.to_data()  # paths from the command line may hold any bytes: escaped
        data = {**data, "path": printable(str(data["path"])), "saved": _shown(save)}
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(summary_text(result, save))


def _check_target(save: Path, force: bool) -> None:
    """Refuse to replace anything but an earlier draft (unless --force); before the scan."""
    from fwadvise.advisor.files import check_replaceable
    from fwadvise.advisor.inputs.answers import has_answers_mark

    check_replaceable(
        save,
        flag="--save",
        force=force,
        ours=has_answers_mark,
        kind="an answers file written by fwadvise",
    )


def _shown(path: Path | None) -> str | None:
    return None if path is None else printable(str(path))


def summary_text(result: "ScanResult", save: Path | None) -> str:
    from fwadvise.advisor.inputs.answers import show_value

    root = printable(str(result.root))
    head = f"Scanned {root}: {_plural(result.files_seen, 'file')}.{_skipped(result)}"
    lines = [_wrap(head, 0)]
    if result.truncated:
        lines.append(f"Incomplete: {result.truncated}.")
    lines.append("")
    lines.append("Inferred:" if result.inferred else "Inferred: nothing.")
    for item in result.inferred:
        basis = "seen" if item.basis == "seen" else "inferred from absence"
        lines.append(f"  {item.id}: {show_value(item.value)}  ({basis})")
        if item.note:
            lines.append(_wrap(f"note: {item.note}", 6))
        for finding in item.evidence[:EVIDENCE_SHOWN]:
            lines.append(_wrap(f"{finding.where()}  {finding.detail}: {finding.why}", 6))
        more = len(item.evidence) - EVIDENCE_SHOWN
        if more > 0:
            lines.append(f"      ... and {more} more (--format json lists them all)")
    if result.not_inferred:
        lines += ["", "Not inferred (defaults apply):"]
        lines += [_wrap(f"{qid}: {why}", 2) for qid, why in result.not_inferred.items()]
    if result.observations:
        lines += ["", "Also seen (no answer follows from it):"]
        seen = result.observations
        lines += [_wrap(f"{f.where()}  {f.detail}: {f.why}", 2) for f in seen[:EVIDENCE_SHOWN]]
        if len(seen) > EVIDENCE_SHOWN:
            lines.append(f"  ... and {len(seen) - EVIDENCE_SHOWN} more")
    lines.append("")
    if save is None:
        lines.append("Keep these as an answers file with --save answers.yaml.")
    else:
        lines.append(f"Draft answers written to {_shown(save)}; review it, then run:")
        lines.append(f"  fwadvise recommend --answers {_shown(save)}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: int) -> str:
    """One item, wrapped to the width with a hanging indent (long paths are not broken)."""
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 4),
        break_long_words=False,
        break_on_hyphens=False,
    )


def _skipped(result: "ScanResult") -> str:
    if not result.skipped:
        return ""
    parts = ", ".join(f"{n} {what}" for what, n in result.skipped.items())
    return f" Skipped: {parts}."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
