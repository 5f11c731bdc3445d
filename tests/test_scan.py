"""`fwadvise scan`: the signatures file, the fixture repositories, safety and bad input, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fwadvise.advisor.errors import KnowledgeError, UserError
from fwadvise.advisor.inputs.answers import check_value, read_answers_file
from fwadvise.advisor.kb.loader import KnowledgeBase
from fwadvise.advisor.kb.yamlio import load_file
from fwadvise.advisor.scan import repository as scanner
from fwadvise.advisor.scan.manifests import manifest_deps

ROOT = Path(__file__).resolve().parents[1]
REPOS = Path(__file__).resolve().parent / "fixtures" / "repos"
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwadvise", *args],
        capture_output=True,
        text=True,
        env={**ENV, "PYTHONPATH": str(ROOT)},
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of `path` that contains `text`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def evidence(result: scanner.ScanResult, qid: str) -> list[scanner.Finding]:
    return next(i.evidence for i in result.inferred if i.id == qid)


def seen(result: scanner.ScanResult) -> dict[str, object]:
    """The answers seen in a file, without those inferred from absence."""
    return {i.id: i.value for i in result.inferred if i.basis == "seen"}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


# --- knowledge/scan.yaml -------------------------------------------------------------------------


def test_every_answer_in_scan_yaml_is_a_question_and_a_valid_value(kb: KnowledgeBase) -> None:
    data = load_file(scanner.SCAN_FILE).data
    checked = 0
    for sig in data["signatures"]:
        for qid, value in sig.get("answers", {}).items():
            assert qid in kb.question, f"{sig['id']}: unknown question {qid}"
            check_value(kb.question[qid], value)  # raises on a value the question lacks
            checked += 1
    for qid, rule in data["resolve"].items():
        for value in rule.get("order", []):
            check_value(kb.question[qid], value)
    assert checked > 20
    config = scanner.load_config(kb)  # and the module's own validation agrees
    assert len(config.signatures) == len(data["signatures"])


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("answers: {existing_stack: mxnet}", "existing_stack: 'mxnet' is not a valid value"),
        ("answers: {framework: pytorch}", "unknown question id 'framework'"),
    ],
)
def test_a_wrong_answer_in_scan_yaml_names_its_line(
    kb: KnowledgeBase, tmp_path: Path, replacement: str, message: str
) -> None:
    text = scanner.SCAN_FILE.read_text(encoding="utf-8")
    target = tmp_path / "scan.yaml"
    target.write_text(text.replace("answers: {existing_stack: pytorch}", replacement, 1), "utf-8")
    with pytest.raises(KnowledgeError) as caught:
        scanner.load_config(kb, target)
    assert f"scan.yaml:{line_of(target, replacement)}" in str(caught.value)
    assert message in str(caught.value)


def test_a_bad_regex_in_scan_yaml_is_a_knowledge_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    target = tmp_path / "scan.yaml"
    text = scanner.SCAN_FILE.read_text(encoding="utf-8")
    target.write_text(text.replace('pattern: "LibTorch"', 'pattern: "Lib(Torch"'), "utf-8")
    with pytest.raises(KnowledgeError, match="not a valid regular expression"):
        scanner.load_config(kb, target)


def test_a_new_signature_is_a_yaml_edit(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"infer.py": "import mindspore\n"})
    assert "existing_stack" not in scanner.scan(repo, kb=kb).answers
    target = tmp_path / "scan.yaml"
    added = """
  - id: mindspore-as-tf
    why: a made-up signature for this test
    match: {python: [mindspore]}
    answers: {existing_stack: tensorflow, deployment_targets: [iot_embedded]}
"""
    target.write_text(scanner.SCAN_FILE.read_text(encoding="utf-8") + added, "utf-8")
    result = scanner.scan(repo, kb=kb, config=scanner.load_config(kb, target))
    assert result.answers["existing_stack"] == "tensorflow"
    assert result.answers["deployment_targets"] == ["iot_embedded"]
    assert evidence(result, "existing_stack")[0].where() == "infer.py:1"


# --- the fixture repositories ---------------------------------------------------------------------


def test_pytorch_research_repo(kb: KnowledgeBase) -> None:
    repo = REPOS / "pytorch_research"
    result = scanner.scan(repo, kb=kb)
    assert result.answers["existing_stack"] == "pytorch"
    assert result.answers["training_scale"] == "multi_gpu"
    assert result.answers["needs_sota_models"] is True
    assert "computer_vision" in result.answers["use_cases"]
    places = {f.where() for f in evidence(result, "existing_stack")}
    assert f"src/train.py:{line_of(repo / 'src/train.py', 'import torch')}" in places
    assert f"requirements.txt:{line_of(repo / 'requirements.txt', 'torch>=')}" in places
    assert f"setup.py:{line_of(repo / 'setup.py', 'REQUIRES =')}" in places  # read, not run
    assert "checkpoints/best.pt" in places
    assert any(f.file == "notebooks/explore.ipynb" for f in evidence(result, "existing_stack"))
    ddp = evidence(result, "training_scale")[0]
    assert ddp.where() == f"src/train.py:{line_of(repo / 'src/train.py', 'torch.distributed')}"
    cuda = evidence(result, "accelerator")[0]
    assert cuda.where() == f"src/train.py:{line_of(repo / 'src/train.py', 'torch.cuda')}"
    assert "deployment_targets" not in result.answers
    assert set(result.not_inferred) == {q.id for q in kb.questions} - set(result.answers)


def test_tensorflow_mobile_app_repo(kb: KnowledgeBase) -> None:
    repo = REPOS / "tf_mobile_app"
    result = scanner.scan(repo, kb=kb)
    assert result.answers["existing_stack"] == "tensorflow"
    assert result.answers["deployment_targets"] == ["mobile"]
    assert result.answers["mobile_media_input"] is True
    manifest = "android/app/src/main/AndroidManifest.xml"
    camera = line_of(repo / manifest, "CAMERA")
    assert f"{manifest}:{camera}" in {f.where() for f in evidence(result, "mobile_media_input")}
    stack_files = {f.file for f in evidence(result, "existing_stack")}
    assert "android/app/src/main/assets/model.tflite" in stack_files
    assert "training/train.py" in stack_files


def test_browser_tfjs_repo(kb: KnowledgeBase) -> None:
    repo = REPOS / "tfjs_browser"
    result = scanner.scan(repo, kb=kb)
    assert result.answers["deployment_targets"] == ["browser"]
    assert result.answers["existing_stack"] == "tensorflow"
    where = f"package.json:{line_of(repo / 'package.json', '@tensorflow/tfjs')}"
    assert where in {f.where() for f in evidence(result, "deployment_targets")}


def test_reinforcement_learning_repo(kb: KnowledgeBase) -> None:
    repo = REPOS / "rl_agent"
    result = scanner.scan(repo, kb=kb)
    assert result.answers["use_cases"] == ["reinforcement_learning"]
    # stable-baselines3 is PyTorch; the pyproject's keywords mention tensorflow: not a dependency
    assert result.answers["existing_stack"] == "pytorch"
    assert all(f.signature != "tensorflow" for i in result.inferred for f in i.evidence)
    where = f"pyproject.toml:{line_of(repo / 'pyproject.toml', 'stable-baselines3')}"
    assert where in {f.where() for f in evidence(result, "use_cases")}


def test_empty_repo_infers_nothing_and_says_so(kb: KnowledgeBase) -> None:
    result = scanner.scan(REPOS / "empty", kb=kb)
    assert result.answers == {}
    assert list(result.not_inferred) == [q.id for q in kb.questions]
    assert result.files_seen == 1


def test_both_frameworks_the_dominant_one_wins_and_the_other_is_named(kb: KnowledgeBase) -> None:
    result = scanner.scan(REPOS / "mixed_frameworks", kb=kb)
    assert result.answers["existing_stack"] == "pytorch"
    stack = next(i for i in result.inferred if i.id == "existing_stack")
    assert stack.note and "tensorflow" in stack.note and "both appear" in stack.note


def test_both_frameworks_evenly_leaves_the_stack_out(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = write(tmp_path, {"a.py": "import torch\n", "b.py": "import tensorflow as tf\n"})
    result = scanner.scan(repo, kb=kb)
    assert "existing_stack" not in result.answers
    reason = result.not_inferred["existing_stack"]
    assert "pytorch" in reason and "tensorflow" in reason and "neither dominates" in reason


def test_accelerator_is_inferred_carefully(kb: KnowledgeBase, tmp_path: Path) -> None:
    fallback = (
        "import torch\n"
        "dev = 'cuda' if torch.cuda.is_available() else "
        "'mps' if torch.backends.mps.is_available() else 'cpu'\n"
    )
    assert (
        "accelerator" not in scanner.scan(write(tmp_path / "a", {"t.py": fallback}), kb=kb).answers
    )
    tpu = "import tensorflow as tf\nstrategy = tf.distribute.TPUStrategy()\n"
    result = scanner.scan(write(tmp_path / "b", {"t.py": tpu}), kb=kb)
    assert result.answers["accelerator"] == "google_tpu"
    assert evidence(result, "accelerator")[0].detail == "uses tensorflow.distribute.TPUStrategy"


def test_serving_configs(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "serve/Dockerfile": "# serving\nFROM tensorflow/serving:2.16.1\nCOPY models /models\n",
            "serve/models.config": "model_config_list {\n  config { name: 'm' }\n}\n",
            "k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n",
        },
    )
    result = scanner.scan(repo, kb=kb)
    assert result.answers["production_serving"] is True
    assert result.answers["deployment_targets"] == ["cloud_server"]
    assert result.answers["existing_stack"] == "tensorflow"
    places = {f.where() for f in evidence(result, "production_serving")}
    assert {"serve/Dockerfile:2", "serve/models.config:1", "k8s/isvc.yaml:2"} <= places


def test_multi_node_wins_over_multi_gpu(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = write(
        tmp_path,
        {
            "train.py": "from torch.nn.parallel import DistributedDataParallel\n",
            "launch.sh": "#!/bin/sh\n#SBATCH --nodes=4\ntorchrun --nnodes=4 train.py\n",
            "single.sh": "torchrun --nnodes=1 train.py\n",
        },
    )
    result = scanner.scan(repo, kb=kb)
    assert result.answers["training_scale"] == "multi_node"
    assert [f.where() for f in evidence(result, "training_scale")] == ["launch.sh:2"]


def test_media_input_without_a_mobile_target_stays_out(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = write(tmp_path, {"Info.plist": "<key>NSCameraUsageDescription</key>\n"})
    result = scanner.scan(repo, kb=kb)
    assert "mobile_media_input" not in result.answers
    assert "only asked when" in result.not_inferred["mobile_media_input"]


# --- manifests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "requirements",
            "# c\n-r base.txt\ntorch==2.3 # pin\n\nnumpy\n",
            [("torch", 3), ("numpy", 5)],
        ),
        (
            "pyproject",
            '[project]\nname = "x"\ndependencies = [\n  "torch>=2",  # a\n]\n'
            '[project.optional-dependencies]\ngpu = ["jax[cuda]"]\n[tool.ruff]\nselect = ["E"]\n',
            [("torch", 4), ("jax", 7)],
        ),
        (
            "pyproject",
            '[tool.poetry.dependencies]\npython = "^3.10"\ntensorflow = "^2.16"\n',
            [("python", 2), ("tensorflow", 3)],
        ),
        (
            "pipfile",
            '[packages]\ntorch = "*"\n[requires]\npython_version = "3.11"\n',
            [("torch", 2)],
        ),
        (
            "toml_lock",
            '[[package]]\nname = "torch"\nversion = "2"\n[metadata]\nname = "x"\n',
            [("torch", 2)],
        ),
        (
            "setup_cfg",
            "[metadata]\nname = x\n[options]\ninstall_requires =\n    torch>=2\n    numpy\n"
            "[options.extras_require]\ntf = tensorflow\n",
            [("torch", 5), ("numpy", 6), ("tensorflow", 8)],
        ),
        (
            "conda",
            "name: e\ndependencies:\n  - pytorch::pytorch=2.3\n  - pip:\n      - timm==1\n",
            [("pytorch", 3), ("timm", 5)],
        ),
        (
            "pipfile_lock",
            '{\n  "default": {\n    "torch": {"version": "==2"}\n  },\n  "develop": {}\n}\n',
            [("torch", 3)],
        ),
    ],
)
def test_manifest_parsers_give_names_and_lines(
    kind: str, text: str, expected: list[tuple[str, int]]
) -> None:
    assert [(dep.name, dep.line) for dep in manifest_deps(kind, text, "f")] == expected


def test_extras_and_dev_groups_are_optional() -> None:
    toml = (
        '[project]\ndependencies = ["torch"]\n[project.optional-dependencies]\ntf = ["tensorflow"]\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    )
    assert [(d.name, d.optional) for d in manifest_deps("pyproject", toml, "f")] == [
        ("torch", False),
        ("tensorflow", True),
        ("pytest", True),
    ]
    npm = '{"dependencies": {"onnxruntime-web": "1"}, "devDependencies": {"@tensorflow/tfjs": "4"}}'
    assert [(d.name, d.optional) for d in manifest_deps("npm", npm, "f")] == [
        ("onnxruntime-web", False),
        ("@tensorflow/tfjs", True),
    ]


def test_an_optional_extra_weighs_less_than_a_core_dependency(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    toml = (
        '[project]\ndependencies = ["torch", "torchvision"]\n'
        '[project.optional-dependencies]\ntf = ["tensorflow", "tensorflow-hub"]\n'
    )
    result = scanner.scan(write(tmp_path, {"pyproject.toml": toml}), kb=kb)
    # one file, both frameworks: without the extra weighing less, neither would dominate
    assert result.answers["existing_stack"] == "pytorch"
    note = next(i for i in result.inferred if i.id == "existing_stack").note or ""
    assert "tensorflow" in note


# --- never run, never follow, bounded ---------------------------------------------------------


def test_scanned_code_is_never_imported_or_run(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPOS / "pytorch_research", repo)
    before = set(sys.modules)
    result = scanner.scan(repo, kb=kb)
    assert result.answers["existing_stack"] == "pytorch"
    assert not list(repo.rglob("EXECUTED"))  # trap.py and setup.py would have written it
    assert not {m for m in set(sys.modules) - before if m in ("trap", "setup", "src", "torch")}


def test_symlinks_out_of_the_tree_are_not_followed(kb: KnowledgeBase, tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"tf.py": "import tensorflow\n", "m.tflite": "x"})
    repo = write(tmp_path / "repo", {"main.py": "import torch\n"})
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    (repo / "tf.py").symlink_to(outside / "tf.py")
    (repo / "loop").symlink_to(repo, target_is_directory=True)
    result = scanner.scan(repo, kb=kb)
    assert result.answers["existing_stack"] == "pytorch"
    assert all(f.file == "main.py" for i in result.inferred for f in i.evidence)
    assert result.skipped["symlinks (not followed)"] == 3


def test_environments_caches_big_and_binary_files_are_skipped(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    repo = write(
        tmp_path,
        {
            "app.py": "import torch\n",
            "node_modules/@tensorflow/tfjs/package.json": '{"dependencies": {"@tensorflow/tfjs": "1"}}',
            ".git/hooks/x.py": "import tensorflow\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/site.py": "import tensorflow\n",
        },
    )
    (repo / "big.py").write_text("import tensorflow\n" + "#" * 5000, encoding="utf-8")
    (repo / "blob.py").write_bytes(b"import tensorflow\n\x00\x01")
    config = scanner.load_config(kb)
    small = config.model_copy(
        update={"limits": config.limits.model_copy(update={"max_text_bytes": 1000})}
    )
    result = scanner.scan(repo, kb=kb, config=small)
    assert seen(result) == {"existing_stack": "pytorch"}
    assert result.skipped["files too large to read"] == 1
    assert result.skipped["binary files"] == 1
    assert result.skipped["folders not entered (caches, environments, VCS)"] == 3


def test_a_huge_tree_stops_at_the_limit_and_says_so(kb: KnowledgeBase, tmp_path: Path) -> None:
    write(tmp_path, {f"d{i}/m{j}.py": "import torch\n" for i in range(10) for j in range(10)})
    config = scanner.load_config(kb)
    small = config.model_copy(
        update={"limits": config.limits.model_copy(update={"max_entries": 25})}
    )
    result = scanner.scan(tmp_path, kb=kb, config=small)
    assert result.truncated and "25" in result.truncated
    assert result.files_seen < 25


def test_python_that_does_not_parse_still_shows_its_imports(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    repo = write(tmp_path, {"old.py": 'import os, tensorflow as tf\nprint "python 2"\n'})
    result = scanner.scan(repo, kb=kb)
    assert result.answers["existing_stack"] == "tensorflow"
    assert evidence(result, "existing_stack")[0].where() == "old.py:1"


# --- bad input ----------------------------------------------------------------------------------


def test_missing_path_and_a_file_are_user_errors(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        scanner.scan(tmp_path / "nope", kb=kb)
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="not a directory"):
        scanner.scan(tmp_path / "f.txt", kb=kb)


def test_unreadable_folder_is_a_user_error(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.scandir

    def refuse(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:  # root ignores chmod
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", refuse)
    with pytest.raises(UserError, match="permission denied") as caught:
        scanner.scan(locked, kb=kb)
    assert str(locked) in str(caught.value)


def test_cli_bad_path_exits_2_without_a_traceback(tmp_path: Path) -> None:
    done = run("scan", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


# --- the command line and the answers file ----------------------------------------------------


def test_saved_draft_round_trips_through_recommend(tmp_path: Path) -> None:
    draft = tmp_path / "answers.yaml"
    done = run("scan", str(REPOS / "tf_mobile_app"), "--save", str(draft))
    assert done.returncode == 0, done.stderr
    assert str(draft) in done.stdout and "existing_stack: tensorflow" in done.stdout
    text = draft.read_text(encoding="utf-8")
    assert text.startswith(scanner.DRAFT_MARKER)
    assert "#   android/app/src/main/AndroidManifest.xml:3  matches" in text
    advice = run("recommend", "--answers", str(draft), "--format", "json")
    assert advice.returncode == 0, advice.stderr
    answers = json.loads(advice.stdout)["answers"]
    assert answers["existing_stack"] == "tensorflow"
    assert answers["deployment_targets"] == ["mobile"]
    assert answers["mobile_media_input"] is True


def test_every_inferred_answer_has_a_comment_naming_its_evidence(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    result = scanner.scan(REPOS / "pytorch_research", kb=kb)
    text = scanner.draft_yaml(result)
    lines = text.splitlines()
    for item in result.inferred:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{item.id}:"))
        heads = ("# because:", "# inferred from absence; context:")
        start = max(i for i, line in enumerate(lines[:at]) if line in heads)
        assert all(line.startswith("#") for line in lines[start:at])
        assert f"#   {item.evidence[0].where()}  " in "\n".join(lines[start:at])
    target = tmp_path / "a.yaml"
    target.write_text(text, encoding="utf-8")
    assert read_answers_file(kb, target) == result.answers


def test_file_names_cannot_break_the_draft(kb: KnowledgeBase, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "evil\nexisting_stack: tensorflow\n#.pt").write_text("x", encoding="utf-8")
    result = scanner.scan(repo, kb=kb)
    assert result.answers == {"existing_stack": "pytorch"}
    assert yaml.safe_load(scanner.draft_yaml(result)) == {"existing_stack": "pytorch"}


def test_save_refuses_to_overwrite_a_file_that_is_not_a_draft(tmp_path: Path) -> None:
    other = tmp_path / "notes.yaml"
    other.write_text("important: true\n", encoding="utf-8")
    done = run("scan", str(REPOS / "rl_agent"), "--save", str(other))
    assert done.returncode == 2
    assert "not an answers file written by fwadvise" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert other.read_text(encoding="utf-8") == "important: true\n"
    forced = run("scan", str(REPOS / "rl_agent"), "--save", str(other), "--force")
    assert forced.returncode == 0, forced.stderr
    assert other.read_text(encoding="utf-8").startswith(scanner.DRAFT_MARKER)
    # a previous draft is replaced without --force
    again = run("scan", str(REPOS / "tfjs_browser"), "--save", str(other))
    assert again.returncode == 0, again.stderr
    assert "browser" in other.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_json_format(tmp_path: Path) -> None:
    done = run("scan", str(REPOS / "mixed_frameworks"), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    by_basis = {i["id"]: i["basis"] for i in data["inferred"]}
    assert {q for q, b in by_basis.items() if b == "seen"} == {"existing_stack"}
    assert data["answers"]["existing_stack"] == "pytorch"
    assert all(
        i["note"].startswith("inferred from absence")
        for i in data["inferred"]
        if i["basis"] != "seen"
    )
    stack = data["inferred"][0]
    assert stack["id"] == "existing_stack" and "tensorflow" in stack["note"]
    assert {e["file"] for e in stack["evidence"]} >= {"models/encoder.py", "requirements.txt"}
    assert all(isinstance(e["line"], int) for e in stack["evidence"])
    assert {n["id"] for n in data["not_inferred"]} >= {"role", "team_skill"}
    assert data["saved"] is None and data["truncated"] is None


def test_text_summary_lists_evidence_and_what_was_not_inferred() -> None:
    done = run("scan", str(REPOS / "rl_agent"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "use_cases: reinforcement_learning" in out
    assert "agent.py:" in out and "pyproject.toml:" in out
    assert "Not inferred" in out and "team_skill" in out
    assert "--save" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_cli_module_stays_light() -> None:
    code = "import sys, fwadvise.cli.scan_cmd; print('fwadvise.advisor.scan.repository' in sys.modules, 'yaml' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=30
    )
    assert done.stdout.split() == ["False", "False"], done.stderr


# --- answers from absence, comments, minor paths --------------------------------------------------

TRAINING = "import torch\nmodel = torch.nn.Linear(2, 1)\nloss = model(x).sum()\nloss.backward()\n"


def test_training_code_and_nothing_else_says_no_with_the_reason(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    result = scanner.scan(write(tmp_path, {"train.py": TRAINING}), kb=kb)
    absent = {i.id: i for i in result.inferred if i.basis == "absence"}
    assert {q: i.value for q, i in absent.items()} == {
        "deployment_targets": ["research_only"],
        "training_scale": "single_device",
        "accelerator": "cpu_only",
        "needs_sota_models": False,
        "production_serving": False,
    }
    assert all(i.note and i.note.startswith("inferred from absence: ") for i in absent.values())
    assert absent["training_scale"].evidence[0].where() == "train.py:4"  # what shows training
    assert "inferred from absence" in scanner.draft_yaml(result)


def test_evidence_of_the_answer_overrides_absence(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = {
        "train.py": TRAINING + "model.cuda()\n",
        "serve.py": "from fastapi import FastAPI\n",
        "launch.sh": "torchrun --nproc_per_node=4 train.py\n",
    }
    result = scanner.scan(write(tmp_path, files), kb=kb)
    assert "accelerator" not in result.answers  # .cuda() is not the CPU, though no CUDA import
    assert result.answers["production_serving"] is True
    assert result.answers["deployment_targets"] == ["cloud_server"]
    assert result.answers["training_scale"] == "multi_gpu"


def test_tensorflow_silence_on_gpus_is_not_cpu_only(kb: KnowledgeBase, tmp_path: Path) -> None:
    code = "import tensorflow as tf\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n"
    result = scanner.scan(write(tmp_path, {"train.py": code}), kb=kb)
    assert result.answers["training_scale"] == "single_device"
    assert "accelerator" not in result.answers


def test_scikit_learn_training_runs_on_the_cpu(kb: KnowledgeBase, tmp_path: Path) -> None:
    code = "from sklearn import svm\nclf = svm.SVC()\nclf.fit(X, y)\n"
    result = scanner.scan(write(tmp_path / "sk", {"train.py": code}), kb=kb)
    assert result.answers["accelerator"] == "cpu_only"
    assert result.answers["existing_stack"] == "none"
    boosted = {"train.py": code, "boost.py": "import xgboost\n"}  # XGBoost can train on GPUs
    assert "accelerator" not in scanner.scan(write(tmp_path / "xgb", boosted), kb=kb).answers


def test_a_text_only_mobile_app_has_no_media_input(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = {"App.xcodeproj/project.pbxproj": "x", "Model.tflite": "", "View.swift": "let t = 1\n"}
    result = scanner.scan(write(tmp_path, files), kb=kb)
    assert result.answers["mobile_media_input"] is False
    assert next(i for i in result.inferred if i.id == "mobile_media_input").basis == "absence"


def test_comments_docstrings_and_links_are_never_a_use(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = {
        "Dockerfile": "# FROM nvidia/cuda:12.1-base\nFROM python:3.12\n",
        "app/build.gradle": "// implementation 'org.tensorflow:tensorflow-lite:2.11.0'\n",
        "src/kws.c": '/* Licence: see tensorflow/lite/micro\n   #include "arm_nnfunctions.h" */\n',
        "train.py": 'import torch\n"""Example:\n    loss.backward()\n"""\n# optimizer.step()\n',
        "README.md": "See https://example.com/docker run --gpus all and <!-- --tf32 True -->\n",
    }
    result = scanner.scan(write(tmp_path, files), kb=kb)
    assert result.answers == {
        "existing_stack": "pytorch",
        "needs_sota_models": False,
        "production_serving": False,
    }
    # a real use below a comment still counts, at its own line
    (tmp_path / "Dockerfile").write_text("# base\nFROM nvidia/cuda:12.1-base\n", encoding="utf-8")
    again = scanner.scan(tmp_path, kb=kb)
    assert evidence(again, "accelerator")[0].where() == "Dockerfile:2"


def test_blanking_keeps_every_newline_and_ends_an_unclosed_span() -> None:
    text = "a\n/* one\ntwo */b\n/* open\nc\n"
    blanked = scanner._blank_spans(text, "/*", "*/")
    assert blanked == "a\n\nb\n\n\n"
    assert scanner._blank_spans("x/*" + "y\n" * 3, "/*", "*/") == "x\n\n\n"


def test_a_framework_only_in_benchmarks_does_not_make_the_stack(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    files = {f"model/part{i}.py": "import jax\n" for i in range(3)}
    files["benchmarks/compare_torch.py"] = "import torch\n"
    files["benchmarks/compare_torch2.py"] = "import torch\n"
    result = scanner.scan(write(tmp_path, files), kb=kb)
    assert result.answers["existing_stack"] == "none"
    files = {"lib.py": "import torch\n", "examples/demo.py": "import cv2\nimport gymnasium\n"}
    files["agent.py"] = "import gymnasium\n"
    result = scanner.scan(write(tmp_path / "two", files), kb=kb)
    assert result.answers["use_cases"] == ["reinforcement_learning"]  # cv2 only in an example
    assert "computer_vision" in (next(i for i in result.inferred if i.id == "use_cases").note or "")


def test_opencv_for_game_frames_is_not_computer_vision(kb: KnowledgeBase, tmp_path: Path) -> None:
    agent = "import gymnasium as gym\nimport cv2\nframe = cv2.resize(obs, (84, 84))\n"
    result = scanner.scan(write(tmp_path / "rl", {"agent.py": agent}), kb=kb)
    assert result.answers["use_cases"] == ["reinforcement_learning"]
    alone = scanner.scan(write(tmp_path / "cv", {"edges.py": "import cv2\n"}), kb=kb)
    assert alone.answers["use_cases"] == ["computer_vision"]  # with no other task, it still counts


def test_cloud_endpoints_and_launch_configs(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = {
        "deploy.py": "from sagemaker.pytorch import PyTorchModel\nPyTorchModel(m).deploy(1)\n",
        "configs/accelerate.yaml": "distributed_type: MULTI_GPU\nnum_machines: 1\nnum_processes: 8\n",
        "train.py": TRAINING,
    }
    result = scanner.scan(write(tmp_path / "aws", files), kb=kb)
    assert result.answers["cloud_platform"] == "aws"
    assert result.answers["production_serving"] is True
    assert result.answers["training_scale"] == "multi_gpu"  # one machine of 8 processes
    files["launch.py"] = "executor.update_parameters(nodes=4, gpus_per_node=8)\n"
    result = scanner.scan(write(tmp_path / "slurm", files), kb=kb)
    assert result.answers["training_scale"] == "multi_node"
    vertex = "from google.cloud import aiplatform\naiplatform.Endpoint.create(display_name='x')\n"
    result = scanner.scan(write(tmp_path / "gcp", {"serve.py": vertex}), kb=kb)
    assert result.answers["cloud_platform"] == "google_cloud"
    assert result.answers["deployment_targets"] == ["cloud_server"]


def test_apps_beyond_python(kb: KnowledgeBase, tmp_path: Path) -> None:
    page = '<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4"></script>\n'
    page += "<!-- <script src=ort.min.js></script> -->\n"
    result = scanner.scan(write(tmp_path / "web", {"index.html": page}), kb=kb)
    assert result.answers["deployment_targets"] == ["browser"]
    assert evidence(result, "deployment_targets")[0].where() == "index.html:1"
    gradle = "plugins { id 'com.android.application' }\n"
    gradle += "dependencies { implementation 'io.fotoapparat:fotoapparat:2.7.0' }\n"
    result = scanner.scan(write(tmp_path / "android", {"app/build.gradle": gradle}), kb=kb)
    assert result.answers["mobile_media_input"] is True  # a camera library the app depends on
    cpp = {"CMakeLists.txt": "find_package(Torch REQUIRED)\n", "main.cpp": "int main() {}\n"}
    result = scanner.scan(write(tmp_path / "cpp", cpp), kb=kb)
    assert result.answers["existing_stack"] == "pytorch"


def test_role_and_team_skill_say_why_only_the_person_can_answer(kb: KnowledgeBase) -> None:
    result = scanner.scan(REPOS / "rl_agent", kb=kb)
    for qid in ("role", "team_skill"):
        assert result.not_inferred[qid].startswith("only you can say: ")
