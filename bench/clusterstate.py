"""Generate a large kubesim state: a GPU cluster stuck in a MetaX operator uninstall.

The default scale is 2,000 nodes, 50,000 pods and 500 namespaces. The
operator namespace holds the MetaX DaemonSets with one pod per node, the
Helm release Secret in status ``uninstalling``, a ClusterOperator being
deleted with its finalizer left, and a validating webhook configuration
whose Service is gone: the state ``doctor`` diagnoses and ``unstick``
plans a cleanup for. Every other namespace runs ordinary Deployments and a
finished GPU training Job, so no GPU workload is running.

Documents are written as JSON, which is YAML too and much faster to write.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, TextIO

Object = Dict[str, Any]

OPERATOR_NAMESPACE = "metax-operator"
RELEASE = "metax-operator"
CREATED = "2026-11-02T08:00:00Z"
DELETED = "2026-12-01T09:30:00Z"
OPERATOR_VERSION = "0.13.1"
METAX_DAEMONSETS = (
    ("metax-gpu-label", "gpu-label"),
    ("metax-gpu-device", "gpu-device"),
    ("metax-container-runtime", "container-runtime"),
    ("metax-driver", "driver-manager"),
    ("mx-exporter", "mx-exporter"),
)
APP_DEPLOYMENTS = (
    ("web", "docker.io/library/nginx:1.27.3"),
    ("api", "ghcr.io/example/api-server:2.4.1"),
    ("worker", "ghcr.io/example/worker:2.4.1"),
)
# Namespaces that kubesim, like kube-apiserver, creates itself: the state
# leaves them out but counts them, and puts workloads in the first two.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
TRAIN_IMAGE = "cr.metax-tech.com/library/maca-native:3.0.0.4-ubuntu22.04-amd64"


@dataclass(frozen=True)
class Scale:
    nodes: int = 2_000
    pods: int = 50_000
    namespaces: int = 500


@dataclass(frozen=True)
class State:
    """Where the state was written and how many objects of each resource it holds."""

    path: Path
    counts: Dict[str, int]  # plural resource name -> objects


def write(path: Path, scale: Scale = Scale()) -> State:
    """Write the state as a multi-document stream and count its objects."""
    counts: Counter[str] = Counter()
    with open(path, "w", encoding="utf-8") as stream:
        for resource, obj in generate(scale):
            counts[resource] += 1
            _write_document(stream, obj)
    counts["namespaces"] += len(SYSTEM_NAMESPACES)
    return State(path=path, counts=dict(counts))


def _write_document(stream: TextIO, obj: Object) -> None:
    stream.write("---\n")
    stream.write(json.dumps(obj, separators=(",", ":")))
    stream.write("\n")


def generate(scale: Scale) -> Iterator[tuple[str, Object]]:
    """Yield (plural resource name, object) for every object of the state."""
    metax_pods = scale.nodes * len(METAX_DAEMONSETS)
    if scale.pods < metax_pods or scale.namespaces <= len(SYSTEM_NAMESPACES):
        raise ValueError(
            f"{scale} is too small: it needs more than {len(SYSTEM_NAMESPACES)} namespaces "
            f"and at least {metax_pods} pods for the MetaX DaemonSets"
        )
    node_names = [f"gpu-node-{index:04d}" for index in range(scale.nodes)]
    teams = [f"team-{index:03d}" for index in range(scale.namespaces - len(SYSTEM_NAMESPACES) - 1)]
    app_namespaces = ["default", "kube-system", *teams]

    yield from _namespaces([OPERATOR_NAMESPACE, *teams])
    for name in node_names:
        yield "nodes", _node(name)
    yield from _operator_install()
    yield from _metax_daemonsets(node_names)
    yield from _applications(app_namespaces, node_names, pods=scale.pods - metax_pods)


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _meta(kind: str, name: str, namespace: str = "", **extra: Any) -> Object:
    meta: Object = {"name": name, "uid": _uid(kind, namespace, name), "creationTimestamp": CREATED}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def _namespaces(names: List[str]) -> Iterator[tuple[str, Object]]:
    for name in names:
        yield (
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta("Namespace", name, labels={"kubernetes.io/metadata.name": name}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )


def _node(name: str) -> Object:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "metax-tech.com/gpu.installed": "true",
        "metax-tech.com/gpu.product": "MXC550",
        "metax-tech.com/gpu.family": "MXC",
        "metax-tech.com/gpu.memory": "64GB",
        "metax-tech.com/driver.ready": "true",
        "metax-tech.com/maca.ready": "true",
        "metax-tech.com/runtime.ready": "true",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta("Node", name, labels=labels),
        "spec": {},
        "status": {
            "allocatable": {
                "cpu": "126",
                "memory": "1031000Mi",
                "pods": "110",
                "metax-tech.com/gpu": "8",
            },
            "capacity": {
                "cpu": "128",
                "memory": "1056000Mi",
                "pods": "110",
                "metax-tech.com/gpu": "8",
            },
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "nodeInfo": {
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": "v1.30.6",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.5 LTS",
            },
        },
    }


def _operator_install() -> Iterator[tuple[str, Object]]:
    """Yield what a half-uninstalled operator leaves behind."""
    helm = {"app.kubernetes.io/managed-by": "Helm"}
    owned = {
        "meta.helm.sh/release-name": RELEASE,
        "meta.helm.sh/release-namespace": OPERATOR_NAMESPACE,
    }
    yield (
        "customresourcedefinitions",
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": _meta("CustomResourceDefinition", "clusteroperators.gpu.metax-tech.com"),
            "spec": {
                "group": "gpu.metax-tech.com",
                "names": {
                    "kind": "ClusterOperator",
                    "listKind": "ClusterOperatorList",
                    "plural": "clusteroperators",
                    "singular": "clusteroperator",
                },
                "scope": "Namespaced",
                "versions": [
                    {
                        "name": "v1alpha1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                    }
                ],
            },
        },
    )
    yield (
        "clusteroperators",
        {
            "apiVersion": "gpu.metax-tech.com/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": _meta(
                "ClusterOperator",
                "cluster-operator",
                OPERATOR_NAMESPACE,
                labels=helm,
                annotations=owned,
                finalizers=["gpu.metax-tech.com"],
                deletionTimestamp=DELETED,
                deletionGracePeriodSeconds=0,
            ),
            "spec": {"cluster": {"type": "k8s"}, "driver": {"deployPolicy": "PreferHost"}},
        },
    )
    yield (
        "validatingwebhookconfigurations",
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": _meta(
                "ValidatingWebhookConfiguration",
                "upgrade-validating-webhook-configuration",
                labels=helm,
                annotations=owned,
            ),
            "webhooks": [
                {
                    "name": "vclusteroperator.gpu.metax-tech.com",
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": "Fail",
                    "clientConfig": {
                        "service": {
                            "name": "upgrade-webhook-service",
                            "namespace": OPERATOR_NAMESPACE,
                            "path": "/validate-gpu-metax-tech-com-v1alpha1",
                        }
                    },
                    "rules": [
                        {
                            "apiGroups": ["gpu.metax-tech.com"],
                            "apiVersions": ["v1alpha1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["clusteroperators"],
                        }
                    ],
                }
            ],
        },
    )
    yield (
        "secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": _meta(
                "Secret",
                f"sh.helm.release.v1.{RELEASE}.v1",
                OPERATOR_NAMESPACE,
                labels={"owner": "helm", "name": RELEASE, "status": "uninstalling", "version": "1"},
            ),
            # A stand-in payload: the real one is a gzipped release record, never read here.
            "data": {"release": "SDRzSUFBQUFBQUFBLzZ1dUt3QUFBQUFBQUE9"},
        },
    )


def _metax_daemonsets(node_names: List[str]) -> Iterator[tuple[str, Object]]:
    for name, component in METAX_DAEMONSETS:
        image = f"cr.metax-tech.com/cloud/{component}:{OPERATOR_VERSION}-amd64"
        labels = {"app": name, "app.kubernetes.io/managed-by": "metax-operator"}
        daemonset = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta("DaemonSet", name, OPERATOR_NAMESPACE, labels=labels),
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": component, "image": image}]},
                },
            },
            "status": {
                "desiredNumberScheduled": len(node_names),
                "currentNumberScheduled": len(node_names),
                "numberReady": len(node_names),
                "numberAvailable": len(node_names),
            },
        }
        yield "daemonsets", daemonset
        owner = _owner("apps/v1", "DaemonSet", daemonset)
        for node in node_names:
            pod_name = f"{name}-n{node[-4:]}"
            yield (
                "pods",
                _pod(
                    pod_name,
                    OPERATOR_NAMESPACE,
                    node=node,
                    image=image,
                    labels={"app": name},
                    owner=owner,
                ),
            )


def _applications(
    namespaces: List[str], node_names: List[str], *, pods: int
) -> Iterator[tuple[str, Object]]:
    """Yield Deployments, ReplicaSets, a finished GPU Job and their pods, spread evenly."""
    shapes = len(APP_DEPLOYMENTS) + 1  # the Deployments and the Job
    owners: Dict[tuple[str, int], tuple[Object, str]] = {}
    for namespace in namespaces:
        yield (
            "services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta("Service", "web", namespace),
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
            },
        )
        for shape, (name, image) in enumerate(APP_DEPLOYMENTS):
            deployment = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": _meta("Deployment", name, namespace, labels={"app": name}),
                "spec": {
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "main", "image": image}]},
                    },
                },
            }
            replicaset_name = f"{name}-7d4b9c6f8"
            replicaset = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": _meta(
                    "ReplicaSet",
                    replicaset_name,
                    namespace,
                    labels={"app": name},
                    ownerReferences=[_owner("apps/v1", "Deployment", deployment)],
                ),
                "spec": deployment["spec"],
            }
            yield "deployments", deployment
            yield "replicasets", replicaset
            owners[namespace, shape] = (_owner("apps/v1", "ReplicaSet", replicaset), image)
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta("Job", "train", namespace, labels={"app": "train"}),
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "train",
                                "image": TRAIN_IMAGE,
                                "resources": {"limits": {"metax-tech.com/gpu": "1"}},
                            }
                        ],
                    }
                }
            },
            "status": {"succeeded": 1},
        }
        yield "jobs", job
        owners[namespace, len(APP_DEPLOYMENTS)] = (_owner("batch/v1", "Job", job), TRAIN_IMAGE)

    for index in range(pods):
        namespace = namespaces[index % len(namespaces)]
        shape = (index // len(namespaces)) % shapes
        owner, image = owners[namespace, shape]
        finished = shape == len(APP_DEPLOYMENTS)
        yield (
            "pods",
            _pod(
                f"{owner['name']}-{index:05d}",
                namespace,
                node=node_names[index % len(node_names)],
                image=image,
                labels={"app": owner["name"].split("-")[0]},
                owner=owner,
                gpus=1 if finished else 0,
                phase="Succeeded" if finished else "Running",
            ),
        )


def _owner(api_version: str, kind: str, owner: Object) -> Object:
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _pod(
    name: str,
    namespace: str,
    *,
    node: str,
    image: str,
    labels: Dict[str, str],
    owner: Object,
    gpus: int = 0,
    phase: str = "Running",
) -> Object:
    resources: Object = {"requests": {"cpu": "100m", "memory": "128Mi"}}
    if gpus:
        resources["limits"] = {"metax-tech.com/gpu": str(gpus)}
        resources["requests"]["metax-tech.com/gpu"] = str(gpus)
    running = phase == "Running"
    state = (
        {"running": {"startedAt": CREATED}}
        if running
        else {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": CREATED}}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta("Pod", name, namespace, labels=labels, ownerReferences=[owner]),
        "spec": {
            "nodeName": node,
            "containers": [{"name": "main", "image": image, "resources": resources}],
        },
        "status": {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": "main",
                    "image": image,
                    "ready": running,
                    "restartCount": 0,
                    "state": state,
                }
            ],
        },
    }
