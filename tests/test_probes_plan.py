"""What each suite measures where: the CPU full suite's rows, the rows named by --workloads, the
target a run plans for, and how many turns a slow standard-size call gets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fwadvise.cli.app import app
from fwadvise.probes import architectures as arch
from fwadvise.probes import runner
from fwadvise.probes.runner import MIN_TURNS, Alternation, plan_entry, plan_target
from fwadvise.probes.suite import BUDGETS, catalogue, left_out, plan


def arch_rows(tasks: list[Any]) -> set[tuple[str, str]]:
    return {(t.workload, t.mode) for t in tasks if "arch" in t.params}


def test_the_cpu_full_suite_runs_the_advice_rows_of_every_architecture() -> None:
    rows = arch_rows(plan("full", target="cpu"))
    for name, kinds in arch.KINDS.items():
        served = "generate" if "generate" in kinds else "latency"
        assert (f"{name}_{served}", "compiled") in rows  # what the advice reads
        assert (f"{name}_train", "eager") in rows  # how PyTorch teams train
        assert ((f"{name}_train", "compiled") in rows) == (name != "mobilenet_v2")
    assert all(t.params["size"] == "standard" for t in plan("full") if "arch" in t.params)
    # the rest is a GPU's, and the evidence names it as not measured
    assert not any("bf16" in w or "throughput" in w for w, _ in rows)
    assert ("resnet50_latency", "eager") not in rows
    missing = {f"{t.workload} {t.mode}" for t in left_out("full", "cpu")}
    assert {"resnet50_train_bf16 eager", "bert_base_throughput eager"} <= missing
    assert {"resnet50_latency eager", "mobilenet_v2_train compiled"} <= missing
    assert missing.isdisjoint(f"{w} {m}" for w, m in rows)
    # every rule of kind `measured` finds its row (compiled) in the CPU full suite
    rules = Path(__file__).parents[1].joinpath("knowledge/rules.yaml").read_text()
    compiled = {t.workload for t in plan("full", target="cpu") if t.mode == "compiled"}
    for name in set(re.findall(r"measured: ([a-z0-9_]+)\.faster", rules)):
        if name not in ("conv", "lstm", "transformer"):  # stand-ins for older evidence
            assert name in compiled, name


def test_a_gpu_runs_the_whole_matrix_and_the_quick_suite_is_unchanged() -> None:
    gpu = arch_rows(plan("full", target="cuda"))
    assert gpu == arch_rows(catalogue("full"))
    assert ("resnet50_train_bf16", "eager") in gpu and ("bert_base_throughput", "compiled") in gpu
    assert left_out("full", "cuda") == []
    assert plan("quick", target="cpu") == plan("quick", target="cuda")
    # the full suite is the real architectures and the MLP: the other stand-ins when named
    workloads = {t.workload for t in plan("full")}
    assert not workloads & {"conv", "lstm", "gemm", "transformer"}
    assert {"train_step", "infer_latency"} <= workloads


def test_workloads_pick_any_row_the_suite_knows() -> None:
    chosen = plan("full", ("resnet50_train_bf16", "conv"), target="cpu")
    assert {t.workload for t in chosen} == {"import", "resnet50_train_bf16", "conv"}
    with pytest.raises(ValueError, match=r"unknown workload.*resnet51_train.*valid: .*resnet50"):
        plan("full", ("resnet51_train",))


def test_a_run_plans_for_the_device_asked_or_the_gpu_it_sees(monkeypatch: Any) -> None:
    monkeypatch.setattr(runner, "nvidia_driver", lambda: False)
    nvidia = {"gpus": [{"vendor": "nvidia", "name": "NVIDIA H100"}]}
    assert plan_target("cpu", nvidia) == "cpu"
    assert plan_target("cuda", {"gpus": []}) == "cuda"
    assert plan_target("auto", nvidia) == "cuda"
    assert plan_target("auto", {"gpus": [{"vendor": "amd"}]}) == "cpu"
    monkeypatch.setattr(runner, "nvidia_driver", lambda: True)  # no nvidia-ml-py, a driver
    assert plan_target("auto", {"gpus": []}) == "cuda"
    assert runner.default_rounds("full", "cpu") == runner.CPU_FULL_ROUNDS < 3
    assert runner.default_rounds("full", "cuda") == runner.default_rounds("quick", "cpu") == 3
    entry = plan_entry("full", "cpu", None)
    assert entry["target"] == "cpu" and "lstm_speech_throughput eager" in entry["left_out"]
    assert plan_entry("full", "cpu", ("resnet50_train",))["left_out"] == []
    note = runner.left_out_note(entry)
    assert note and "--workloads" in note[0] and "resnet50_train_bf16" in note[0]


def turn(calls: int, estimate_s: float) -> float:
    """A warm-up turn's length: its calls at the turn's estimate."""
    return calls * estimate_s


class FakeSide:
    """A worker that answers the parent's commands at once: each call takes `call_s`."""

    def __init__(self, framework: str, call_s: float) -> None:
        self.framework, self.call_s, self.available = framework, call_s, True
        self.commands: list[tuple[str, bool]] = []

    def ask(self, cmd: str, kinds: tuple[str, ...], **fields: Any) -> dict[str, Any]:
        self.commands.append((cmd, bool(fields.get("record", True))))
        if cmd == "prepare":
            return {"type": "ready", "first_call_s": 9.0, "warm_s": self.call_s}
        if cmd == "turn":
            return {"type": "turn", "calls": 1, "estimate_s": self.call_s}
        return {"type": "row", "row": {}}


@pytest.mark.parametrize(("pytorch_s", "warm_up_turns"), [(0.05, 1), (1.2, 0)])
def test_a_warm_up_turn_only_where_a_turn_holds_several_calls(
    pytorch_s: float, warm_up_turns: int
) -> None:
    """Where every call fills a turn alone (a standard-size model), the set-up's warm-up call
    is the warm-up: no unrecorded turn, and the turns are sized by that call."""
    sides = [FakeSide("pytorch", pytorch_s), FakeSide("tensorflow", 1.5)]
    Alternation(sides, "full")._rotate(plan("full", ("resnet50_train",))[1:2], [])  # type: ignore[arg-type]
    for side in sides:
        assert side.commands.count(("turn", False)) == warm_up_turns
        assert side.commands.count(("turn", True)) == MIN_TURNS  # TensorFlow's 1.5 s decides


class LoggedSide(FakeSide):
    """A FakeSide that also takes a command and its reply apart, logging both in one list."""

    def __init__(self, framework: str, log: list[tuple[str, str]]) -> None:
        super().__init__(framework, 0.01)
        self.log = log

    def send(self, cmd: str, **fields: Any) -> bool:
        self.log.append(("send", self.framework))
        return True

    def await_reply(self, kinds: tuple[str, ...]) -> dict[str, Any]:
        self.log.append(("reply", self.framework))
        return self.ask("prepare", kinds)

    def ask(self, cmd: str, kinds: tuple[str, ...], **fields: Any) -> dict[str, Any]:
        if fields:  # a whole command at once, not through send and await_reply
            self.log.append(("ask", self.framework))
        return super().ask(cmd, kinds, **fields)


def test_both_sides_build_an_eager_task_at_once_but_compile_one_after_the_other() -> None:
    log: list[tuple[str, str]] = []
    sides = [LoggedSide("pytorch", log), LoggedSide("tensorflow", log)]
    alternation = Alternation(sides, "quick", concurrent_setup=True)  # type: ignore[arg-type]
    eager, compiled = (t for t in plan("quick") if t.workload == "infer_latency")
    assert len(alternation._ready(eager)) == 2
    assert [kind for kind, _ in log] == ["send", "send", "reply", "reply"]
    log.clear()
    assert len(alternation._ready(compiled)) == 2  # its first call is the compile time shown
    assert log == [("ask", "pytorch"), ("ask", "tensorflow")]


class TaskLoggedSide(FakeSide):
    """A FakeSide that logs which task each command was for."""

    def __init__(self, framework: str, log: list[tuple[str, str]]) -> None:
        super().__init__(framework, 0.01)
        self.log = log

    def await_reply(self, kinds: tuple[str, ...]) -> dict[str, Any]:
        return {"type": "hello"}

    def ask(self, cmd: str, kinds: tuple[str, ...], **fields: Any) -> dict[str, Any]:
        if self.framework == "pytorch":  # one side's log: the other's mirrors it
            warm_up = cmd == "turn" and not fields.get("record", True)
            self.log.append(("warm-up" if warm_up else cmd, fields["workload"]))
        return super().ask(cmd, kinds, **fields)


def measured(suite: str) -> list[tuple[str, str]]:
    """The pytorch side's commands in a run of two paired tasks, with the calibration."""
    log: list[tuple[str, str]] = []
    sides = [TaskLoggedSide("pytorch", log), TaskLoggedSide("tensorflow", log)]
    tasks = [t for t in plan(suite, ("gemm", "infer_latency")) if t.mode == "eager"]
    Alternation(sides, suite).run(tasks, calibrate=True)  # type: ignore[arg-type]
    return [entry for entry in log if entry[0] != "run"]  # not the import row


def test_the_quick_suite_rotates_its_tasks_turn_by_turn() -> None:
    """Every task is set up first, then warmed up (a set-up hands free memory back, and the
    next step of an earlier task would fault it in again), then each round gives every task
    one turn, so a slow spell of the host lands on all of them; the calibration's turns are
    spread among them."""
    log = measured("quick")
    assert log[:7] == [
        ("prepare", "calibration"),
        ("prepare", "gemm"),
        ("prepare", "infer_latency"),
        ("warm-up", "gemm"),
        ("warm-up", "infer_latency"),
        ("turn", "gemm"),
        ("turn", "infer_latency"),
    ]
    turns = [workload for cmd, workload in log if cmd == "turn"]  # recorded ones
    rounds = BUDGETS["quick"]["turns"]
    assert turns.count("gemm") == turns.count("infer_latency") == rounds
    assert turns.count("calibration") == 2 * BUDGETS["quick"]["calibration_turns"]
    assert turns[-1] == "calibration" and turns.index("calibration") < len(turns) - 1  # spread


def test_the_full_suite_measures_one_task_at_a_time() -> None:
    """Standard-size models are too big to keep several at once: one task is finished
    before the next one is set up."""
    log = measured("full")
    assert log.index(("finish", "gemm")) < log.index(("prepare", "infer_latency"))


def test_slow_calls_get_fewer_turns_never_under_two() -> None:
    full = Alternation([], "full")
    budget = BUDGETS["full"]
    # short calls fill a turn's seconds: as many turns as the task's seconds hold
    short = full.turn_count([turn(40, 0.005), turn(30, 0.008)])
    assert short == min(budget["turns"], int(budget["task_s"] / budget["turn_s"])) > MIN_TURNS
    assert full.turn_count([turn(1, 0.5), turn(1, 0.4)]) == int(budget["task_s"] / 0.5)
    assert full.turn_count([turn(1, 0.2), turn(1, 4.6)]) == MIN_TURNS  # the slower side decides
    assert full.turn_count([]) == budget["turns"]
    quick = Alternation([], "quick")  # the quick suite keeps its fixed count
    assert quick.turn_count([turn(1, 9.0)]) == BUDGETS["quick"]["turns"]


def test_probe_workloads_are_checked_before_anything_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["probe", "--full", "--workloads", "resnet50_trian"])
    assert result.exit_code == 2
    assert "--workloads: unknown workload(s): resnet50_trian; valid:" in result.output
    assert "resnet50_train" in result.output


def test_tensorflow_workers_share_an_xla_cache_per_version(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from fwadvise.probes import session
    from fwadvise.probes.harness import xla_cache_warm

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    monkeypatch.setattr(session, "framework_versions", lambda: {"tensorflow": "2.21.0"})
    env = session.worker_env(2)
    folder = tmp_path / "fwadvise" / "xla" / "2.21.0"
    flags = env["TF_XLA_FLAGS"].split()
    assert flags == ["--tf_xla_auto_jit=0", f"--tf_xla_persistent_cache_directory={folder}"]
    assert folder.is_dir() and not xla_cache_warm(env)  # the user's own flags are kept
    (folder / "xla_compile_cache__1__2__XLA_CPU_JIT.pb").write_bytes(b"")
    assert xla_cache_warm(env) and not xla_cache_warm({})
    # a folder TF_XLA_FLAGS cannot carry (it splits on spaces), or cannot be made: no cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "with space"))
    assert "persistent" not in session.worker_env(2)["TF_XLA_FLAGS"]
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert "persistent" not in session.worker_env(2)["TF_XLA_FLAGS"]
