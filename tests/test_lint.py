"""`kb validate`: the real knowledge base passes, and each kind of mistake is caught with file:line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fwadvise.advisor.errors import KnowledgeError
from fwadvise.advisor.kb import loader as kb_mod
from fwadvise.advisor.kb.lint import find_sources_dir, lint


def test_real_knowledge_base_is_clean_and_quotes_are_verbatim() -> None:
    sources = find_sources_dir()
    if sources is None:
        pytest.skip("shared/sources is not beside this checkout: quotes cannot be checked")
    kb = kb_mod.load(snapshot=False)
    assert lint(kb, sources) == []


def test_every_criterion_topic_of_the_issue_is_covered() -> None:
    kb = kb_mod.load()
    topics = {c.topic for c in kb.claims}
    needed = {
        "ease_of_use",
        "learning_curve",
        "debugging",
        "graph_model",
        "training_speed",
        "memory_use",
        "cpu_vs_gpu",
        "cnn_vs_rnn",
        "accuracy",
        "distributed_training",
        "deployment_serving",
        "mobile",
        "iot_embedded",
        "browser",
        "visualisation",
        "community_docs",
        "research_adoption",
        "industry_adoption",
        "model_availability",
        "high_level_apis",
        "language_bindings",
        "tpu_support",
        "backward_compatibility",
        "installation",
        "reinforcement_learning",
        "persona_researcher",
        "persona_industry",
        "persona_iot",
        "persona_mobile",
        "persona_beginner",
    }
    assert needed <= topics, needed - topics


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def problems(directory: Path, sources: Path | None = None) -> list[str]:
    return [str(p) for p in lint(kb_mod.load(directory, snapshot=False), sources)]


def test_unknown_references_are_named_with_line(kb_copy: Path) -> None:
    edit(
        kb_copy / "rules.yaml",
        "claims: [persona.iot, later.ai-edge-torch]",
        "claims: [persona.iot, iot.nope]",
    )
    edit(
        kb_copy / "rules.yaml",
        "{answer: role, equals: industry}",
        "{answer: rol, equals: industry}",
    )
    found = problems(kb_copy)
    assert any("rules.yaml:" in p and "unknown claim 'iot.nope'" in p for p in found)
    assert any("unknown question id 'rol'" in p for p in found)


def test_bad_value_and_wrong_operator(kb_copy: Path) -> None:
    edit(
        kb_copy / "criteria.yaml",
        "{answer: deployment_targets, includes: browser}",
        "{answer: deployment_targets, includes: browsr}",
    )
    edit(
        kb_copy / "rules.yaml",
        "when: {answer: accelerator, equals: cpu_only}",
        "when: {answer: accelerator, includes: cpu_only}",
    )
    found = problems(kb_copy)
    assert any("deployment_targets has no value 'browsr'" in p for p in found)
    assert any(
        "accelerator is a one-question: use equals, in, present, not includes" in p for p in found
    )


def test_rule_that_can_never_fire(kb_copy: Path) -> None:
    edit(
        kb_copy / "rules.yaml",
        "when: {answer: role, equals: beginner}",
        "when: {all: [{answer: role, equals: beginner}, {answer: role, equals: industry}]}",
    )
    assert any("holds for no answer set" in p for p in problems(kb_copy))


def test_unused_option_must_be_neutral(kb_copy: Path) -> None:
    edit(
        kb_copy / "questions.yaml",
        '{value: none, label: "No, starting fresh", neutral: "a fresh start adds no switching cost either way"}',
        '{value: none, label: "No, starting fresh"}',
    )
    assert any("no rule or weight uses existing_stack=none" in p for p in problems(kb_copy))


def test_invalid_profile_and_duplicate_id(kb_copy: Path) -> None:
    edit(kb_copy / "profiles.yaml", "accelerator: cpu_only", "accelerator: abacus")
    edit(kb_copy / "rules.yaml", "id: keep-tensorflow", "id: keep-pytorch")
    found = problems(kb_copy)
    assert any("profile beginner" in p and "'abacus' is not a valid value" in p for p in found)
    assert any("duplicate id 'keep-pytorch'" in p for p in found)


def test_invented_quote_is_caught(kb_copy: Path, tmp_path: Path) -> None:
    sources = find_sources_dir()
    if sources is None:
        pytest.skip("shared/sources is not beside this checkout")
    edit(
        kb_copy / "claims.yaml",
        "PyTorch is the de facto research framework;",
        "PyTorch is the only research framework;",
    )
    assert any(
        "quote of persona.researcher-defacto is not found" in p for p in problems(kb_copy, sources)
    )


def test_schema_errors_name_file_line_and_allowed_fields(kb_copy: Path) -> None:
    edit(
        kb_copy / "rules.yaml", "    kind: requirement\n", "    kind: requirement\n    weight: 3\n"
    )
    with pytest.raises(KnowledgeError) as info:
        kb_mod.load(kb_copy)
    message = str(info.value)
    assert "rules.yaml:" in message and "unknown field; allowed here: id, when, favors" in message
    edit(kb_copy / "rules.yaml", "    weight: 3\n", "")
    edit(
        kb_copy / "rules.yaml", "{answer: role, equals: beginner}", "{answer: role, like: beginner}"
    )
    with pytest.raises(
        KnowledgeError, match=r"rules.yaml:\d+: rules.\d+.when: unknown key\(s\) like"
    ):
        kb_mod.load(kb_copy)


def test_python_tag_in_knowledge_base_is_refused(kb_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    edit(
        kb_copy / "rules.yaml",
        "points: 4",
        f"points: !!python/object/apply:os.system ['touch {marker}']",
    )
    with pytest.raises(KnowledgeError, match=r"rules\.yaml:"):
        kb_mod.load(kb_copy)
    assert not marker.exists()


def validate_cli(knowledge: Path) -> subprocess.CompletedProcess[str]:
    """`fwadvise kb validate` on a copy of the knowledge base, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "fwadvise", "kb", "validate"],
        capture_output=True,
        text=True,
        env={**os.environ, "FWADVISE_KNOWLEDGE": str(knowledge), "FWADVISE_NO_SNAPSHOT": "1"},
        timeout=60,
    )


def test_kb_validate_cli_reports_and_fails(kb_copy: Path) -> None:
    edit(kb_copy / "rules.yaml", "claims: [persona.iot, later.ai-edge-torch]", "claims: [iot.nope]")
    done = validate_cli(kb_copy)
    assert done.returncode == 1
    assert "unknown claim 'iot.nope'" in done.stderr


def test_dates_are_linted(kb_copy: Path) -> None:
    edit(
        kb_copy / "sources.yaml",
        "    url: https://pypi.org/rss/project/tf-agents/releases.xml\n",
        "",
    )
    edit(
        kb_copy / "rules.yaml",
        "valid_from: 2024-05-14",
        "valid_from: 2024-05-14\n    valid_until: 2024-01-01",
    )
    found = problems(kb_copy)
    assert any("later source tf-agents-releases needs a url" in p for p in found)
    assert any("iot-litert: valid_until is not after valid_from" in p for p in found)


def test_every_claim_has_a_date_and_a_source() -> None:
    kb = kb_mod.load()
    for claim in kb.claims:
        assert kb.source[claim.source].date  # dated by its source
        assert claim.checked, claim.id  # and checked against current sources
        for update in claim.updates:
            assert kb.source[update.source].url and update.since


def test_kb_validate_checks_the_install_and_scan_files(kb_copy: Path) -> None:
    edit(
        kb_copy / "scan.yaml",
        "answers: {existing_stack: pytorch}",
        "answers: {existing_stack: jax}",
    )
    edit(kb_copy / "install.yaml", "  - framework: pytorch", "  - framework: jax")
    done = validate_cli(kb_copy)
    assert done.returncode == 1, done.stdout
    assert re.search(r"scan\.yaml:\d+", done.stderr) and "'jax'" in done.stderr
    assert re.search(r"install\.yaml:\d+", done.stderr)
