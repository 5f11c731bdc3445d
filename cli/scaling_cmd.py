"""`fwadvise probe --distributed N` and `--merge`: the terminal side of probes/distributed/.

probe_cmd.py parses the options and hands them here: check them (exit 2 with one message),
measure, show the scaling table, write the evidence; or merge every node's evidence into one.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console


def _fail(message: str) -> typer.Exit:
    import sys

    sys.stderr.write(f"fwadvise: error: {message}\n")
    return typer.Exit(2)


def check_address(text: str, option: str) -> str:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _fail(f"{option} {text!r}: give HOST:PORT (e.g. 10.0.0.5:29500)")
    return text


def nodes_from(
    workers: int, nnodes: int, node_rank: int, rdzv: str | None, tf_workers: str | None
) -> Any:
    """The multi-node settings, checked: exit 2 naming the option and what is allowed."""
    from fwadvise.probes.distributed.scaling import Nodes

    if workers < 2:
        raise _fail(f"--distributed {workers}: give 2 or more workers per machine")
    if nnodes < 1 or not 0 <= node_rank < nnodes:
        raise _fail(f"--node-rank {node_rank}: must be from 0 to --nnodes - 1 ({nnodes - 1})")
    if nnodes == 1:
        return Nodes()
    if rdzv is None:
        raise _fail("--nnodes above 1 needs --rdzv HOST:PORT (node 0's address, a free port)")
    addresses = tuple(a.strip() for a in (tf_workers or "").split(",") if a.strip())
    for address in addresses:
        check_address(address, "--tf-workers")
    if addresses and len(addresses) != workers * nnodes:
        raise _fail(
            f"--tf-workers lists {len(addresses)} addresses; {nnodes} machines x {workers} "
            f"workers need {workers * nnodes}"
        )
    return Nodes(nnodes, node_rank, check_address(rdzv, "--rdzv"), addresses)


def measure(
    console: "Console",
    workers: int,
    frameworks: tuple[str, ...],
    device: str,
    nodes: Any,
    timeout: float | None,
) -> dict[str, Any]:
    from fwadvise.probes.distributed.scaling import DEFAULT_TIMEOUT_S, Plan, run_scaling

    plan = Plan(
        workers=workers,
        device="cuda" if device == "cuda" else "cpu",
        timeout_s=timeout or DEFAULT_TIMEOUT_S,
        nodes=nodes,
    )
    with console.status(f"data-parallel training at 1 and {workers} workers per framework"):
        return run_scaling(workers, frameworks, plan=plan)


def add_to_full(
    console: "Console",
    evidence: dict[str, Any],
    frameworks: tuple[str, ...],
    device: str,
    timeout: float | None,
) -> None:
    """`probe --full` adds the 1- and 2-worker rows where the machine has 2 cores to give."""
    from fwadvise.probes.detect import usable_cores
    from fwadvise.probes.distributed.scaling import Nodes

    if usable_cores() < 2:
        evidence.setdefault("notes", []).append("data-parallel rows left out: one usable core")
        return
    scaling = measure(console, 2, frameworks, device, Nodes(), timeout)
    evidence["results"] += scaling["results"]
    evidence["scaling"] = scaling["scaling"]


def scaling_table(evidence: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Data-parallel training, same model and global batch", show_lines=True)
    columns = ("framework", "workers", "steps/s", "samples/s", "efficiency [95% CI]")
    for column in (*columns, "first step", "communication"):
        table.add_column(column)
    for row in evidence["results"]:
        if row.get("workload") != "data_parallel":
            continue
        table.add_row(row["framework"], str(row["params"]["workers"]), *_figures(row))
    return table


def _figures(row: dict[str, Any]) -> tuple[str, ...]:
    from rich.markup import escape

    communication = row.get("communication") or {}
    settings = f"{communication.get('engine', '')}\n{communication.get('backend', '')}"
    if row.get("error"):
        return ("[red]" + escape(row["error"][:90]) + "[/]", "", "", "", escape(settings))
    efficiency = "-"
    if row.get("scaling_efficiency") is not None:
        low, high = row["efficiency_ci"]
        efficiency = f"{row['scaling_efficiency']:.0%} [{low:.0%}, {high:.0%}]"
    agree = "" if row.get("ranks_agree") else "\n[red]ranks disagree[/]"
    return (
        f"{row['steps_per_s']:.1f}{agree}",
        f"{row['throughput']:,.0f}",
        efficiency,
        f"{row['time_to_first_step_s']:.1f} s",
        escape(settings),
    )


def run(
    console: "Console",
    workers: int,
    frameworks: tuple[str, ...],
    device: str,
    nodes: Any,
    timeout: float | None,
    output: Path | None,
) -> None:
    from fwadvise.advisor.files import cache_dir

    evidence = measure(console, workers, frameworks, device, nodes, timeout)
    console.print(scaling_table(evidence))
    console.print(
        "efficiency = speedup over 1 worker / workers; the interval's half-width is the run's "
        "noise floor"
    )
    target = output or cache_dir() / f"scaling-{evidence['fingerprint']}-node{nodes.rank}.json"
    write(console, evidence, target)


def merge(console: "Console", files: list[Path], output: Path | None) -> None:
    """`--merge FILE ...`: every node's evidence into one (written to --output)."""
    from fwadvise.probes.distributed.scaling import merge_nodes
    from fwadvise.probes.evidence import EvidenceError, load_evidence

    if output is None:
        raise _fail("--merge needs --output FILE for the merged evidence")
    documents = []
    for path in files:
        try:
            documents.append(load_evidence(path).model_dump(mode="json"))
        except EvidenceError as exc:
            raise _fail(str(exc)) from None
    merged = merge_nodes(documents)
    console.print(scaling_table(merged))
    write(console, merged, output)


def write(console: "Console", evidence: dict[str, Any], path: Path) -> None:
    from fwadvise.probes.evidence import write_evidence

    try:
        write_evidence(evidence, path)
    except OSError as exc:
        raise _fail(f"{path}: cannot write: {exc.strerror or exc}") from None
    console.print(f"Evidence written: {path}")
