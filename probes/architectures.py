"""The real architectures both frameworks build, as plain data (layer sizes), and their workloads.

probes/arch_torch.py and probes/arch_tf.py build every model from these specs and nothing else,
so the two frameworks cannot drift apart; tests/test_probes_architectures.py builds each in both
and checks equal parameter counts (and the published counts at the standard sizes). The parent
reads this module too (probes/suite.py), so it imports no framework.

Random weights and synthetic data only: nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

# --- the architectures --------------------------------------------------------------------------
# `standard` is the published model; `reduced` keeps its structure at a fraction of the width
# and depth, for the quick suite and the tests (a 2-core CPU, seconds per row).

RESNET50 = {
    # ResNet-50 v1.5 (torchvision's): the stride of a down-sampling bottleneck sits on its 3x3
    "standard": {"stem": 64, "stages": [[64, 3], [128, 4], [256, 6], [512, 3]], "classes": 1000},
    "reduced": {"stem": 16, "stages": [[16, 1], [32, 1], [64, 1], [128, 1]], "classes": 10},
}
MOBILENET_V2 = {
    # (expansion t, channels c, repeats n, first stride s), as in the paper's table 2
    "standard": {
        "stem": 32,
        "blocks": [
            [1, 16, 1, 1],
            [6, 24, 2, 2],
            [6, 32, 3, 2],
            [6, 64, 4, 2],
            [6, 96, 3, 1],
            [6, 160, 3, 2],
            [6, 320, 1, 1],
        ],
        "last": 1280,
        "classes": 1000,
    },
    "reduced": {
        "stem": 16,
        "blocks": [[1, 8, 1, 1], [6, 16, 1, 2], [6, 24, 1, 2], [6, 32, 1, 2], [6, 64, 1, 2]],
        "last": 256,
        "classes": 10,
    },
}
BERT_BASE = {
    # post-norm encoder, GELU, with embeddings (word, position, token type) and the pooler
    "standard": {
        "vocab": 30522,
        "positions": 512,
        "types": 2,
        "d_model": 768,
        "layers": 12,
        "heads": 12,
        "ff": 3072,
    },
    "reduced": {
        "vocab": 1000,
        "positions": 128,
        "types": 2,
        "d_model": 128,
        "layers": 2,
        "heads": 4,
        "ff": 512,
    },
}
GPT2_SMALL = {
    # pre-norm decoder, tanh-GELU, output layer tied to the token embedding
    "standard": {"vocab": 50257, "positions": 1024, "d_model": 768, "layers": 12, "heads": 12},
    "reduced": {"vocab": 1000, "positions": 128, "d_model": 128, "layers": 2, "heads": 4},
}
LSTM_SPEECH = {
    # stacked unidirectional LSTM over 80 log-mel features, a character per frame
    # (DeepSpeech-like acoustic model, trained frame-wise: no CTC, which the frameworks differ on)
    "standard": {"features": 80, "hidden": 1024, "layers": 3, "classes": 29},
    "reduced": {"features": 80, "hidden": 128, "layers": 2, "classes": 29},
}

SPECS: dict[str, dict[str, dict[str, Any]]] = {
    "resnet50": RESNET50,
    "mobilenet_v2": MOBILENET_V2,
    "bert_base": BERT_BASE,
    "gpt2_small": GPT2_SMALL,
    "lstm_speech": LSTM_SPEECH,
}

# Trainable parameters at the standard size, as published: torchvision's ResNet-50 and
# MobileNetV2, Hugging Face's bert-base-uncased (BertModel, pooler included) and gpt2.
PUBLISHED_PARAMETERS = {
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "bert_base": 109_482_240,
    "gpt2_small": 124_439_808,
}

# --- the workloads ------------------------------------------------------------------------------
# kind -> what it measures. `train`: forward, loss, backward, optimizer step (SGD with
# momentum for the convolutional nets, AdamW for the others); `latency`: batch-1 inference,
# every call a sample (p50/p90); `throughput`: batched inference; `generate`: greedy decoding
# with a key/value cache, one token per step (tokens/s).
KINDS = {
    "resnet50": ("train", "latency", "throughput"),
    "mobilenet_v2": ("train", "latency", "throughput"),
    "bert_base": ("train", "latency", "throughput"),
    "gpt2_small": ("train", "generate"),
    "lstm_speech": ("train", "latency", "throughput"),
}
UNITS = {
    "train": "samples/s",
    "latency": "inferences/s",
    "throughput": "samples/s",
    "generate": "tokens/s",
}
# bf16 autocast (fp16 on GPUs without bf16) for the training step: a separate row
MIXED_PRECISION_KINDS = ("train",)

# Input sizes per suite (the model's own size: reduced or standard). CPU batches are small so a
# standard-size training step takes about 0.5-1 s on 2 cores (BERT-base at batch 4 took 2 s;
# the speech LSTM over 200 frames 5 s in TensorFlow; 50 frames are half a second of audio); `cuda`
# overrides them with the sizes of NVIDIA's published recipes where there is one (ResNet-50
# batch 256 AMP, BERT-base seq 128).
INPUTS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "resnet50": {"image": 64, "batch": 8},
        "mobilenet_v2": {"image": 64, "batch": 8},
        "bert_base": {"seq": 32, "batch": 8},
        "gpt2_small": {"seq": 32, "batch": 4, "new_tokens": 16},
        "lstm_speech": {"frames": 50, "batch": 8},
    },
    "full": {
        "resnet50": {"image": 224, "batch": 4, "cuda": {"batch": 256}},
        "mobilenet_v2": {"image": 224, "batch": 4, "cuda": {"batch": 256}},
        "bert_base": {"seq": 128, "batch": 1, "cuda": {"batch": 64}},
        "gpt2_small": {"seq": 64, "batch": 1, "new_tokens": 16, "cuda": {"batch": 16, "seq": 128}},
        "lstm_speech": {"frames": 50, "batch": 4, "cuda": {"batch": 64}},
    },
}

# NVIDIA's published training throughput for the recipes above, shown beside ours on a GPU of
# that class (DeepLearningExamples performance tables; mixed precision, one GPU). BERT-base at
# seq 128 has no single-GPU figure there that matches this workload, so none is claimed.
_RN50_SOURCE = (
    "https://github.com/NVIDIA/DeepLearningExamples/blob/master/PyTorch/Classification/ConvNets/"
    "resnet50v1.5/README.md, Training performance results (pytorch-21.03 NGC container)"
)
PUBLISHED_GPU_FIGURES: list[dict[str, Any]] = [
    {
        "workload": "resnet50_train",
        "gpu_class": "A100",
        "figure": 2470.0,
        "unit": "images/s",
        "setting": "ResNet-50 v1.5 training, mixed precision, 1 GPU of a DGX A100 (A100 80GB)",
        "source": _RN50_SOURCE,
    },
    {
        "workload": "resnet50_train",
        "gpu_class": "V100",
        "figure": 1200.0,
        "unit": "images/s",
        "setting": "ResNet-50 v1.5 training, mixed precision, 1 GPU of a DGX-1 (V100 16GB)",
        "source": _RN50_SOURCE,
    },
]


def workload_name(arch: str, kind: str, precision: str = "float32") -> str:
    return f"{arch}_{kind}" + ("_bf16" if precision != "float32" else "")


def workload_params(arch: str, kind: str, suite: str, precision: str) -> dict[str, Any]:
    """A task's params: the architecture's spec at the suite's size, its inputs, the kind."""
    size = "reduced" if suite == "quick" else "standard"
    inputs = dict(INPUTS[suite][arch])
    if kind in ("latency", "generate"):
        inputs["batch"] = 1
        inputs.pop("cuda", None)
    return {
        "arch": arch,
        "kind": kind,
        "size": size,
        "precision": precision,
        "spec": SPECS[arch][size],
        **inputs,
    }


def published_figure(workload: str, gpu_name: str | None) -> dict[str, Any] | None:
    """The published figure for this workload on a GPU of the named class, if there is one."""
    if not gpu_name:
        return None
    for entry in PUBLISHED_GPU_FIGURES:
        if entry["workload"] == workload.removesuffix("_bf16") and entry["gpu_class"] in gpu_name:
            return entry
    return None
