"""Hostile input, one test per example of issue 12: exit 2 and one message naming what and where,
never a traceback, a hang, a leftover process or temporary file, or a lost or half-written file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from fwadvise.advisor.errors import UserError
from fwadvise.advisor.files import read_text, terminate_as_interrupt, write_atomic
from fwadvise.advisor.kb import checked, snapshot
from fwadvise.knowledge import KNOWLEDGE_DIR
from fwadvise.probes import cache
from fwadvise.probes.evidence import EvidenceError, load_evidence
from tests.hostile import assert_contract, cli, strict_json, tree

EXAMPLE = Path(__file__).parents[1] / "examples" / "evidence" / "epyc-2core.json"


def evidence_doc() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- one bounded, regular-file-only reader --------------------------------------------------


def test_fifo_and_devices_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)  # nobody writes: a blocking open or read would hang forever
    for args in (
        ["recommend", "--answers", str(fifo)],
        ["--profile", "researcher", "--evidence", str(fifo)],
        ["report", "--project", str(fifo)],
        ["--profile", "researcher", "--evidence", "/dev/zero"],  # endless: never read whole
        ["recommend", "--answers", "/dev/zero"],
    ):
        done = cli(*args)
        assert_contract(done, ok=(2,))
        assert "not a regular file" in done.err, args


def test_fifo_in_a_knowledge_copy_is_refused(tmp_path: Path) -> None:
    copy = _knowledge_copy(tmp_path)
    (copy / "rules.yaml").unlink()
    os.mkfifo(copy / "rules.yaml")
    done = cli("--profile", "researcher", env={"FWADVISE_KNOWLEDGE": str(copy)})
    assert_contract(done, ok=(2,))
    assert "rules.yaml" in done.err and "not a regular file" in done.err


def test_reader_limit_reads_no_more_than_asked(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 5000)
    with pytest.raises(UserError, match="too large: the limit is 4096 bytes"):
        read_text(big, limit=4096)


def test_file_names_with_nul_and_non_utf8_bytes(tmp_path: Path) -> None:
    done = cli("recommend", "--answers", "a\0b.yaml")
    assert_contract(done, ok=(2,))
    odd = os.fsdecode(b"\xff\xfeodd.yaml")
    done = cli("recommend", "--answers", str(tmp_path / odd))
    assert_contract(done, ok=(2,))
    assert "not found" in done.err and "\\udcff" in done.err


# --- YAML the safe loader rejects with plain Python exceptions --------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("role: researcher\nas_of: 2024-13-45\n", "month must be in 1..12"),
        ("role: !!int foo\n", "invalid literal"),
        ("role: !!float x\n", "could not convert"),
        ("role: !!timestamp 2024\n", "cannot read this value"),
        ("a: &x [*x]\n", "aliases"),
        ("a: &x {b: *x}\n", "aliases"),
        ("[" * 5000 + "]" * 5000 + "\n", "nest"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), "nest"),
    ],
)
def test_yaml_plain_exceptions_become_messages(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    done = cli("recommend", "--answers", str(path))
    assert_contract(done, ok=(2,))
    assert message in done.err and str(path) in done.err


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x"]'] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    path = tmp_path / "answers.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = cli("recommend", "--answers", str(path))
    assert_contract(done, ok=(2,))
    assert "aliases" in done.err and time.monotonic() - started < 30


# --- evidence: odd shapes, non-finite numbers, nesting, size, future dates ---------------------


def _with(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("hardware", "gpus"), "lots", "hardware.gpus"),
        (("hardware", "gpus"), [{"vendor": "nvidia", "driver": "abc"}], "driver"),
        (("hardware", "gpus"), [{"vendor": "nvidia", "driver": ["550"]}], "driver"),
        (("hardware", "cpu"), "fast", "hardware.cpu"),
        (("results", 0, "median_s"), 0, "median_s"),
        (("results", 0, "median_s"), 1e308, "median_s"),
        (("results", 0, "samples_s"), [0.0, 1.0], "samples_s"),
        (("results", 0, "size_bytes"), "big", "size_bytes"),
        (("frameworks", "pytorch", "devices"), "gpu", "devices"),
        (("fingerprint",), "../../etc/passwd", "fingerprint"),
        (("label",), "x" * 1_500_000, "label"),
    ],
)
def test_evidence_odd_shapes(
    tmp_path: Path, path: tuple[Any, ...], value: Any, message: str
) -> None:
    file = write_json(tmp_path / "e.json", _with(evidence_doc(), path, value))
    done = cli("--profile", "researcher", "--evidence", str(file), "--format", "json")
    assert_contract(done, ok=(2,))
    assert message in done.err
    assert len(done.err) < 2000  # a 1.5 MB bad value is not echoed whole


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e999"])
def test_evidence_non_finite_numbers(tmp_path: Path, number: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '"median_s": 0.', f'"median_s": {number}, "x": 0.', 1
    )
    file = tmp_path / "e.json"
    file.write_text(text, encoding="utf-8")
    done = cli("--profile", "researcher", "--evidence", str(file), "--format", "json")
    assert_contract(done, ok=(2,))
    assert "finite" in done.err


def test_json_output_never_holds_infinity(tmp_path: Path) -> None:
    """The largest and smallest times the model allows still give finite ratios."""
    document = evidence_doc()
    for row in document["results"]:
        if row.get("median_s"):
            fast = row["framework"] == "pytorch"
            row["median_s"] = 1e-300 if fast else 1e6
            row["samples_s"] = [row["median_s"]] * len(row.get("samples_s") or [1])
    file = write_json(tmp_path / "e.json", document)
    done = cli("--profile", "researcher", "--evidence", str(file), "--format", "json")
    assert_contract(done)
    if done.code == 0:
        strict_json(done.out)


def test_evidence_deep_nesting(tmp_path: Path) -> None:
    file = tmp_path / "e.json"
    file.write_text(
        json.dumps(evidence_doc())[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    done = cli("--profile", "researcher", "--evidence", str(file))
    assert_contract(done, ok=(2,))
    assert "nested" in done.err


def test_evidence_with_100k_rows_is_refused_fast(tmp_path: Path) -> None:
    document = evidence_doc()
    small = {"workload": "w", "framework": "pytorch", "device": "c", "mode": "e", "error": "x"}
    document["results"] = [small] * 100_000
    file = write_json(tmp_path / "e.json", document)
    done = cli("--profile", "researcher", "--evidence", str(file))
    assert_contract(done, ok=(2,))
    assert "too large" in done.err  # 7 MB: the reader stops at 2 MiB
    document["results"] = [small] * 20_000  # under 2 MiB: the row limit refuses it
    file.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    started = time.monotonic()
    done = cli("--profile", "researcher", "--evidence", str(file))
    assert_contract(done, ok=(2,))
    assert "results" in done.err
    assert time.monotonic() - started < 60  # was five minutes; a few seconds on a busy machine


def test_terminal_escapes_in_a_label_are_shown_escaped(tmp_path: Path) -> None:
    document = _with(evidence_doc(), ("label",), "laptop\x1b]0;owned\x07\x1b[2J")
    file = write_json(tmp_path / "e.json", document)
    done = cli("--profile", "researcher", "--evidence", str(file))
    assert_contract(done, ok=(0,))
    assert "laptop\\x1b]0;owned\\x07" in done.out


def test_evidence_dated_in_the_future_is_not_fresh(tmp_path: Path) -> None:
    document = evidence_doc()
    document["created"] = "2999-01-01T00:00:00+00:00"
    file = write_json(tmp_path / "e.json", document)
    cached = cache.Cached(file, document, load_evidence(file).age_s())
    problem = cache.reuse_problem(
        cached, suite="quick", frameworks=("pytorch",), device="auto", installed={}
    )
    assert problem is not None and "future" in problem


def test_cached_evidence_that_is_garbage_is_measured_again(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = cache.cache_path("m1")
    path.parent.mkdir(parents=True)
    for content in (b"\xff\x00", b"[" * 10_000, b'{"schema_version": 1}', b"1e999"):
        path.write_bytes(content)
        assert cache.load_cached("m1") is None
    path.unlink()
    os.mkfifo(path)
    assert cache.load_cached("m1") is None  # and did not block


# --- a broken knowledge base does not run ----------------------------------------------------


def _knowledge_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return copy


def test_a_copy_that_kb_validate_rejects_is_not_loaded(tmp_path: Path) -> None:
    copy = _knowledge_copy(tmp_path)
    rules = copy / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    broken = text.replace("claims: [persona.researcher-defacto", "claims: [no-such-claim", 1)
    assert broken != text
    rules.write_text(broken, encoding="utf-8")
    env = {"FWADVISE_KNOWLEDGE": str(copy)}
    validate = cli("kb", "validate", env=env)
    assert validate.code == 1 and "no-such-claim" in validate.err
    done = cli("--profile", "researcher", env=env)
    assert_contract(done, ok=(2,))
    assert "kb validate" in done.err and "rules.yaml:" in done.err and "no-such-claim" in done.err


def test_a_corrupt_snapshot_is_detected_and_rebuilt(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    good = checked.load()
    (found,) = list((tmp_path / "fwadvise").glob("kb-*.json"))
    raw = bytearray(found.read_bytes())
    at = raw.index(b'"either_band": ') + len(b'"either_band": ')
    raw[at] = ord("9") if raw[at] != ord("9") else ord("8")  # one flipped byte, still JSON
    found.write_bytes(bytes(raw))
    again = checked.load()
    assert again.settings == good.settings and again.rules == good.rules
    assert found.read_bytes().split(b"\n", 1)[0].startswith(b"sha256:")
    assert snapshot.read_json(found.stem) is not None  # rewritten whole


def test_full_disk_leaves_no_temporary_snapshot(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    snapshot.write_json("kb-test", {"a": 1})
    assert not list((tmp_path / "fwadvise").iterdir())


# --- one safe writer ---------------------------------------------------------------------------


def test_writer_refuses_device_nodes_and_fifos(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    with pytest.raises(UserError, match="not a regular file"):
        write_atomic(fifo, "x")
    assert fifo.is_fifo()
    done = cli("--profile", "researcher", "--format", "json")  # a report -o onto /dev/null:
    done = cli(
        "report",
        "--project",
        "examples/parcel-sorting.yaml",
        "-o",
        "/dev/null",
        "--format",
        "json",
        "--force",
    )
    assert_contract(done, ok=(2,))
    assert "not a regular file" in done.err
    assert Path("/dev/null").is_char_device()


def test_interrupted_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: Any
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("complete", encoding="utf-8")

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "partial")
    assert target.read_text(encoding="utf-8") == "complete"
    assert tree(tmp_path) == {"out.txt"}


def test_probe_output_is_checked_before_measuring(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes", encoding="utf-8")
    done = cli("probe", "-o", str(precious), env={"FWADVISE_PROBE_FAULT": "noframework"})
    assert_contract(done, ok=(2,))
    assert "not an evidence file" in done.err and "--force" in done.err
    assert precious.read_text(encoding="utf-8") == "my notes"


def test_sigterm_runs_the_ctrl_c_clean_up() -> None:
    """SIGTERM inside terminate_as_interrupt raises KeyboardInterrupt where the program is."""
    with pytest.raises(KeyboardInterrupt), terminate_as_interrupt():
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGTERM)).start()
        time.sleep(10)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_probe_killed_leaves_no_worker_no_temp_folder_and_keeps_the_earlier_file(
    tmp_path: Path, signum: int
) -> None:
    out = tmp_path / "evidence.json"
    write_json(out, evidence_doc())
    before = out.read_bytes()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        **os.environ,
        "FWADVISE_PROBE_FAULT": "hang",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TMPDIR": str(temp),
        "NO_COLOR": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "fwadvise", "probe", "--frameworks", "pytorch", "-o", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        # as from a terminal: under nohup SIGHUP is inherited ignored, and fwadvise keeps an
        # ignored SIGHUP ignored on purpose, so the test would wait for nothing
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not list(temp.glob("fwadvise-pytorch-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = list(temp.glob("fwadvise-pytorch-*"))
    assert workers, "the worker never started"
    time.sleep(0.5)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert not list(temp.glob("fwadvise-pytorch-*")), "the worker's temporary folder stayed"
    assert b"Traceback" not in err
    assert out.read_bytes() == before  # the earlier complete file is untouched
    partial = tmp_path / "evidence.interrupted.json"
    assert json.loads(partial.read_text(encoding="utf-8"))["interrupted"] is True
    leftover = subprocess.run(
        ["pgrep", "-f", f"fwadvise-pytorch.*{temp.name}|{workers[0].name}"],
        capture_output=True,
        check=False,
    )
    assert leftover.stdout == b"", "a worker process is still running"


def test_unwritable_cache_still_writes_the_output(tmp_path: Path) -> None:
    cache_home = tmp_path / "cache"
    cache_home.write_text("a file where the cache folder should be", encoding="utf-8")
    out = tmp_path / "evidence.json"
    done = cli(
        "probe",
        "--frameworks",
        "pytorch",
        "-o",
        str(out),
        env={"FWADVISE_PROBE_FAULT": "noframework", "XDG_CACHE_HOME": str(cache_home)},
    )
    assert_contract(done, ok=(0,))
    assert json.loads(out.read_text(encoding="utf-8"))["schema_version"] == 1
    assert "not cached" in done.out


def test_probe_with_no_framework_is_short_and_starts_with_the_install_commands(
    tmp_path: Path,
) -> None:
    done = cli(
        "probe", env={"FWADVISE_PROBE_FAULT": "noframework", "XDG_CACHE_HOME": str(tmp_path)}
    )
    assert_contract(done, ok=(0,))
    lines = [line for line in done.out.splitlines() if line.strip()]
    assert lines[0].startswith("Nothing was measured")
    assert "to install pytorch" in done.out and "to install tensorflow" in done.out
    assert len(lines) < 20 and "unavailable" not in done.out.split("to install")[0].lower()


def test_load_evidence_error_is_a_value_error_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="not found"):
        load_evidence(tmp_path / "absent.json")


@pytest.mark.slow
def test_torch_without_numpy_says_numpy_is_missing(tmp_path: Path) -> None:
    result = tmp_path / "result.jsonl"
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from fwadvise.probes.worker import main\n"
        f"raise SystemExit(main(['--framework', 'pytorch', '--result', {str(result)!r}]))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, cwd=tmp_path)
    hello = json.loads(result.read_text(encoding="utf-8").splitlines()[0])
    assert hello["available"] is False
    assert hello["reason"] == "torch is installed but needs numpy, which is not: pip install numpy"


def test_results_table_fits_80_columns_and_cuts_nothing() -> None:
    from rich.console import Console

    from fwadvise.cli.probe_cmd import results_table

    console = Console(width=80, record=True, no_color=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(results_table(evidence_doc()))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing cut: infer_latency, the ONNX install hint, tf.lite's runtime
    assert "infer_latency" in text and "onnxruntime)" in text


def test_age_is_never_zero_hours() -> None:
    from fwadvise.cli.probe_cmd import age_text

    assert age_text(30) == "30 s" and age_text(-5) == "0 s" and age_text(7200) == "2 h"


def test_install_label_says_when_the_accelerator_is_only_the_default() -> None:
    import fwadvise

    silent = fwadvise.to_dict(fwadvise.advise({"role": "industry"}))["install"][0]["hardware"]
    assert "the default answer" in silent and "from the answers" not in silent
    said = fwadvise.to_dict(fwadvise.advise({"role": "industry", "accelerator": "cpu_only"}))
    assert said["install"][0]["hardware"].endswith("(from the answers)")


def test_scan_of_a_non_utf8_path_prints_valid_utf8(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"\xffrepo\x1b[2J")
    folder.mkdir()
    (folder / os.fsdecode(b"\xfe.py")).write_text("import torch\n", encoding="utf-8")
    for args in (["--format", "json"], []):
        done = subprocess.run(
            [sys.executable, "-m", "fwadvise", "scan", str(folder), *args],
            capture_output=True,
            timeout=60,
            check=True,
        )
        text = done.stdout.decode("utf-8")  # strict: raw bytes fail here
        assert "\x1b" not in text and "\\udcff" in text
        if args:
            assert json.loads(text)["inferred"][0]["evidence"][0]["file"] == "\\udcfe.py"


def test_a_question_default_outside_its_options_is_a_message(tmp_path: Path) -> None:
    """Found by the fuzz: an option dropped from questions.yaml left its default invalid."""
    copy = _knowledge_copy(tmp_path)
    questions = copy / "questions.yaml"
    text = questions.read_text(encoding="utf-8")
    broken = text.replace("default: single_device", "default: one_gpu_please", 1)
    assert broken != text
    questions.write_text(broken, encoding="utf-8")
    done = cli("--profile", "researcher", env={"FWADVISE_KNOWLEDGE": str(copy)})
    assert_contract(done, ok=(2,))
    assert "questions.yaml:" in done.err and "one_gpu_please" in done.err
