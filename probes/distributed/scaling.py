"""Data-parallel scaling of both frameworks: the same model and global batch at 1 and N workers.

    evidence = run_scaling(workers=2)                       # this machine, loopback only
    evidence = run_scaling(workers=4, nodes=Nodes(2, 1, "10.0.0.5:29500"))  # node 1 of 2
    merged = merge_nodes([node0_evidence, node1_evidence])

Rows (workload `data_parallel`, mode `workers-K`, one per framework and worker count) carry
seconds per step (rank 0's timed windows), steps/s, samples/s, the time from launch to the first
finished step (start-up and rendezvous, the slowest rank), the communication settings and the
ranks' weight checksums after training (`ranks_agree`). The N-worker row adds the speedup over
one worker and the scaling efficiency (speedup / N) with a bootstrap 95% interval over the
windows: its half-width is the run's noise floor. A run that fails is a row with `error`.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwadvise.probes.detect import detect_hardware, fingerprint
from fwadvise.probes.distributed.launch import (
    GroupOutcome,
    free_port,
    group_env,
    python_command,
    run_group,
)
from fwadvise.probes.stats import Measurement, bootstrap_ratio

WORKLOAD = "data_parallel"
FRAMEWORKS = ("pytorch", "tensorflow")
DEFAULT_TIMEOUT_S = 300.0
AGREE_RTOL = 1e-5  # float32 all-reduce orders differ across ranks only in the last bits


@dataclass(frozen=True)
class Nodes:
    """Where this machine sits in a multi-node run (count 1: this machine alone)."""

    count: int = 1
    rank: int = 0
    rendezvous: str | None = None  # HOST:PORT of node 0 (torchrun's master)
    tf_workers: tuple[str, ...] = ()  # every TensorFlow worker's HOST:PORT, node by node


@dataclass(frozen=True)
class Plan:
    workers: int  # per node
    global_batch: int = 128
    warmup: int = 3
    windows: int = 7
    steps_per_window: int = 10
    device: str = "cpu"
    timeout_s: float = DEFAULT_TIMEOUT_S
    nodes: Nodes = Nodes()

    def worker_args(self, result_dir: Path) -> list[str]:
        return [
            "--result-dir",
            str(result_dir),
            "--global-batch",
            str(self.global_batch),
            "--warmup",
            str(self.warmup),
            "--windows",
            str(self.windows),
            "--steps-per-window",
            str(self.steps_per_window),
        ]


def torch_commands(plan: Plan, workers: int, nodes: Nodes, result_dir: Path) -> list[list[str]]:
    launcher = python_command("-m", "torch.distributed.run", f"--nproc-per-node={workers}")
    if nodes.count > 1:  # static rendezvous: node ranks as Slurm or the PyTorchJob give them
        host, _, port = (nodes.rendezvous or "").rpartition(":")
        launcher += [f"--nnodes={nodes.count}", f"--node-rank={nodes.rank}"]
        launcher += [f"--master-addr={host}", f"--master-port={port}"]
    else:
        endpoint = f"127.0.0.1:{free_port()}"
        launcher += ["--nnodes=1", "--rdzv-backend=c10d", f"--rdzv-endpoint={endpoint}"]
    launcher += ["--max-restarts=0", "-m", "fwadvise.probes.distributed.torch_ddp"]
    return [launcher + plan.worker_args(result_dir)]


def tf_cluster(workers: int, nodes: Nodes) -> list[str]:
    if nodes.count > 1:
        return list(nodes.tf_workers)
    return [f"127.0.0.1:{free_port()}" for _ in range(workers)] if workers > 1 else []


def tf_commands(
    plan: Plan, workers: int, nodes: Nodes, result_dir: Path
) -> tuple[list[list[str]], list[dict[str, str]]]:
    """One process per worker, each with its TF_CONFIG (none for a single worker)."""
    import json

    cluster = tf_cluster(workers, nodes)
    command = python_command("-m", "fwadvise.probes.distributed.tf_mwms")
    command += plan.worker_args(result_dir)
    configs = []
    for local in range(workers):
        index = nodes.rank * workers + local
        task = {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}
        config = {"TF_CONFIG": json.dumps(task)} if cluster else {}
        configs.append({**config, "FWADVISE_LOCAL_RANK": str(local)})
    return [command] * workers, configs


# A port found free can be taken by another program before the workers bind it; such a run
# is tried once more with new ports (loopback runs only: a multi-node address is the user's).
PORT_TAKEN = ("Could not start gRPC server", "Address already in use", "EADDRINUSE")


def launch(framework: str, plan: Plan, workers: int, nodes: Nodes) -> tuple[GroupOutcome, int]:
    """Run one configuration; returns the outcome and the first global rank on this node."""
    outcome, first = _launch_once(framework, plan, workers, nodes)
    failure = outcome.failure or ""
    if nodes.count == 1 and any(sign in failure for sign in PORT_TAKEN):
        outcome, first = _launch_once(framework, plan, workers, nodes)
        outcome.retried_because = failure
    return outcome, first


def _launch_once(
    framework: str, plan: Plan, workers: int, nodes: Nodes
) -> tuple[GroupOutcome, int]:
    """One attempt, in a temporary folder that is removed after."""
    first_rank = nodes.rank * workers
    ranks = list(range(first_rank, first_rank + workers))
    extra = {"FWADVISE_DIST_DEVICE": plan.device}
    with tempfile.TemporaryDirectory(prefix=f"fwadvise-dist-{framework}-") as tmp:
        workdir = Path(tmp)
        if framework == "pytorch":
            commands = torch_commands(plan, workers, nodes, workdir)
            envs = [group_env(extra)]
        else:
            commands, configs = tf_commands(plan, workers, nodes, workdir)
            if nodes.count > 1 and "TF_CONFIG" not in configs[0]:
                return GroupOutcome(failure=_NO_TF_CLUSTER), first_rank
            base = group_env(extra)  # every worker gets the same launch time, its own TF_CONFIG
            envs = [{**base, **config} for config in configs]
        outcome = run_group(commands, envs, workdir, timeout_s=plan.timeout_s, ranks=ranks)
        return outcome, first_rank


_NO_TF_CLUSTER = "a multi-node TensorFlow run needs every worker's address (--tf-workers)"


def rows_for(
    framework: str, workers: int, plan: Plan, outcome: GroupOutcome, first_rank: int
) -> dict[str, Any]:
    """One evidence row for one configuration: measured (this node's first rank's windows),
    or an error saying why not."""
    total = workers * plan.nodes.count if workers > 1 else 1
    row: dict[str, Any] = {
        "workload": WORKLOAD,
        "framework": framework,
        "device": plan.device,
        "mode": f"workers-{total}",
        "params": {
            "workers": total,
            "workers_per_node": workers,
            "nodes": plan.nodes.count if workers > 1 else 1,
            "node_rank": plan.nodes.rank,
            "global_batch": plan.global_batch,
            "model": "MLP 512-1024-10, SGD",
        },
    }
    hello = outcome.hellos.get(first_rank) or {}
    if hello:
        row["communication"] = hello.get("communication")
        row["framework_version"] = hello.get("version")
    lead = outcome.rows.get(first_rank)
    if outcome.failure or lead is None:
        row["error"] = outcome.failure or "the first rank sent no result"
        row["ranks_reported"] = sorted(outcome.rows)
        return row
    measured = Measurement(tuple(lead["samples_s"]), number=plan.steps_per_window)
    summary = measured.summary()
    steps_s = 1.0 / measured.median_s
    row.update(summary)
    row["steps_per_s"] = steps_s
    row["throughput"] = steps_s * plan.global_batch
    row["unit"] = "samples/s"
    row["time_to_first_step_s"] = max(r["time_to_first_step_s"] for r in outcome.rows.values())
    row["rank_checksums"] = {str(r): v["weights_checksum"] for r, v in outcome.rows.items()}
    row["ranks_agree"] = checksums_agree(list(row["rank_checksums"].values()))
    row["wall_s"] = round(outcome.wall_s, 2)
    if outcome.retried_because:
        row["retried_because"] = outcome.retried_because
    return row


def checksums_agree(checksums: list[list[float]]) -> bool:
    first = checksums[0]
    return all(
        math.isclose(a, b, rel_tol=AGREE_RTOL, abs_tol=1e-6)
        for other in checksums[1:]
        for a, b in zip(first, other, strict=True)
    )


def add_efficiency(one: dict[str, Any], many: dict[str, Any]) -> None:
    """Speedup and scaling efficiency of the N-worker row over the 1-worker row, with the
    bootstrap interval over both rows' windows; no figure where either failed."""
    if one.get("error") or many.get("error"):
        return
    workers = many["params"]["workers"]
    interval = bootstrap_ratio(one["samples_s"], many["samples_s"])
    many["speedup"] = interval.ratio
    many["scaling_efficiency"] = interval.ratio / workers
    many["efficiency_ci"] = [interval.low / workers, interval.high / workers]
    many["noise_floor"] = (interval.high - interval.low) / 2 / workers
    many["baseline_matches"] = checksums_agree(
        [one["rank_checksums"]["0"], next(iter(many["rank_checksums"].values()))]
    )


def run_scaling(
    workers: int,
    frameworks: tuple[str, ...] = FRAMEWORKS,
    *,
    plan: Plan | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Measure each framework at 1 worker (node 0 only) and at N workers; the evidence document."""
    started = time.monotonic()
    plan = plan or Plan(workers=workers)
    hardware = detect_hardware()
    evidence: dict[str, Any] = {
        "schema_version": 1,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "label": label,
        "suite": "distributed",
        "fingerprint": fingerprint(hardware),
        "threads": 1,
        "device_requested": plan.device,
        "interrupted": False,
        "hardware": hardware,
        "frameworks": {},
        "results": [],
        "distributed": {"workers_per_node": workers, "nodes": plan.nodes.count},
    }
    for framework in frameworks:
        rows = []
        counts = [1, workers] if plan.nodes.rank == 0 else [workers]
        for count in counts:
            nodes = plan.nodes if count > 1 else Nodes()
            outcome, first = launch(framework, plan, count, nodes)
            rows.append(rows_for(framework, count, plan, outcome, first))
            _framework_entry(evidence, framework, outcome, first)
        if len(rows) == 2:
            add_efficiency(rows[0], rows[1])
        evidence["results"] += rows
    evidence["duration_s"] = round(time.monotonic() - started, 2)
    evidence["scaling"] = scaling_summary(evidence["results"])
    return evidence


def _framework_entry(
    evidence: dict[str, Any], framework: str, outcome: GroupOutcome, first: int
) -> None:
    hello = outcome.hellos.get(first)
    known = evidence["frameworks"].get(framework)
    if hello:
        evidence["frameworks"][framework] = {"available": True, "version": hello.get("version")}
    elif known is None:
        reason = outcome.failure or "no worker reported"
        evidence["frameworks"][framework] = {"available": None, "reason": reason}


def scaling_summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per framework, the curve's points: workers -> samples/s (measured rows only)."""
    curves: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        if row.get("workload") != WORKLOAD or row.get("error"):
            continue
        point = {
            "workers": row["params"]["workers"],
            "samples_per_s": row["throughput"],
            "steps_per_s": row["steps_per_s"],
            "efficiency": row.get("scaling_efficiency"),
        }
        curves.setdefault(row["framework"], []).append(point)
    return [
        {"framework": fw, "points": sorted(points, key=lambda p: p["workers"])}
        for fw, points in curves.items()
    ]


def merge_nodes(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One evidence document from every node's: node 0's rows (it holds rank 0's timing and
    the 1-worker baseline), each N-worker row joined by the other nodes' ranks, their
    checksums and first-step times; every node's hardware under `nodes`."""
    ordered = sorted(documents, key=_node_rank)
    merged = dict(ordered[0])
    merged["results"] = [dict(row) for row in ordered[0]["results"]]
    merged["nodes"] = [{"node_rank": _node_rank(d), "hardware": d["hardware"]} for d in ordered]
    for other in ordered[1:]:
        for row in other["results"]:
            target = _matching(merged["results"], row)
            if target is None:
                merged["results"].append(row)
                continue
            if row.get("error") and not target.get("error"):
                target["error_on_node"] = {str(row["params"]["node_rank"]): row["error"]}
            target.setdefault("rank_checksums", {}).update(row.get("rank_checksums") or {})
            first = [target.get("time_to_first_step_s"), row.get("time_to_first_step_s")]
            known = [s for s in first if s is not None]
            if known and not target.get("error"):
                target["time_to_first_step_s"] = max(known)
    for row in merged["results"]:
        if row.get("rank_checksums") and not row.get("error"):
            row["ranks_agree"] = checksums_agree(list(row["rank_checksums"].values()))
    merged["scaling"] = scaling_summary(merged["results"])
    return merged


def _node_rank(document: dict[str, Any]) -> int:
    ranks = [r["params"].get("node_rank", 0) for r in document.get("results", [])]
    return int(min(ranks, default=0))


def _matching(rows: list[dict[str, Any]], row: dict[str, Any]) -> dict[str, Any] | None:
    for candidate in rows:
        if (candidate["framework"], candidate["mode"]) == (row["framework"], row["mode"]):
            return candidate
    return None
