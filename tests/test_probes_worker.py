"""The worker protocol, fault injection into real workers, and Ctrl-C.

Fault tests run the PyTorch worker on one tiny workload (a couple of seconds each): every fault is
the real thing (abort, SIGKILL, a hang, bytes that are not the protocol, a failed allocation, a
missing framework), and each must cost only its own rows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fwadvise.probes import runner
from fwadvise.probes.protocol import Channel, ProtocolError, Reader, decode
from fwadvise.probes.worker import FAULT_ENV, faults_at, parse_faults

ROOT = Path(__file__).resolve().parent.parent


def test_reader_takes_complete_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    reader = Reader(path)
    assert reader.poll() == []  # no file yet
    path.write_text('{"type": "start", "workload": "gemm", "mode": "eager"}\n{"type": "ro')
    assert [m["type"] for m in reader.poll()] == ["start"]
    with open(path, "a") as handle:
        handle.write('w", "row": {"workload": "gemm"}}\nnot json at all\n{"type": "done"}')
    assert [m["type"] for m in reader.poll()] == ["row"]
    assert reader.malformed and "not JSON" in reader.malformed[0]
    assert [m["type"] for m in reader.flush_partial()] == ["done"]


def test_decode_rejects_non_messages() -> None:
    for line in ("[]", '{"type": "party"}', '{"type": "row", "row": 3}', "{"):
        with pytest.raises(ProtocolError):
            decode(line)


def test_channel_writes_lines_a_reader_reads(tmp_path: Path) -> None:
    channel = Channel(tmp_path / "c.jsonl")
    channel.send({"type": "hello", "framework": "pytorch", "available": True})
    channel.send({"type": "done"})
    channel.close()
    assert [m["type"] for m in Reader(tmp_path / "c.jsonl").poll()] == ["hello", "done"]


def test_parse_faults() -> None:
    faults = parse_faults("crash:tensorflow:conv, hang:pytorch, oom", "pytorch")
    assert faults == {"hang": None, "oom": None}
    assert faults_at(faults, None, first_task=False) == ["hang"]
    assert faults_at(faults, "gemm", first_task=True) == ["oom"]
    assert faults_at(faults, "gemm", first_task=False) == []
    assert faults_at(parse_faults("crash::conv", "pytorch"), "conv", first_task=False) == ["crash"]
    with pytest.raises(SystemExit):
        parse_faults("explode", "pytorch")


# --- real workers with real faults --------------------------------------------------------------

TINY = ("train_step",)


def probe(
    monkeypatch: pytest.MonkeyPatch,
    fault: str | None,
    *,
    frameworks: tuple[str, ...] = ("pytorch",),
    workloads: tuple[str, ...] = TINY,
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    if fault:
        monkeypatch.setenv(FAULT_ENV, fault)
    else:
        monkeypatch.delenv(FAULT_ENV, raising=False)
    return runner.run_probes(frameworks=frameworks, workloads=workloads, timeout_s=timeout_s)


def rows_of(evidence: dict[str, Any], framework: str = "pytorch") -> dict[str, dict[str, Any]]:
    return {
        f"{r['workload']} {r['mode']}": r
        for r in evidence["results"]
        if r["framework"] == framework
    }


@pytest.mark.slow
def test_crash_costs_only_the_rows_not_yet_run(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = probe(monkeypatch, "crash:pytorch:train_step")
    rows = rows_of(evidence)
    assert rows["import cold"]["median_s"] > 0  # finished before the crash: kept
    assert rows["train_step eager"]["error"].startswith("worker crashed (signal SIGABRT)")
    assert "median_s" not in rows["train_step eager"]
    assert evidence["frameworks"]["pytorch"]["available"] is True


@pytest.mark.slow
def test_killed_worker_suggests_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = rows_of(probe(monkeypatch, "killed:pytorch:train_step"))
    assert "SIGKILL (the system may have run out of memory)" in rows["train_step eager"]["error"]


@pytest.mark.slow
def test_hang_times_out_and_keeps_earlier_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.monotonic()
    rows = rows_of(probe(monkeypatch, "hang:pytorch:train_step", timeout_s=8))
    assert time.monotonic() - start < 20
    assert rows["import cold"]["median_s"] > 0
    assert rows["train_step eager"]["error"] == "worker timed out after 8 s"


@pytest.mark.slow
def test_hang_at_start_up_marks_the_framework(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = probe(monkeypatch, "hang:pytorch", timeout_s=3)
    assert evidence["frameworks"]["pytorch"] == {
        "available": False,
        "reason": "worker timed out after 3 s",
    }
    assert all(r["error"] == "worker timed out after 3 s" for r in evidence["results"])


@pytest.mark.slow
def test_garbage_output_becomes_error_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = rows_of(probe(monkeypatch, "garbage:pytorch:train_step"))
    assert rows["import cold"]["median_s"] > 0
    assert rows["train_step eager"]["error"].startswith("worker sent malformed output")


@pytest.mark.slow
def test_out_of_memory_in_a_task_costs_only_that_row(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = probe(
        monkeypatch, "oom:pytorch:train_step", workloads=("train_step", "infer_latency")
    )
    rows = rows_of(evidence)
    assert rows["train_step eager"]["error"].startswith("out of memory: MemoryError")
    assert rows["infer_latency eager"]["median_s"] > 0  # the worker went on
    assert "worker_error" not in evidence["frameworks"]["pytorch"]


@pytest.mark.slow
def test_missing_framework_is_unavailable_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = probe(monkeypatch, "noframework:pytorch")
    entry = evidence["frameworks"]["pytorch"]
    assert entry["available"] is False
    assert entry["reason"].startswith("torch cannot be imported: ModuleNotFoundError")
    assert all(
        r["error"].startswith("pytorch unavailable: torch cannot be imported")
        for r in evidence["results"]
    )
    assert len(evidence["results"]) == 2  # import and train_step: a row each, none missing


@pytest.mark.slow
def test_one_frameworks_fault_leaves_the_other_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = probe(monkeypatch, "crash:tensorflow", frameworks=("pytorch", "tensorflow"))
    assert rows_of(evidence, "pytorch")["train_step eager"]["median_s"] > 0
    assert evidence["frameworks"]["tensorflow"]["available"] is False
    assert "SIGABRT" in evidence["frameworks"]["tensorflow"]["reason"]
    [comparison] = [c for c in evidence["comparisons"] if c["workload"] == "train_step"]
    assert "tensorflow" in comparison["unavailable"] and comparison["ratio"] is None


@pytest.mark.slow
def test_ctrl_c_keeps_every_turn_taken_and_stops_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quick suite measures its tasks in rotation: Ctrl-C in the middle of a round keeps
    every task's turns so far (the rows say they were cut short) and leaves no worker behind."""
    monkeypatch.delenv(FAULT_ENV, raising=False)
    pids: list[int] = []
    real_popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> Any:
        process = real_popen(*args, **kwargs)
        pids.append(process.pid)
        return process

    real_turns = runner.Alternation._turns
    recorded: list[str] = []

    def ctrl_c_in_round_three(
        self: Any, task: Any, sides: Any, turns: range, record: bool = True
    ) -> Any:
        if record and task.workload == "infer_latency" and turns.start == 2:
            raise KeyboardInterrupt  # as the terminal's Ctrl-C would, between two turns
        recorded.append(task.workload)
        return real_turns(self, task, sides, turns, record)

    monkeypatch.setattr(runner.subprocess, "Popen", spy)
    monkeypatch.setattr(runner.Alternation, "_turns", ctrl_c_in_round_three)
    with pytest.raises(runner.ProbeInterrupted) as caught:
        runner.run_probes(workloads=("train_step", "infer_latency"))
    evidence = caught.value.evidence
    assert evidence["interrupted"] is True
    for framework in ("pytorch", "tensorflow"):
        rows = rows_of(evidence, framework)
        assert rows["import cold"]["median_s"] > 0
        for name, turns in (("train_step eager", 3), ("infer_latency eager", 2)):
            assert rows[name]["incomplete"] == "interrupted (Ctrl-C)"
            assert rows[name]["median_s"] > 0
            assert len(rows[name]["process_turns_s"][0]) == turns
        assert rows["infer_latency compiled"]["median_s"] > 0  # its third turn came first
    assert any(note.startswith("cut short") for note in evidence["notes"])
    for pid in pids:  # no worker left running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.slow
def test_a_crash_in_one_task_of_a_rotation_costs_only_that_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TensorFlow's worker crashes setting up the second task of the rotation (GEMM is set up,
    not yet measured): that task is an error row and is left out of the later process pairs,
    which measure every other task."""
    evidence = probe(
        monkeypatch,
        "crash:tensorflow:train_step",
        frameworks=("pytorch", "tensorflow"),
        workloads=("gemm", "train_step"),
    )
    tf_rows = rows_of(evidence, "tensorflow")
    assert tf_rows["train_step eager"]["error"].startswith("worker crashed (signal SIGABRT)")
    assert "median_s" not in tf_rows["train_step eager"]
    assert tf_rows["gemm eager"]["median_s"] > 0
    assert tf_rows["gemm eager"]["rounds"] == 2  # the pairs after the crash
    assert evidence["frameworks"]["tensorflow"]["available"] is True
    assert rows_of(evidence, "pytorch")["train_step eager"]["rounds"] == 3
    [gemm] = [c for c in evidence["comparisons"] if c["workload"] == "gemm"]
    assert gemm["ratio"] is not None


@pytest.mark.slow
def test_ctrl_c_at_the_command_line_saves_partial_evidence(tmp_path: Path) -> None:
    output = tmp_path / "partial.json"
    app = "import typer; from cli.probe_cmd import probe; app = typer.Typer(); app.command()(probe); app.command('x')(lambda: None); app()"
    # TMPDIR: the workers' scratch directories appear here, so the test sees PyTorch start
    env = {
        **os.environ,
        FAULT_ENV: "hang:pytorch",
        "XDG_CACHE_HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            app,
            "probe",
            "--frameworks",
            "tensorflow,pytorch",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell's background job (`pytest &`) starts with SIGINT ignored,
        # and Python then never turns it into KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60

    def tensorflow_has_a_row() -> bool:
        results = tmp_path.glob("fwadvise-tensorflow-*/result.jsonl")
        return any('"type": "row"' in path.read_text() for path in results)

    # both workers start together; PyTorch hangs, TensorFlow measures its import time
    while time.monotonic() < deadline and not tensorflow_has_a_row():
        time.sleep(0.2)
    assert list(tmp_path.glob("fwadvise-pytorch-*"))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in err and str(output) in err
    saved = json.loads(output.read_text())
    assert saved["interrupted"] is True
    assert any(r["framework"] == "tensorflow" and r.get("median_s") for r in saved["results"])
    assert all(r.get("error") for r in saved["results"] if r["framework"] == "pytorch")


def test_rounds_pool_samples_and_keep_errors() -> None:
    a = {
        "workload": "gemm",
        "mode": "eager",
        "framework": "pytorch",
        "median_s": 1.0,
        "throughput": 2.0,
        "samples_s": [1.0] * 5,
        "peak_memory_mb": 10.0,
    }
    b = {**a, "median_s": 3.0, "throughput": 2 / 3, "samples_s": [3.0] * 6, "peak_memory_mb": 30.0}
    failed = {
        "workload": "gemm",
        "mode": "eager",
        "framework": "pytorch",
        "error": "worker timed out after 5 s",
    }
    [row] = runner.merge_rounds([[a], [b], [failed]])
    assert row["repeats"] == 11 and row["median_s"] == 3.0
    assert row["throughput"] == pytest.approx(2 / 3)  # work per call is the same in every round
    assert row["peak_memory_mb"] == 30.0 and row["rounds"] == 2
    assert row["round_errors"] == ["worker timed out after 5 s"]
    assert runner.merge_rounds([[failed], [failed]]) == [failed]
    [cut] = runner.merge_rounds([[a], [{**b, "incomplete": "interrupted (Ctrl-C)"}]])
    assert cut["incomplete"] == "interrupted (Ctrl-C)"  # the second pair's, kept
    assert "incomplete" not in runner.merge_rounds([[a], [b]])[0]


TRAPS = ("argparse", "torch", "numpy", "json")


@pytest.mark.slow
def test_a_probe_run_in_a_hostile_folder_imports_nothing_from_it(tmp_path: Path) -> None:
    """People scan and then measure in repositories they did not write: a `torch.py` or an
    `argparse.py` there must neither run nor stand in for the real module."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in TRAPS:
        (repo / f"{name}.py").write_text(
            "from pathlib import Path\n"
            f"Path(__file__).with_name('RAN-{name}').write_text('trap ran')\n"
            "__version__ = '0.0-trap'\n"
        )
    fwadvise_script = Path(sys.executable).with_name("fwadvise")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    done = subprocess.run(
        [str(fwadvise_script), "probe", "--frameworks", "pytorch", "--fresh", "-o", "ev.json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in repo.glob("RAN-*")) == []
    evidence = json.loads((repo / "ev.json").read_text())
    torch_info = evidence["frameworks"]["pytorch"]
    assert torch_info["available"] and torch_info["version"] != "0.0-trap"
    assert any("median_s" in row for row in evidence["results"])
