"""The hook refuses to remove the operator while pods still request MetaX GPUs.

Covers: with a running Pod that requests ``metax-tech.com/gpu`` in another
namespace, ``helm uninstall`` (helm v4.1.4, kubesim with the jobs actor)
fails on the hook, whose output names the Pod, and the ClusterOperator
stays; with ``--hook-allow-busy-gpus`` given to the post-renderer the hook
warns, names the Pod and the uninstall completes.

Leaves out: GPU requests in init containers and finished Pods (the script's
own tests in tests/post_render cover its pod filter).
"""

from __future__ import annotations

import pytest

from tests.hook.conftest import CLUSTER_OPERATORS, HOOK_JOB, NAMESPACE, Cluster

pytestmark = [pytest.mark.helm, pytest.mark.slow]

TRAINING_POD = """
apiVersion: v1
kind: Namespace
metadata: {name: training}
---
apiVersion: v1
kind: Pod
metadata: {name: trainer, namespace: training}
spec:
  containers:
    - name: trainer
      image: cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-amd64
      resources:
        limits: {metax-tech.com/gpu: "1"}
        requests: {metax-tech.com/gpu: "1"}
status: {phase: Running}
"""


def test_busy_gpus_refused(cluster: Cluster) -> None:
    cluster.install(webhook_create=True)
    cluster.sim.load(TRAINING_POD)

    completed = cluster.uninstall()

    assert completed.returncode != 0
    assert HOOK_JOB in completed.stderr
    output = cluster.outputs(HOOK_JOB)[-1]
    assert "refusing to remove the MetaX GPU Operator" in output
    assert "training/trainer" in output
    assert cluster.hook_requests("delete", "clusteroperators") == []
    assert cluster.names(CLUSTER_OPERATORS, NAMESPACE) == ["cluster-operator"]


def test_busy_gpus_allowed_when_told(cluster: Cluster) -> None:
    cluster.install(webhook_create=True, post_renderer_args=["--hook-allow-busy-gpus"])
    cluster.sim.load(TRAINING_POD)

    completed = cluster.uninstall()

    assert completed.returncode == 0, completed.stderr
    output = cluster.outputs(HOOK_JOB)[-1]
    assert "WARNING: continuing although pods request metax-tech.com resources" in output
    assert "training/trainer" in output
    assert cluster.names(CLUSTER_OPERATORS, NAMESPACE) == []
