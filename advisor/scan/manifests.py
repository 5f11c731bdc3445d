"""Dependency manifests, read as text: which packages a repository declares, and on which line.

Each parser takes a file's text and yields a Dep: the name as written, its line, the
requirement's text, and whether it is optional (an extra, a dev or dependency group): those weigh
less when findings disagree.
Nothing is installed, resolved or run; setup.py is read through its syntax tree.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Iterator
from typing import NamedTuple

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.kb.yamlio import parse

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Dep(NamedTuple):
    name: str  # as written
    line: int | None
    spec: str  # the requirement's text
    optional: bool = False  # an extra, a dev or dependency group: not what the project needs


def quiet_parse(text: str) -> ast.Module:
    """The syntax tree of scanned Python, its own warnings (invalid escapes in old code) kept
    off the user's terminal: they are about the scanned code, not about fwadvise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _requirement(text: str, line: int | None, optional: bool = False) -> Dep | None:
    match = _NAME.match(text.strip())
    return Dep(match[0], line, text.strip(), optional) if match else None


def requirements_deps(text: str) -> Iterator[Dep]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*", "", raw).strip()
        if line and not line.startswith("-"):  # -r, -e, --index-url: not a package name
            dep = _requirement(line, number)
            if dep:
                yield dep


_TOML_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_TOML_COMMENT = re.compile(r"(\"[^\"]*\"|'[^']*')|#.*")
_TOML_KEY = re.compile(r"^[\"']?([A-Za-z0-9_.-]+)[\"']?\s*=\s*(.*)$")
_POETRY_TABLE = re.compile(r"^tool\.poetry(\.group\.[^.]+)?\.(dev-)?dependencies$")


def _optional_table(table: str, key: str) -> bool:
    """Extras, dependency groups, dev dependencies (PEP 621, PEP 735, Poetry, uv, Pipfile)."""
    return (
        table in ("project.optional-dependencies", "dependency-groups", "dev-packages")
        or ".group." in table
        or "dev" in table.rsplit(".", 1)[-1]
        or key == "dev-dependencies"
    )


def _key_names_table(table: str) -> bool:
    """Tables whose keys are package names: Poetry's and Pipfile's."""
    return table in ("packages", "dev-packages") or bool(_POETRY_TABLE.match(table))


def _array_of_requirements(table: str, key: str) -> bool:
    if table in ("project.optional-dependencies", "dependency-groups"):
        return True
    return (table, key) in (("project", "dependencies"), ("tool.uv", "dev-dependencies")) or (
        table.startswith("tool.pdm") and "dependencies" in key
    )


def toml_deps(text: str) -> Iterator[Dep]:
    """pyproject.toml and Pipfile, read line by line (tomllib keeps no line numbers)."""
    table, in_array, optional = "", False, False
    for number, raw in enumerate(text.splitlines(), 1):
        line = _TOML_COMMENT.sub(lambda m: m[1] or "", raw).strip()
        if in_array:
            yield from _strings(line, number, optional)
            in_array = "]" not in _TOML_STRING.sub("", line)
            continue
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?$", line)
        if header:
            table = header[1].replace('"', "").replace("'", "")
            continue
        pair = _TOML_KEY.match(line)
        if not pair:
            continue
        key, value = pair[1], pair[2]
        optional = _optional_table(table, key)
        if _key_names_table(table):
            yield Dep(key, number, line, optional)
        elif _array_of_requirements(table, key) and value.startswith("["):
            yield from _strings(value, number, optional)
            in_array = "]" not in _TOML_STRING.sub("", value)


def _strings(line: str, number: int, optional: bool) -> Iterator[Dep]:
    for match in _TOML_STRING.finditer(line):
        dep = _requirement(match[1] if match[1] is not None else match[2], number, optional)
        if dep:
            yield dep


def lock_deps(text: str) -> Iterator[Dep]:
    """poetry.lock, uv.lock, pdm.lock: the `name` of each [[package]]."""
    in_package = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            in_package = line == "[[package]]"
        elif in_package:
            found = re.match(r"^name\s*=\s*[\"']([^\"']+)[\"']", line)
            if found:
                yield Dep(found[1], number, line)
                in_package = False


def setup_cfg_deps(text: str) -> Iterator[Dep]:
    """[options] install_requires and [options.extras_require] of a setup.cfg."""
    section, collecting = "", False
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.split(r"\s[#;]|^[#;]", raw, maxsplit=1)[0].rstrip()
        if not line.strip():
            continue
        if not raw[0].isspace():
            collecting = False
            if line.startswith("["):
                section = line.strip("[] ")
                continue
            key, sep, value = line.partition("=")
            wanted = section == "options.extras_require" or (
                section == "options" and key.strip() == "install_requires"
            )
            if not (sep and wanted):
                continue
            collecting, line = True, value
        if collecting and line.strip():
            dep = _requirement(line, number, section == "options.extras_require")
            if dep:
                yield dep


def setup_py_deps(text: str) -> Iterator[Dep]:
    """install_requires / extras_require of setup(...), read from the syntax tree (never run)."""
    try:
        tree = quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    assigned = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_setup(node.func)):
            continue
        for keyword in node.keywords:
            if keyword.arg not in ("install_requires", "extras_require"):
                continue
            value = keyword.value
            if isinstance(value, ast.Name):
                value = assigned.get(value.id, value)
            extra = keyword.arg == "extras_require"
            for const in ast.walk(value):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    dep = _requirement(const.value, const.lineno, extra)
                    if dep:
                        yield dep


def _is_setup(func: ast.expr) -> bool:
    """`setup(...)` or `setuptools.setup(...)`."""
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "setup"


def _json_key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        found = re.match(r'^\s*"([^"]+)"\s*:', raw)
        if found:
            lines.setdefault(found[1], number)
    return lines


def _json_deps(text: str, sections: tuple[str, ...], core: str) -> Iterator[Dep]:
    """The dependencies of each section; all but `core` are optional."""
    try:
        data = json.loads(text)
    except ValueError:
        return
    if not isinstance(data, dict):
        return
    lines = _json_key_lines(text)
    for section in sections:
        deps = data.get(section)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                spec_text = f"{name} {spec}"[:80]
                yield Dep(str(name), lines.get(str(name)), spec_text, section != core)


def npm_deps(text: str) -> Iterator[Dep]:
    sections = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
    return _json_deps(text, sections, "dependencies")


def pipfile_lock_deps(text: str) -> Iterator[Dep]:
    return _json_deps(text, ("default", "develop"), "default")


def conda_deps(text: str, name: str) -> Iterator[Dep]:
    """environment.yml: conda specs (channel::name=version) and the pip list inside."""
    try:
        doc = parse(text, name)
    except UserError:
        return
    deps = doc.data.get("dependencies") if isinstance(doc.data, dict) else None
    for i, item in enumerate(deps if isinstance(deps, list) else []):
        if isinstance(item, str):
            dep = _requirement(item.split("::")[-1], doc.line(("dependencies", i)))
            if dep:
                yield dep
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            for j, spec in enumerate(item["pip"]):
                if isinstance(spec, str) and not spec.startswith("-"):
                    dep = _requirement(spec, doc.line(("dependencies", i, "pip", j)))
                    if dep:
                        yield dep


def manifest_deps(kind: str, text: str, name: str) -> Iterator[Dep]:
    if kind == "requirements":
        return requirements_deps(text)
    if kind in ("pyproject", "pipfile"):
        return toml_deps(text)
    if kind == "toml_lock":
        return lock_deps(text)
    if kind == "setup_cfg":
        return setup_cfg_deps(text)
    if kind == "setup_py":
        return setup_py_deps(text)
    if kind == "pipfile_lock":
        return pipfile_lock_deps(text)
    if kind == "conda":
        return conda_deps(text, name)
    return npm_deps(text)


def normalise(name: str) -> str:
    """A Python package name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()
