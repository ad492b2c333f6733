"""The hook's Job can run again: a retried or repeated run finds nothing to do and succeeds.

Covers: after helm v4.1.4 installs the example chart with the metax
post-renderer, the hook's documents stored in the release (``helm get
hooks``) are created in kubesim and the Job runs to completion twice (the
second time with the ClusterOperator and webhook configuration already
gone), and ``helm uninstall`` then runs it a third time and completes.

Leaves out: a run cut off half way (each step is tolerant of NotFound, which
the second run exercises step by step).
"""

from __future__ import annotations

import pytest
import yaml

from tests.hook.conftest import (
    CLUSTER_OPERATORS,
    HOOK_JOB,
    NAMESPACE,
    RELEASE,
    WEBHOOK_CONFIGURATIONS,
    Cluster,
)

pytestmark = [pytest.mark.helm, pytest.mark.slow]

GENERATED = "kubectl-metax/generated-by"


def run_hook_job(cluster: Cluster, documents: str) -> str:
    """Create the hook's objects, wait for the Job, delete them; return the last attempt's output."""
    created = cluster.kubectl_run("create", "-f", "-", stdin=documents)
    assert created.returncode == 0, created.stderr
    waited = cluster.kubectl_run(
        "wait", "-n", NAMESPACE, f"job/{HOOK_JOB}", "--for=condition=Complete", "--timeout=90s"
    )
    assert waited.returncode == 0, (waited.stderr, cluster.outputs(HOOK_JOB))
    removed = cluster.kubectl_run("delete", "-f", "-", "--wait=true", stdin=documents)
    assert removed.returncode == 0, removed.stderr
    return cluster.outputs(HOOK_JOB)[-1]


def test_hook_runs_three_times(cluster: Cluster) -> None:
    cluster.install(webhook_create=True)
    hooks = cluster.helm_run("get", "hooks", RELEASE, "-n", NAMESPACE)
    assert hooks.returncode == 0, hooks.stderr
    ours = [
        document
        for document in yaml.safe_load_all(hooks.stdout)
        if document and GENERATED in document["metadata"].get("annotations", {})
    ]
    documents = yaml.safe_dump_all(ours)

    first = run_hook_job(cluster, documents)
    second = run_hook_job(cluster, documents)
    completed = cluster.uninstall()

    assert completed.returncode == 0, completed.stderr
    third = cluster.outputs(HOOK_JOB)[-1]
    assert "the operator finished and removed every ClusterOperator" in first
    assert "already gone: delete clusteroperators.gpu.metax-tech.com cluster-operator" in second
    assert "already gone" in third
    for output in (first, second, third):
        assert output.endswith("cleanup finished\n")
    assert cluster.names(CLUSTER_OPERATORS, NAMESPACE) == []
    assert cluster.names(WEBHOOK_CONFIGURATIONS) == []
