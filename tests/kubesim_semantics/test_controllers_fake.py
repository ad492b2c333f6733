"""The controllers, each started alone against the in-memory fake Cluster.

Covers the namespace controller (content deleted, conditions with the real
reasons and messages, removal once empty), CRD cleanup, the garbage
collector's three propagation policies, the workloads actor's statuses and
Endpoints, the job runner's success, backoff and deadline outcomes, and the
operator stand-in's finalizer and webhook handling, and ClusterRole
aggregation. The HTTP path is covered
by the kubectl and helm tests in this directory.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List

import pytest

from tests.kubesim.contract import Controller, ResourceInfo
from tests.kubesim.controllers.aggregation import ClusterRoleAggregator
from tests.kubesim.controllers.base import condition_true
from tests.kubesim.controllers.crds import CLEANUP_FINALIZER, CrdController
from tests.kubesim.controllers.garbage import GarbageCollector
from tests.kubesim.controllers.jobs import LOG_ANNOTATION, JobRunner
from tests.kubesim.controllers.namespaces import NamespaceController
from tests.kubesim.controllers.operator import OperatorStandIn
from tests.kubesim.controllers.workloads import WorkloadController
from tests.kubesim_semantics.fake_cluster import CLUSTER_OPERATORS, FakeCluster
from tests.kubesim_semantics.helpers import cluster_role, eventually, namespace

Object = Dict[str, Any]


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def run(cluster: FakeCluster) -> Iterator[Any]:
    started: List[Controller] = []

    def start(controller: Controller) -> Controller:
        controller.start(cluster)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def resource(cluster: FakeCluster, group: str, plural: str) -> ResourceInfo:
    found = cluster.resource_named(group, plural)
    assert found is not None
    return found


def config_map(name: str, ns: str, **metadata: Any) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": dict(name=name, namespace=ns, **metadata),
        "data": {},
    }


def conditions_of(obj: Object) -> Dict[str, Object]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


# -- namespaces ---------------------------------------------------------------


def test_namespace_waits_for_finalized_content(cluster: FakeCluster, run: Any) -> None:
    cluster.create(namespace("metax-operator"))
    cluster.create(config_map("plain", "metax-operator"))
    cluster.create(
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": {
                "name": "cluster-operator",
                "namespace": "metax-operator",
                "finalizers": ["gpu.metax-tech.com"],
            },
        }
    )
    namespaces = resource(cluster, "", "namespaces")
    cluster.delete(namespaces, "", "metax-operator")
    run(NamespaceController())

    def stuck() -> Object:
        ns = cluster.get(namespaces, "", "metax-operator") or {}
        return ns if "NamespaceFinalizersRemaining" in conditions_of(ns) else {}

    ns = eventually(stuck, what="namespace conditions")
    conditions = conditions_of(ns)
    assert ns["status"]["phase"] == "Terminating"
    assert (
        conditions["NamespaceFinalizersRemaining"]["message"]
        == "Some content in the namespace has finalizers remaining: gpu.metax-tech.com in 1 resource instances"
    )
    assert (
        conditions["NamespaceContentRemaining"]["message"]
        == "Some resources are remaining: clusteroperators.gpu.metax-tech.com has 1 resource instances"
    )
    assert conditions["NamespaceDeletionContentFailure"]["reason"] == "ContentDeleted"
    assert cluster.get(resource(cluster, "", "configmaps"), "metax-operator", "plain") is None

    stuck_object = cluster.get(CLUSTER_OPERATORS, "metax-operator", "cluster-operator")
    assert stuck_object is not None
    stuck_object["metadata"]["finalizers"] = []
    cluster.update(stuck_object)
    eventually(
        lambda: cluster.get(namespaces, "", "metax-operator") is None, what="namespace removal"
    )


# -- CRDs -----------------------------------------------------------------------


def test_crd_terminates_after_its_objects(cluster: FakeCluster, run: Any) -> None:
    crds = resource(cluster, "apiextensions.k8s.io", "customresourcedefinitions")
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusteroperators.gpu.metax-tech.com"},
        "spec": {
            "group": "gpu.metax-tech.com",
            "names": {"plural": "clusteroperators", "kind": "ClusterOperator"},
        },
        "status": {"conditions": [{"type": "Established", "status": "True"}]},
    }
    cluster.create(crd)
    cluster.create(
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": {"name": "co", "namespace": "m", "finalizers": ["gpu.metax-tech.com"]},
        }
    )
    cluster.delete(crds, "", crd["metadata"]["name"])
    run(CrdController())

    def terminating() -> Object:
        found = cluster.get(crds, "", crd["metadata"]["name"]) or {}
        return found if condition_true(found, "Terminating") else {}

    found = eventually(terminating, what="Terminating condition")
    assert CLEANUP_FINALIZER in found["metadata"]["finalizers"]
    assert conditions_of(found)["Terminating"]["reason"] == "InstanceDeletionInProgress"
    left = cluster.get(CLUSTER_OPERATORS, "m", "co")
    assert left is not None and left["metadata"].get("deletionTimestamp")
    left["metadata"]["finalizers"] = []
    cluster.update(left)
    eventually(lambda: cluster.get(crds, "", crd["metadata"]["name"]) is None, what="CRD removal")


# -- garbage collection ----------------------------------------------------------


def owned_map(cluster: FakeCluster, owner: Object, name: str, *, block: bool = True) -> Object:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
    }
    return cluster.create(config_map(name, "gc", ownerReferences=[ref]))


def test_background_deletes_dependents(cluster: FakeCluster, run: Any) -> None:
    maps = resource(cluster, "", "configmaps")
    owner = cluster.create(config_map("owner", "gc"))
    owned_map(cluster, owner, "child")
    run(GarbageCollector())
    cluster.delete(maps, "gc", "owner")
    eventually(lambda: cluster.get(maps, "gc", "child") is None, what="dependent deletion")


def test_foreground_owner_waits_for_dependents(cluster: FakeCluster, run: Any) -> None:
    maps = resource(cluster, "", "configmaps")
    owner = cluster.create(config_map("owner", "gc"))
    child = owned_map(cluster, owner, "child")
    child["metadata"]["finalizers"] = ["example.com/hold"]
    cluster.update(child)
    run(GarbageCollector())
    cluster.delete(maps, "gc", "owner", propagation="Foreground")
    eventually(
        lambda: (
            (cluster.get(maps, "gc", "child") or {}).get("metadata", {}).get("deletionTimestamp")
        ),
        what="dependent marked",
    )
    held = cluster.get(maps, "gc", "owner")
    assert held is not None and "foregroundDeletion" in held["metadata"]["finalizers"]
    release = cluster.get(maps, "gc", "child")
    assert release is not None
    release["metadata"]["finalizers"] = []
    cluster.update(release)
    eventually(lambda: cluster.get(maps, "gc", "owner") is None, what="owner removal")


def test_orphan_keeps_dependents_unlinked(cluster: FakeCluster, run: Any) -> None:
    maps = resource(cluster, "", "configmaps")
    owner = cluster.create(config_map("owner", "gc"))
    owned_map(cluster, owner, "child")
    run(GarbageCollector())
    cluster.delete(maps, "gc", "owner", propagation="Orphan")
    eventually(lambda: cluster.get(maps, "gc", "owner") is None, what="owner removal")
    child = cluster.get(maps, "gc", "child")
    assert child is not None
    assert not child["metadata"].get("ownerReferences")


# -- workloads ---------------------------------------------------------------------


def deployment(name: str, replicas: int, **pod_annotations: str) -> Object:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "w"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels, "annotations": pod_annotations},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


def test_deployment_becomes_available(cluster: FakeCluster, run: Any) -> None:
    deployments = resource(cluster, "apps", "deployments")
    cluster.create(deployment("web", 2))
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "w"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
    )
    run(WorkloadController())

    def available() -> Object:
        found = cluster.get(deployments, "w", "web") or {}
        return (
            found
            if condition_true(found, "Available")
            and (found.get("status") or {}).get("readyReplicas") == 2
            else {}
        )

    found = eventually(available, what="Deployment Available")
    status = found["status"]
    assert status["observedGeneration"] == found["metadata"]["generation"]
    assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (2, 2, 2)
    assert conditions_of(found)["Progressing"]["reason"] == "NewReplicaSetAvailable"
    replica_sets = cluster.list(resource(cluster, "apps", "replicasets"), "w")
    assert len(replica_sets) == 1
    assert replica_sets[0]["status"]["readyReplicas"] == 2
    endpoints = eventually(
        lambda: (cluster.get(resource(cluster, "", "endpoints"), "w", "web") or {}).get("subsets"),
        what="Endpoints",
    )
    assert len(endpoints[0]["addresses"]) == 2
    assert endpoints[0]["ports"][0]["port"] == 8080
    slice_resource = resource(cluster, "discovery.k8s.io", "endpointslices")
    slices = eventually(
        lambda: [s for s in cluster.list(slice_resource, "w") if len(s["endpoints"]) == 2],
        what="EndpointSlice",
    )
    assert [s["metadata"]["labels"]["kubernetes.io/service-name"] for s in slices] == ["web"]
    assert [e["conditions"]["ready"] for e in slices[0]["endpoints"]] == [True, True]


def test_unready_annotation_keeps_deployment_unavailable(cluster: FakeCluster, run: Any) -> None:
    deployments = resource(cluster, "apps", "deployments")
    cluster.create(deployment("slow", 1, **{"kubesim.io/pod-ready": "false"}))
    run(WorkloadController())
    found = eventually(
        lambda: (
            (cluster.get(deployments, "w", "slow") or {})
            .get("status", {})
            .get("observedGeneration")
            and cluster.get(deployments, "w", "slow")
        ),
        what="status",
    )
    assert not condition_true(found, "Available")
    assert found["status"]["readyReplicas"] == 0


def test_daemon_set_counts_matching_nodes(cluster: FakeCluster, run: Any) -> None:
    for node, gpu in (("n1", "true"), ("n2", "true"), ("n3", "false")):
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": node, "labels": {"metax-tech.com/gpu.installed": gpu}},
            }
        )
    daemon_sets = resource(cluster, "apps", "daemonsets")
    labels = {"app": "metax-gpu-label"}
    cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "metax-gpu-label", "namespace": "w"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeSelector": {"metax-tech.com/gpu.installed": "true"},
                        "containers": [{"name": "c"}],
                    },
                },
            },
        }
    )
    run(WorkloadController())
    status = eventually(
        lambda: (
            ((cluster.get(daemon_sets, "w", "metax-gpu-label") or {}).get("status") or {}).get(
                "numberReady"
            )
            == 2
            and cluster.get(daemon_sets, "w", "metax-gpu-label")
        ),
        what="DaemonSet ready",
    )["status"]
    assert (
        status["desiredNumberScheduled"],
        status["currentNumberScheduled"],
        status["updatedNumberScheduled"],
        status["numberAvailable"],
    ) == (2, 2, 2, 2)


def test_stateful_set_names_pods_by_ordinal(cluster: FakeCluster, run: Any) -> None:
    labels = {"app": "db"}
    cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "w"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "c"}]},
                },
            },
        }
    )
    run(WorkloadController())
    stateful_sets = resource(cluster, "apps", "statefulsets")
    eventually(
        lambda: (
            ((cluster.get(stateful_sets, "w", "db") or {}).get("status") or {}).get("readyReplicas")
            == 2
        ),
        what="StatefulSet ready",
    )
    names = sorted(p["metadata"]["name"] for p in cluster.list(resource(cluster, "", "pods"), "w"))
    assert names == ["db-0", "db-1"]


# -- jobs ------------------------------------------------------------------------------


def job(name: str, script: str, **spec: Any) -> Object:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "j"},
        "spec": dict(
            spec,
            template={
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "run",
                            "image": "registry.k8s.io/kubectl:v1.35.2",
                            "command": ["sh", "-c", script],
                            "env": [
                                {"name": "GREETING", "value": "hello"},
                                {
                                    "name": "POD_NAMESPACE",
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                                },
                            ],
                        }
                    ],
                }
            },
        ),
    }


def finished(cluster: FakeCluster, name: str) -> Object:
    jobs = resource(cluster, "batch", "jobs")

    def probe() -> Object:
        found = cluster.get(jobs, "j", name) or {}
        return found if condition_true(found, "Complete") or condition_true(found, "Failed") else {}

    return eventually(probe, what=f"job {name} to finish")


def test_job_completes_and_keeps_output(cluster: FakeCluster, run: Any) -> None:
    cluster.create(job("ok", 'echo "$GREETING from $POD_NAMESPACE"; test -z "$KUBECONFIG_UNSET"'))
    run(JobRunner())
    found = finished(cluster, "ok")
    conditions = conditions_of(found)
    assert conditions["Complete"]["status"] == "True"
    assert conditions["SuccessCriteriaMet"]["reason"] == "CompletionsReached"
    assert found["status"]["succeeded"] == 1
    assert found["status"].get("completionTime")
    pods = cluster.list(resource(cluster, "", "pods"), "j")
    assert pods[0]["metadata"]["annotations"][LOG_ANNOTATION] == "hello from j\n"
    assert pods[0]["status"]["phase"] == "Succeeded"


def test_job_fails_after_backoff_limit(cluster: FakeCluster, run: Any) -> None:
    cluster.create(job("bad", "exit 3", backoffLimit=1))
    run(JobRunner())
    found = finished(cluster, "bad")
    conditions = conditions_of(found)
    assert conditions["Failed"]["reason"] == "BackoffLimitExceeded"
    assert conditions["FailureTarget"]["message"] == "Job has reached the specified backoff limit"
    assert found["status"]["failed"] == 2
    assert len(cluster.list(resource(cluster, "", "pods"), "j")) == 2


def test_job_deadline_kills_the_command(cluster: FakeCluster, run: Any) -> None:
    cluster.create(job("slow", "sleep 30", activeDeadlineSeconds=1))
    run(JobRunner())
    found = finished(cluster, "slow")
    assert conditions_of(found)["Failed"]["reason"] == "DeadlineExceeded"


def test_job_environment_is_not_inherited(
    cluster: FakeCluster, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBESIM_SECRET_PROBE", "leaked")
    cluster.create(
        job(
            "env",
            'test -z "$KUBESIM_SECRET_PROBE" && test "$HOME" = "$PWD" && test -f "$KUBECONFIG"',
        )
    )
    run(JobRunner())
    assert condition_true(finished(cluster, "env"), "Complete"), os.environ.get(
        "KUBESIM_SECRET_PROBE"
    )


# -- operator stand-in ------------------------------------------------------------------


def operator_deployment(available: bool, delay: str = "0.2") -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "metax-operator",
            "namespace": "metax-operator",
            "labels": {"app.kubernetes.io/component": "metax-operator"},
            "annotations": {"kubesim.io/finalize-delay": delay},
        },
        "spec": {"replicas": 1},
        "status": {
            "conditions": [{"type": "Available", "status": "True" if available else "False"}]
        },
    }


def test_operator_finalizes_while_available(cluster: FakeCluster, run: Any) -> None:
    webhooks = resource(cluster, "admissionregistration.k8s.io", "validatingwebhookconfigurations")
    cluster.create(operator_deployment(True))
    cluster.create(
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": {"name": "cluster-operator", "namespace": "metax-operator"},
        }
    )
    run(OperatorStandIn())
    eventually(
        lambda: (
            "gpu.metax-tech.com"
            in (
                (cluster.get(CLUSTER_OPERATORS, "metax-operator", "cluster-operator") or {})
                .get("metadata", {})
                .get("finalizers")
                or []
            )
        ),
        what="finalizer",
    )
    configuration = eventually(
        lambda: cluster.get(webhooks, "", "upgrade-validating-webhook-configuration"),
        what="webhook configuration",
    )
    hook = configuration["webhooks"][0]
    assert hook["failurePolicy"] == "Fail"
    assert hook["clientConfig"]["service"] == {
        "name": "upgrade-webhook-service",
        "namespace": "metax-operator",
        "path": "/validate-gpu-metax-tech-com-v1alpha1-clusteroperator",
        "port": 443,
    }
    cluster.delete(CLUSTER_OPERATORS, "metax-operator", "cluster-operator")
    eventually(
        lambda: cluster.get(CLUSTER_OPERATORS, "metax-operator", "cluster-operator") is None,
        what="ClusterOperator removal",
    )
    assert cluster.get(webhooks, "", "upgrade-validating-webhook-configuration") is None


def test_operator_idle_when_unavailable(cluster: FakeCluster, run: Any) -> None:
    cluster.create(operator_deployment(False))
    cluster.create(
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": {
                "name": "cluster-operator",
                "namespace": "metax-operator",
                "finalizers": ["gpu.metax-tech.com"],
            },
        }
    )
    operator = run(OperatorStandIn())
    cluster.delete(CLUSTER_OPERATORS, "metax-operator", "cluster-operator")
    # Two full passes of the loop without an available operator change nothing.
    operator.reconcile(cluster)
    operator.reconcile(cluster)
    left = cluster.get(CLUSTER_OPERATORS, "metax-operator", "cluster-operator")
    assert left is not None
    assert left["metadata"]["finalizers"] == ["gpu.metax-tech.com"]


def test_unknown_owner_kind_keeps_dependent(cluster: FakeCluster, run: Any) -> None:
    maps = resource(cluster, "", "configmaps")
    ref = {"apiVersion": "example.com/v1", "kind": "Unserved", "name": "gone", "uid": "0000"}
    cluster.create(config_map("child", "gc", ownerReferences=[ref]))
    collector = run(GarbageCollector())
    collector.reconcile(cluster)
    assert cluster.get(maps, "gc", "child") is not None


def test_missing_owner_collects_dependent(cluster: FakeCluster, run: Any) -> None:
    maps = resource(cluster, "", "configmaps")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "0000"}
    cluster.create(config_map("child", "gc", ownerReferences=[ref]))
    run(GarbageCollector())
    eventually(
        lambda: cluster.get(maps, "gc", "child") is None,
        what="dependent of a missing owner collected",
    )


# -- ClusterRole aggregation --------------------------------------------------------------


def test_aggregated_rules_written_to_role(cluster: FakeCluster, run: Any) -> None:
    roles = resource(cluster, "rbac.authorization.k8s.io", "clusterroles")
    label = {"rbac.example.com/aggregate-to-view": "true"}
    aggregate = cluster_role("view", [])
    aggregate["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": label}]}
    cluster.create(aggregate)
    pods_rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    nodes_rule = {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}
    cluster.create(cluster_role("view-pods", [pods_rule], labels=label))
    cluster.create(cluster_role("view-nodes", [nodes_rule, pods_rule], labels=label))
    cluster.create(
        cluster_role("unrelated", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    )
    run(ClusterRoleAggregator())
    found = eventually(
        lambda: (cluster.get(roles, "", "view") or {}).get("rules"), what="aggregated rules"
    )
    assert found == [nodes_rule, pods_rule]


def test_job_waits_for_missing_service_account(cluster: FakeCluster) -> None:
    manifest = job("as-robot", "true")
    manifest["spec"]["template"]["spec"]["serviceAccountName"] = "robot"
    cluster.create(manifest)
    runner = JobRunner()
    runner.reconcile(cluster)
    assert cluster.list(resource(cluster, "", "pods"), "j") == []

    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "robot", "namespace": "j"},
        }
    )
    runner.reconcile(cluster)
    try:
        assert condition_true(finished(cluster, "as-robot"), "Complete")
    finally:
        runner.stop()
