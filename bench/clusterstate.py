"""Generate a large kubesim state: a GPU cluster stuck in a MetaX operator uninstall.

The default scale is 2,000 nodes, 50,000 pods and 500 namespaces. The
operator namespace contains the MetaX DaemonSets with one pod per node and
the Helm release Secret in status ``uninstalling``. A ClusterOperator is
being deleted with its finalizer left, and a validating webhook
configuration points at a Service that is gone. This is the state that
``doctor`` diagnoses and ``unstick`` plans a cleanup for. Every other
namespace runs ordinary Deployments and a finished GPU training Job, so no
GPU workload is running.

Documents are written as JSON, which is YAML too and much faster to write.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, TextIO, Tuple

from bench import kubeobjects, stuckoperator
from bench.kubeobjects import Object

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
    """A written state file with its object count per resource."""

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


def generate(scale: Scale) -> Iterator[Tuple[str, Object]]:
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

    yield from _namespaces([stuckoperator.OPERATOR_NAMESPACE, *teams])
    for name in node_names:
        yield "nodes", kubeobjects.node(name)
    yield from stuckoperator.objects()
    yield from _metax_daemonsets(node_names)
    yield from _applications(app_namespaces, node_names, pods=scale.pods - metax_pods)


def _namespaces(names: List[str]) -> Iterator[Tuple[str, Object]]:
    for name in names:
        yield (
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": kubeobjects.meta(
                    "Namespace", name, labels={"kubernetes.io/metadata.name": name}
                ),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )


def _metax_daemonsets(node_names: List[str]) -> Iterator[Tuple[str, Object]]:
    for name, component in METAX_DAEMONSETS:
        image = f"cr.metax-tech.com/cloud/{component}:{OPERATOR_VERSION}-amd64"
        labels = {"app": name, "app.kubernetes.io/managed-by": "metax-operator"}
        daemonset = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": kubeobjects.meta(
                "DaemonSet", name, stuckoperator.OPERATOR_NAMESPACE, labels=labels
            ),
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
        owner = kubeobjects.owner("apps/v1", "DaemonSet", daemonset)
        for node in node_names:
            pod_name = f"{name}-n{node[-4:]}"
            yield (
                "pods",
                kubeobjects.pod(
                    pod_name,
                    stuckoperator.OPERATOR_NAMESPACE,
                    node=node,
                    image=image,
                    labels={"app": name},
                    owner=owner,
                ),
            )


def _applications(
    namespaces: List[str], node_names: List[str], *, pods: int
) -> Iterator[Tuple[str, Object]]:
    """Yield Deployments, ReplicaSets, a finished GPU Job and their pods, spread evenly."""
    shapes = len(APP_DEPLOYMENTS) + 1  # the Deployments and the Job
    owners: Dict[tuple[str, int], tuple[Object, str]] = {}
    for namespace in namespaces:
        yield (
            "services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": kubeobjects.meta("Service", "web", namespace),
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
            },
        )
        for shape, (name, image) in enumerate(APP_DEPLOYMENTS):
            deployment = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": kubeobjects.meta("Deployment", name, namespace, labels={"app": name}),
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
                "metadata": kubeobjects.meta(
                    "ReplicaSet",
                    replicaset_name,
                    namespace,
                    labels={"app": name},
                    ownerReferences=[kubeobjects.owner("apps/v1", "Deployment", deployment)],
                ),
                "spec": deployment["spec"],
            }
            yield "deployments", deployment
            yield "replicasets", replicaset
            owners[namespace, shape] = (
                kubeobjects.owner("apps/v1", "ReplicaSet", replicaset),
                image,
            )
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": kubeobjects.meta("Job", "train", namespace, labels={"app": "train"}),
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
        owners[namespace, len(APP_DEPLOYMENTS)] = (
            kubeobjects.owner("batch/v1", "Job", job),
            TRAIN_IMAGE,
        )

    for index in range(pods):
        namespace = namespaces[index % len(namespaces)]
        shape = (index // len(namespaces)) % shapes
        owner, image = owners[namespace, shape]
        finished = shape == len(APP_DEPLOYMENTS)
        yield (
            "pods",
            kubeobjects.pod(
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
