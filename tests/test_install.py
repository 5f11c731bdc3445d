"""Install advice: knowledge/install.yaml is valid and complete, and the choice follows the
answers and, where given, the measured machine (OS, NVIDIA driver)."""

from __future__ import annotations

import datetime as dt
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

CHECKED = {"2026-11-22", "2026-11-28"}  # the days the entries were checked against their sources


@pytest.fixture(scope="module")
def table() -> install.Table:
    return install.load(KNOWLEDGE_DIR)


def nvidia(driver: str, os_name: str = "linux", label: str = "gpu-node") -> install.Target:
    facts = {"hardware.nvidia_gpus": 1, "hardware.os": os_name, "hardware.nvidia_driver": driver}
    return install.target_of("nvidia_gpu", facts, label)


# ---- the data -------------------------------------------------------------------------------


def test_shipped_table_is_valid_and_lint_clean(table: install.Table) -> None:
    assert install.lint(table) == []
    dated = [*table.commands, *table.python_ranges, *table.end_of_life, *table.gpu_limits]
    assert {e.checked for e in dated} <= CHECKED
    assert all(e.source.startswith("https://") for e in table.commands)
    # nothing dated after the day it was checked, except what is marked planned
    assert all(g.date <= g.checked for g in table.gpu_limits)
    assert all(r.date <= r.checked for r in table.python_ranges if r.status == "stable")


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
    for cuda in ("12.6", "13.0", "13.2"):
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


def test_driver_of_the_cuda_13_family_gets_the_newest_stable_cu132(table: install.Table) -> None:
    for driver in ("580.65.06", "595.45.04"):
        assert install.choose(table, "pytorch", nvidia(driver))["command"].endswith("/whl/cu132")


def test_an_experimental_build_is_never_chosen(table: install.Table) -> None:
    newest = max((e for e in table.commands if e.cuda), key=lambda e: e.cuda_key)
    trial = newest._replace(cuda="13.4", default=False, experimental=True, command="x/whl/cu134")
    item = install.choose(
        table._replace(commands=(*table.commands, trial)), "pytorch", nvidia("595")
    )
    assert item["command"].endswith("/whl/cu132")


def test_too_old_a_driver_says_update_it(table: install.Table) -> None:
    item = install.choose(table, "pytorch", nvidia("470.82.01"))
    assert item["command"].endswith("/whl/cu126")
    assert "Update the NVIDIA driver first" in item["note"]
    assert "too old" in item["hardware"]


def test_unknown_driver_gets_the_default_build(table: install.Table) -> None:
    item = install.choose(table, "pytorch", install.target_of("nvidia_gpu", {}, None))
    assert item["command"].endswith("/whl/cu132")  # the default build since PyTorch 2.14
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
    assert "download.pytorch.org/whl/cu132" in block
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


# ---- Python ranges and GPU limits -----------------------------------------------------------


def test_python_outside_the_range_warns_with_range_and_source(table: install.Table) -> None:
    cpu = install.target_of("cpu_only", {}, None)
    item = install.choose(table, "tensorflow", cpu, python=(3, 14))
    tf = next(
        r for r in table.python_ranges if r.framework == "tensorflow" and r.status == "stable"
    )
    warning = f"this Python (3.14) is outside TensorFlow {tf.version}'s range, Python 3.10-3.13"
    assert warning in item["note"] and tf.source in item["note"]
    assert "outside" not in install.choose(table, "tensorflow", cpu, python=(3, 12))["note"]
    old = install.choose(table, "pytorch", cpu, python=(3, 9))["note"]
    assert "outside PyTorch 2.14's range, Python 3.10-3.14" in old


def test_a_planned_release_and_an_ended_python_are_said_as_such(table: install.Table) -> None:
    cpu = install.target_of("cpu_only", {}, None)
    before = install.choose(table, "pytorch", cpu, python=(3, 10), today=dt.date(2026, 10, 30))
    after = install.choose(table, "pytorch", cpu, python=(3, 10), today=dt.date(2026, 11, 28))
    assert "PyTorch 2.15 (planned for 2026-10-28; not confirmed released" in after["note"]
    assert "needs Python 3.11 or newer" in after["note"]
    assert "end of life on 2026-10-31" in after["note"]
    assert "end of life" not in before["note"]  # not yet, as of that day
    current = install.choose(table, "pytorch", cpu, python=(3, 12))["note"]
    assert "2.15" not in current and "end of life" not in current


def test_default_cuda_build_names_the_pre_turing_limit(table: install.Table) -> None:
    item = install.choose(table, "pytorch", install.target_of("nvidia_gpu", {}, None))
    assert "compute capability 7.5 or newer" in item["note"]
    assert "older GPUs need the CUDA 12.6 build (Maxwell, Pascal, Volta" in item["note"]
    assert "last available: PyTorch 2.14" in item["note"]
    assert "https://github.com/pytorch/pytorch/issues/190385" in item["note"]


def test_a_measured_pre_turing_gpu_gets_cu126_even_with_a_new_driver(table: install.Table) -> None:
    facts = {
        "hardware.nvidia_gpus": 1,
        "hardware.os": "linux",
        "hardware.nvidia_driver": "580.65.06",
        "hardware.compute_capability": "6.1",  # Pascal
    }
    item = install.choose(table, "pytorch", install.target_of("nvidia_gpu", facts, "old-rig"))
    assert item["command"].endswith("/whl/cu126")
    assert "Last available: PyTorch 2.14" in item["note"]
    assert "This GPU (compute capability 6.1) is below 7.5" in item["note"]
    ampere = install.target_of("nvidia_gpu", {**facts, "hardware.compute_capability": "8.6"}, "a")
    assert install.choose(table, "pytorch", ampere)["command"].endswith("/whl/cu132")


def test_evidence_passes_the_compute_capability_to_the_advice() -> None:
    document = {
        "label": "rig",
        "hardware": {
            "gpus": [
                {
                    "vendor": "nvidia",
                    "name": "GTX 1080",
                    "driver": "580.65.06",
                    "compute_capability": "6.1",
                }
            ],
            "os": {"system": "Linux"},
        },
        "frameworks": {},
    }
    assert install.for_machine("pytorch", document)["command"].endswith("/whl/cu126")


def test_lint_catches_inconsistent_python_ranges_and_gpu_limits(table: install.Table) -> None:
    stable = next(r for r in table.python_ranges if r.framework == "pytorch")
    limit = table.gpu_limits[0]
    broken = table._replace(
        python_ranges=(*table.python_ranges, stable),
        gpu_limits=(*table.gpu_limits, limit._replace(cuda="11.8")),
    )
    problems = install.lint(broken)
    assert any("pytorch needs exactly one `status: stable`" in p for p in problems)
    assert any("pytorch 2.14 is listed twice" in p for p in problems)
    assert any("no pytorch command with cuda 11.8" in p for p in problems)


def test_a_python_range_upside_down_is_an_error_at_file_and_line(tmp_path: Path) -> None:
    text = (KNOWLEDGE_DIR / "install.yaml").read_text()
    (tmp_path / "install.yaml").write_text(text.replace('python_max: "3.13"', 'python_max: "3.9"'))
    with pytest.raises(KnowledgeError, match=r"install\.yaml:\d+: python_ranges\.\d+: .*above"):
        install.load(tmp_path)


def test_a_lint_problem_names_the_line_of_its_item(tmp_path: Path) -> None:
    text = (KNOWLEDGE_DIR / "install.yaml").read_text()
    (tmp_path / "install.yaml").write_text(
        text.replace('cuda: "13.0"\n    min_compute', 'cuda: "11.8"\n    min_compute')
    )
    line = text[: text.index('cuda: "13.0"\n    min_compute')].count("\n") + 1
    with pytest.raises(KnowledgeError) as error:
        install.load(tmp_path)
    assert f"install.yaml:{line - 1}: gpu_limits[1]: no pytorch command with cuda 11.8" in str(
        error.value
    )
