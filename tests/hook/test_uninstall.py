"""helm v4.1 uninstall of the example chart runs the post-renderer's pre-delete hook.

Covers: helm v4.1.4 installs the example chart with ``--post-renderer metax``
(the plugin from helm-plugin/) into kubesim with the operator, workloads and
jobs actors; ``helm uninstall --wait`` runs the chart's own pre-delete Job
(its script comes from a ConfigMap volume), then ours under its own
ServiceAccount, and finishes with no ClusterOperator, no webhook
configuration and a namespace that deletes. Three operator states, each
with the webhook configuration rendered by the chart (webhook.create=true)
and created by the operator at run time (webhook.create=false): the
operator finishes in time, is too slow (the hook removes the finalizer),
or is already gone (its Deployment deleted before the uninstall).

Leaves out: a real kube-apiserver and kubelet (the jobs actor runs the
hook's script locally with kubectl v1.35.2), the hook's 90 s default wait
(shortened through KUBESIM_JOB_ENV), and the RBAC, busy-GPU and repeat runs
(test_rbac.py, test_busy_gpus.py, test_repeat.py).
"""

from __future__ import annotations

import pytest

from tests.hook.conftest import (
    CHART_HOOK_JOB,
    CLUSTER_OPERATORS,
    HOOK_JOB,
    HOOK_WAITS,
    NAMESPACE,
    RELEASE,
    SLOW_OPERATOR_SECONDS,
    WEBHOOK_CONFIGURATION,
    WEBHOOK_CONFIGURATIONS,
    Cluster,
)

OPERATOR_DEPLOYMENT = f"{RELEASE}-metax-operator"
DRIVER_DAEMON_SET = f"""
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: metax-driver, namespace: {NAMESPACE}}}
spec:
  selector: {{matchLabels: {{app: metax-driver}}}}
  template:
    metadata: {{labels: {{app: metax-driver}}}}
    spec: {{containers: [{{name: driver, image: cr.metax-tech.com/cloud/driver-manager:0.13.0-amd64}}]}}
"""


def make_operator_slow(cluster: Cluster) -> None:
    annotated = cluster.kubectl_run(
        "annotate",
        "-n",
        NAMESPACE,
        f"deployment/{OPERATOR_DEPLOYMENT}",
        f"kubesim.io/finalize-delay={SLOW_OPERATOR_SECONDS}",
    )
    assert annotated.returncode == 0, annotated.stderr


def remove_operator(cluster: Cluster) -> None:
    deleted = cluster.kubectl_run(
        "delete", "-n", NAMESPACE, f"deployment/{OPERATOR_DEPLOYMENT}", "--wait=true"
    )
    assert deleted.returncode == 0, deleted.stderr
    # The webhook Service must have no ready endpoint left, or the case is not "gone".
    endpoints = cluster.kubectl_run(
        "get",
        "endpointslices",
        "-n",
        NAMESPACE,
        "-l",
        "kubernetes.io/service-name=upgrade-webhook-service",
        "-o",
        "jsonpath={.items[*].endpoints[*].addresses}",
    )
    assert endpoints.stdout.strip() == "", endpoints.stdout


def assert_nothing_left(cluster: Cluster) -> None:
    assert cluster.names(CLUSTER_OPERATORS, NAMESPACE) == []
    assert cluster.names(WEBHOOK_CONFIGURATIONS) == []
    deleted = cluster.kubectl_run("delete", "namespace", NAMESPACE, "--timeout=60s")
    assert deleted.returncode == 0, deleted.stderr
    assert cluster.sim.get("v1", "Namespace", "", NAMESPACE) is None


@pytest.mark.parametrize("webhook_create", [True, False], ids=["chart-webhook", "operator-webhook"])
def test_operator_in_time(cluster: Cluster, webhook_create: bool) -> None:
    cluster.install(webhook_create=webhook_create)
    assert cluster.names(WEBHOOK_CONFIGURATIONS) == [WEBHOOK_CONFIGURATION]
    # A DaemonSet the operator would have created: the chart's own hook deletes it.
    cluster.sim.load(DRIVER_DAEMON_SET)

    completed = cluster.uninstall()

    assert completed.returncode == 0, completed.stderr
    # A failed attempt may be retried (backoffLimit 1), so compare the first runs.
    order = list(dict.fromkeys(cluster.attempt_order()))
    assert order == [CHART_HOOK_JOB, HOOK_JOB], cluster.outputs(HOOK_JOB)
    assert cluster.names(("apps", "daemonsets"), NAMESPACE) == []
    output = cluster.outputs(HOOK_JOB)[-1]
    assert "the operator finished and removed every ClusterOperator" in output
    assert "cleanup finished" in output
    assert cluster.hook_requests("delete", "clusteroperators") == ["cluster-operator:200"]
    assert cluster.hook_requests("patch", "clusteroperators") == []
    assert_nothing_left(cluster)


@pytest.mark.parametrize("webhook_create", [True, False], ids=["chart-webhook", "operator-webhook"])
def test_operator_too_slow(cluster: Cluster, webhook_create: bool) -> None:
    cluster.install(webhook_create=webhook_create)
    make_operator_slow(cluster)

    completed = cluster.uninstall()

    assert completed.returncode == 0, completed.stderr
    outputs = cluster.outputs(HOOK_JOB)
    assert len(outputs) == 1, outputs
    output = outputs[0]
    assert f"ClusterOperator still present after {HOOK_WAITS['OPERATOR_FINISH_SECONDS']}s" in output
    assert "removed finalizers" in output
    assert cluster.hook_requests("patch", "clusteroperators") == ["cluster-operator:200"]
    assert cluster.hook_requests("delete", WEBHOOK_CONFIGURATIONS[1]) == [
        f"{WEBHOOK_CONFIGURATION}:200"
    ]
    assert_nothing_left(cluster)


@pytest.mark.parametrize("webhook_create", [True, False], ids=["chart-webhook", "operator-webhook"])
def test_operator_already_gone(cluster: Cluster, webhook_create: bool) -> None:
    cluster.install(webhook_create=webhook_create)
    remove_operator(cluster)

    completed = cluster.uninstall()

    assert completed.returncode == 0, completed.stderr
    outputs = cluster.outputs(HOOK_JOB)
    assert len(outputs) == 1, outputs
    output = outputs[0]
    assert "removed finalizers" in output
    # The webhook has no endpoint left, so it goes before the finalizer patch.
    assert output.index(f"deleting validating webhook configuration {WEBHOOK_CONFIGURATION}") < (
        output.index("removed finalizers")
    )
    assert cluster.hook_requests("patch", "clusteroperators") == ["cluster-operator:200"]
    assert_nothing_left(cluster)
