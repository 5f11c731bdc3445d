"""The command line through a real subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwadvise", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_profile_text_fits_80_columns_and_has_every_part() -> None:
    done = run("--profile", "researcher")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for part in (
        "Verdict:",
        "PyTorch",
        "TensorFlow",
        "By criterion",
        "Top reasons",
        "What would change",
    ):
        assert part in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\x1b[" not in out  # NO_COLOR and a pipe: no escape codes


def test_json_is_the_contract() -> None:
    done = run(
        "--profile",
        "industry",
        "--set",
        "deployment_targets=mobile",
        "--set",
        "mobile_media_input=true",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {
        "verdict",
        "confidence",
        "scores",
        "answers",
        "reasons",
        "what_would_change",
        "evidence",
    }
    assert data["verdict"] in ("pytorch", "tensorflow", "either")
    assert 0 <= data["confidence"] <= 1
    assert data["answers"]["deployment_targets"] == ["mobile"]
    assert data["answers"]["mobile_media_input"] is True
    for reason in data["reasons"]:
        assert set(reason) >= {"rule", "favors", "points", "because", "sources"}
        assert reason["sources"], reason
    for fw in ("pytorch", "tensorflow"):
        total = sum(r["points"] for r in data["reasons"] if r["favors"] == fw)
        assert abs(total - data["scores"][fw]) < 1e-6
    for change in data["what_would_change"]:
        assert change["verdict"] != data["verdict"]


def test_answers_file_and_markdown(tmp_path: Path) -> None:
    path = tmp_path / "project.yaml"
    path.write_text("role: industry\ndeployment_targets: [iot_embedded]\n")
    done = run("recommend", "--answers", str(path), "--format", "markdown")
    assert done.returncode == 0, done.stderr
    marker, title = done.stdout.splitlines()[:2]
    assert marker.startswith("<!-- generator: fwadvise")  # what lets `report -o` replace it
    assert title.startswith("# fwadvise: TensorFlow")
    assert "## What would change the verdict" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "wizard"], "unknown profile 'wizard'; valid profiles: researcher"),
        (
            ["--profile", "researcher", "--set", "role=wizard"],
            "role: 'wizard' is not a valid value",
        ),
        (["--profile", "researcher", "--set", "colour=red"], "unknown question id 'colour'"),
        (["--profile", "researcher", "--set", "needs_sota_models=maybe"], "takes true or false"),
        (["recommend", "--answers", "/nonexistent/a.yaml"], "answers file not found"),
        (["recommend"], "recommend needs --answers FILE or --profile NAME"),
        ([], "the questionnaire needs a terminal"),  # stdin is not a terminal here
    ],
)
def test_bad_input_exit_2_one_message(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"role: [industry\n", "a.yaml:2: malformed YAML"),
        (b"role: caf\xe9\n", "a.yaml:1: not valid UTF-8"),
        (
            b"role: !!python/object/apply:os.system ['touch PWNED']\n",
            "a.yaml:1: could not determine a constructor",
        ),
        (b"role: industry\nuse_cases: [nlp, poetry]\n", "a.yaml:2: use_cases: 'poetry' not valid"),
        (b"production_serving: 3\n", "a.yaml:1: production_serving: takes true or false"),
        (b"- role\n", "a mapping of question id to value"),
    ],
)
def test_bad_answers_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(content)
    done = run("recommend", "--answers", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "PWNED").exists()


def test_oversized_answers_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (3 * 1024 * 1024) + "\n")
    done = run("recommend", "--answers", str(path))
    assert done.returncode == 2 and "the limit is" in done.stderr


def test_profiles_and_questions_list_everything() -> None:
    profiles = run("profiles")
    assert profiles.returncode == 0
    for name in (
        "researcher",
        "industry",
        "beginner",
        "rl-researcher",
        "mobile-developer",
        "iot-engineer",
        "startup-prototyper",
        "data-scientist",
    ):
        assert name in profiles.stdout
    questions = run("questions")
    assert questions.returncode == 0
    for qid in (
        "role",
        "use_cases",
        "team_skill",
        "deployment_targets",
        "mobile_media_input",
        "existing_stack",
        "training_scale",
        "accelerator",
        "needs_sota_models",
        "production_serving",
    ):
        assert f"{qid} (" in questions.stdout
    assert "asked when: deployment_targets includes 'mobile'" in questions.stdout


def test_kb_validate_and_schema() -> None:
    done = run("kb", "validate")
    assert done.returncode == 0, done.stderr
    assert "knowledge base OK" in done.stdout
    schema = json.loads(run("kb", "schema").stdout)
    assert "rules.yaml" in schema and schema["rules.yaml"]["type"] == "object"


def _imported(*args: str) -> set[str]:
    """The top-level packages a command imports (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "fwadvise", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0
    return {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if "|" in line
    }


def test_recommendation_path_imports_no_framework() -> None:
    imported = _imported("--profile", "researcher", "--format", "json")
    assert not imported & {"torch", "tensorflow"}
    assert "typer" in imported  # the check sees imports at all


def test_text_to_a_pipe_does_not_start_rich() -> None:
    """Start-up time: plain lines to a pipe need none of rich's machinery."""
    assert "rich" not in _imported("--profile", "researcher")


def test_as_of_invalid_date_is_a_clear_error() -> None:
    done = run("--profile", "researcher", "--as-of", "2024-13-01")
    assert done.returncode == 2
    assert "--as-of '2024-13-01': not a date; give YYYY-MM-DD" in done.stderr


def test_kb_claims_json_lists_every_claim_with_dates() -> None:
    done = run("kb", "claims", "--format", "json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert len(records) >= 100
    for record in records:
        assert set(record) >= {"id", "text", "sources", "status", "checked", "update"}
        assert record["status"] in ("current", "aged")
        assert (record["update"] is None) == (record["status"] == "current")


def test_probe_with_no_framework_says_how_to_install_them(tmp_path: Path) -> None:
    env = {**ENV, "FWADVISE_PROBE_FAULT": "noframework", "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "fwadvise", "--profile", "researcher", "--probe"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "neither framework runs here" in done.stderr
    assert "to install pytorch (CPU only" in done.stderr
    assert "to install tensorflow (CPU only" in done.stderr
    assert "Verdict:" in done.stdout  # the advice still comes, from the documents alone
