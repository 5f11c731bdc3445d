"""Hardware detection for the parent process: never imports torch or tensorflow.

CPU facts come from /proc/cpuinfo (Linux) or sysctl (macOS), memory from /proc/meminfo or
sysctl, NVIDIA GPUs from nvidia-ml-py (`pynvml`) when it is installed (optional), TPUs from the
device nodes and environment a Cloud TPU VM or Colab provides. What each framework itself sees is
asked inside its worker (probes/worker.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

# The instruction-set features that matter for deep-learning kernels.
ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "amx_fp16",
    "neon",
    "asimd",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
)
PROC = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def parse_cpuinfo(text: str) -> dict[str, Any]:
    """Model, vendor, flags and core counts from the text of /proc/cpuinfo (x86 or Arm)."""
    model = vendor = None
    flags: set[str] = set()
    logical = 0
    cores: set[tuple[str, str]] = set()
    physical_id = "0"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "processor":
            logical += 1
        elif key in ("model name", "hardware", "cpu model") and not model:
            model = value
        elif key in ("vendor_id", "cpu implementer") and not vendor:
            vendor = value
        elif key in ("flags", "features"):
            flags.update(value.split())
        elif key == "physical id":
            physical_id = value
        elif key == "core id":
            cores.add((physical_id, value))
    return {
        "model": model,
        "vendor": vendor,
        "logical_cores": logical or None,
        "physical_cores": len(cores) or None,
        "flags": sorted(f for f in flags if f in ISA_FLAGS),
    }


def _sysctl(name: str) -> str | None:
    try:
        out = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _macos_cpu() -> dict[str, Any]:
    model = _sysctl("machdep.cpu.brand_string")
    feats = (
        (_sysctl("machdep.cpu.features") or "")
        + " "
        + (_sysctl("machdep.cpu.leaf7_features") or "")
    )
    flags = {f.lower().replace(".", "_") for f in feats.split()}
    if platform.machine() == "arm64":
        flags.add("neon")  # every Apple silicon core has Advanced SIMD
        for name in ("bf16", "i8mm"):
            if _sysctl(f"hw.optional.arm.FEAT_{name.upper()}") == "1":
                flags.add(name)
    physical = _sysctl("hw.physicalcpu")
    return {
        "model": model,
        "vendor": "Apple" if platform.machine() == "arm64" else None,
        "logical_cores": os.cpu_count(),
        "physical_cores": int(physical) if physical and physical.isdigit() else None,
        "flags": sorted(f for f in flags if f in ISA_FLAGS),
    }


def usable_cores() -> int:
    """CPUs this process may run on (cgroup/affinity aware where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def detect_cpu() -> dict[str, Any]:
    text = _read(PROC / "cpuinfo")
    cpu = parse_cpuinfo(text) if text else _macos_cpu() if sys.platform == "darwin" else {}
    cpu.setdefault("model", None)
    cpu["model"] = cpu.get("model") or platform.processor() or None
    cpu["arch"] = platform.machine()
    cpu["logical_cores"] = cpu.get("logical_cores") or os.cpu_count()
    cpu["usable_cores"] = usable_cores()
    flags = set(cpu.get("flags") or [])
    cpu["isa"] = {
        "avx2": "avx2" in flags,
        "avx512": "avx512f" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "amx": any(f.startswith("amx") for f in flags),
        "neon": bool(flags & {"neon", "asimd"}) or cpu["arch"] in ("arm64", "aarch64"),
    }
    cpu["bf16"] = bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})
    return cpu


def parse_meminfo(text: str) -> float | None:
    """Total memory in GiB from the text of /proc/meminfo."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def memory_gb() -> float | None:
    total = parse_meminfo(_read(PROC / "meminfo"))
    if total is None and sys.platform == "darwin":
        raw = _sysctl("hw.memsize")
        total = round(int(raw) / 1024**3, 1) if raw and raw.isdigit() else None
    return total


def detect_nvidia(nvml: Any = None) -> tuple[list[dict[str, Any]], str | None]:
    """NVIDIA GPUs through NVML, and why none could be listed. `nvml` is injectable for tests."""
    if nvml is None:
        if importlib.util.find_spec("pynvml") is None:
            return [], "nvidia-ml-py not installed"
        import pynvml  # optional dependency, imported only when present

        nvml = pynvml
    try:
        nvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        return [], f"NVML unavailable: {exc}"
    try:
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        gpus = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            major, minor = nvml.nvmlDeviceGetCudaComputeCapability(handle)
            gpus.append(
                {
                    "index": index,
                    "vendor": "nvidia",
                    "name": _text(nvml.nvmlDeviceGetName(handle)),
                    "memory_gb": round(nvml.nvmlDeviceGetMemoryInfo(handle).total / 1024**3, 1),
                    "compute_capability": f"{major}.{minor}",
                    "driver": driver,
                }
            )
        return gpus, None
    except Exception as exc:
        return [], f"NVML query failed: {exc}"
    finally:
        with contextlib.suppress(Exception):  # a failed shutdown must not hide the answer
            nvml.nvmlShutdown()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def nvidia_driver() -> bool:
    """Whether an NVIDIA driver shows a GPU (without nvidia-ml-py: the kernel module's folder)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        return gpus.is_dir() and any(gpus.iterdir())
    except OSError:
        return False


def detect_amd() -> list[dict[str, Any]]:
    """AMD GPUs from the kernel's amdgpu driver (sysfs), without ROCm tools."""
    gpus = []
    for card in sorted(Path("/sys/class/drm").glob("card[0-9]*/device")):
        if _read(card / "vendor").strip() == "0x1002" and (card / "mem_info_vram_total").exists():
            vram = _read(card / "mem_info_vram_total").strip()
            gpus.append(
                {
                    "vendor": "amd",
                    "name": _read(card / "product_name").strip() or "AMD GPU",
                    "memory_gb": round(int(vram) / 1024**3, 1) if vram.isdigit() else None,
                }
            )
    return gpus


def detect_tpu(
    env: dict[str, str] | None = None, dev: Path = Path("/dev")
) -> dict[str, Any] | None:
    """A TPU as a Cloud TPU VM (/dev/accel*, /dev/vfio) or Colab (COLAB_TPU_ADDR) shows it."""
    env = dict(os.environ) if env is None else env
    chips = sorted(p.name for p in dev.glob("accel[0-9]*"))
    if chips:
        return {"source": "device nodes", "chips": len(chips)}
    for var in ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE"):
        if env.get(var):
            return {"source": var, "value": env[var]}
    return None


def detect_hardware() -> dict[str, Any]:
    """The evidence file's `hardware` block. Fast: no framework imports (~10 ms without NVML)."""
    nvidia, nvidia_note = detect_nvidia()
    gpus = nvidia + detect_amd()
    cpu = detect_cpu()
    return {
        "cpu": cpu,
        "memory_gb": memory_gb(),
        "gpus": gpus,
        "gpu_note": None if gpus else nvidia_note,
        "tpu": detect_tpu(),
        "apple_silicon": sys.platform == "darwin" and cpu["arch"] == "arm64",
        "os": {"system": platform.system(), "release": platform.release(), "machine": cpu["arch"]},
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def fingerprint(hardware: dict[str, Any]) -> str:
    """A short stable id for this machine: host, CPU, memory and accelerators (not the time)."""
    key = {
        "host": hardware.get("hostname"),
        "cpu": (hardware.get("cpu") or {}).get("model"),
        "cores": (hardware.get("cpu") or {}).get("usable_cores"),
        "memory": hardware.get("memory_gb"),
        "gpus": [g.get("name") for g in hardware.get("gpus") or []],
        "tpu": bool(hardware.get("tpu")),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def installed_version(distribution: str) -> str | None:
    """A package's installed version without importing it (for the cache's staleness check)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


FRAMEWORK_DISTRIBUTIONS = {
    "pytorch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
}


def framework_versions() -> dict[str, str | None]:
    """Installed framework versions by package metadata, per framework (None: not installed)."""
    found: dict[str, str | None] = {}
    for framework, dists in FRAMEWORK_DISTRIBUTIONS.items():
        found[framework] = next(
            (v for v in (installed_version(d) for d in dists) if v is not None), None
        )
    return found
