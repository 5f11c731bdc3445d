"""The real architectures: built from one spec in both frameworks (each in its own process, as the
workers do), equal parameter counts, the published counts at the standard size, and every
workload of the quick suite runs a step in both."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from fwadvise.probes import architectures as arch
from fwadvise.probes.suite import architecture_tasks, plan
from tests.conftest import python_child

# Counts every architecture at both sizes, then makes the first call (eager) of every
# architecture task at the quick suite's size, throughput and bf16 rows included: a workload that cannot run fails here, not in a user's probe run.
CHILD = """
import json, sys
framework = sys.argv[1]
from fwadvise.probes.architectures import SPECS
from fwadvise.probes.suite import architecture_tasks
if framework == "pytorch":
    from fwadvise.probes import arch_torch as models
    from fwadvise.probes.wl_torch import load
    build = lambda name, spec: models.build(name, spec)
else:
    from fwadvise.probes import arch_tf as models
    from fwadvise.probes.wl_tf import load
    build = lambda name, spec: models.build(name, spec, {"image": 32, "seq": 8, "frames": 8})
backend = load("cpu", 2, 0)  # first: TensorFlow's threads are set before it starts
counts = {f"{name}/{size}": models.trainable_parameters(build(name, spec))
          for name, sizes in SPECS.items() for size, spec in sizes.items()}
ran = {}
for task, _ in architecture_tasks("quick"):
    prepared = backend.prepare(task)
    prepared.fn()
    ran[task.workload] = [prepared.unit, prepared.extra.get("precision")]
print(json.dumps({"counts": counts, "ran": ran}))
"""


def built(framework: str) -> dict[str, Any]:
    result: dict[str, Any] = python_child(CHILD, framework, timeout=300)
    return result


@pytest.fixture(scope="module")
def frameworks() -> dict[str, dict[str, Any]]:
    return {fw: built(fw) for fw in ("pytorch", "tensorflow")}


@pytest.mark.slow
def test_both_frameworks_build_the_same_parameter_counts(
    frameworks: dict[str, dict[str, Any]],
) -> None:
    torch_counts = frameworks["pytorch"]["counts"]
    assert set(torch_counts) == {f"{a}/{s}" for a in arch.SPECS for s in ("standard", "reduced")}
    assert torch_counts == frameworks["tensorflow"]["counts"]


@pytest.mark.slow
def test_standard_sizes_have_the_published_parameter_counts(
    frameworks: dict[str, dict[str, Any]],
) -> None:
    for framework in ("pytorch", "tensorflow"):
        counts = frameworks[framework]["counts"]
        for name, published in arch.PUBLISHED_PARAMETERS.items():
            assert counts[f"{name}/standard"] == published, (framework, name)
    # BERT-base without its embeddings (word, position, token type, their LayerNorm): ~85.6M
    spec = arch.BERT_BASE["standard"]
    embeddings = (spec["vocab"] + spec["positions"] + spec["types"] + 2) * spec["d_model"]
    assert arch.PUBLISHED_PARAMETERS["bert_base"] - embeddings == 85_645_056


@pytest.mark.slow
def test_every_architecture_task_runs_in_both(frameworks: dict[str, dict[str, Any]]) -> None:
    expected = {t.workload for t, _ in architecture_tasks("quick")}
    assert expected >= {"resnet50_train_bf16", "bert_base_throughput", "gpt2_small_generate"}
    quick = {t.workload for t in plan("quick") if "arch" in t.params}
    assert quick == {f"{name}_train" for name in arch.SPECS}  # the quick suite: training
    assert quick < expected
    for framework in ("pytorch", "tensorflow"):
        ran = frameworks[framework]["ran"]
        assert set(ran) == expected
        assert ran["gpt2_small_generate"][0] == "tokens/s"
        assert ran["resnet50_latency"][0] == "inferences/s"
    # both sides name the same precision for every row (bf16 on this CPU, or both skip)
    assert frameworks["pytorch"]["ran"] == frameworks["tensorflow"]["ran"]


def test_the_spec_is_plain_data_shared_by_both_builders() -> None:
    # the parent (and this test) reads the spec without importing a framework
    assert "torch" not in sys.modules or "fwadvise.probes.arch_torch" not in sys.modules
    params = arch.workload_params("resnet50", "latency", "full", "float32")
    assert params["spec"] is arch.RESNET50["standard"] and params["batch"] == 1
    assert "cuda" not in params  # a latency row stays batch 1 on a GPU too
    train = arch.workload_params("resnet50", "train", "full", "float32")
    assert train["cuda"] == {"batch": 256}  # NVIDIA's recipe size on a GPU
    assert arch.workload_params("bert_base", "train", "full", "float32")["seq"] == 128


def test_published_gpu_figures_name_their_source() -> None:
    figure = arch.published_figure("resnet50_train_bf16", "NVIDIA A100-SXM4-80GB")
    assert figure is not None and figure["figure"] == 2470.0
    assert "DeepLearningExamples" in figure["source"]
    assert arch.published_figure("resnet50_train", "NVIDIA H200") is None  # no H200 figure
    assert arch.published_figure("bert_base_train", None) is None


def test_a_gpu_row_shows_the_published_figure_beside_ours() -> None:
    from fwadvise.cli.probe_cmd import cell
    from fwadvise.probes.runner import published_notes

    gpu_row = {
        "workload": "resnet50_train_bf16",
        "framework": "pytorch",
        "device": "cuda",
        "mode": "eager",
        "params": {"batch": 4},
        "batch": 256,
        "gpu_name": "NVIDIA A100-SXM4-80GB",
        "throughput": 2301.5,
        "unit": "samples/s",
        "median_s": 0.111,
        "peak_memory_mb": 21_000.0,
    }
    [note] = published_notes([gpu_row, {**gpu_row, "gpu_name": "NVIDIA H200"}])
    assert "2,302 samples/s (batch 256)" in note and "published: 2,470 images/s" in note
    assert "DeepLearningExamples" in note
    assert "peak 21,000 MB" in cell(gpu_row)  # the allocator's peak on a GPU
    cpu_row = {**gpu_row, "device": "cpu", "memory_growth_mb": 812.4, "peak_memory_mb": 2900.0}
    assert "peak +812 MB" in cell(cpu_row)  # the task's growth of the worker on a CPU


# The GPU paths with faked framework answers (no GPU here): the precision a row would run in.
GPU_CHILD = """
import json, torch
from fwadvise.probes.wl_torch import TorchBackend
backend = TorchBackend("cpu", 1, 0)
backend.device = "cuda"
answers = {}
for bf16 in (True, False):
    torch.cuda.is_bf16_supported = lambda: bf16
    answers[str(bf16)] = [str(backend._mixed(p)) for p in ("float32", "bfloat16")]
print(json.dumps(answers))
"""


@pytest.mark.slow
def test_mixed_precision_on_a_gpu_is_bf16_or_else_fp16() -> None:
    answers = python_child(GPU_CHILD, timeout=120)
    assert answers == {"True": ["None", "torch.bfloat16"], "False": ["None", "torch.float16"]}
