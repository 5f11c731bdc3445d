"""The package as users install it: one import name, the knowledge shipped, runnable anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import fwadvise

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("pip could not fetch setuptools to build the wheel (no network?)")
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("fwadvise-*.whl")
    yield found


def test_the_wheel_holds_one_top_level_name_and_the_knowledge(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "fwadvise",
        f"fwadvise-{fwadvise.__version__}.dist-info",
    }
    for shipped in (
        "fwadvise/__main__.py",
        "fwadvise/py.typed",
        "fwadvise/advisor/api.py",
        "fwadvise/knowledge/rules.yaml",
        "fwadvise/knowledge/install.yaml",
        "fwadvise/knowledge/scan.yaml",
        "fwadvise/probes/worker.py",
    ):
        assert shipped in names
    assert not [n for n in names if n.startswith(("fwadvise/tests/", "fwadvise/scripts/"))]


def test_the_installed_wheel_runs_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-t", str(target), str(wheel)],
        check=True,
        timeout=120,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import fwadvise; print(fwadvise.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(target))  # the wheel's copy, not the checkout
    done = subprocess.run(
        [sys.executable, "-m", "fwadvise", "--profile", "researcher"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "PyTorch" in done.stdout


def test_version_names_the_knowledge_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fwadvise", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith(f"fwadvise {fwadvise.__version__} (knowledge base reviewed 20")


def test_python_m_does_not_import_the_working_folder(tmp_path: Path) -> None:
    """`python -m fwadvise` in a repository with a `typer.py` must not run it."""
    (tmp_path / "typer.py").write_text(
        "from pathlib import Path\nPath(__file__).with_name('RAN').write_text('x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "fwadvise", "--profile", "researcher", "-f", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "RAN").exists()
