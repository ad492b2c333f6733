"""The cluster snapshot: plain typed records that round-trip through JSON.

Only the fields the checks read are kept, so a snapshot of a large cluster
stays small; Helm release payloads and Secret data are never part of it.
A kind that could not be listed is recorded in ``gaps`` instead of failing
the collection, and checks that need it say so rather than guess.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, TypedDict

from kubectl_metax.errors import InvalidInput
from kubectl_metax.i18n import _

# Bumped when a field changes meaning; load() rejects other versions.
FORMAT_VERSION = 1


class Meta(TypedDict):
    name: str
    namespace: str  # "" for cluster-scoped objects
    uid: str
    resource_version: str
    labels: Dict[str, str]
    annotations: Dict[str, str]  # only Helm's (meta.helm.sh/*, helm.sh/*)
    deletion_timestamp: Optional[str]
    finalizers: List[str]
    owners: List[str]  # "Kind/name" of ownerReferences


class Condition(TypedDict):
    type: str
    status: str
    reason: str
    message: str


class NamespaceRecord(TypedDict):
    meta: Meta
    phase: str
    conditions: List[Condition]


class CrdRecord(TypedDict):
    meta: Meta
    group: str
    kind: str
    plural: str
    namespaced: bool
    version: str  # the storage version, else the first served one
    conditions: List[Condition]


class CustomResourceRecord(TypedDict):
    meta: Meta
    group: str
    version: str
    resource: str
    kind: str


class WebhookRecord(TypedDict):
    name: str
    service_namespace: str  # "" when the webhook calls a URL
    service_name: str
    url: str
    failure_policy: str
    groups: List[str]  # API groups its rules match ("*" included as written)


class WebhookConfigRecord(TypedDict):
    meta: Meta
    kind: str  # ValidatingWebhookConfiguration or MutatingWebhookConfiguration
    webhooks: List[WebhookRecord]


class ServiceRecord(TypedDict):
    meta: Meta
    selector: Dict[str, str]


class EndpointsRecord(TypedDict):
    namespace: str
    service: str
    ready: int  # ready addresses across all ports
    not_ready: int


class WorkloadRecord(TypedDict):
    meta: Meta
    kind: str  # Deployment or DaemonSet
    desired: int
    ready: int
    available: int
    images: List[str]


class ContainerRecord(TypedDict):
    name: str
    image: str
    ready: bool
    restart_count: int
    state: str  # running, waiting, terminated or unknown
    reason: str


class PodRecord(TypedDict):
    namespace: str
    name: str
    phase: str
    node: str
    owner: str  # "Kind/name" of the controller, "" for a bare pod
    gpu: Dict[str, str]  # metax-tech.com/* resource -> quantity (request, else limit)
    deleting: bool
    containers: List[ContainerRecord]


class HelmReleaseRecord(TypedDict):
    namespace: str
    storage: str  # Secret or ConfigMap
    object_name: str
    release: str
    status: str
    version: int


class NodeRecord(TypedDict):
    name: str
    labels: Dict[str, str]
    allocatable: Dict[str, str]
    container_runtime: str
    kubelet_version: str


class JobRecord(TypedDict):
    meta: Meta
    active: int
    succeeded: int
    failed: int
    conditions: List[Condition]


class RbacRecord(TypedDict):
    meta: Meta
    kind: str  # ClusterRole or ClusterRoleBinding


class Gap(TypedDict):
    kind: str  # the list that is missing or incomplete, e.g. "pods"
    reason: str  # forbidden, not-found, timeout, unreachable or error
    message: str


class Snapshot(TypedDict):
    format: int
    server: str
    context: str
    namespaces: List[NamespaceRecord]
    crds: List[CrdRecord]
    custom_resources: List[CustomResourceRecord]
    webhook_configurations: List[WebhookConfigRecord]
    services: List[ServiceRecord]
    endpoints: List[EndpointsRecord]
    workloads: List[WorkloadRecord]
    pods: List[PodRecord]
    helm_releases: List[HelmReleaseRecord]
    nodes: List[NodeRecord]
    jobs: List[JobRecord]
    cluster_rbac: List[RbacRecord]
    gaps: List[Gap]


LIST_FIELDS = (
    "namespaces",
    "crds",
    "custom_resources",
    "webhook_configurations",
    "services",
    "endpoints",
    "workloads",
    "pods",
    "helm_releases",
    "nodes",
    "jobs",
    "cluster_rbac",
    "gaps",
)


def empty(*, server: str = "", context: str = "") -> Snapshot:
    return Snapshot(
        format=FORMAT_VERSION,
        server=server,
        context=context,
        namespaces=[],
        crds=[],
        custom_resources=[],
        webhook_configurations=[],
        services=[],
        endpoints=[],
        workloads=[],
        pods=[],
        helm_releases=[],
        nodes=[],
        jobs=[],
        cluster_rbac=[],
        gaps=[],
    )


def gap_for(snapshot: Snapshot, kind: str) -> Optional[Gap]:
    """Return the gap recorded for kind, or None when it was listed completely."""
    for gap in snapshot["gaps"]:
        if gap["kind"] == kind:
            return gap
    return None


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(snapshot, indent=1, sort_keys=True, ensure_ascii=False)


def loads(text: str, *, source: str) -> Snapshot:
    """Parse a saved snapshot; raises InvalidInput naming source when it is not one."""
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        raise InvalidInput(
            _("{source} is not a snapshot saved by kubectl-metax: {error}").format(
                source=source, error=error
            )
        ) from error
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise InvalidInput(
            _("{source} is not a snapshot of format {version} saved by kubectl-metax").format(
                source=source, version=FORMAT_VERSION
            )
        )
    missing = [name for name in LIST_FIELDS if not isinstance(data.get(name), list)]
    if missing:
        raise InvalidInput(
            _("{source} is missing the snapshot fields {fields}").format(
                source=source, fields=", ".join(missing)
            )
        )
    snapshot: Snapshot = data  # type: ignore[assignment]
    return snapshot
