"""Detection without frameworks, and each framework's view with its answers faked at the boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fwadvise.probes import detect
from fwadvise.probes.views import resolve_device, tf_view, torch_view

X86 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile amx_bf16 foo
processor\t: 1
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512_bf16 amx_tile amx_bf16 foo
"""
ARM = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes sve bf16 i8mm
CPU implementer\t: 0x41
"""


def test_parse_cpuinfo_x86() -> None:
    cpu = detect.parse_cpuinfo(X86)
    assert cpu["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert cpu["logical_cores"] == 2
    assert cpu["physical_cores"] == 1  # two hyper-threads of one core
    assert "amx_bf16" in cpu["flags"] and "avx512f" in cpu["flags"]
    assert "foo" not in cpu["flags"] and "fpu" not in cpu["flags"]


def test_parse_cpuinfo_arm() -> None:
    cpu = detect.parse_cpuinfo(ARM)
    assert cpu["vendor"] == "0x41"
    assert {"asimd", "sve", "bf16", "i8mm"} <= set(cpu["flags"])


def test_detect_cpu_derives_isa_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "_read", lambda path: X86 if path.name == "cpuinfo" else "")
    cpu = detect.detect_cpu()
    assert cpu["isa"]["avx512"] and cpu["isa"]["amx"] and cpu["isa"]["avx2"]
    assert cpu["bf16"]


def test_parse_meminfo() -> None:
    assert detect.parse_meminfo("MemTotal:       24576000 kB\nMemFree: 1 kB\n") == 23.4
    assert detect.parse_meminfo("nothing") is None


class FakeNVML:
    def __init__(self, fail_init: bool = False) -> None:
        self.fail_init = fail_init
        self.shut = False

    def nvmlInit(self) -> None:
        if self.fail_init:
            raise RuntimeError("Driver Not Loaded")

    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlSystemGetDriverVersion(self) -> bytes:
        return b"550.54"

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> str:
        return "NVIDIA H100 80GB HBM3"

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        return SimpleNamespace(total=80 * 1024**3)

    def nvmlDeviceGetCudaComputeCapability(self, handle: int) -> tuple[int, int]:
        return (9, 0)


def test_detect_nvidia_through_nvml() -> None:
    nvml = FakeNVML()
    gpus, note = detect.detect_nvidia(nvml)
    assert note is None
    assert [g["index"] for g in gpus] == [0, 1]
    assert gpus[0] == {
        "index": 0,
        "vendor": "nvidia",
        "name": "NVIDIA H100 80GB HBM3",
        "memory_gb": 80.0,
        "compute_capability": "9.0",
        "driver": "550.54",
    }
    assert nvml.shut


def test_detect_nvidia_without_a_driver_says_why() -> None:
    gpus, note = detect.detect_nvidia(FakeNVML(fail_init=True))
    assert gpus == [] and "Driver Not Loaded" in (note or "")


def test_detect_tpu(tmp_path: Path) -> None:
    assert detect.detect_tpu({}, tmp_path) is None
    assert detect.detect_tpu({"COLAB_TPU_ADDR": "10.0.0.2:8470"}, tmp_path) == {
        "source": "COLAB_TPU_ADDR",
        "value": "10.0.0.2:8470",
    }
    (tmp_path / "accel0").touch()
    (tmp_path / "accel1").touch()
    assert detect.detect_tpu({}, tmp_path) == {"source": "device nodes", "chips": 2}


def test_hardware_detection_imports_no_framework_and_is_fast() -> None:
    code = (
        "import sys, time, json; t = time.perf_counter(); from probes.detect import detect_hardware;"
        "hw = detect_hardware(); print(json.dumps({'s': time.perf_counter() - t, 'hw': hw,"
        "'mods': [m for m in ('torch', 'tensorflow', 'numpy') if m in sys.modules]}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["mods"] == []
    assert report["s"] < 1.0
    hw = report["hw"]
    assert hw["cpu"]["usable_cores"] >= 1
    assert hw["memory_gb"] and hw["memory_gb"] > 0
    assert detect.fingerprint(hw) == detect.fingerprint(hw)


def test_fingerprint_changes_with_the_machine() -> None:
    hw = {"hostname": "a", "cpu": {"model": "x", "usable_cores": 2}, "memory_gb": 8, "gpus": []}
    other = {**hw, "gpus": [{"name": "NVIDIA A100"}]}
    assert detect.fingerprint(hw) != detect.fingerprint(other)


# --- what the frameworks see, faked at the module boundary -------------------------------------


def fake_torch(*, cuda: int = 0, hip: str | None = None, mps: bool = False) -> Any:
    props = SimpleNamespace(
        name="AMD Instinct MI300X" if hip else "NVIDIA A100", total_memory=40 * 1024**3
    )
    return SimpleNamespace(
        __version__="2.13.0",
        version=SimpleNamespace(cuda=None if hip else ("12.4" if cuda else None), hip=hip),
        cuda=SimpleNamespace(
            is_available=lambda: cuda > 0,
            device_count=lambda: cuda,
            get_device_properties=lambda i: props,
        ),
        backends=SimpleNamespace(
            mps=SimpleNamespace(is_available=lambda: mps),
            cudnn=SimpleNamespace(is_available=lambda: cuda > 0, version=lambda: 90100),
            mkldnn=SimpleNamespace(is_available=lambda: True),
            mkl=SimpleNamespace(is_available=lambda: True),
        ),
    )


def test_torch_view_cuda() -> None:
    view = torch_view(fake_torch(cuda=2))
    assert [g["name"] for g in view["devices"]["gpus"]] == ["NVIDIA A100", "NVIDIA A100"]
    assert view["build"]["cuda"] == "12.4" and view["build"]["cudnn"] == 90100
    assert not view["devices"]["rocm"]
    assert resolve_device(view, "auto", "pytorch") == ("cuda", None)


def test_torch_view_rocm() -> None:
    view = torch_view(fake_torch(cuda=1, hip="6.2"))
    assert view["devices"]["rocm"] and view["devices"]["gpus"][0]["vendor"] == "amd"
    assert view["build"]["rocm"] == "6.2"
    assert resolve_device(view, "auto", "pytorch") == ("cuda", None)


def test_torch_view_apple_mps() -> None:
    view = torch_view(fake_torch(mps=True))
    assert view["devices"]["mps"] and not view["devices"]["gpus"]
    assert resolve_device(view, "auto", "pytorch") == ("mps", None)
    assert resolve_device(view, "cpu", "pytorch") == ("cpu", None)


def test_cuda_asked_but_absent_is_a_reason_not_a_crash() -> None:
    device, problem = resolve_device(torch_view(fake_torch()), "cuda", "pytorch")
    assert device == "cuda" and "sees no CUDA" in (problem or "")


def fake_tf(*, gpus: int = 0, tpus: int = 0, rocm: bool = False) -> Any:
    def devices(kind: str) -> list[Any]:
        count = {"GPU": gpus, "TPU": tpus}.get(kind, 0)
        return [SimpleNamespace(name=f"/physical_device:{kind}:{i}") for i in range(count)]

    build = {
        "is_cuda_build": not rocm,
        "is_rocm_build": rocm,
        "cuda_version": "12.5",
        "cudnn_version": "9",
    }
    return SimpleNamespace(
        __version__="2.21.0",
        sysconfig=SimpleNamespace(get_build_info=lambda: build),
        config=SimpleNamespace(
            list_physical_devices=devices,
            experimental=SimpleNamespace(
                get_device_details=lambda d: {
                    "device_name": "NVIDIA L4",
                    "compute_capability": (8, 9),
                }
            ),
        ),
    )


def test_tf_view_gpu() -> None:
    view = tf_view(fake_tf(gpus=1), onednn=True)
    assert view["devices"]["gpus"] == [
        {"index": 0, "name": "NVIDIA L4", "compute_capability": "8.9", "vendor": "nvidia"}
    ]
    assert view["build"]["cuda"] == "12.5"
    assert resolve_device(view, "auto", "tensorflow") == ("cuda", None)


def test_tf_view_tpu_is_reported_and_work_stays_on_cpu() -> None:
    view = tf_view(fake_tf(tpus=8))
    assert len(view["devices"]["tpus"]) == 8
    assert resolve_device(view, "auto", "tensorflow") == ("cpu", None)


def test_tf_view_records_the_onednn_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert tf_view(fake_tf(), onednn=False)["build"]["onednn_env"] == "0"


@pytest.mark.skipif(not detect.detect_nvidia()[0], reason="needs an NVIDIA GPU and nvidia-ml-py")
def test_real_nvidia_gpu_is_listed() -> None:
    gpus, _ = detect.detect_nvidia()
    assert gpus[0]["memory_gb"] > 0
