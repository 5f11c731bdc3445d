"""The validated-knowledge snapshot: same knowledge as a full load, rebuilt when files change."""

from __future__ import annotations

from pathlib import Path

from fwadvise.advisor.kb import checked, snapshot
from fwadvise.advisor.kb import loader as kb_mod


def same(a: kb_mod.KnowledgeBase, b: kb_mod.KnowledgeBase) -> bool:
    fields = ("settings", "sources", "claims", "questions", "criteria", "rules", "profiles")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def unique(kb_copy: Path) -> None:
    """Make this copy's files differ from every other test's, so it gets its own snapshot."""
    with (kb_copy / "settings.yaml").open("a") as out:
        out.write(f"# {kb_copy}\n")


def test_snapshot_equals_full_load(kb_copy: Path) -> None:
    unique(kb_copy)
    full = kb_mod.load(kb_copy, snapshot=False)
    first = checked.load(kb_copy)  # validates and writes the snapshot
    second = checked.load(kb_copy)  # reads it
    assert first.docs and not second.docs  # the second did not parse YAML
    assert same(full, first) and same(full, second)
    # conditions survive the round trip as conditions, not dicts
    assert second.rules[0].when.describe() == full.rules[0].when.describe()


def test_an_edit_makes_a_new_snapshot(kb_copy: Path) -> None:
    unique(kb_copy)
    checked.load(kb_copy)
    path = kb_copy / "rules.yaml"
    path.write_text(path.read_text().replace("points: 4\n", "points: 5\n", 1))
    reloaded = checked.load(kb_copy)
    assert reloaded.docs  # parsed again: the files changed
    assert 5 in [r.points for r in reloaded.rules]


def test_a_corrupt_snapshot_is_ignored(kb_copy: Path) -> None:
    unique(kb_copy)
    checked.load(kb_copy)
    for file in snapshot.cache_dir().glob("kb-*.json"):
        file.write_text("{not json")
    assert same(checked.load(kb_copy), kb_mod.load(kb_copy, snapshot=False))
