"""Fuzzing every input format: answers, project, evidence, a knowledge copy, scanned files and the
cache. Whatever hypothesis writes, fwadvise exits 0, or 2 with one message; never a traceback,
a hang, Infinity in JSON, raw control characters, or a file written outside the target.

Each format gets a few dozen examples (seconds); FWADVISE_FUZZ_EXAMPLES=1000 runs more.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fwadvise.advisor.install import advice as install
from fwadvise.advisor.kb import checked, snapshot
from fwadvise.knowledge import KNOWLEDGE_DIR
from fwadvise.probes import cache
from tests.hostile import assert_contract, cli, strict_json, tree

EXAMPLES = int(os.environ.get("FWADVISE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVIDENCE = json.loads(
    (Path(__file__).parents[1] / "examples/evidence/epyc-2core.json").read_text(encoding="utf-8")
)

# --- values a file may hold ------------------------------------------------------------------

ODD_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["\x1b[2J", "\x00", "2024-13-45", "!!int foo", "1e999", "-0", "~", "*x"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | ODD_TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=12,
)
# valid-looking ids and option values, so that the fuzz reaches validation, not only parsing
KEYS = st.sampled_from(
    ["role", "use_cases", "team_skill", "deployment_targets", "mobile_media_input",
     "existing_stack", "training_scale", "accelerator", "needs_sota_models", "production_serving",
     "researcher", "industry", "nvidia_gpu", "mobile", "nlp", "x"]
)  # fmt: skip
ANSWERS = st.dictionaries(KEYS | ODD_TEXT, VALUES | KEYS | st.lists(KEYS, max_size=3), max_size=6)


def yaml_text(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return repr(data)


MUTATIONS = st.sampled_from(["keep", "cut", "insert", "tab", "bytes", "anchor", "tag"])


def mutate(text: str, how: str, at: int, junk: str) -> bytes:
    """A file as people and attackers damage it: cut short, junk inserted, tabs, bad bytes."""
    at = at % (len(text) + 1)
    if how == "cut":
        text = text[:at]
    elif how == "insert":
        text = text[:at] + junk + text[at:]
    elif how == "tab":
        text = text.replace("  ", "\t", 1)
    elif how == "anchor":
        text = "x: &a [1]\ny: *a\n" + text
    elif how == "tag":
        text = text[:at] + " !!python/object:os.system " + text[at:]
    raw = text.encode("utf-8", "surrogatepass")
    return raw[:at] + b"\xff\xfe" + raw[at:] if how == "bytes" else raw


def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="fwadvise-fuzz-"))


def _run_in(folder: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run in `folder` (as the working directory too), and check nothing new appears there."""
    before = tree(folder)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        done = cli(*args, env=env)
    finally:
        os.chdir(cwd)
    assert tree(folder) == before, tree(folder) - before
    event(f"exit {done.code}")  # --hypothesis-show-statistics: both outcomes are reached
    return done


# --- the formats ------------------------------------------------------------------------------


@FUZZ
@given(ANSWERS, MUTATIONS, st.integers(0, 10_000), ODD_TEXT)
def test_answers_files(data: dict[str, Any], how: str, at: int, junk: str) -> None:
    folder = _workdir()
    try:
        (folder / "answers.yaml").write_bytes(mutate(yaml_text(data), how, at, junk))
        done = _run_in(folder, "recommend", "--answers", "answers.yaml", "--format", "json")
        assert_contract(done)
        if done.code == 0:
            strict_json(done.out)
    finally:
        shutil.rmtree(folder)


PROJECT = st.fixed_dictionaries(
    {"name": st.just("Parcel sorting") | ODD_TEXT},
    optional={
        "description": ODD_TEXT,
        "profile": st.sampled_from(["industry", "researcher", "nope"]),
        "answers": ANSWERS | st.just({"role": "industry"}),
        "evidence": st.lists(st.sampled_from(["e.json", "../e.json", "/dev/zero", "", "fifo"])),
        "as_of": st.sampled_from(["2024-06-01", "2024-13-45", "1900-01-01", "9999-12-31"]) | VALUES,
    },
) | st.dictionaries(ODD_TEXT | st.just("extra"), VALUES, max_size=3)


@FUZZ
@given(PROJECT, MUTATIONS, st.integers(0, 10_000), ODD_TEXT)
def test_project_files(data: dict[str, Any], how: str, at: int, junk: str) -> None:
    folder = _workdir()
    try:
        (folder / "e.json").write_text(json.dumps(EVIDENCE), encoding="utf-8")
        os.mkfifo(folder / "fifo")
        (folder / "project.yaml").write_bytes(mutate(yaml_text(data), how, at, junk))
        done = _run_in(folder, "report", "--project", "project.yaml", "--format", "json")
        assert_contract(done)
        if done.code == 0:
            strict_json(done.out)
    finally:
        shutil.rmtree(folder)


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document[:3]):
            found += _paths(value, (*prefix, index))
    return found


EVIDENCE_PATHS = [p for p in _paths(EVIDENCE) if p]
NUMBERS = st.sampled_from([0, -1, 1e-300, 1e300, 2**64, "NaN", "1e999", True, "", [], {}])


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[head] = _replace(document[head], rest, value)
    return copy


@FUZZ
@given(
    st.lists(st.tuples(st.sampled_from(EVIDENCE_PATHS), VALUES | NUMBERS), max_size=4),
    st.sampled_from(["keep", "cut", "insert", "bytes", "nan"]),
    st.integers(0, 100_000),
    ODD_TEXT,
)
def test_evidence_files(
    changes: list[tuple[tuple[Any, ...], Any]], how: str, at: int, junk: str
) -> None:
    document: Any = EVIDENCE
    for path, value in changes:
        try:
            document = _replace(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the path
    text = json.dumps(document, allow_nan=True)
    raw = text.replace("0.0", "NaN", 1).encode() if how == "nan" else mutate(text, how, at, junk)
    folder = _workdir()
    try:
        (folder / "e.json").write_bytes(raw)
        done = _run_in(
            folder, "--profile", "researcher", "--evidence", "e.json", "--format", "json"
        )
        assert_contract(done)
        if done.code == 0:
            strict_json(done.out)
            done = _run_in(folder, "--profile", "researcher", "--evidence", "e.json")
            assert_contract(done, ok=(0,))
    finally:
        shutil.rmtree(folder)


KB_FILES = sorted(p.name for p in KNOWLEDGE_DIR.glob("*.yaml"))


def _line_edit(text: str, line: int, how: str, junk: str) -> str:
    lines = text.splitlines(keepends=True)
    at = line % len(lines)
    if how == "drop":
        del lines[at]
    elif how == "dup":
        lines.insert(at, lines[at])
    elif how == "value":  # the value after the first colon becomes junk
        key, sep, _ = lines[at].partition(": ")
        lines[at] = f"{key}{sep}{junk}\n" if sep else lines[at]
    elif how == "indent":
        lines[at] = "  " + lines[at]
    return "".join(lines)


@FUZZ
@given(
    st.sampled_from(KB_FILES),
    st.integers(0, 10_000),
    st.sampled_from(["drop", "dup", "value", "indent"]),
    ODD_TEXT | st.sampled_from(["no-such-id", "[]", "{}", "99", "-5", "2099-01-01", "null"]),
)
def test_knowledge_copies(name: str, line: int, how: str, junk: str) -> None:
    folder = _workdir()
    try:
        copy = folder / "kb"
        shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        path = copy / name
        path.write_text(_line_edit(path.read_text(encoding="utf-8"), line, how, junk), "utf-8")
        env = {"FWADVISE_KNOWLEDGE": str(copy), "XDG_CACHE_HOME": str(folder / "cache")}
        for args in (
            ["--profile", "researcher", "--format", "json"],
            ["--profile", "industry", "--set", "deployment_targets=mobile"],
            ["scan", str(Path(__file__).parent / "fixtures" / "repos" / "tf_mobile_app")],
        ):
            done = cli(*args, env=env)
            event(f"{args[0]}: exit {done.code}")
            assert_contract(done)
            if done.code == 0 and "json" in args:
                strict_json(done.out)
    finally:
        shutil.rmtree(folder)


SCAN_NAMES = st.sampled_from(
    ["requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock",
     "poetry.lock", "environment.yml", "package.json", "train.py", "nb.ipynb", "Dockerfile",
     "config.pbtxt", "Podfile", "job.sbatch", "k8s.yaml", "model.pt", "x.onnx"]
)  # fmt: skip
NAME_BYTES = (
    st.binary(min_size=1, max_size=12)
    .map(lambda b: b.replace(b"/", b"_").replace(b"\0", b"_"))
    .filter(lambda b: b not in (b".", b".."))
)
CONTENT = st.one_of(
    st.binary(max_size=300),
    ODD_TEXT.map(str.encode),
    st.sampled_from(
        [
            b"import torch\nimport tensorflow as tf\ntf.distribute.MirroredStrategy()\n",
            b"\n" * 20_000 + b"FROM x",
            b"{" * 5_000,
            b'{"cells": [{"cell_type": "code", "source": ["import torch"]}]}',
            b"[tool.poetry.dependencies]\ntorch = '*'\n",
            b"def f(:\n",
            b"(" * 1_000,
            b"torch==\xff\n",
        ]
    ),
)


@FUZZ
@given(
    st.lists(
        st.tuples(SCAN_NAMES | NAME_BYTES.map(os.fsdecode), CONTENT, st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_scanned_repositories(files: list[tuple[str, bytes, bool]]) -> None:
    folder = _workdir()
    try:
        repo = folder / "repo"
        repo.mkdir()
        for name, content, nested in files:
            target = repo / "sub" / name if nested else repo / name
            target.parent.mkdir(exist_ok=True)
            if not target.exists():
                target.write_bytes(content)
        locked = repo / "locked"
        locked.mkdir()
        locked.chmod(0)
        try:
            done = _run_in(folder, "scan", "repo", "--format", "json")
            assert_contract(done, ok=(0,))
            data = strict_json(done.out)
            json.dumps(data, ensure_ascii=False).encode("utf-8")  # no raw bytes in the JSON
        finally:
            locked.chmod(0o700)
    finally:
        shutil.rmtree(folder)


@FUZZ
@given(
    st.sampled_from(["evidence", "kb", "install"]),
    st.binary(max_size=200) | st.sampled_from([b"", b"{}", b"sha256:\n{}", b"[" * 3000]),
    st.integers(0, 1_000_000),
    st.sampled_from(["replace", "flip", "cut"]),
)
def test_caches(which: str, junk: bytes, at: int, how: str) -> None:
    folder = _workdir()
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    try:
        good = checked.load()
        install._load.cache_clear()  # kept per process: read or write its snapshot again
        done = cli("--profile", "researcher", "--format", "json")  # writes install's snapshot
        assert done.code == 0
        cache.cache_dir().mkdir(parents=True, exist_ok=True)
        evidence_path = cache.cache_path("fuzz")
        evidence_path.write_text(json.dumps(EVIDENCE), encoding="utf-8")
        prefix = {"evidence": "evidence-", "kb": "kb-", "install": "install-"}[which]
        (target,) = list(snapshot.cache_dir().glob(f"{prefix}*.json"))
        raw = target.read_bytes()
        if how == "replace":
            raw = junk
        elif how == "flip":
            index = at % len(raw)
            raw = raw[:index] + bytes([raw[index] ^ (1 + at % 255)]) + raw[index + 1 :]
        else:
            raw = raw[: at % len(raw)]
        target.write_bytes(raw)
        cached = cache.load_cached("fuzz")
        assert cached is None or cached.evidence["schema_version"] == 1
        assert checked.load().rules == good.rules
        install._load.cache_clear()
        done = cli("--profile", "researcher", "--format", "json")
        assert_contract(done, ok=(0,))
        strict_json(done.out)
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old
        shutil.rmtree(folder)
