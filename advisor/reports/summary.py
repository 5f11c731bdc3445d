"""Recommendation -> JSON (the contract in shared/DESIGN.md) and Markdown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fwadvise.advisor.inputs.answers import show_value
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.schema import NAMES
from fwadvise.advisor.reasoning.engine import Recommendation
from fwadvise.advisor.reasoning.scoring import Aged

if TYPE_CHECKING:
    pass

VERDICT_NAMES = {**NAMES, "either": "Either"}


def to_dict(rec: Recommendation, kb: KnowledgeBase) -> dict[str, Any]:
    """The JSON recommendation; keys beyond the contract's are additions, never renames."""
    return {
        "verdict": rec.verdict,
        "confidence": rec.confidence,
        "scores": rec.scores,
        "answers": rec.answers,
        "reasons": [
            {
                "rule": r.rule,
                "favors": r.favors,
                "points": r.points,
                "because": r.because,
                "sources": list(r.sources),
                "kind": r.kind,
                "quotes": [_quote(kb, cid) for cid in r.claims],
                "aged": [_aged(a) for a in r.aged],
            }
            for r in rec.reasons
        ],
        "what_would_change": [
            {"answers": c.answers, "verdict": c.verdict, "confidence": c.confidence}
            for c in rec.what_would_change
        ],
        "evidence": _evidence(rec, kb),
        "install": install_advice(rec, kb),
        "criteria": [
            {
                "id": c.id,
                "name": c.name,
                "weight": c.weight,
                "ratings": c.ratings,
                "points": c.points,
            }
            for c in rec.criteria
        ],
        "either_band": rec.either_band,
        "as_of": rec.as_of.isoformat(),
        "documents": {
            "date": rec.documents_date.isoformat() if rec.documents_date else None,
            "verdict_differs": rec.documents_verdict,
            "retired": [
                {
                    "rule": r.rule,
                    "favors": r.favors,
                    "because": r.because,
                    "until": r.until.isoformat(),
                    "aged": [_aged(a) for a in r.aged],
                }
                for r in rec.retired
            ],
        },
        "warnings": list(rec.warnings),
        "notes": list(rec.notes),
    }


def install_advice(rec: Recommendation, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """The install command for the recommended framework (both when either) on the project's
    hardware: knowledge/install.yaml, read only here, when a recommendation is rendered."""
    from fwadvise.advisor.install.advice import advice

    return advice(rec, kb)


def _aged(a: Aged) -> dict[str, str]:
    return {
        "claim": a.claim,
        "said": a.said.isoformat(),
        "now": a.text,
        "since": a.since.isoformat(),
        "source": a.source,
    }


# a measured fact a rule tests -> the ratio shown beside it in the JSON `evidence.used` list
USED_RATIOS = {"faster": "ratio", "scales_better": "efficiency_ratio"}


def _evidence(rec: Recommendation, kb: KnowledgeBase) -> dict[str, Any] | None:
    """DESIGN.md's evidence block: the file(s) and each measured workload that moved the score."""
    if not rec.evidence_files:
        return None
    used = []
    for reason in rec.reasons:
        if reason.kind != "measured":
            continue
        rule = next(r for r in kb.rules if r.id == reason.rule)
        for test in rule.when.tests():
            workload, _, fact = test.key.partition(".")
            if test.subject == "measured" and fact in USED_RATIOS:
                ratio = rec.measured.get(f"{workload}.{USED_RATIOS[fact]}")
                used.append(
                    {
                        "workload": workload,
                        "ratio": ratio,
                        "points": reason.points,
                        "favors": reason.favors,
                        "rule": reason.rule,
                    }
                )
    from fwadvise.advisor.reasoning.evidence import check_claims, machines, results

    # The first file is the machine the advice is for (its facts drove the rules); the
    # others are shown for comparison, each with its own figures and label.
    measured_on = machines(dict(rec.measured))
    files = [
        {
            **described,
            "role": "advice" if n == 0 else "compared",
            "results": results(measured_on[n]["facts"]) if n < len(measured_on) else [],
        }
        for n, described in enumerate(rec.evidence_files)
    ]
    return {
        "file": rec.evidence_files[0]["path"],
        "files": files,
        "used": used,
        "claims": check_claims(kb, dict(rec.measured)),
    }


def claim_check_lines(rec: Recommendation, kb: KnowledgeBase) -> list[tuple[str, list[str]]]:
    """The documents' performance claims beside each machine's measurements, one group per
    evidence file: (`Measured on LABEL (DATE), ...:`, one line per claim)."""
    if not rec.evidence_files:
        return []
    from fwadvise.advisor.reasoning.evidence import check_claims

    groups: dict[tuple[str, str, str], list[str]] = {}  # (machine, created, file)
    for c in check_claims(kb, dict(rec.measured)):
        metric = " memory" if c["metric"] == "memory" else ""
        figures = f": {c['figures']}" if c["figures"] else ""
        groups.setdefault((c["machine"], c["created"], c["file"]), []).append(
            f"{c['status']}: {c['says']} ({c['source']}; {c['workload']}{metric}, "
            f"{c['device']}){figures}"
        )
    several = len(groups) > 1
    return [
        (_measured_on(label, created, n, several), lines)
        for n, ((label, created, _), lines) in enumerate(groups.items())
    ]


def _measured_on(label: str, created: str, n: int, several: bool) -> str:
    role = ""
    if several:  # the first file's facts drove the rules; the others are beside them
        role = ", the machine the advice is for" if n == 0 else ", for comparison"
    return f"Measured on {label} ({created[:10]}){role}:"


def _quote(kb: KnowledgeBase, claim_id: str) -> dict[str, str]:
    claim = kb.claim[claim_id]
    return {"claim": claim.id, "source": claim.source, "quote": claim.quote}


def to_json(rec: Recommendation, kb: KnowledgeBase) -> str:
    return json.dumps(to_dict(rec, kb), indent=2, ensure_ascii=False)


def describe_change(answers: dict[str, Any], before: dict[str, Any]) -> str:
    """`add mobile to deployment_targets; role = industry` for a what-would-change entry."""
    parts = []
    for qid, value in answers.items():
        old = before.get(qid)
        if isinstance(value, list) and isinstance(old, list):
            added = [v for v in value if v not in old]
            removed = [v for v in old if v not in value]
            parts += [f"add {v} to {qid}" for v in added] + [
                f"drop {v} from {qid}" for v in removed
            ]
        else:
            parts.append(f"{qid} = {show_value(value)}")
    return "; ".join(parts)


def summary_line(rec: Recommendation) -> str:
    if rec.verdict == "either":
        return (
            f"Either framework: too close to call (confidence {rec.confidence:.2f}, "
            f"below the {rec.either_band:.2f} band)"
        )
    return f"{VERDICT_NAMES[rec.verdict]}, confidence {rec.confidence:.2f}"


def changed_lines(rec: Recommendation) -> list[str]:
    """What has changed since the documents, as plain sentences (shared by every format)."""
    lines = []
    if rec.documents_verdict:
        lines.append(
            f"The documents (as of {rec.documents_date}) advised "
            f"{VERDICT_NAMES[rec.documents_verdict]} for these answers; as of {rec.as_of} "
            f"the advice is {VERDICT_NAMES[rec.verdict]}."
        )
    for r in rec.retired:
        if r.rule.startswith("criterion:"):  # a lead that later facts evened out
            lines.append(f"The documents' lead for {NAMES[r.favors]} is gone. {r.because}")
        else:
            lines.append(f"The documents recommend {NAMES[r.favors]} for this because: {r.because}")
        updates = dict.fromkeys((a.since, a.text, a.source) for a in r.aged)
        lines += [f"  Since {since}: {text} ({source})" for since, text, source in updates]
    seen = set()
    for reason in rec.reasons:
        for a in reason.aged:
            if (a.claim, a.since, a.source) not in seen:
                seen.add((a.claim, a.since, a.source))
                stale = ", already outdated when it was written" if a.since < a.said else ""
                lines.append(
                    f"A reason rests on a claim of {a.said.year} ({a.claim}{stale}); "
                    f"since {a.since}: {a.text} ({a.source})"
                )
    return lines
