"""``unstick --helm-uninstall`` with real helm on kubesim: install, break, clean up, uninstall.

Covers: a release installed with helm (v3.17.2 and v4.1.4) from the
MetaX-like test chart, broken the way the FAQ describes (operator
Deployment gone, ClusterOperator deleted with its finalizer kept, webhook
configuration left by the operator), then `unstick --yes --helm-uninstall`
with HELM_BIN: the webhook configuration the operator created (no Helm
metadata, rules on gpu.metax-tech.com) is deleted, the finalizer removed,
and `helm uninstall --wait` succeeds. helm is aimed at the kubeconfig and
context unstick used, not at $KUBECONFIG. Also: the command printed instead
when --helm-uninstall is absent, and no helm run in a server dry run.
Leaves out: a helm binary that fails (its exit code is reported as is).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.kubesim_semantics.helpers import eventually, run_tool

CHART = Path(__file__).resolve().parents[1] / "kubesim" / "charts" / "metax-operator"
RELEASE = "metax-operator"
NAMESPACE = "metax-operator"
OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")
WEBHOOK = (
    "admissionregistration.k8s.io/v1",
    "ValidatingWebhookConfiguration",
    "",
    "upgrade-validating-webhook-configuration",
)

pytestmark = [pytest.mark.helm, pytest.mark.slow]


@pytest.fixture(params=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    binary: Path = request.getfixturevalue(f"{request.param}_bin")
    return binary


def _broken_install(sim: Any, helm: Path, kubectl: Path) -> Dict[str, str]:
    """Install the chart, then leave the operator's objects stuck as the FAQ describes."""
    env = sim.env()
    installed = run_tool(
        helm,
        "install",
        RELEASE,
        str(CHART),
        "-n",
        NAMESPACE,
        "--create-namespace",
        "--wait",
        "--timeout",
        "60s",
        "--set-string",
        "finalizeDelay=600",
        env=env,
    )
    assert installed.returncode == 0, installed.stderr
    eventually(lambda: sim.get(*WEBHOOK), what="webhook configuration created by the operator")
    eventually(
        lambda: (
            (sim.get(*OPERATORS, NAMESPACE, "cluster-operator") or {})
            .get("metadata", {})
            .get("finalizers")
        ),
        what="finalizer added by the operator",
    )

    removed = run_tool(
        kubectl, "delete", "deployment", f"{RELEASE}-metax-operator", "-n", NAMESPACE, env=env
    )
    assert removed.returncode == 0, removed.stderr
    deleted = run_tool(
        kubectl,
        "delete",
        "clusteroperator",
        "cluster-operator",
        "-n",
        NAMESPACE,
        "--wait=false",
        env=env,
    )
    assert deleted.returncode == 0, deleted.stderr
    return env


def _unstick(env: Dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "kubectl-metax"), "unstick", "--yes", *args],
        cwd=cwd,
        env=dict(env, LANG="C", LC_ALL=""),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_helm_uninstall_after_cleanup(
    kubesim_factory: Any, helm: Path, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = _broken_install(sim, helm, kubectl_bin)
    env["HELM_BIN"] = str(helm)

    result = _unstick(env, tmp_path, "--helm-uninstall")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"helm uninstall {RELEASE} -n {NAMESPACE} --wait --kube-context " in result.stdout
    assert ": exit code 0" in result.stdout
    assert sim.get(*WEBHOOK) is None
    assert sim.get(*OPERATORS, NAMESPACE, "cluster-operator") is None
    listed = run_tool(helm, "list", "-n", NAMESPACE, "-q", env=env)
    assert listed.stdout.strip() == ""


def test_helm_follows_kubeconfig_flag(
    kubesim_factory: Any, helm3_bin: Path, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = _broken_install(sim, helm3_bin, kubectl_bin)
    env["HELM_BIN"] = str(helm3_bin)
    # $KUBECONFIG names a file that does not exist: a helm that followed it
    # instead of --kubeconfig could not reach the cluster at all.
    env["KUBECONFIG"] = str(tmp_path / "decoy-kubeconfig")

    result = _unstick(env, tmp_path, "--helm-uninstall", "--kubeconfig", str(sim.kubeconfig))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"--kubeconfig {sim.kubeconfig}" in result.stdout
    assert ": exit code 0" in result.stdout
    listed = run_tool(helm3_bin, "list", "-n", NAMESPACE, "-q", env=sim.env())
    assert listed.stdout.strip() == ""


def test_missing_helm_binary_reported(
    kubesim_factory: Any, helm3_bin: Path, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = _broken_install(sim, helm3_bin, kubectl_bin)
    env["HELM_BIN"] = str(tmp_path / "no-such-helm")
    result = _unstick(env, tmp_path, "--helm-uninstall")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot run helm {tmp_path / 'no-such-helm'}" in result.stderr


def test_helm_command_printed_without_flag(
    kubesim_factory: Any, helm3_bin: Path, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = _broken_install(sim, helm3_bin, kubectl_bin)
    result = _unstick(env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"helm uninstall {RELEASE} -n {NAMESPACE} --wait" in result.stdout
    listed = run_tool(helm3_bin, "list", "-n", NAMESPACE, "-q", env=env)
    assert listed.stdout.strip() == RELEASE


def test_dry_run_never_runs_helm(
    kubesim_factory: Any, helm3_bin: Path, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = _broken_install(sim, helm3_bin, kubectl_bin)
    env["HELM_BIN"] = str(helm3_bin)
    result = _unstick(env, tmp_path, "--helm-uninstall", "--dry-run=server")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exit code" not in result.stdout
    listed = run_tool(helm3_bin, "list", "-n", NAMESPACE, "-q", env=env)
    assert listed.stdout.strip() == RELEASE
    assert sim.get(*WEBHOOK) is not None
