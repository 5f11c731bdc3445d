"""How the package is built: imports flow one way, and the library works without the command line.

The import graph is read from the source with `ast` (imports inside functions count too; only
those under `if TYPE_CHECKING:` do not, since they never run).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("advisor", "cli", "knowledge", "probes")


def module_name(path: Path) -> str:
    parts = ["fwadvise", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_files() -> dict[str, Path]:
    files = [ROOT / "__init__.py", ROOT / "__main__.py"]
    for room in ROOMS:
        files += sorted((ROOT / room).rglob("*.py"))
    return {module_name(f): f for f in files}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(tree: ast.AST, modules: set[str]) -> set[str]:
    """The fwadvise modules a file imports (a package when the name is not a module)."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            continue
        stack.extend(ast.iter_child_nodes(node))
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            if name in modules:
                found.add(name)
    # `from fwadvise.advisor.kb import loader` names both the package and the module: keep the
    # module (a package's __init__ is always light here and imports nothing of its own)
    return {m for m in found if not any(o.startswith(m + ".") for o in found)}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = package_files()
    return {
        name: imported(ast.parse(path.read_text(encoding="utf-8")), set(files)) - {name}
        for name, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_is_read_and_a_cycle_would_be_found(graph: dict[str, set[str]]) -> None:
    assert "fwadvise.advisor.reasoning.scoring" in graph["fwadvise.advisor.reasoning.engine"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert find_cycle(graph) is None


def test_imports_flow_one_way(graph: dict[str, set[str]]) -> None:
    """advisor/ knows nothing of the command line; probes/ nothing of the advice (it only shares
    advisor's file writing); the knowledge folder is data."""
    for module, uses in graph.items():
        if module.startswith("fwadvise.advisor"):
            assert not [u for u in uses if u.startswith("fwadvise.cli")], module
        if module.startswith("fwadvise.probes"):
            assert {u for u in uses if u.startswith("fwadvise.advisor")} <= {
                "fwadvise.advisor.files"
            }, module
        if module.startswith("fwadvise.knowledge"):
            assert not uses, module
    # reading the knowledge base needs no reasoning, report or scan (its lint checks every file
    # of knowledge/, install.yaml and scan.yaml too, through their own loaders)
    for module, uses in graph.items():
        if module.startswith("fwadvise.advisor.kb") and module != "fwadvise.advisor.kb.lint":
            later = ("reasoning", "reports", "scan", "install", "api")
            assert not [u for u in uses if set(u.split(".")[2:3]) & set(later)], module


LIBRARY_USE = """
import json, sys
import fwadvise
advice = fwadvise.advise({"role": "researcher"}, overrides=["use_cases=nlp"], as_of="2026-11-01")
data = fwadvise.to_dict(advice)
try:
    fwadvise.advise({"role": "astronaut"})
    bad = None
except fwadvise.UserError as exc:
    bad = str(exc)
scanned = fwadvise.scan_repository(".")
print(json.dumps({
    "scanned": sorted(item.id for item in scanned.inferred),
    "verdict": advice.verdict,
    "confidence": advice.confidence,
    "dict_verdict": data["verdict"],
    "answers": data["answers"],
    "json_is_dict": json.loads(fwadvise.to_json(advice)) == data,
    "markdown": fwadvise.to_markdown(advice)[:2000],
    "html": fwadvise.to_html(advice)[:200],
    "text": fwadvise.to_text(advice),
    "bad": bad,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "tensorflow", "typer")
                     or m.startswith("fwadvise.cli")),
}))
"""


def test_the_library_advises_without_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LIBRARY_USE], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["loaded"] == []  # neither the CLI (nor typer) nor a framework
    assert got["verdict"] == got["dict_verdict"] == "pytorch"
    assert got["answers"]["use_cases"] == ["nlp"] and got["answers"]["role"] == "researcher"
    assert 0 < got["confidence"] <= 1
    assert got["json_is_dict"]
    assert got["scanned"]  # this checkout is a Python project: something is inferred
    assert "PyTorch" in got["markdown"] and got["html"].lstrip().lower().startswith("<!doctype")
    assert all(len(line) <= 80 for line in got["text"].splitlines())
    assert "astronaut" in got["bad"] and "researcher" in got["bad"]  # names the valid values
