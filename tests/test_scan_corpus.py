"""Scan scored on the corpus of real repositories (shared/scan-corpus beside the checkout).

Scoring follows the corpus README: correct, wrong (stated but not accepted), missed (silent where
the truth has a value), or a right silence. The table is printed (`pytest -s`); the test fails on
a regression below the floor (first 36 correct, 4 wrong, 59 missed on 2026-11-28: cell for cell
the baseline table in the corpus README, which checks this scoring; raised as the scan improves).
"""

from __future__ import annotations

import tarfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fwadvise.advisor.scan.repository import scan

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "scan-corpus"
ANSWERS = (
    "use_cases",
    "deployment_targets",
    "mobile_media_input",
    "existing_stack",
    "training_scale",
    "accelerator",
    "needs_sota_models",
    "production_serving",
)
# reached on issue-13b, 2026-11-28 (the README baseline: 36 correct, 4 wrong)
FLOOR = {"correct": 98, "wrong_at_most": 0}


def grade(stated: Any, truth: dict[str, Any]) -> str:
    value = truth.get("value")
    real = value is not None and value != "n/a"
    if stated is None:
        return "missed" if real else "-"
    if isinstance(stated, list):
        allowed = set(value or []) | set(truth.get("optional") or [])
        if set(stated) <= allowed and set(value or []) <= set(stated) and stated:
            return "correct"
        return "wrong"
    return "correct" if stated == value or stated in (truth.get("also_ok") or []) else "wrong"


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not (CORPUS / "repos.tar.xz").is_file():
        pytest.skip(f"the scan corpus is not beside this checkout ({CORPUS})")
    out = tmp_path_factory.mktemp("corpus")
    with tarfile.open(CORPUS / "repos.tar.xz") as archive:
        archive.extractall(out, filter="data")
    yield out / "repos"


def test_scan_on_the_corpus_does_not_regress(repos: Path) -> None:
    truth = yaml.safe_load((CORPUS / "truth.yaml").read_text(encoding="utf-8"))
    totals: Counter[str] = Counter()
    rows = []
    for name, entry in truth.items():
        stated = {item.id: item.value for item in scan(repos / name).inferred}
        cells = [grade(stated.get(qid), entry["truth"][qid]) for qid in ANSWERS]
        totals.update(cells)
        real = [entry["truth"][q].get("value") not in (None, "n/a") for q in ANSWERS]
        totals["real"] += sum(real)
        totals["real correct"] += sum(
            r and c == "correct" for r, c in zip(real, cells, strict=True)
        )
        shown = [
            c if c != "wrong" else f"wrong({stated[q]})"
            for c, q in zip(cells, ANSWERS, strict=True)
        ]
        rows.append(f"{name:<26} " + " ".join(f"{c:<8}" for c in shown))
    print("\n" + " " * 27 + " ".join(q[:8].ljust(8) for q in ANSWERS))
    print("\n".join(rows))
    print(
        f"correct {totals['correct']}, wrong {totals['wrong']}, missed {totals['missed']}; "
        f"of the {totals['real']} answers with a real value {totals['real correct']} correct"
        f" ({100 * totals['real correct'] / totals['real']:.0f}%)"
    )
    assert totals["correct"] >= FLOOR["correct"]
    assert totals["wrong"] <= FLOOR["wrong_at_most"]
