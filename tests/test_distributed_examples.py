"""The Slurm and Kubernetes examples in docs/distributed/ are checked without a cluster: the
shell (the sbatch script, every container's `bash -c` script) with `bash -n`; the manifests
against the shape of their custom resources (Kubeflow Training Operator v1 PyTorchJob/TFJob:
`*ReplicaSpecs` of `replicas`, `restartPolicy`, a pod `template` whose container has the name
the operator looks for; JobSet v1alpha2: `replicatedJobs` of `name`, `replicas`, a Job
`template`); and every `fwadvise probe` option they use exists, with --nnodes matching the
pods they start."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "distributed"
RESTART_POLICIES = {"Always", "OnFailure", "Never", "ExitCode"}  # the operator's RestartPolicy
CONTAINER_NAMES = {"PyTorchJob": "pytorch", "TFJob": "tensorflow"}
REPLICA_SPECS = {
    "PyTorchJob": ("pytorchReplicaSpecs", {"Master", "Worker"}),
    "TFJob": ("tfReplicaSpecs", {"Chief", "Master", "Worker", "PS", "Evaluator"}),
}


def bash_syntax(script: str) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash not installed")
    done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def probe_options() -> set[str]:
    import typer

    from fwadvise.cli.app import app

    command = typer.main.get_command(app)
    probe = command.commands["probe"]  # type: ignore[attr-defined]
    return {opt for param in probe.params for opt in param.opts + param.secondary_opts}


def used_options(script: str) -> dict[str, str]:
    """The options given to `fwadvise probe` in a script (backslash-continued lines joined)."""
    joined = script.replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in joined.splitlines():
        if "fwadvise probe" in line:
            for option, value in re.findall(r"(--[a-z-]+)(?:[ =](\S+))?", line):
                found[option] = value
    return found


def check_probe_call(script: str, pods: int) -> None:
    bash_syntax(script)
    used = used_options(script)
    assert used, "no fwadvise probe call"
    assert set(used) <= probe_options(), set(used) - probe_options()
    assert used["--nnodes"] == str(pods)


def pod_spec_scripts(pod_spec: dict[str, Any], container_name: str | None) -> list[str]:
    containers = pod_spec["containers"]
    assert isinstance(containers, list) and containers
    scripts = []
    for container in containers:
        assert container["image"] and container["name"]
        if container_name:
            assert container["name"] == container_name
        assert container["command"][:2] == ["bash", "-c"]
        scripts.append(container["command"][2])
    return scripts


@pytest.mark.parametrize("name", ["pytorchjob.yaml", "tfjob.yaml"])
def test_training_operator_jobs(name: str) -> None:
    (manifest,) = list(yaml.safe_load_all((EXAMPLES / name).read_text()))
    assert manifest["apiVersion"] == "kubeflow.org/v1"
    kind = manifest["kind"]
    field, roles = REPLICA_SPECS[kind]
    assert manifest["metadata"]["name"]
    specs = manifest["spec"][field]
    assert specs and set(specs) <= roles
    pods = 0
    for spec in specs.values():
        assert isinstance(spec["replicas"], int) and spec["replicas"] >= 1
        assert spec["restartPolicy"] in RESTART_POLICIES
        pods += spec["replicas"]
        for script in pod_spec_scripts(spec["template"]["spec"], CONTAINER_NAMES[kind]):
            check_probe_call(script, pods=2)
    assert pods == 2


def test_jobset() -> None:
    (manifest,) = list(yaml.safe_load_all((EXAMPLES / "jobset.yaml").read_text()))
    assert manifest["apiVersion"] == "jobset.x-k8s.io/v1alpha2"
    assert manifest["kind"] == "JobSet" and manifest["metadata"]["name"]
    (job,) = manifest["spec"]["replicatedJobs"]
    assert job["name"] and isinstance(job["replicas"], int)
    job_spec = job["template"]["spec"]
    assert job_spec["completionMode"] == "Indexed"  # JOB_COMPLETION_INDEX is the node rank
    pods = job["replicas"] * job_spec["parallelism"]
    assert job_spec["completions"] == job_spec["parallelism"]
    pod_spec = job_spec["template"]["spec"]
    assert pod_spec["restartPolicy"] in {"Never", "OnFailure"}  # a Job's pods may not restart
    for script in pod_spec_scripts(pod_spec, None):
        check_probe_call(script, pods=pods)
        # the pod names the script reaches: <jobset>-<job>-<job index>-<pod index>.<jobset>
        jobset = manifest["metadata"]["name"]
        env = {e["name"]: e["value"] for e in pod_spec["containers"][0]["env"]}
        assert env["NODE0"] == f"{jobset}-{job['name']}-0-0.{jobset}"


def test_slurm_script() -> None:
    script = (EXAMPLES / "slurm-scaling.sbatch").read_text()
    bash_syntax(script)
    directives = dict(re.findall(r"^#SBATCH --([a-z-]+)=(\S+)", script, re.MULTILINE))
    assert directives["nodes"] == "2" and directives["ntasks-per-node"] == "1"
    used = used_options(script)
    assert set(used) <= probe_options()
    assert {"--distributed", "--nnodes", "--node-rank", "--rdzv", "--tf-workers"} <= set(used)
    assert "merge+=(--merge " in script  # the nodes' files, merged into one
