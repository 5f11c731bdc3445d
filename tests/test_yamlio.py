"""Safe YAML loading: line numbers, refused tags, size and encoding limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.kb.yamlio import MAX_BYTES, load_file, parse


def test_lines_are_recorded_for_keys_and_items() -> None:
    doc = parse("a:\n  - x: 1\n    y: [1, 2]\n  - 3\nb: 2\n", "t.yaml")
    assert doc.data == {"a": [{"x": 1, "y": [1, 2]}, 3], "b": 2}
    assert doc.where(("a", 0, "y")) == "t.yaml:3"
    assert doc.where(("a", 1)) == "t.yaml:4"
    assert doc.where(("b",)) == "t.yaml:5"
    assert doc.where(("a", 0, "missing")) == "t.yaml:2"  # nearest ancestor


def test_python_tags_are_refused_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"role: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(UserError, match=r"t.yaml:1: .*only plain YAML"):
        parse(text, "t.yaml")
    assert not marker.exists()


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(UserError, match=r"t.yaml:3: malformed YAML"):
        parse("a: 1\nb: [1, 2\nc: 3\n", "t.yaml")


def test_duplicate_keys_are_an_error_not_silently_dropped() -> None:
    with pytest.raises(UserError, match=r"t.yaml:3: duplicate key 'role' \(first on line 1\)"):
        parse("role: researcher\nteam_skill: x\nrole: industry\n", "t.yaml")


def test_non_utf8_is_refused_with_line(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"role: researcher\nteam: caf\xe9\n")
    with pytest.raises(UserError, match=r"a.yaml:2: not valid UTF-8"):
        load_file(path)


def test_oversized_and_missing_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(UserError, match="the limit is"):
        load_file(big)
    with pytest.raises(UserError, match="not found"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match="directory"):
        load_file(tmp_path)


def test_billion_laughs_is_refused() -> None:
    # aliases are shared references in PyYAML, but everything that walks the data (validation,
    # reports) would expand them: refused, with the line
    text = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n"
    with pytest.raises(UserError, match=r"lol.yaml:\d+: aliases"):
        parse(text, "lol.yaml")
