"""Shared fixtures: the real knowledge base, and a tiny one written for engine unit tests; and
`python_child`, for tests that need a framework imported (never into the test process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from fwadvise.advisor.kb import loader as kb_mod
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.knowledge import KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parent.parent


def python_child(code: str, *args: str, timeout: float) -> Any:
    """Run `code` in a fresh interpreter at the repository root, as the probe workers run (-P:
    nothing of the working folder on sys.path); the JSON on its last line of output."""
    out = subprocess.run(
        [sys.executable, "-P", "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# keep the knowledge-base snapshots of this test run (and its subprocesses) out of ~/.cache
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="fwadvise-test-cache-")

TINY = {
    "settings.yaml": """
settings:
  either_band: 0.1
  what_would_change_limit: 5
  knowledge_date: 2026-01-01
  weight_scale:
    requirement: 10
    requirement_wording: [should use]
    guidance: {min: 0.5, max: 8}
    measured: {min: 1, max: 6}
    criterion_weight: 4
""",
    "sources.yaml": """
sources:
  - {id: doc, title: A doc, publisher: p, date: 2024-01-01}
  - {id: later, title: A later doc, publisher: p, date: 2025-06-01, kind: later}
""",
    "claims.yaml": """
claims:
  - {id: c.easy, topic: ease, favors: pytorch, source: doc, quote: "PyTorch is easy to learn.", summary: easy}
  - {id: c.deploy, topic: deploy, favors: tensorflow, source: doc, quote: "TensorFlow deploys well.", summary: deploys}
  - {id: c.web, topic: deploy, favors: tensorflow, source: doc, quote: "On the web you should use TensorFlow.", summary: web}
  - {id: c.video, topic: deploy, favors: tensorflow, source: doc, quote: "Video on phones works in TensorFlow.", summary: video}
""",
    "questions.yaml": """
questions:
  - id: role
    kind: one
    prompt: Role?
    help: why
    default: researcher
    options:
      - {value: researcher, label: R}
      - {value: industry, label: I}
  - id: targets
    kind: many
    prompt: Targets?
    help: why
    default: [lab]
    options:
      - {value: lab, label: L}
      - {value: web, label: W}
      - {value: phone, label: P}
  - id: video
    kind: yesno
    prompt: Video?
    help: why
    default: false
    ask_when: {answer: targets, includes: phone}
    options:
      - {value: true, label: "Yes"}
      - {value: false, label: "No", neutral: no effect}
""",
    "criteria.yaml": """
criteria:
  - id: ease
    name: Ease
    description: d
    ratings: {pytorch: 5, tensorflow: 3}
    claims: [c.easy]
    weight:
      base: 1
      when:
        - {when: {answer: role, equals: researcher}, add: 1, why: research}
  - id: deploy
    name: Deploy
    description: d
    ratings: {pytorch: 2, tensorflow: 5}
    claims: [c.deploy]
    weight:
      base: 0
      when:
        - {when: {answer: targets, includes: lab}, add: 0, why: lab}
        - {when: {answer: role, equals: industry}, add: 1, why: industry}
""",
    "rules.yaml": """
rules:
  - id: web-tf
    kind: requirement
    when: {answer: targets, includes: web}
    favors: tensorflow
    points: 10
    because: web needs TF
    claims: [c.web]
  - id: phone-video
    when: {all: [{answer: targets, includes: phone}, {answer: video, equals: true}]}
    favors: tensorflow
    points: 3
    because: video on phones
    claims: [c.video]
""",
    "profiles.yaml": """
profiles:
  - {id: r, summary: s, assumes: a, answers: {role: researcher}}
""",
}


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return kb_mod.load()


def write_tiny(directory: Path, **replace: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY, **replace}.items():
        (directory / name).write_text(text.lstrip(), encoding="utf-8")
    return directory


@pytest.fixture()
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "kb")


@pytest.fixture()
def tiny(tiny_dir: Path) -> KnowledgeBase:
    return kb_mod.load(tiny_dir)


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the real knowledge base, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target
