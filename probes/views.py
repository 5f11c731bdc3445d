"""What a framework sees, asked through its module object: the one boundary tests fake.

Each function takes the imported framework module (or a stand-in with the same attributes), so
the GPU, ROCm, MPS and TPU paths can be tested on a machine that has none of them. Nothing here
imports a framework.
"""

from __future__ import annotations

import os
from typing import Any


def torch_view(torch: Any) -> dict[str, Any]:
    """Devices and build facts as PyTorch reports them."""
    cuda_ok = bool(torch.cuda.is_available())
    hip = getattr(torch.version, "hip", None)
    mps = getattr(getattr(torch.backends, "mps", None), "is_available", lambda: False)()
    cudnn = (
        torch.backends.cudnn.version() if cuda_ok and torch.backends.cudnn.is_available() else None
    )
    gpus = []
    if cuda_ok:
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gpus.append(
                {
                    "index": index,
                    "name": props.name,
                    "memory_gb": round(props.total_memory / 1024**3, 1),
                    "vendor": "amd" if hip else "nvidia",
                }
            )
    return {
        "version": torch.__version__,
        "build": {
            "cuda": torch.version.cuda,
            "rocm": hip,
            "cudnn": cudnn,
            "onednn": bool(torch.backends.mkldnn.is_available()),
            "mkl": bool(torch.backends.mkl.is_available()),
        },
        "devices": {"gpus": gpus, "rocm": bool(hip) and cuda_ok, "mps": bool(mps), "tpus": []},
    }


def tf_view(tf: Any, onednn: bool | None = None) -> dict[str, Any]:
    """Devices and build facts as TensorFlow reports them (`onednn`: from the worker's check)."""
    build = dict(tf.sysconfig.get_build_info())
    gpus = tf.config.list_physical_devices("GPU")
    tpus = tf.config.list_physical_devices("TPU")
    rocm = bool(build.get("is_rocm_build"))
    described = []
    for index, device in enumerate(gpus):
        details = tf.config.experimental.get_device_details(device) or {}
        described.append(
            {
                "index": index,
                "name": details.get("device_name", device.name),
                "compute_capability": _capability(details.get("compute_capability")),
                "vendor": "amd" if rocm else "nvidia",
            }
        )
    return {
        "version": tf.__version__,
        "build": {
            "cuda": build.get("cuda_version"),
            "rocm": build.get("rocm_version") if rocm else None,
            "cudnn": build.get("cudnn_version"),
            "onednn": onednn,
            "onednn_env": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        },
        "devices": {
            "gpus": described,
            "rocm": rocm and bool(gpus),
            "mps": False,
            "tpus": [device.name for device in tpus],
        },
    }


def _capability(value: Any) -> str | None:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return f"{value[0]}.{value[1]}"
    return None


def resolve_device(view: dict[str, Any], requested: str, framework: str) -> tuple[str, str | None]:
    """The device to run on, and why it cannot be used (None when it can).

    GPUs are called "cuda" for both frameworks (ROCm builds of both use the CUDA names), so rows of
    the two frameworks on the same GPU pair up; Apple's GPU is "mps".
    """
    devices = view["devices"]
    has_gpu = bool(devices["gpus"])
    if requested == "cpu":
        return "cpu", None
    if requested == "cuda":
        if has_gpu:
            return "cuda", None
        return "cuda", f"--device cuda: {framework} sees no CUDA or ROCm GPU"
    if has_gpu:
        return "cuda", None
    if devices.get("mps"):
        return "mps", None
    return "cpu", None
