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


class _CrdExtras(TypedDict, total=False):
    # "namespace/name" of the Service behind a Webhook conversion strategy, the
    # URL when the webhook calls one, "" without webhook conversion.
    conversion_service: str


class CrdRecord(_CrdExtras):
    meta: Meta
    group: str
    kind: str
    plural: str
    namespaced: bool
    version: str  # the storage version, else the first served one
    conditions: List[Condition]


class _CustomResourceExtras(TypedDict, total=False):
    # Scalar spec fields the checks read, by dotted path (records.SPEC_SETTINGS).
    settings: Dict[str, str]


class CustomResourceRecord(_CustomResourceExtras):
    meta: Meta
    group: str
    version: str
    resource: str
    kind: str


class _WebhookExtras(TypedDict, total=False):
    # "group/resource" pairs its rules match, "*" kept as written ("" group is core).
    resources: List[str]


class WebhookRecord(_WebhookExtras):
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


class _ContainerExtras(TypedDict, total=False):
    message: str  # the message of the current waiting or terminated state
    # The last termination: "reason (exit code N): message", "" when it never ended.
    last_termination: str


class ContainerRecord(_ContainerExtras):
    name: str
    image: str
    ready: bool
    restart_count: int
    state: str  # running, waiting, terminated or unknown
    reason: str


class _PodExtras(TypedDict, total=False):
    created: str  # the creationTimestamp


class PodRecord(_PodExtras):
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


class _NodeExtras(TypedDict, total=False):
    os_image: str  # status.nodeInfo.osImage, e.g. "Ubuntu 22.04.4 LTS"
    architecture: str  # status.nodeInfo.architecture, e.g. "amd64"


class NodeRecord(_NodeExtras):
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


class ApiServiceRecord(TypedDict):
    name: str  # e.g. "v1beta1.metrics.k8s.io"
    service: str  # "namespace/name", "" for an API the server serves itself
    conditions: List[Condition]


class Gap(TypedDict):
    kind: str  # the list that is missing or incomplete, e.g. "pods"
    reason: str  # forbidden, not-found, timeout, unreachable or error
    message: str


class _SnapshotExtras(TypedDict, total=False):
    api_services: List[ApiServiceRecord]
    collected_at: str  # RFC 3339 UTC time the collection started


class Snapshot(_SnapshotExtras):
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
        api_services=[],
        collected_at="",
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
    malformed = _malformed_record(data)
    if malformed:
        raise InvalidInput(
            _("{source} has a malformed record: {where}").format(source=source, where=malformed)
        )
    snapshot: Snapshot = data  # type: ignore[assignment]
    return snapshot


# Record lists whose items carry object metadata; the checks index it directly.
_FIELDS_WITH_META = (
    "namespaces",
    "crds",
    "custom_resources",
    "webhook_configurations",
    "services",
    "workloads",
    "jobs",
    "cluster_rbac",
)


def _malformed_record(data: Dict[str, Any]) -> str:
    """Return "<field>[<index>]" of the first record that is not shaped as saved, else ""."""
    for name in LIST_FIELDS:
        for index, item in enumerate(data[name]):
            if not isinstance(item, dict):
                return f"{name}[{index}]"
            if name in _FIELDS_WITH_META:
                meta = item.get("meta")
                if not isinstance(meta, dict) or not all(
                    isinstance(meta.get(key), str) for key in ("name", "namespace")
                ):
                    return f"{name}[{index}].meta"
    return ""
