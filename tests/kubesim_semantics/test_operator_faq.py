"""The vendor's uninstall FAQ, replayed with real helm v3.17.2 and v4.1.4 and the operator actor.

Install the MetaX-like chart (tests/kubesim/charts/metax-operator) with
--wait; the operator stand-in adds the gpu.metax-tech.com finalizer and the
upgrade-validating-webhook-configuration. An uninstall that removes the
operator before it can finalize (finalize delay longer than the uninstall)
leaves the ClusterOperator stuck with deletionTimestamp and finalizer and the
webhook configuration behind. A re-install whose fresh operator Pod is not
ready yet then fails on the webhook with kube-apiserver's text: with helm v4
at once (server-side apply patches the stuck object), with helm v3 at the
next upgrade (helm v3 adopts existing objects without patching them).
Removing the finalizer while the webhook configuration is left fails too.
The vendor's manual fix (delete the webhook configuration, remove the finalizers) lets the
next install succeed. Also covers the normal path: deleting the
ClusterOperator while the operator runs finalizes it and removes the webhook
configuration. Not covered: the real operator's other controllers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.kubesim_semantics.helpers import eventually, run_tool

CHART = Path(__file__).resolve().parent.parent / "kubesim" / "charts" / "metax-operator"
RELEASE = "metax-operator"
NAMESPACE = "metax-operator"
WEBHOOK = "upgrade-validating-webhook-configuration"
EXPECTED_REJECTION = (
    'Internal error occurred: failed calling webhook "vclusteroperator.kb.io": failed to call webhook: '
    'Post "https://upgrade-webhook-service.metax-operator.svc:443/validate-gpu-metax-tech-com-v1alpha1-clusteroperator?timeout=10s": '
    'no endpoints available for service "upgrade-webhook-service"'
)


@pytest.fixture(params=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    binary: Path = request.getfixturevalue(f"{request.param}_bin")
    return binary


def install(helm: Path, env: Dict[str, str], *settings: str, wait: bool = True) -> Any:
    args = [
        "install",
        RELEASE,
        str(CHART),
        "-n",
        NAMESPACE,
        "--create-namespace",
        "--timeout",
        "60s",
    ]
    if wait:
        args.append("--wait")
    for setting in settings:
        args += ["--set-string", setting]
    return run_tool(helm, *args, env=env)


def cluster_operator(sim: Any) -> Dict[str, Any]:
    found: Dict[str, Any] = (
        sim.get("gpu.metax-tech.com/v1alpha1", "ClusterOperator", NAMESPACE, "cluster-operator")
        or {}
    )
    return found


def webhook_configuration(sim: Any) -> Any:
    return sim.get("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", WEBHOOK)


def installed_and_finalized(sim: Any, helm: Path, *settings: str) -> None:
    result = install(helm, sim.env(), *settings)
    assert result.returncode == 0, result.stderr
    eventually(
        lambda: (
            "gpu.metax-tech.com"
            in (cluster_operator(sim).get("metadata", {}).get("finalizers") or [])
        ),
        what="finalizer added by the operator",
    )
    eventually(
        lambda: webhook_configuration(sim), what="webhook configuration created by the operator"
    )


def test_uninstall_without_operator_leaves_stuck_state(
    kubesim_factory: Any, helm: Path, kubectl_bin: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = sim.env()
    installed_and_finalized(sim, helm, "finalizeDelay=600")

    uninstalled = run_tool(helm, "uninstall", RELEASE, "-n", NAMESPACE, env=env)
    assert uninstalled.returncode == 0, uninstalled.stderr
    stuck = eventually(
        lambda: (
            cluster_operator(sim).get("metadata", {}).get("deletionTimestamp")
            and cluster_operator(sim)
        ),
        what="ClusterOperator marked for deletion",
    )
    assert stuck["metadata"]["finalizers"] == ["gpu.metax-tech.com"]
    assert sim.get("apps/v1", "Deployment", NAMESPACE, f"{RELEASE}-metax-operator") is None
    assert webhook_configuration(sim) is not None

    # The fresh operator Pod is not ready, so the left-behind webhook has no endpoints.
    reinstall = install(helm, env, "podReady=false", "driverVersion=2.32.0.1", wait=False)
    if helm.parent.name == "helm3":
        # helm v3 adopts an existing object without patching it, so the install
        # passes and the first change to the stuck ClusterOperator fails instead.
        assert reinstall.returncode == 0, reinstall.stderr
        assert cluster_operator(sim)["metadata"]["uid"] == stuck["metadata"]["uid"]
        rejected = run_tool(
            helm,
            "upgrade",
            RELEASE,
            str(CHART),
            "-n",
            NAMESPACE,
            "--set-string",
            "podReady=false",
            "--set-string",
            "driverVersion=2.33.0.0",
            env=env,
        )
    else:
        # helm v4 applies every object server-side, the stuck one included.
        rejected = reinstall
    assert rejected.returncode == 1
    assert EXPECTED_REJECTION in rejected.stderr

    # Removing the finalizer first is itself an UPDATE the left-behind webhook rejects.
    run_tool(helm, "uninstall", RELEASE, "-n", NAMESPACE, env=env)
    patch = '[{"op": "remove", "path": "/metadata/finalizers"}]'
    remove_finalizers = (
        "patch",
        "clusteroperator",
        "cluster-operator",
        "-n",
        NAMESPACE,
        "--type",
        "json",
        "-p",
        patch,
    )
    blocked = run_tool(kubectl_bin, *remove_finalizers, env=env)
    assert blocked.returncode == 1
    assert 'service "upgrade-webhook-service" not found' in blocked.stderr

    # The vendor's manual fix: webhook configuration first, then the finalizers.
    deleted = run_tool(
        kubectl_bin,
        "delete",
        "validatingwebhookconfiguration",
        WEBHOOK,
        "--ignore-not-found",
        env=env,
    )
    assert deleted.returncode == 0, deleted.stderr
    patched = run_tool(kubectl_bin, *remove_finalizers, env=env)
    assert patched.returncode == 0, patched.stderr
    eventually(lambda: not cluster_operator(sim), what="stuck ClusterOperator gone")
    installed_and_finalized(sim, helm)


def test_deleting_cluster_operator_while_operator_runs(
    kubesim_factory: Any, helm: Path, kubectl_bin: Path
) -> None:
    sim = kubesim_factory(actors=("operator", "workloads"))
    env = sim.env()
    installed_and_finalized(sim, helm, "finalizeDelay=0.2")
    deleted = run_tool(
        kubectl_bin,
        "delete",
        "clusteroperator",
        "cluster-operator",
        "-n",
        NAMESPACE,
        "--timeout=30s",
        env=env,
    )
    assert deleted.returncode == 0, deleted.stderr
    assert not cluster_operator(sim)
    eventually(
        lambda: webhook_configuration(sim) is None,
        what="webhook configuration removed by the operator",
    )
    status = json.loads(
        run_tool(helm, "status", RELEASE, "-n", NAMESPACE, "-o", "json", env=env).stdout
    )
    assert status["info"]["status"] == "deployed"
