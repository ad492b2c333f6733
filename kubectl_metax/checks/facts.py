"""Facts several checks share: the operator's objects, pods by owner, container trouble."""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from kubectl_metax.inspection.install import (
    METAX_GROUP,
    NAME_ONLY_EVIDENCE,
    Install,
    operator_deployments,
)
from kubectl_metax.inspection.snapshot import (
    ContainerRecord,
    CrdRecord,
    CustomResourceRecord,
    PodRecord,
    Snapshot,
    WorkloadRecord,
)

CLUSTER_OPERATOR_CRD = "clusteroperators.gpu.metax-tech.com"
CLUSTER_OPERATOR_KIND = "ClusterOperator"
# The gap kinds of the LISTs of MetaX custom resources, one per CRD of the group.
METAX_CUSTOM_RESOURCES = "*.gpu.metax-tech.com"

# The DaemonSets the operator creates (chart 0.9.x to 0.15.x).
OPERATOR_DAEMONSETS = (
    "metax-gpu-label",
    "metax-driver",
    "metax-maca",
    "metax-container-runtime",
    "metax-gpu-device",
    "metax-vfio-manager",
    "mx-exporter",
)
DEVICE_PLUGIN_DAEMONSET = "metax-gpu-device"
DRIVER_DAEMONSET = "metax-driver"
RUNTIME_DAEMONSET = "metax-container-runtime"

CRASH_LOOP = "CrashLoopBackOff"
# Restarts after which a container that is not running counts as crash-looping
# even before the kubelet reports CrashLoopBackOff (its back-off starts at 10s).
CRASH_RESTARTS = 3
IMAGE_PULL_REASONS = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName")


def namespace_exists(snap: Snapshot, name: str) -> bool:
    return any(item["meta"]["name"] == name for item in snap["namespaces"])


def installed(install: Install) -> bool:
    """Return whether anything besides the conventional namespace name points at an install."""
    return bool(install["namespace"]) and any(
        kind != NAME_ONLY_EVIDENCE for kind in install["evidence"]
    )


def operator_present(snap: Snapshot, install: Install) -> bool:
    """Return whether an install is known and its namespace exists."""
    return installed(install) and namespace_exists(snap, install["namespace"])


def deployments_here(snap: Snapshot, install: Install) -> List[WorkloadRecord]:
    return [
        workload
        for workload in operator_deployments(snap)
        if workload["meta"]["namespace"] == install["namespace"]
    ]


def cluster_operator_crd(snap: Snapshot) -> Optional[CrdRecord]:
    for crd in snap["crds"]:
        if crd["meta"]["name"] == CLUSTER_OPERATOR_CRD or (
            crd["group"] == METAX_GROUP and crd["kind"] == CLUSTER_OPERATOR_KIND
        ):
            return crd
    return None


def cluster_operators(snap: Snapshot) -> List[CustomResourceRecord]:
    return [item for item in snap["custom_resources"] if item["kind"] == CLUSTER_OPERATOR_KIND]


def cluster_operator_setting(snap: Snapshot, path: str) -> Optional[str]:
    """Return a spec setting of the first ClusterOperator that has it, or None."""
    for item in cluster_operators(snap):
        value = item.get("settings", {}).get(path)
        if value:
            return value
    return None


def _controls(workload: WorkloadRecord, pod: PodRecord) -> bool:
    kind, _sep, owner = pod["owner"].partition("/")
    name = workload["meta"]["name"]
    if workload["kind"] == "DaemonSet":
        return kind == "DaemonSet" and owner == name
    # A Deployment's ReplicaSets are named "<deployment>-<pod-template-hash>".
    return kind == "ReplicaSet" and owner.rsplit("-", 1)[0] == name


def pods_of(snap: Snapshot, workload: WorkloadRecord) -> List[PodRecord]:
    """Return the pods a Deployment (through its ReplicaSets) or a DaemonSet controls."""
    namespace = workload["meta"]["namespace"]
    return [
        pod for pod in snap["pods"] if pod["namespace"] == namespace and _controls(workload, pod)
    ]


def is_crash_looping(container: ContainerRecord) -> bool:
    if container["reason"] == CRASH_LOOP:
        return True
    return container["state"] != "running" and container["restart_count"] >= CRASH_RESTARTS


def crash_loops(pods: List[PodRecord]) -> Iterator[Tuple[PodRecord, ContainerRecord]]:
    for pod in pods:
        for container in pod["containers"]:
            if is_crash_looping(container):
                yield pod, container


def crash_text(container: ContainerRecord) -> str:
    """Return what the container said when it last ended, else its current message."""
    return (
        container.get("last_termination", "") or container.get("message", "") or container["reason"]
    )
