"""Install advice: knowledge/install.yaml is valid and complete, and the choice follows the
answers and, where given, the measured machine (OS, NVIDIA driver)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from fwadvise.advisor.errors import KnowledgeError
from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.install import advice as install
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning.engine import recommend
from fwadvise.advisor.reports.summary import to_dict
from fwadvise.advisor.reports.text import WIDTH, command_lines, plain
from fwadvise.knowledge import KNOWLEDGE_DIR
from tests.test_cli import run

TODAY_CHECK = "2026-11-22"


@pytest.fixture(scope="module")
def table() -> install.Table:
    return install.load(KNOWLEDGE_DIR)


def nvidia(driver: str, os_name: str = "linux", label: str = "gpu-node") -> install.Target:
    facts = {"hardware.nvidia_gpus": 1, "hardware.os": os_name, "hardware.nvidia_driver": driver}
    return install.target_of("nvidia_gpu", facts, label)


# ---- the data -------------------------------------------------------------------------------


def test_shipped_table_is_valid_and_lint_clean(table: install.Table) -> None:
    assert install.lint(table) == []
    assert {e.checked for e in table.commands} == {TODAY_CHECK}
    assert all(e.source.startswith("https://") for e in table.commands)


def test_every_framework_platform_and_os_has_an_entry(table: install.Table) -> None:
    for framework in ("pytorch", "tensorflow"):
        for platform, oses in install.PLATFORM_OSES.items():
            for os_name in oses:
                assert install._entries(table, framework, platform, os_name), (
                    framework,
                    platform,
                    os_name,
                )


def test_pytorch_index_urls_follow_the_selector(table: install.Table) -> None:
    by = {(e.framework, e.platform, e.cuda): e.command for e in table.commands if e.command}
    assert by[("pytorch", "cpu", None)].endswith("--index-url https://download.pytorch.org/whl/cpu")
    assert re.search(r"/whl/rocm\d+\.\d+$", by[("pytorch", "rocm", None)])
    assert "index-url" not in by[("pytorch", "apple", None)]  # MPS is in the default wheels
    for cuda in ("12.6", "13.0"):
        assert by[("pytorch", "cuda", cuda)].endswith("/whl/cu" + cuda.replace(".", ""))


def test_lint_catches_gaps_and_inconsistent_cuda(table: install.Table) -> None:
    commands = [e for e in table.commands if (e.framework, e.platform) != ("tensorflow", "tpu")]
    wrong = table.commands[0]._replace(
        platform="cuda",
        cuda="12.8",
        default=True,  # a second default for PyTorch on CUDA
        command="pip3 install torch --index-url https://download.pytorch.org/whl/cu126",
    )
    problems = install.lint(table._replace(commands=(*commands, wrong)))
    assert any("no entry for tensorflow on tpu/linux" in p for p in problems)
    assert any("index cu126 does not match CUDA 12.8" in p for p in problems)
    assert any("exactly one `default: true`" in p for p in problems)


def test_a_broken_table_is_a_knowledge_error_at_file_and_line(tmp_path: Path) -> None:
    shutil.copy(KNOWLEDGE_DIR / "install.yaml", tmp_path / "install.yaml")
    text = (tmp_path / "install.yaml").read_text()
    (tmp_path / "install.yaml").write_text(text.replace("platform: tpu", "platform: tpv", 1))
    with pytest.raises(KnowledgeError, match=r"install\.yaml:\d+: commands\.\d+\.platform"):
        install.load(tmp_path)


# ---- the choice -----------------------------------------------------------------------------


def test_driver_of_the_cuda_12_family_gets_the_cu126_index(table: install.Table) -> None:
    item = install.choose(table, "pytorch", nvidia("550.54.15"))
    assert item["command"].endswith("https://download.pytorch.org/whl/cu126")
    assert item["hardware"] == "NVIDIA GPU, Linux, driver 550.54.15 (CUDA 12): detected on gpu-node"


def test_cuda_version_recorded_for_the_driver_is_used(table: install.Table) -> None:
    facts = {"hardware.nvidia_gpus": 1, "hardware.os": "linux", "hardware.cuda_driver": "12.4"}
    item = install.choose(table, "pytorch", install.target_of("nvidia_gpu", facts, "box"))
    assert item["command"].endswith("/whl/cu126") and "CUDA 12.4" in item["hardware"]


def test_driver_of_the_cuda_13_family_gets_cu130_never_the_experimental(
    table: install.Table,
) -> None:
    for driver in ("580.65.06", "595.45.04"):
        assert install.choose(table, "pytorch", nvidia(driver))["command"].endswith("/whl/cu130")


def test_too_old_a_driver_says_update_it(table: install.Table) -> None:
    item = install.choose(table, "pytorch", nvidia("470.82.01"))
    assert item["command"].endswith("/whl/cu126")
    assert "Update the NVIDIA driver first" in item["note"]
    assert "too old" in item["hardware"]


def test_unknown_driver_gets_the_default_build(table: install.Table) -> None:
    item = install.choose(table, "pytorch", install.target_of("nvidia_gpu", {}, None))
    assert item["command"].endswith("/whl/cu130")
    assert item["hardware"] == "NVIDIA GPU, Linux or Windows assumed (from the answers)"


def test_tensorflow_gpu_on_native_windows_is_unsupported_and_says_so(
    table: install.Table,
) -> None:
    item = install.choose(table, "tensorflow", nvidia("550.54.15", os_name="windows"))
    assert item["command"] is None
    assert "2.11" in item["note"] and "WSL2" in item["note"]


def test_apple_silicon_has_no_index_url(table: install.Table) -> None:
    for framework in ("pytorch", "tensorflow"):
        item = install.choose(table, framework, install.target_of("apple_silicon", {}, None))
        assert item["command"] and "index-url" not in item["command"]
    tf = install.choose(table, "tensorflow", install.target_of("apple_silicon", {}, None))
    assert "no official GPU support" in tf["note"]


def test_tensorflow_cuda_and_cpu_commands(table: install.Table) -> None:
    cuda = install.choose(table, "tensorflow", nvidia("550.54.15"))
    assert cuda["command"] == "python3 -m pip install 'tensorflow[and-cuda]'"
    cpu = install.choose(table, "tensorflow", install.target_of("cpu_only", {}, None))
    assert cpu["command"] == "python3 -m pip install tensorflow-cpu"


def test_answer_wins_over_a_machine_without_that_hardware(table: install.Table) -> None:
    target = install.target_of("nvidia_gpu", {"hardware.os": "windows"}, "laptop")
    assert target.os is None and target.driver is None
    item = install.choose(table, "pytorch", target)
    assert item["hardware"].endswith("(from the answers; no NVIDIA GPU on laptop)")


def test_a_mac_gets_the_macos_wheels_even_for_cpu_only(table: install.Table) -> None:
    target = install.target_of("cpu_only", {"hardware.os": "macos"}, "mac")
    assert install.choose(table, "pytorch", target)["command"] == "pip3 install torch torchvision"


def test_probe_side_reads_the_machine_itself() -> None:
    document = {
        "label": "rig",
        "hardware": {
            "gpus": [{"vendor": "nvidia", "name": "RTX", "driver": "560.35.03"}],
            "os": {"system": "Linux"},
        },
        "frameworks": {},
    }
    item = install.for_machine("pytorch", document)
    assert item["command"].endswith("/whl/cu126") and "detected on rig" in item["hardware"]


# ---- in the recommendation ------------------------------------------------------------------


def test_one_entry_for_the_verdict_both_for_either(kb: KnowledgeBase) -> None:
    rec = recommend(kb, resolve(kb, profile="researcher"))
    assert [i["framework"] for i in to_dict(rec, kb)["install"]] == [rec.verdict]
    either = rec._replace(verdict="either")
    assert [i["framework"] for i in to_dict(either, kb)["install"]] == ["pytorch", "tensorflow"]
    keys = {"framework", "hardware", "command", "note", "source", "checked"}
    assert keys <= set(to_dict(rec, kb)["install"][0])


def test_text_output_shows_the_command_within_80_columns(kb: KnowledgeBase) -> None:
    rec = recommend(kb, resolve(kb, profile="researcher", overrides=["accelerator=nvidia_gpu"]))
    text = plain(rec, kb)
    assert "Install PyTorch" in text
    block = text[text.index("Install PyTorch") :].split("\n\n")[0]
    assert "download.pytorch.org/whl/cu130" in block
    assert max(len(line) for line in block.splitlines()) <= WIDTH


def test_long_commands_wrap_with_continuations_except_on_windows() -> None:
    command = "pip3 install torch torchvision --index-url https://download.pytorch.org/whl/cu126"
    lines = command_lines(command, None)
    assert len(lines) == 2 and lines[0].endswith(" \\") and max(map(len, lines)) <= WIDTH
    joined = " ".join(line.strip().removesuffix("\\").strip() for line in lines)
    assert joined == command
    assert command_lines(command, "windows") == ["    " + command]


def test_cli_json_with_evidence_names_the_machine(tmp_path: Path) -> None:
    from tests.test_evidence_advice import document

    doc = document()
    doc["hardware"]["gpus"] = [{"vendor": "nvidia", "name": "A100", "driver": "550.54.15"}]
    doc["hardware"]["os"] = {"system": "Linux"}
    path = tmp_path / "gpu.json"
    path.write_text(json.dumps(doc))
    done = run(
        "--profile",
        "researcher",
        "--set",
        "accelerator=nvidia_gpu",
        "--evidence",
        str(path),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)["install"][0]
    assert item["command"].endswith("/whl/cu126")
    assert item["hardware"].endswith("detected on laptop")


def test_probe_shows_how_to_install_a_framework_that_did_not_run() -> None:
    import io

    from rich.console import Console

    from fwadvise.cli.probe_cmd import _show

    evidence = {
        "hardware": {"cpu": {"model": "test"}, "gpus": [], "os": {"system": "Linux"}},
        "frameworks": {
            "pytorch": {"available": True, "version": "2.13.0", "device": "cpu"},
            "tensorflow": {"available": False, "reason": "tensorflow cannot be imported"},
        },
        "results": [],
    }
    out = io.StringIO()
    _show(Console(file=out, width=200, highlight=False), evidence)
    text = out.getvalue()
    assert "tensorflow: tensorflow cannot be imported" in text
    assert (
        "to install tensorflow (CPU only, Linux: detected on this machine): python3 -m pip install tensorflow-cpu"
        in text
    )
