"""Measured evidence moves the advice through the knowledge base's rules, by a bounded amount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.inputs.answers import resolve
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.reasoning import evidence
from fwadvise.advisor.reasoning.engine import recommend
from tests.test_cli import run


def row(workload: str, framework: str, seconds: float, **extra: object) -> dict:
    samples = [seconds * (1 + 0.01 * ((i % 5) - 2)) for i in range(20)]
    return {
        "workload": workload,
        "framework": framework,
        "device": "cpu",
        "mode": "compiled",
        "params": {},
        "median_s": seconds,
        "iqr_s": seconds * 0.02,
        "repeats": 20,
        "samples_s": samples,
        "throughput": None,
        "unit": "s",
        "peak_memory_mb": 10.0,
        **extra,
    }


def document(tf_available: bool = True) -> dict:
    results = [
        row("conv", "pytorch", 0.010),
        row("train_step", "pytorch", 0.020),
        row("train_step", "tensorflow", 0.0201),
    ]
    if tf_available:
        results.append(row("conv", "tensorflow", 0.020))
    else:
        results.append(
            {
                "workload": "conv",
                "framework": "tensorflow",
                "device": "cpu",
                "mode": "compiled",
                "params": {},
                "error": "No module named 'tensorflow'",
            }
        )
    tf = (
        {"available": True, "version": "2.21.0"}
        if tf_available
        else {"available": False, "reason": "not installed"}
    )
    return {
        "schema_version": 1,
        "created": "2026-11-20T10:00:00+00:00",
        "label": "laptop",
        "hardware": {"cpu": {"model": "test"}, "memory_gb": 8, "gpus": [], "tpu": None},
        "frameworks": {"pytorch": {"available": True, "version": "2.13.0"}, "tensorflow": tf},
        "results": results,
    }


def write(tmp_path: Path, doc: dict, name: str = "ev.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_clear_difference_moves_the_score_by_a_bounded_amount(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    files = evidence.load([write(tmp_path, document())])
    facts = evidence.facts(files)
    assert facts["conv.faster"] == "pytorch" and facts["conv.ratio"] == pytest.approx(0.5, rel=0.05)
    assert facts["train_step.faster"] == "none"  # 0.5% apart: the interval contains 1
    answers = resolve(kb, profile="iot-engineer")
    without = recommend(kb, answers)
    with_ev = recommend(kb, answers, measured=facts)
    measured = [r for r in with_ev.reasons if r.kind == "measured"]
    # 2x with a tight interval: the point for a clear gap and the one for a wide, certain one
    assert [r.rule for r in measured] == ["measured-conv-pytorch", "measured-conv-pytorch-wide"]
    assert (
        "PyTorch 2.00x faster" in measured[0].because
        and "laptop on 2026-11-20" in measured[0].because
    )
    assert "conv (compiled, cpu)" in measured[0].because  # threads not recorded: not named
    assert with_ev.scores["pytorch"] - without.scores["pytorch"] == 2.0
    assert with_ev.verdict == without.verdict == "tensorflow"  # informs, does not override


def test_a_cpu_reason_names_the_threads_each_framework_had(tmp_path: Path) -> None:
    for threads, named in ((1, "cpu, 1 thread each"), (8, "cpu, 8 threads each")):
        doc = {**document(), "threads": threads}
        facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
        assert f"conv (compiled, {named}): PyTorch 2.00x faster" in facts["conv.summary"]


def test_points_grow_with_the_gap_and_its_certainty(kb: KnowledgeBase, tmp_path: Path) -> None:
    answers = resolve(kb, profile="iot-engineer")
    base = recommend(kb, answers).scores["pytorch"]
    gained = {}
    for tf_seconds in (0.0112, 0.020, 0.200):  # PyTorch 1.12x, 2x and 20x faster at conv
        doc = document()
        doc["results"][-1] = row("conv", "tensorflow", tf_seconds)
        facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
        gained[tf_seconds] = recommend(kb, answers, measured=facts).scores["pytorch"] - base
    assert gained == {0.0112: 1.0, 0.020: 2.0, 0.200: 2.0}  # capped: informs, never overrules


def test_vision_and_language_teams_are_advised_from_different_rows(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    doc = document()
    doc["results"] += [
        row("transformer", "pytorch", 0.030),
        row("transformer", "tensorflow", 0.010),
    ]
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    used = {}
    for team, use_case in (("vision", "computer_vision"), ("language", "nlp")):
        answers = resolve(kb, profile="iot-engineer", stated={"use_cases": [use_case]})
        advice = recommend(kb, answers, measured=facts)
        used[team] = {r.rule for r in advice.reasons if r.kind == "measured"}
    assert used["vision"] == {"measured-conv-pytorch", "measured-conv-pytorch-wide"}
    assert used["language"] == {
        "measured-transformer-tensorflow",
        "measured-transformer-tensorflow-wide",
    }


def test_unavailable_framework_is_a_fact(kb: KnowledgeBase, tmp_path: Path) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, document(tf_available=False))]))
    assert facts["tensorflow.available"] is False
    rec = recommend(kb, resolve(kb, profile="industry"), measured=facts)
    assert "measured-tensorflow-unavailable" in {r.rule for r in rec.reasons}


def test_cli_evidence_json_block(tmp_path: Path) -> None:
    path = write(tmp_path, document())
    done = run("--profile", "researcher", "--evidence", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    block = json.loads(done.stdout)["evidence"]
    assert block["file"] == str(path)
    assert block["used"] == [
        {
            "workload": "conv",
            "ratio": pytest.approx(0.5, rel=0.05),
            "points": 1.0,
            "favors": "pytorch",
            "rule": rule,
        }
        for rule in ("measured-conv-pytorch", "measured-conv-pytorch-wide")
    ]


def test_bad_evidence_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        evidence.load([tmp_path / "missing.json"])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = run("--profile", "researcher", "--evidence", str(bad))
    assert done.returncode == 2 and str(bad) in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("other_load_cores", "busy"),
        ("memory_growth_mb", [1]),
        ("scaling_efficiency", "high"),
        ("efficiency_ci", [0.5]),
    ],
)
def test_a_row_field_the_advice_reads_as_a_number_is_checked(
    tmp_path: Path, field: str, value: object
) -> None:
    doc = document()
    doc["results"][0][field] = value
    done = run("--profile", "researcher", "--evidence", str(write(tmp_path, doc)))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert field in done.stderr


def test_numbers_written_as_strings_are_read_as_numbers(tmp_path: Path) -> None:
    doc = document()
    doc["results"][0]["other_load_cores"] = "0"  # what the fuzzer wrote: read as 0, no crash
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    assert facts["conv.faster"] == "pytorch"


def as_resnet(doc: dict) -> dict:
    """The document with its conv rows as ResNet-50's training step (what the claims name)."""
    for result in doc["results"]:
        if result["workload"] == "conv":
            result["workload"] = "resnet50_train"
    return doc


def test_documents_performance_claims_beside_the_measurements(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, as_resnet(document()))]))
    checks = {
        (c["claim"], c["workload"], c["device"]): c["status"]
        for c in evidence.check_claims(kb, facts)
    }
    # "TensorFlow exhibits better training performance on CNN models": here PyTorch was 2x faster
    assert checks[("speed.kh-cnn-rnn", "resnet50_train", "any")] == "contradicted here"
    # "training time for PyTorch is significantly higher than TensorFlow on the CPU": 0.5% apart
    assert checks[("speed.kh-cpu", "train_step", "cpu")] == "no clear difference here"
    # GPU claims cannot be checked on a CPU-only measurement; LSTM was not measured at all
    gpu_cnn = ("speed.kh-gpu-cnn-lstm", "resnet50_train", "gpu")
    assert checks[gpu_cnn] == "not measurable on this machine"
    assert checks[("speed.kh-cnn-rnn", "lstm_speech_train", "any")].startswith("not measured")


def test_unknown_availability_is_not_unavailable(tmp_path: Path) -> None:
    doc = document()
    doc["frameworks"]["tensorflow"] = {"available": None}
    assert "tensorflow.available" not in evidence.facts(evidence.load([write(tmp_path, doc)]))
    doc = document(tf_available=False)
    doc["interrupted"] = True
    assert "tensorflow.available" not in evidence.facts(
        evidence.load([write(tmp_path, doc, "b.json")])
    )


def test_eager_comparisons_do_not_inform_the_advice(tmp_path: Path) -> None:
    doc = document()
    for result in doc["results"]:
        result["mode"] = "eager"
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    assert not any(key.endswith(".faster") for key in facts)


def test_neither_framework_available_adds_no_points(kb: KnowledgeBase, tmp_path: Path) -> None:
    doc = document(tf_available=False)
    doc["frameworks"]["pytorch"] = {"available": False, "reason": "not installed"}
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    rec = recommend(kb, resolve(kb, profile="industry"), measured=facts)
    assert not {r.rule for r in rec.reasons} & {
        "measured-tensorflow-unavailable",
        "measured-pytorch-unavailable",
    }


def two_machines(tmp_path: Path, cnn: str = "conv") -> list[evidence.EvidenceFile]:
    """laptop: PyTorch 2x faster on conv; gpu-node: TensorFlow 2x faster on conv (or on
    ResNet-50's training step: `cnn`)."""
    other = document()
    other["label"] = "gpu-node"
    other["created"] = "2026-11-19T08:00:00+00:00"
    for result in other["results"]:
        if result["workload"] == "conv" and result["framework"] == "pytorch":
            result["median_s"] = 0.040
            result["samples_s"] = [s * 4 for s in result["samples_s"]]
    docs = [document(), other]
    if cnn == "resnet50_train":
        docs = [as_resnet(doc) for doc in docs]
    return evidence.load([write(tmp_path, docs[0]), write(tmp_path, docs[1], "gpu.json")])


def test_several_files_the_first_drives_the_rules_all_are_labelled(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    files = two_machines(tmp_path, cnn="resnet50_train")
    facts = evidence.facts(files)
    assert facts["resnet50_train.faster"] == "pytorch"  # the first file's, not a blend
    assert [m["label"] for m in facts["machines"]] == ["laptop", "gpu-node"]
    assert facts["machines"][1]["facts"]["resnet50_train.faster"] == "tensorflow"
    checks = {
        (c["machine"], c["claim"], c["workload"]): c["status"]
        for c in evidence.check_claims(kb, facts)
    }
    # "TensorFlow exhibits better training performance on CNN models": each machine answers
    assert checks[("laptop", "speed.kh-cnn-rnn", "resnet50_train")] == "contradicted here"
    assert checks[("gpu-node", "speed.kh-cnn-rnn", "resnet50_train")] == "confirmed here"


def test_several_files_in_the_json_and_the_text(tmp_path: Path) -> None:
    files = [str(p) for p in (write(tmp_path, document()),)]
    other = document()
    other["label"] = "gpu-node"
    files.append(str(write(tmp_path, other, "gpu.json")))
    args = ["--profile", "iot-engineer", "--evidence", files[0], "--evidence", files[1]]
    block = json.loads(run(*args, "--format", "json").stdout)["evidence"]
    assert [(f["label"], f["role"]) for f in block["files"]] == [
        ("laptop", "advice"),
        ("gpu-node", "compared"),
    ]
    conv = next(r for r in block["files"][1]["results"] if r["workload"] == "conv")
    assert conv["metric"] == "time" and "measured on gpu-node" in conv["summary"]
    assert {c["machine"] for c in block["claims"]} == {"laptop", "gpu-node"}
    text = run(*args).stdout
    assert "Measured on laptop (2026-11-20), the machine the advice is for:" in text
    assert "Measured on gpu-node (2026-11-20), for comparison:" in text


def memory_document(pytorch_mb: float, tensorflow_mb: float, device: str = "cpu") -> dict:
    doc = document()
    for result in doc["results"]:
        if result["workload"] == "train_step":
            result["device"] = device
            result["peak_memory_mb"] = (
                pytorch_mb if result["framework"] == "pytorch" else tensorflow_mb
            )
    return doc


def test_memory_claims_beside_measured_peak_memory(kb: KnowledgeBase, tmp_path: Path) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, memory_document(500, 300))]))
    assert facts["train_step.memory_less"] == "tensorflow"
    checks = {c["claim"]: c for c in evidence.check_claims(kb, facts) if c["metric"] == "memory"}
    # "memory consumption is slightly higher for PyTorch on CPU": 500 MB against 300 MB
    assert checks["mem.kh-cpu"]["status"] == "confirmed here"
    assert "PyTorch 500 MB, TensorFlow 300 MB" in checks["mem.kh-cpu"]["figures"]
    assert checks["mem.spheron-tf-efficient"]["status"] == "confirmed here"
    # a GPU claim cannot be checked on CPU figures, and shows none of them
    assert checks["mem.kh-gpu"]["status"] == "not measurable on this machine"
    assert checks["mem.kh-gpu"]["figures"] == ""


def test_memory_within_the_margin_is_no_clear_difference(kb: KnowledgeBase, tmp_path: Path) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, memory_document(310, 300))]))
    statuses = {c["claim"]: c["status"] for c in evidence.check_claims(kb, facts)}
    assert statuses["mem.kh-cpu"] == "no clear difference here"


def test_gpu_memory_claim_is_checked_on_gpu_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    facts = evidence.facts(evidence.load([write(tmp_path, memory_document(900, 2000, "cuda"))]))
    statuses = {c["claim"]: c["status"] for c in evidence.check_claims(kb, facts)}
    # "memory consumption is significantly higher for TensorFlow on GPU": confirmed
    assert statuses["mem.kh-gpu"] == "confirmed here"
    assert statuses["mem.kh-cpu"] == "not measurable on this machine"


def test_every_memory_claim_measures_memory(kb: KnowledgeBase) -> None:
    memory = [c for c in kb.claims if c.topic == "memory_use"]
    assert memory and all(m.metric == "memory" for c in memory for m in c.measures)
    assert all(c.measures for c in memory)


def test_hardware_facts_for_the_install_advice() -> None:
    doc = document()
    doc["hardware"]["gpus"] = [{"vendor": "nvidia", "name": "A100", "driver": "550.54.15"}]
    doc["hardware"]["os"] = {"system": "Darwin"}
    found = evidence.hardware_facts(doc)
    assert found["hardware.nvidia_gpus"] == 1 and found["hardware.amd_gpus"] == 0
    assert found["hardware.nvidia_driver"] == "550.54.15" and found["hardware.os"] == "macos"


def test_a_compiled_row_that_ran_eagerly_says_so(tmp_path: Path) -> None:
    why = "Attempted to wrap RNN, GRU, or LSTM"
    doc = document()
    doc["results"][0]["compile_fallback"] = why  # PyTorch's conv: torch.compile made no graph
    facts = evidence.facts(evidence.load([write(tmp_path, doc)]))
    summary = facts["conv.summary"]
    assert f"PyTorch's compiler compiled none of it and ran it eagerly ({why})" in summary
    assert "eagerly" not in facts["train_step.summary"]
