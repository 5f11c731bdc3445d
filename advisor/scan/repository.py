"""Scan a repository for what it already says about the project: a draft of answers, each with
the file (and line) that made it so.

The scanned code is never imported or run: files are read as text (Python is parsed with `ast`),
symlinks are not followed, folders such as .git and node_modules are not entered, and the walk
stops at the limits in knowledge/scan.yaml. What to look for, and which answer each finding
suggests, is data in knowledge/scan.yaml, not code here.
"""

from __future__ import annotations

import ast
import bisect
import fnmatch
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.files import read_bytes
from fwadvise.advisor.inputs.answers import (
    ANSWERS_MARK,
    check_value,
    complete,
    show_value,
    unknown_id,
)
from fwadvise.advisor.kb.conditions import Facts
from fwadvise.advisor.kb.loader import KnowledgeBase, validate
from fwadvise.advisor.kb.schema import Question
from fwadvise.advisor.kb.yamlio import YamlDoc, load_file
from fwadvise.advisor.scan.manifests import manifest_deps, normalise, quiet_parse
from fwadvise.knowledge import KNOWLEDGE_DIR

SCAN_FILE = KNOWLEDGE_DIR / "scan.yaml"
# the first line of every draft this module writes: `--save` may overwrite such a file
DRAFT_MARKER = f"{ANSWERS_MARK} draft"
_SNIFF_BYTES = 8192  # a NUL byte in the first 8 KiB: a binary file, not read further


# --- knowledge/scan.yaml ------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TextMatch(_Strict):
    in_: list[str] = Field(alias="in", min_length=1, description="file-name patterns to read")
    pattern: str = Field(description="a regular expression searched in those files")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class Match(_Strict):
    python: list[str] = Field(default_factory=list)
    packages: list[str] = Field(default_factory=list)
    npm: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    text: list[TextMatch] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not any((self.python, self.packages, self.npm, self.files, self.text)):
            raise ValueError("a match needs at least one of python, packages, npm, files, text")
        return self


class Signature(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    why: str = Field(min_length=1)
    match: Match
    answers: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(default=1.0, gt=0)


class Resolve(_Strict):
    policy: Literal["dominant", "highest", "union"]
    dominance: float | None = Field(default=None, ge=1)
    order: list[Any] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order_for_highest(self) -> Resolve:
        if self.policy == "highest" and not self.order:
            raise ValueError("policy 'highest' needs an order (lowest first)")
        return self


class Limits(_Strict):
    max_entries: int = Field(gt=0)
    max_depth: int = Field(gt=0)
    max_text_bytes: int = Field(gt=0)
    max_total_bytes: int = Field(gt=0)


ManifestKind = Literal[
    "requirements",
    "pyproject",
    "setup_cfg",
    "setup_py",
    "pipfile",
    "pipfile_lock",
    "toml_lock",
    "conda",
    "npm",
]


class Absence(_Strict):
    """An answer stated from what the repository lacks: only where it shows the kind of work the
    question is about (a signature of each `requires` group seen, none of `unless`) and no
    signature answered the question."""

    answer: str
    value: Any
    requires: list[list[str]] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)
    why: str = Field(min_length=1)


class ScanConfig(_Strict):
    limits: Limits
    skip_dirs: list[str]
    manifests: dict[ManifestKind, list[str]]
    default_dominance: float = Field(default=1.5, ge=1)
    resolve: dict[str, Resolve] = Field(default_factory=dict)
    minor_paths: list[str] = Field(default_factory=list)
    minor_weight: float = Field(default=0.25, gt=0, le=1)
    signatures: list[Signature]
    absent: list[Absence] = Field(default_factory=list)
    ask_person: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> ScanConfig:
        seen = Counter(s.id for s in self.signatures)
        twice = sorted(i for i, n in seen.items() if n > 1)
        if twice:
            raise ValueError(f"signature ids must be unique: {', '.join(twice)}")
        return self


def load_config(kb: KnowledgeBase, path: Path | None = None) -> ScanConfig:
    """knowledge/scan.yaml, validated, with every answer checked against the questions."""
    doc = load_file(path or SCAN_FILE, what="scan signatures file")
    config = validate(doc, ScanConfig, error=KnowledgeError)
    signatures = [_checked(kb, doc, i, sig) for i, sig in enumerate(config.signatures)]
    for qid, rule in config.resolve.items():
        _check_resolve(kb, doc, qid, rule)
    absent = [_checked_absence(kb, doc, i, rule, config) for i, rule in enumerate(config.absent)]
    for qid in config.ask_person:
        if qid not in kb.question:
            raise KnowledgeError(unknown_id(kb, qid), where=doc.where(("ask_person", qid)))
    return config.model_copy(update={"signatures": signatures, "absent": absent})


def _checked_absence(
    kb: KnowledgeBase, doc: YamlDoc, index: int, rule: Absence, config: ScanConfig
) -> Absence:
    where = doc.where(("absent", index))
    question = kb.question.get(rule.answer)
    if question is None:
        raise KnowledgeError(unknown_id(kb, rule.answer), where=where)
    try:
        value = check_value(question, rule.value)
    except ValueError as exc:
        raise KnowledgeError(f"{rule.answer}: {exc}", where=where) from None
    known = {s.id for s in config.signatures}
    unknown = sorted({s for g in rule.requires for s in g} - known | set(rule.unless) - known)
    if unknown:
        raise KnowledgeError(f"no signature has the id: {', '.join(unknown)}", where=where)
    return rule.model_copy(update={"value": value})


def _checked(kb: KnowledgeBase, doc: YamlDoc, index: int, sig: Signature) -> Signature:
    """The signature with its answers normalised; an unknown id or value names its line."""
    answers = {}
    for qid, value in sig.answers.items():
        where = doc.where(("signatures", index, "answers", qid))
        question = kb.question.get(qid)
        if question is None:
            raise KnowledgeError(unknown_id(kb, qid), where=where)
        try:
            answers[qid] = check_value(question, value)
        except ValueError as exc:
            raise KnowledgeError(f"{qid}: {exc}", where=where) from None
    return sig.model_copy(update={"answers": answers})


def _check_resolve(kb: KnowledgeBase, doc: YamlDoc, qid: str, rule: Resolve) -> None:
    where = doc.where(("resolve", qid))
    question = kb.question.get(qid)
    if question is None:
        raise KnowledgeError(unknown_id(kb, qid), where=where)
    if (rule.policy == "union") != (question.kind == "many"):
        raise KnowledgeError(f"{qid}: policy 'union' is for many-questions only", where=where)
    for value in rule.order:
        try:
            check_value(question, value)
        except ValueError as exc:
            raise KnowledgeError(f"{qid}: order: {exc}", where=where) from None


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One signature seen in one file: the evidence behind a scanned answer."""

    signature: str
    why: str
    file: str
    line: int | None
    detail: str
    minor: bool = False  # an optional extra or dev dependency: weighs like a test file

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_data(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "signature": self.signature,
            "detail": self.detail,
            "why": self.why,
        }


@dataclass
class Inferred:
    id: str
    value: Any
    evidence: list[Finding]  # for an answer from absence: what shows the work it is about
    note: str | None = None
    basis: Literal["seen", "absence"] = "seen"


@dataclass
class ScanResult:
    root: str
    answers: dict[str, Any]
    inferred: list[Inferred]
    not_inferred: dict[str, str]  # question id -> why it was not inferred
    observations: list[Finding]  # seen, but suggests no answer (JAX, ONNX)
    files_seen: int
    skipped: dict[str, int]
    truncated: str | None

    def to_data(self) -> dict[str, Any]:
        return {
            "path": self.root,
            "answers": self.answers,
            "inferred": [
                {
                    "id": i.id,
                    "value": i.value,
                    "basis": i.basis,
                    "note": i.note,
                    "evidence": [f.to_data() for f in i.evidence],
                }
                for i in self.inferred
            ],
            "not_inferred": [{"id": k, "reason": v} for k, v in self.not_inferred.items()],
            "observations": [f.to_data() for f in self.observations],
            "files_seen": self.files_seen,
            "skipped": self.skipped,
            "truncated": self.truncated,
        }


# --- the walk -----------------------------------------------------------------------------------


class _Globs:
    """Shell-style name patterns as one regex each for names and for paths (patterns with a /)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        patterns = list(patterns)
        self.by_name = _union(p for p in patterns if "/" not in p)
        self.by_path = _union(p for p in patterns if "/" in p)

    def match(self, name: str, rel: str) -> bool:
        return bool(
            (self.by_name and self.by_name.match(name))
            or (self.by_path and self.by_path.match(rel))
        )


def _union(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


@dataclass
class _State:
    limits: Limits
    skip: _Globs
    entries: int = 0
    bytes_read: int = 0
    truncated: str | None = None
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Entry:
    rel: str  # path from the root, with /
    path: Path
    is_dir: bool
    size: int

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


def _walk(root: Path, state: _State) -> Iterator[_Entry]:
    """Files and folders under `root` in a stable order; no symlink is followed, none entered."""
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda e: e.name)
        except OSError:
            state.skipped["unreadable folders"] += 1
            continue
        below: list[tuple[Path, str, int]] = []
        for item in items:
            state.entries += 1
            if state.entries > state.limits.max_entries:
                state.truncated = f"stopped after {state.limits.max_entries} files and folders"
                return
            entry = _entry(item, prefix, state)
            if entry is None:
                continue
            if entry.is_dir and _enter(entry, depth, state):
                below.append((entry.path, f"{entry.rel}/", depth + 1))
            yield entry
        stack.extend(reversed(below))


def _entry(item: os.DirEntry[str], prefix: str, state: _State) -> _Entry | None:
    rel = _printable(prefix + item.name)
    try:
        if item.is_symlink():
            state.skipped["symlinks (not followed)"] += 1
            return None
        if item.is_dir(follow_symlinks=False):
            return _Entry(rel, Path(item.path), True, 0)
        if item.is_file(follow_symlinks=False):  # not a FIFO or device: reading those could hang
            return _Entry(rel, Path(item.path), False, item.stat(follow_symlinks=False).st_size)
    except OSError:
        state.skipped["unreadable files"] += 1
    return None


def _enter(entry: _Entry, depth: int, state: _State) -> bool:
    if state.skip.match(entry.name, entry.rel) or (entry.path / "pyvenv.cfg").exists():
        state.skipped["folders not entered (caches, environments, VCS)"] += 1
        return False
    if depth + 1 >= state.limits.max_depth:
        state.skipped[f"folders deeper than {state.limits.max_depth}"] += 1
        return False
    return True


def _printable(text: str) -> str:
    """A file name safe to print and to put in a YAML comment: control characters escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _read(entry: _Entry, state: _State) -> str | None:
    """A file's text, or None (too large, binary, unreadable, or the byte budget is spent)."""
    if entry.size > state.limits.max_text_bytes:
        state.skipped["files too large to read"] += 1
        return None
    if state.truncated or state.bytes_read + entry.size > state.limits.max_total_bytes:
        # the budget is spent: names still match, nothing more is read
        state.truncated = f"stopped reading after {state.limits.max_total_bytes} bytes"
        return None
    try:  # a regular file only (swapped for a FIFO or a link since the walk: refused)
        raw = read_bytes(entry.path, limit=state.limits.max_text_bytes, follow=False)
    except UserError:
        state.skipped["unreadable files"] += 1
        return None
    if b"\0" in raw[:_SNIFF_BYTES]:
        state.skipped["binary files"] += 1
        return None
    state.bytes_read += len(raw)
    return raw.decode("utf-8", errors="replace")


# --- Python: the names code uses ----------------------------------------------------------------

# name -> (first line, how it is used)
Names = dict[str, tuple[int | None, str]]
_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.M
)


def python_names(text: str) -> Names:
    """Modules a file imports and dotted names it uses through them, aliases resolved
    (`import tensorflow as tf; tf.distribute.X` uses `tensorflow.distribute.X`)."""
    try:
        tree = quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _regex_imports(text)  # Python 2, a template, a fragment: imports still tell
    names: Names = {}
    aliases: dict[str, str] = {}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                _add(names, alias.name, node.lineno, f"import {alias.name}")
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported = ", ".join(alias.name for alias in node.names)
            _add(names, node.module, node.lineno, f"from {node.module} import {imported}")
            for alias in node.names:
                if alias.name != "*":
                    full = f"{node.module}.{alias.name}"
                    _add(names, full, node.lineno, f"from {node.module} import {imported}")
                    aliases[alias.asname or alias.name] = full
    _attribute_uses(text, aliases, names)
    return names


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement, nested ones too (imports inside functions, try, if), no expressions."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, name, None) or ())


def _attribute_uses(text: str, aliases: dict[str, str], names: Names) -> None:
    """Dotted names used through imported aliases, found in the text rather than by walking every
    expression of the tree (ten times the cost of parsing); a mention in a string counts too."""
    if not aliases:
        return
    listed = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
    newlines: list[int] | None = None
    for match in re.finditer(rf"(?<![\w.])({listed})((?:\.[A-Za-z_]\w*)+)", text):
        full = aliases[match[1]] + match[2]
        if full in names:
            continue
        if newlines is None:
            newlines = [m.start() for m in re.finditer("\n", text)]
        _add(names, full, bisect.bisect_left(newlines, match.start()) + 1, f"uses {full}")


def _add(names: Names, name: str, line: int | None, how: str) -> None:
    known = names.get(name)
    if known is None or (line is not None and (known[0] is None or line < known[0])):
        names[name] = (line, how)


def _regex_imports(text: str) -> Names:
    names: Names = {}
    for match in _IMPORT_LINE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        listed = [m.split()[0] for m in (match[2] or "").split(",") if m.strip()]
        modules = [match[1]] if match[1] else listed
        for module in modules:
            _add(names, module, line, f"import {module}")
    return names


def notebook_names(text: str) -> Names:
    """The names a Jupyter notebook's code cells use; shell and magic lines are blanked."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return {}
    names: Names = {}
    for number, cell in enumerate(cells if isinstance(cells, list) else [], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        code = "\n".join("" if s.lstrip().startswith(("%", "!")) else s for s in source.split("\n"))
        for name, (line, how) in python_names(code).items():
            _add(names, name, None, f"{how} (cell {number}, line {line})")
    return names


# --- comments: never evidence of use ------------------------------------------------------------

# which files take which comments (file kinds, not signatures: a new kind is a code change)
_HASH_COMMENTS = _Globs(
    ["*.py", "*.sh", "*.yaml", "*.yml", "*.toml", "*.cfg", "*.conf", "*.properties", "*.txt",
     "Dockerfile*", "*.dockerfile", "Makefile", "Podfile", "*.rb", "*.pbtxt"]
)  # fmt: skip
_SLASH_COMMENTS = _Globs(
    ["*.c", "*.cc", "*.cpp", "*.h", "*.hpp", "*.m", "*.mm", "*.java", "*.kt", "*.kts", "*.swift",
     "*.js", "*.jsx", "*.ts", "*.tsx", "*.vue", "*.gradle", "Package.swift"]
)  # fmt: skip
_PROSE = _Globs(["*.md", "*.rst"])  # links are prose here; a <script src=URL> in HTML is a use
_HTML = _Globs(["*.html", "*.htm", "*.vue"])
# a whole-line # comment; shell directives that are comments in form (#SBATCH, #!) stay
_HASH_LINE = re.compile(r"(?m)^[ \t]*#(?!SBATCH|PBS|!).*$")
_SLASH_LINE = re.compile(r"(?m)^[ \t]*//.*$")
_URL = re.compile(r"https?://[^\s)>\]\"']+")
_MARKDOWN_COMMENT = ("<!--", "-->")


def _without_comments(name: str, text: str) -> str:
    """The text with comments, docstrings, licence headers and prose links blanked, every newline
    kept (line numbers stay right): a word in a comment is never evidence that code uses it."""
    if _HASH_COMMENTS.match(name, name):
        text = _HASH_LINE.sub("", text)
    if name.endswith(".py"):
        text = _blank_spans(text, '"""', '"""')
        text = _blank_spans(text, "'''", "'''")
    if _SLASH_COMMENTS.match(name, name):
        text = _blank_spans(_SLASH_LINE.sub("", text), "/*", "*/")
    if _PROSE.match(name, name):
        text = _URL.sub("", text)
    if _PROSE.match(name, name) or _HTML.match(name, name):
        text = _blank_spans(text, *_MARKDOWN_COMMENT)
    return text


def _blank_spans(text: str, start: str, end: str) -> str:
    """`text` with every span from `start` to `end` (an unclosed one: to the end) reduced to its
    newlines; found with str.find, so linear in the text whatever it holds."""
    if start not in text:
        return text
    parts: list[str] = []
    done = 0
    while (opened := text.find(start, done)) >= 0:
        closed = text.find(end, opened + len(start))
        stop = len(text) if closed < 0 else closed + len(end)
        parts += [text[done:opened], "\n" * text.count("\n", opened, stop)]
        done = stop
    parts.append(text[done:])
    return "".join(parts)


# --- matching -----------------------------------------------------------------------------------


class _NameIndex:
    """Patterns -> signatures; exact patterns by dict, wildcard ones by a scan of the few."""

    def __init__(self, pairs: Iterable[tuple[str, Signature]]) -> None:
        self.exact: dict[str, list[Signature]] = defaultdict(list)
        self.wild: list[tuple[str, Signature]] = []
        for pattern, sig in pairs:
            if any(c in pattern for c in "*?["):
                self.wild.append((pattern, sig))
            else:
                self.exact[pattern].append(sig)

    def find(self, name: str) -> list[Signature]:
        found = list(self.exact.get(name, ()))
        found += [sig for pattern, sig in self.wild if fnmatch.fnmatchcase(name, pattern)]
        return found


class _Matcher:
    """knowledge/scan.yaml's signatures indexed by what they match."""

    def __init__(self, config: ScanConfig) -> None:
        sigs = config.signatures
        self.python = _NameIndex((p, s) for s in sigs for p in s.match.python)
        self.packages = _NameIndex((normalise(p), s) for s in sigs for p in s.match.packages)
        self.npm = _NameIndex((p, s) for s in sigs for p in s.match.npm)
        self.files = [(s, _Globs(s.match.files)) for s in sigs if s.match.files]
        self.text = [(s, t, _Globs(t.in_)) for s in sigs for t in s.match.text]
        self.manifests = [(kind, _Globs(globs)) for kind, globs in config.manifests.items()]
        self.findings: dict[tuple[str, str], Finding] = {}

    def add(
        self, sig: Signature, file: str, line: int | None, detail: str, minor: bool = False
    ) -> None:
        key = (sig.id, file)
        known = self.findings.get(key)
        if known is None or (line is not None and (known.line is None or line < known.line)):
            minor = minor and (known is None or known.minor)  # a core use anywhere in the file
            self.findings[key] = Finding(sig.id, sig.why, file, line, _printable(detail), minor)
        elif known.minor and not minor:
            self.findings[key] = replace(known, minor=False)

    def visit(self, entry: _Entry, state: _State) -> None:
        kind = "folder" if entry.is_dir else "file"
        for sig, globs in self.files:
            if globs.match(entry.name, entry.rel):
                self.add(sig, entry.rel, None, f"{kind} {entry.name}")
        if entry.is_dir:
            return
        is_python = entry.name.endswith((".py", ".pyi", ".ipynb"))
        manifest = next((k for k, g in self.manifests if g.match(entry.name, entry.rel)), None)
        texts = [(s, t) for s, t, g in self.text if g.match(entry.name, entry.rel)]
        if not (is_python or manifest or texts):
            return  # nothing to look for in it: never opened
        text = _read(entry, state)
        if text is None:
            return
        if is_python:
            self._python(entry, text)
        if manifest:
            self._manifest(entry, manifest, text)
        code = _without_comments(entry.name, text)
        for sig, text_match in texts:
            found = re.search(text_match.pattern, code)
            if found:
                line = code.count("\n", 0, found.start()) + 1
                self.add(sig, entry.rel, line, f"matches {found[0].strip()[:60]!r}")

    def _python(self, entry: _Entry, text: str) -> None:  # imports: comments never count
        ipynb = entry.name.endswith(".ipynb")
        names = notebook_names(text) if ipynb else python_names(text)
        for name, (line, how) in names.items():
            parts = name.split(".")
            for cut in range(1, len(parts) + 1):  # a pattern matches a name and all under it
                for sig in self.python.find(".".join(parts[:cut])):
                    self.add(sig, entry.rel, line, how)

    def _manifest(self, entry: _Entry, kind: str, text: str) -> None:
        index = self.npm if kind == "npm" else self.packages
        for dep in manifest_deps(kind, text, entry.rel):
            key = dep.name if kind == "npm" else normalise(dep.name)
            how = "optionally depends on" if dep.optional else "depends on"
            for sig in index.find(key):
                self.add(sig, entry.rel, dep.line, f"{how} {dep.spec[:60]}", dep.optional)


# --- from findings to answers -------------------------------------------------------------------


@dataclass
class _Support:
    """The files that suggest one value of one question, with the weight of each."""

    weights: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    major: bool = False  # seen outside the minor paths (tests, examples, benchmarks)
    strong: bool = False  # and by a signature of full weight, not a helper that weighs less

    @property
    def score(self) -> float:
        return sum(self.weights.values())

    @property
    def files(self) -> int:
        return len(self.weights)


def _support(findings: Iterable[Finding], config: ScanConfig) -> dict[str, dict[Any, _Support]]:
    by_id = {s.id: s for s in config.signatures}
    minor = _Globs(config.minor_paths)  # benchmarks, tests, examples: they count for less
    table: dict[str, dict[Any, _Support]] = defaultdict(lambda: defaultdict(_Support))
    for finding in findings:
        sig = by_id[finding.signature]
        weight = sig.weight
        is_minor = finding.minor or minor.match(finding.file.rsplit("/", 1)[-1], finding.file)
        if is_minor:
            weight *= config.minor_weight
        for qid, value in sig.answers.items():
            for one in value if isinstance(value, list) else [value]:
                entry = table[qid][one]
                entry.weights[finding.file] = max(entry.weights.get(finding.file, 0), weight)
                entry.major = entry.major or not is_minor
                entry.strong = entry.strong or (not is_minor and sig.weight >= 1)
                entry.findings.append(finding)
    return table


def _count(support: _Support) -> str:
    return f"{support.files} file{'s' if support.files != 1 else ''}"


def _resolve(
    question: Question, rule: Resolve, options: dict[Any, _Support]
) -> tuple[Any, list[Any], str | None]:
    """(value or None, the values whose evidence backs it, a note or the reason for None)."""
    if rule.policy == "union":
        # a value seen only in tests, examples, benchmarks, or through a helper library that weighs
        # less (OpenCV resizing game frames), is left out beside one the code itself shows
        values = (
            [v for v in options if options[v].strong]
            or [v for v in options if options[v].major]
            or list(options)
        )
        left = [show_value(v) for v in options if v not in values]
        note = (
            f"left out, seen only in tests, examples or helpers: {', '.join(left)}"
            if left
            else None
        )
        return check_value(question, values), values, note
    if rule.policy == "highest":
        value = max(options, key=lambda v: rule.order.index(v) if v in rule.order else -1)
        return value, [value], None
    ranked = sorted(options, key=lambda v: (-options[v].score, -options[v].files, show_value(v)))
    summary = ", ".join(f"{show_value(v)} ({_count(options[v])})" for v in ranked)
    top = ranked[0]
    if len(ranked) == 1:
        return top, [top], None
    dominance = rule.dominance or 1.0
    if options[top].score >= dominance * options[ranked[1]].score:
        return top, [top], f"both appear: {summary}; {show_value(top)} dominates"
    return None, [], f"mixed evidence: {summary}; neither dominates"


def _infer(
    kb: KnowledgeBase, config: ScanConfig, findings: list[Finding]
) -> tuple[list[Inferred], dict[str, str]]:
    inferred: list[Inferred] = []
    undecided: dict[str, str] = {}
    table = _support(findings, config)
    for question in kb.questions:
        options = table.get(question.id)
        if not options:
            continue
        rule = config.resolve.get(question.id) or Resolve(
            policy="union" if question.kind == "many" else "dominant",
            dominance=config.default_dominance,
        )
        value, backing, note = _resolve(question, rule, options)
        if value is None:
            undecided[question.id] = note or "mixed evidence"
            continue
        if not any(options[v].major for v in backing):
            weak = "seen only in tests, examples, benchmarks, docs or optional extras"
            note = f"{weak}; {note}" if note else weak
        evidence = sorted(
            {f for v in backing for f in options[v].findings}, key=lambda f: (f.file, f.line or 0)
        )
        inferred.append(Inferred(question.id, value, evidence, note))
    return inferred + _absent(config, findings, inferred, undecided), undecided


def _absent(
    config: ScanConfig, findings: list[Finding], inferred: list[Inferred], undecided: dict[str, str]
) -> list[Inferred]:
    """Answers from what is missing, each with the findings that show the work it is about."""
    seen: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        seen[finding.signature].append(finding)
    answered = {i.id for i in inferred} | set(undecided)
    out = []
    for rule in config.absent:
        if rule.answer in answered or any(seen.get(s) for s in rule.unless):
            continue
        shown = [next((f for s in group for f in seen.get(s, ())), None) for group in rule.requires]
        if all(shown):
            evidence = [f for f in shown if f is not None]
            note = f"inferred from absence: {rule.why}"
            out.append(Inferred(rule.answer, rule.value, evidence, note, basis="absence"))
            answered.add(rule.answer)
    return out


def _drop_unasked(
    kb: KnowledgeBase, inferred: list[Inferred], reasons: dict[str, str]
) -> list[Inferred]:
    """A question the questionnaire would not ask (media input without a mobile target): out."""
    answers = complete(kb, {i.id: i.value for i in inferred}, origin="scan")
    kept = []
    for item in inferred:
        condition = kb.question[item.id].ask_when
        if condition is not None and not condition.holds(Facts(answers)):
            reasons[item.id] = (
                f"seen ({item.evidence[0].where()}) but only asked when {condition.describe()}"
            )
        else:
            kept.append(item)
    return kept


def scan(
    path: str | Path, *, kb: KnowledgeBase | None = None, config: ScanConfig | None = None
) -> ScanResult:
    """Read the repository at `path` (never importing or running it) and infer what it can."""
    root = _check_root(Path(path))
    if kb is None:
        from fwadvise.advisor.kb import loader as kb_mod

        kb = kb_mod.load()
    config = config or load_config(kb)
    state = _State(config.limits, _Globs(config.skip_dirs))
    matcher = _Matcher(config)
    files_seen = 0
    for entry in _walk(root, state):
        files_seen += not entry.is_dir
        matcher.visit(entry, state)
    findings = sorted(matcher.findings.values(), key=lambda f: (f.file, f.line or 0, f.signature))
    inferred, reasons = _infer(kb, config, findings)
    inferred = _drop_unasked(kb, inferred, reasons)
    by_id = {s.id: s for s in config.signatures}
    inferred_ids = {i.id for i in inferred}
    for question in kb.questions:
        if question.id not in reasons and question.id not in inferred_ids:
            default = show_value(question.default)
            person = config.ask_person.get(question.id)
            reasons[question.id] = (
                f"only you can say: {person}; its default is {default}"
                if person
                else f"nothing in the repository says; its default is {default}"
            )
    return ScanResult(
        root=str(path),
        answers={i.id: i.value for i in inferred},
        inferred=inferred,
        not_inferred={q.id: reasons[q.id] for q in kb.questions if q.id in reasons},
        observations=[f for f in findings if not by_id[f.signature].answers],
        files_seen=files_seen,
        skipped=dict(sorted(state.skipped.items())),
        truncated=state.truncated,
    )


def _check_root(path: Path) -> Path:
    try:
        if not path.is_dir():
            problem = "is not a directory" if path.exists() else "does not exist"
            raise UserError(f"{problem}; give the folder of a repository to scan", where=str(path))
        with os.scandir(path):
            pass
    except PermissionError:
        raise UserError("cannot read this folder: permission denied", where=str(path)) from None
    except OSError as exc:
        problem = exc.strerror or str(exc)
        raise UserError(f"cannot read this folder: {problem}", where=str(path)) from None
    return path


# --- the draft answers file ---------------------------------------------------------------------


def draft_yaml(result: ScanResult, shown: int = 5) -> str:
    """The answers as a YAML answers file, comments above each naming its evidence."""
    lines = [
        f"{DRAFT_MARKER}: written by `fwadvise scan {_printable(result.root)}`",
        "# Inferred from the repository's files; review before use:",
        "#   fwadvise recommend --answers THIS_FILE",
    ]
    for item in result.inferred:
        lines += ["", "# because:" if item.basis == "seen" else "# inferred from absence; context:"]
        lines += [f"#   {f.where()}  {f.detail}" for f in item.evidence[:shown]]
        if len(item.evidence) > shown:
            lines.append(f"#   and {len(item.evidence) - shown} more")
        if item.note:
            lines.append(f"# note: {item.note}")
        flow = None if isinstance(item.value, list) else False  # lists inline: [a, b]
        dumped = yaml.safe_dump({item.id: item.value}, default_flow_style=flow, sort_keys=False)
        lines.append(dumped.rstrip("\n"))
    if result.not_inferred:
        lines += ["", "# not inferred (their defaults apply; add them here if you know them):"]
        lines += [f"#   {qid}: {why}" for qid, why in result.not_inferred.items()]
    return "\n".join(lines) + "\n"
