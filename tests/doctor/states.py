"""Cluster states for the doctor's tests, built as API objects and loaded into kubesim.

``healthy()`` is an installed, working operator on one GPU node: every check
stays quiet on it. Each scenario in ``SCENARIOS`` changes it so that one
check fires; the ``quiet`` variants are near misses that must not fire.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional

import yaml

Object = Dict[str, Any]

NS = "metax-operator"
RELEASE = "metax-operator-1743500897"
CHART = "metax-operator-0.11.1"
DEPLOYMENT = f"{RELEASE}-metax-operator"
REPLICASET = f"{DEPLOYMENT}-5d8f7c9b6"
GROUP = "gpu.metax-tech.com"
CRD_NAME = f"clusteroperators.{GROUP}"
NODE = "gpu-node-1"
LONG_AGO = "2026-01-01T00:00:00Z"
REGISTRY = "harbor.example.cn/mximages"


def helm_meta(name: str, namespace: str = NS, *, release: str = RELEASE, **extra: Any) -> Object:
    meta: Object = {
        "name": name,
        "labels": {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": CHART},
        "annotations": {
            "meta.helm.sh/release-name": release,
            "meta.helm.sh/release-namespace": NS,
        },
    }
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def release_secret(
    version: int, status: str, *, release: str = RELEASE, namespace: str = NS
) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{release}.v{version}",
            "namespace": namespace,
            "labels": {"owner": "helm", "name": release, "status": status, "version": str(version)},
        },
        "data": {"release": "SGVsbSByZWxlYXNlIHBheWxvYWQ="},
    }


def container_status(
    name: str,
    image: str,
    *,
    state: Optional[Object] = None,
    restarts: int = 0,
    last: Optional[Object] = None,
) -> Object:
    status: Object = {
        "name": name,
        "image": image,
        "ready": state is None,
        "restartCount": restarts,
        "state": state or {"running": {"startedAt": LONG_AGO}},
    }
    if last:
        status["lastState"] = {"terminated": last}
    return status


def pod(
    name: str,
    *,
    owner_kind: str,
    owner: str,
    image: str,
    namespace: str = NS,
    node: str = NODE,
    created: str = LONG_AGO,
    statuses: Optional[List[Object]] = None,
    resources: Optional[Object] = None,
) -> Object:
    container: Object = {"name": "main", "image": image}
    if resources:
        container["resources"] = resources
    metadata: Object = {"name": name, "namespace": namespace, "creationTimestamp": created}
    if owner_kind:
        # The uid must be the owner's, or kubesim's garbage collector deletes the pod.
        metadata["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": owner_kind,
                "name": owner,
                "uid": f"uid-{owner}",
                "controller": True,
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [container]},
        "status": {
            "phase": "Running",
            "containerStatuses": statuses or [container_status("main", image)],
        },
    }


def daemonset(name: str, image: str, *, desired: int = 1, ready: int = 1) -> Object:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
        "status": {
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "numberAvailable": ready,
            "currentNumberScheduled": desired,
        },
    }


def gpu_node(name: str = NODE, **label_overrides: Optional[str]) -> Object:
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "metax-tech.com/gpu.installed": "true",
        "metax-tech.com/gpu.product": "MXC500",
        "metax-tech.com/gpu.family": "MXC",
        "metax-tech.com/driver.ready": "true",
        "metax-tech.com/maca.ready": "true",
        "metax-tech.com/runtime.ready": "true",
    }
    for key, value in label_overrides.items():
        label = "metax-tech.com/" + key.replace("__", ".").replace("_", "-")
        if value is None:
            labels.pop(label, None)
        else:
            labels[label] = value
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {
            "allocatable": {"cpu": "64", "memory": "256Gi", "metax-tech.com/gpu": "8"},
            "capacity": {"cpu": "64", "memory": "256Gi", "metax-tech.com/gpu": "8"},
            "nodeInfo": {
                "architecture": "amd64",
                "osImage": "Ubuntu 22.04.4 LTS",
                "containerRuntimeVersion": "containerd://1.7.22",
                "kubeletVersion": "v1.30.4",
            },
        },
    }


def healthy() -> List[Object]:
    """Return a working install: operator ready, release deployed, one ready GPU node."""
    component = f"{REGISTRY}/{{name}}:0.11.1-amd64"
    objects: List[Object] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": helm_meta(CRD_NAME, ""),
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {
                    "plural": "clusteroperators",
                    "singular": "clusteroperator",
                    "kind": "ClusterOperator",
                    "listKind": "ClusterOperatorList",
                },
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
        {
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": "ClusterOperator",
            "metadata": helm_meta("cluster-operator", finalizers=[GROUP]),
            "spec": {"cluster": {"type": "k8s"}, "driver": {"deployPolicy": "PreferHost"}},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                **helm_meta(DEPLOYMENT),
                "uid": f"uid-{DEPLOYMENT}",
                "labels": {
                    "app.kubernetes.io/component": "metax-operator",
                    "app.kubernetes.io/managed-by": "Helm",
                    "helm.sh/chart": CHART,
                },
            },
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "metax-operator"}},
                "template": {
                    "metadata": {"labels": {"app": "metax-operator"}},
                    "spec": {
                        "containers": [
                            {"name": "main", "image": component.format(name="operator-controller")}
                        ]
                    },
                },
            },
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": REPLICASET,
                "namespace": NS,
                "uid": f"uid-{REPLICASET}",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": DEPLOYMENT,
                        "uid": f"uid-{DEPLOYMENT}",
                        "controller": True,
                    }
                ],
            },
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "metax-operator"}},
                "template": {
                    "metadata": {"labels": {"app": "metax-operator"}},
                    "spec": {"containers": [{"name": "main", "image": "op"}]},
                },
            },
            "status": {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1},
        },
        pod(
            f"{REPLICASET}-x7k2p",
            owner_kind="ReplicaSet",
            owner=REPLICASET,
            image=component.format(name="operator-controller"),
        ),
        release_secret(1, "superseded"),
        release_secret(2, "deployed"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": helm_meta("upgrade-webhook-service"),
            "spec": {
                "selector": {"app": "metax-operator"},
                "ports": [{"port": 443, "targetPort": 9443}],
            },
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "upgrade-webhook-service-abcde",
                "namespace": NS,
                "labels": {"kubernetes.io/service-name": "upgrade-webhook-service"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.5"], "conditions": {"ready": True}}],
            "ports": [{"port": 9443}],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": helm_meta("upgrade-validating-webhook-configuration", ""),
            "webhooks": [
                {
                    "name": "vclusteroperator.kb.io",
                    "clientConfig": {
                        "service": {
                            "name": "upgrade-webhook-service",
                            "namespace": NS,
                            "path": "/validate",
                        }
                    },
                    "rules": [
                        {
                            "apiGroups": [GROUP],
                            "apiVersions": ["v1alpha1"],
                            "resources": ["clusteroperators"],
                            "operations": ["UPDATE"],
                        }
                    ],
                    "failurePolicy": "Fail",
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": helm_meta("metax-operator-manager-role", ""),
            "rules": [{"apiGroups": [GROUP], "resources": ["*"], "verbs": ["*"]}],
        },
        gpu_node(),
    ]
    for name in (
        "metax-gpu-label",
        "metax-driver",
        "metax-maca",
        "metax-container-runtime",
        "metax-gpu-device",
    ):
        image = component.format(name=name.replace("metax-", ""))
        objects.append(daemonset(name, image))
        objects.append(pod(f"{name}-abcde", owner_kind="DaemonSet", owner=name, image=image))
    return objects


def to_yaml(objects: List[Object]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


def find(objects: List[Object], kind: str, name: str) -> Object:
    for item in objects:
        if item["kind"] == kind and item["metadata"]["name"] == name:
            return item
    raise KeyError(f"{kind}/{name}")


def without(objects: List[Object], kind: str, name: str) -> List[Object]:
    return [
        item for item in objects if not (item["kind"] == kind and item["metadata"]["name"] == name)
    ]


Change = Callable[[List[Object]], List[Object]]


def changed(change: Change) -> List[Object]:
    return change(copy.deepcopy(healthy()))
