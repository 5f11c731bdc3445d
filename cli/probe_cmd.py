"""`fwadvise probe`: measure both frameworks on this machine, show the figures, save the evidence.

Registered by cli/app.py as `app.command("probe")(probe)`. All measuring lives in probes/; this is
the terminal skin: a progress bar, a results table, the cache and --output.
"""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fwadvise.cli import scaling_cmd

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichBar


FRAMEWORK_NAMES = ("pytorch", "tensorflow")
DEVICE_NAMES = ("cpu", "cuda", "auto")


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"fwadvise: error: {message}\n")
    return typer.Exit(2)


def parse_frameworks(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FRAMEWORK_NAMES]
    if unknown or not names:
        bad = ", ".join(unknown) or "nothing"
        raise _fail(f"--frameworks: unknown {bad!r}; valid: {', '.join(FRAMEWORK_NAMES)}")
    return names


def parse_workloads(text: str | None, suite: str) -> tuple[str, ...] | None:
    """--workloads: names the suite knows (probes/suite.py's catalogue), or exit 2 naming them."""
    from fwadvise.probes.suite import plan

    if text is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise _fail("--workloads: give one or more names, e.g. resnet50_train,bert_base_latency")
    try:
        plan(suite, names)
    except ValueError as exc:
        raise _fail(f"--workloads: {exc}") from None
    return names


def check_timeout(timeout: float | None) -> float | None:
    if timeout is not None and not 0 < timeout <= 86400:
        raise _fail(f"--timeout {timeout:g}: give seconds per worker, more than 0 (e.g. 120)")
    return timeout


def age_text(seconds: float) -> str:
    """`3 days`, `5 h`, `12 min`, `40 s`; never `0 hours`."""
    seconds = max(seconds, 0.0)
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}{'s' if unit == 'day' and value >= 1.5 else ''}"
    return f"{seconds:.0f} s"


def seconds_text(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def cell(row: dict[str, Any] | None) -> str:
    """One framework's figure for the table: time, throughput, memory, or why there is none."""
    if row is None:
        return ""
    if row.get("error"):
        style = "yellow" if row.get("skipped") else "red"
        return f"[{style}]{_escape(row['error'][:300])}[/]"
    text = seconds_text(row.get("median_s"))
    if row.get("p90_s") and row.get("unit") in ("inferences/s", "tokens/s"):
        text += f" (p90 {seconds_text(row['p90_s'])})"
    if row.get("throughput") and row.get("unit") not in (None, "s", "inferences/s"):
        text += f"\n{row['throughput']:,.0f} {row['unit']}"
    if row.get("memory_growth_mb") is not None:  # CPU: what the task added to the worker
        text += f"\npeak +{row['memory_growth_mb']:,.0f} MB"
    elif row.get("peak_memory_mb") and row.get("device") not in (None, "cpu"):
        text += f"\npeak {row['peak_memory_mb']:,.0f} MB"  # the GPU allocator's peak
    if row.get("first_call_s") and row.get("mode") == "compiled":
        text += f"\nfirst call {seconds_text(row['first_call_s'])}"
    if row.get("size_bytes"):
        text += f"\n{row['size_bytes'] / 1024:,.0f} KiB, {row.get('runtime', '')}"
    if row.get("reliable") is False and row.get("workload") != "import":
        text += " [dim]few calls[/]" if row.get("few_samples") else " [yellow]noisy[/]"
    return text


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def results_table(evidence: dict[str, Any]) -> Any:
    """Rows by workload and mode, the two frameworks side by side, with the ratio's interval."""
    from rich.table import Table

    from fwadvise.probes.compare import compare

    comparisons = {(c.workload, c.mode, c.device): c for c in compare(evidence)}
    grouped: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for row in evidence["results"]:
        key = (row["workload"], row["mode"], row.get("device", "cpu"))
        grouped.setdefault(key, {})[row["framework"]] = row
    devices = sorted({key[2] for key in grouped})
    one_device = len(devices) == 1  # then named in the title: the table fits 80 columns
    where = f" ({devices[0]})" if one_device else ""
    table = Table(title=f"Measured on this machine{where}", show_lines=True)
    names = ("workload", "mode", *(() if one_device else ("device",)))
    for column in names:  # ids are never cut (`infer_laten…`)
        table.add_column(column, no_wrap=True)
    for column in ("PyTorch", "TensorFlow", "PT/TF time [95% CI]"):
        table.add_column(column, ratio=1, overflow="fold")
    for key, rows in grouped.items():
        table.add_row(
            *key[: len(names)],
            cell(rows.get("pytorch")),
            cell(rows.get("tensorflow")),
            _ratio(comparisons.get(key)),
        )
    return table


def _ratio(comparison: Any) -> str:
    if comparison is None or comparison.ratio is None:
        return ""
    interval = ""
    if comparison.ci_low is not None:
        interval = f" [{comparison.ci_low:.2f}, {comparison.ci_high:.2f}]"
    style = "bold" if comparison.clear else "dim"
    return f"{comparison.ratio:.2f}{interval}\n[{style}]{comparison.verdict}[/]"


class BarProgress:
    """probes.runner.Progress shown as a rich progress bar: what runs now, done/total, estimate."""

    def __init__(self, bar: "RichBar") -> None:
        self.bar = bar
        self.task = bar.add_task("starting", total=None, est="")

    def plan(self, total: int, estimate_s: float) -> None:
        self.bar.update(self.task, total=total, est=f"est. ~{estimate_s:.0f} s")

    def starting(self, framework: str, what: str) -> None:
        self.bar.update(self.task, description=f"{framework}: {what}")

    def row(self, row: dict[str, Any]) -> None:
        self.bar.advance(self.task)


@contextmanager
def progress_bar(console: "Console") -> Iterator["BarProgress"]:
    """A progress bar on `console` for the duration of a probe run."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[est]}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        yield BarProgress(bar)


def _measure(console: "Console", **options: Any) -> dict[str, Any]:
    from fwadvise.probes.runner import run_probes

    with progress_bar(console) as shown:
        return run_probes(progress=shown, **options)


def _save(console: "Console", evidence: dict[str, Any], output: Path | None) -> None:
    """The file asked for first; the cache is a convenience (an unwritable one is only said)."""
    from fwadvise.advisor.files import cache_dir
    from fwadvise.probes.cache import save_cached

    if output is not None:
        _write_output(console, evidence, output)
    if (evidence.get("plan") or {}).get("workloads"):
        return  # a chosen subset: reusing it would answer a whole suite's request with it
    cached = save_cached(evidence)
    if cached is not None:
        console.print(f"Evidence cached: {cached}")
    elif not evidence.get("interrupted"):
        console.print(f"[yellow]note:[/] not cached: cannot write {_escape(str(cache_dir()))}")


def _show(console: "Console", evidence: dict[str, Any]) -> None:
    frameworks = evidence.get("frameworks") or {}
    if frameworks and not any(info.get("available") for info in frameworks.values()):
        _nothing_ran(console, evidence)
        return
    console.print(results_table(evidence))
    hw = evidence.get("hardware") or {}
    cpu = hw.get("cpu") or {}
    gpus = ", ".join(g.get("name", "?") for g in hw.get("gpus") or []) or "none"
    threads = evidence.get("threads")
    console.print(
        f"{cpu.get('model')} ({cpu.get('usable_cores')} usable cores, {threads} "
        f"thread{'' if threads == 1 else 's'} per framework), GPUs: {gpus}; "
        f"suite {evidence.get('suite')}, {evidence.get('duration_s', 0):.0f} s"
    )
    for name, info in (evidence.get("frameworks") or {}).items():
        if info.get("available"):
            console.print(f"{name} {info.get('version')} on {info.get('device')}")
        else:
            console.print(f"[red]{name}: {_escape(str(info.get('reason')))}[/]")
            if info.get("available") is False:  # None: never asked (an interrupted run)
                _install_hint(console, name, evidence)
    for note in evidence.get("notes") or []:
        console.print(f"[yellow]note:[/] {_escape(note)}")


def _nothing_ran(console: "Console", evidence: dict[str, Any]) -> None:
    """Neither framework imports here: how to install them, first; no table of empty cells."""
    console.print("Nothing was measured: neither framework can run here.")
    for name, info in (evidence.get("frameworks") or {}).items():
        console.print(f"[red]{name}: {_escape(str(info.get('reason')))}[/]")
        if info.get("available") is False:
            _install_hint(console, name, evidence)


def _install_hint(console: "Console", framework: str, evidence: dict[str, Any]) -> None:
    """How to install a framework that did not run, for this machine's hardware as measured."""
    from fwadvise.advisor.errors import KnowledgeError
    from fwadvise.advisor.install.advice import hint

    try:
        line = hint(framework, evidence)
    except KnowledgeError as exc:  # the measurements matter more: still show and save them
        console.print(f"[yellow]no install advice: {_escape(str(exc))}[/]")
        return
    console.print(f"  {_escape(line)}")


def probe(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick/--full",
            help="Quick suite (about 1.5 minutes) or the full one (about 10 on a 2-core CPU).",
        ),
    ] = True,
    frameworks: Annotated[
        str,
        typer.Option("--frameworks", metavar="LIST", help="Comma-separated: pytorch,tensorflow."),
    ] = "pytorch,tensorflow",
    device: Annotated[
        str, typer.Option("--device", metavar="cpu|cuda|auto", help="Where to run the workloads.")
    ] = "auto",
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", metavar="SECONDS", help="Limit per framework worker."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Also write evidence here."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Measure again even if cached evidence fits.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Let -o replace a file that is not evidence.")
    ] = False,
    distributed: Annotated[
        int | None,
        typer.Option(
            "--distributed",
            metavar="N",
            help="Data-parallel training at 1 and N workers per machine (torchrun DDP, "
            "MultiWorkerMirroredStrategy); docs/distributed.md.",
        ),
    ] = None,
    nnodes: Annotated[int, typer.Option("--nnodes", help="Machines in a --distributed run.")] = 1,
    node_rank: Annotated[
        int, typer.Option("--node-rank", help="This machine's rank, 0 to --nnodes - 1.")
    ] = 0,
    rdzv: Annotated[
        str | None,
        typer.Option("--rdzv", metavar="HOST:PORT", help="Node 0's address (--nnodes > 1)."),
    ] = None,
    tf_workers: Annotated[
        str | None,
        typer.Option(
            "--tf-workers", metavar="LIST", help="Every TensorFlow worker's HOST:PORT (multi-node)."
        ),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option("--merge", metavar="FILE", help="Merge nodes' evidence into --output."),
    ] = None,
    workloads: Annotated[
        str | None,
        typer.Option(
            "--workloads",
            metavar="LIST",
            help="Measure only these rows (e.g. resnet50_train,bert_base_latency); not cached.",
        ),
    ] = None,
) -> None:
    """Measure PyTorch and TensorFlow on this machine and save the evidence for the advice."""
    from rich.console import Console

    from fwadvise.advisor.files import check_replaceable
    from fwadvise.probes.cache import load_cached, reuse_problem
    from fwadvise.probes.evidence import is_evidence

    names = parse_frameworks(frameworks)
    if device not in DEVICE_NAMES:
        raise _fail(f"--device {device!r}: valid: {', '.join(DEVICE_NAMES)}")
    timeout = check_timeout(timeout)
    if output is not None:  # before measuring, as report -o and scan --save do
        check_replaceable(
            output, flag="--output", force=force, ours=is_evidence, kind="an evidence file"
        )
    suite = "quick" if quick else "full"
    chosen = parse_workloads(workloads, suite)
    console = Console(highlight=False)
    if merge:
        scaling_cmd.merge(console, merge, output)
        return
    if distributed is not None:
        nodes = scaling_cmd.nodes_from(distributed, nnodes, node_rank, rdzv, tf_workers)
        scaling_cmd.run(console, distributed, names, device, nodes, timeout, output)
        return
    cached = None if fresh or chosen else load_cached()
    if cached and reuse_problem(cached, suite=suite, frameworks=names, device=device) is None:
        console.print(
            f"Using evidence measured {age_text(cached.age_s)} ago ({cached.path}); "
            "--fresh measures again."
        )
        _show(console, cached.evidence)
        if output is not None:
            _write_output(console, cached.evidence, output)
        return
    _run(console, suite, names, device, timeout, output, chosen)


def _write_output(console: "Console", evidence: dict[str, Any], output: Path) -> None:
    from fwadvise.probes.evidence import write_evidence

    write_evidence(evidence, output)  # an unwritable target: UserError, one message
    console.print(f"Evidence written: {_escape(str(output))}")


def _run(
    console: "Console",
    suite: str,
    names: tuple[str, ...],
    device: str,
    timeout: float | None,
    output: Path | None,
    workloads: tuple[str, ...] | None = None,
) -> None:
    from fwadvise.advisor.files import cache_dir
    from fwadvise.probes.evidence import write_evidence
    from fwadvise.probes.runner import ProbeInterrupted

    started = time.monotonic()
    try:
        evidence = _measure(
            console,
            suite=suite,
            frameworks=names,
            device=device,
            timeout_s=timeout,
            workloads=workloads,
        )
    except ProbeInterrupted as stop:
        partial = partial_path(output, cache_dir(), stop.evidence["fingerprint"])
        write_evidence(stop.evidence, partial)
        kept = f"; {output} is untouched" if output is not None and partial != output else ""
        sys.stderr.write(f"fwadvise: interrupted; what finished is saved in {partial}{kept}\n")
        raise typer.Exit(130) from None
    if suite == "full" and not workloads:
        scaling_cmd.add_to_full(console, evidence, names, device, timeout)
    _show(console, evidence)
    if evidence.get("scaling"):
        console.print(scaling_cmd.scaling_table(evidence))
    console.print(f"Took {time.monotonic() - started:.1f} s.")
    _save(console, evidence, output)


def partial_path(output: Path | None, cache: Path, fingerprint: str) -> Path:
    """Where an interrupted run's rows go: -o's file when it does not exist yet, else beside it
    (an earlier complete file is never replaced by a partial one), else the cache folder."""
    if output is None:
        return cache / f"evidence-{fingerprint}-interrupted.json"
    if not output.exists():
        return output
    return output.with_name(f"{output.stem}.interrupted{output.suffix or '.json'}")
