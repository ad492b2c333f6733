"""Reduce raw API objects (parsed JSON) to the snapshot's records.

Each function keeps only what the checks read, so that a LIST page can be
reduced and dropped before the next one arrives.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from kubectl_metax.inspection.snapshot import (
    ApiServiceRecord,
    Condition,
    ContainerRecord,
    CrdRecord,
    CustomResourceRecord,
    EndpointsRecord,
    HelmReleaseRecord,
    JobRecord,
    Meta,
    NamespaceRecord,
    NodeRecord,
    PodRecord,
    RbacRecord,
    ServiceRecord,
    WebhookConfigRecord,
    WebhookRecord,
    WorkloadRecord,
)

Raw = Dict[str, Any]

GPU_RESOURCE_PREFIX = "metax-tech.com/"
HELM_ANNOTATION_PREFIXES = ("meta.helm.sh/", "helm.sh/")
# Spec fields of MetaX custom resources the doctor reads (ClusterOperator's
# cluster type and driver deploy policy); other spec fields are dropped.
SPEC_SETTINGS = ("cluster.type", "driver.deployPolicy")


def _dict(value: Any) -> Raw:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _strings(value: Any) -> Dict[str, str]:
    return {str(key): str(item) for key, item in _dict(value).items()}


def meta(raw: Raw) -> Meta:
    metadata = _dict(raw.get("metadata"))
    annotations = _strings(metadata.get("annotations"))
    return Meta(
        name=str(metadata.get("name", "")),
        namespace=str(metadata.get("namespace", "")),
        uid=str(metadata.get("uid", "")),
        resource_version=str(metadata.get("resourceVersion", "")),
        labels=_strings(metadata.get("labels")),
        annotations={
            key: value
            for key, value in annotations.items()
            if key.startswith(HELM_ANNOTATION_PREFIXES)
        },
        deletion_timestamp=metadata.get("deletionTimestamp") or None,
        finalizers=[str(item) for item in _list(metadata.get("finalizers"))],
        owners=[
            f"{owner.get('kind', '')}/{owner.get('name', '')}"
            for owner in _list(metadata.get("ownerReferences"))
            if isinstance(owner, dict)
        ],
    )


def conditions(raw: Raw) -> List[Condition]:
    return [
        Condition(
            type=str(item.get("type", "")),
            status=str(item.get("status", "")),
            reason=str(item.get("reason", "")),
            message=str(item.get("message", "")),
        )
        for item in _list(_dict(raw.get("status")).get("conditions"))
        if isinstance(item, dict)
    ]


def namespace(raw: Raw) -> NamespaceRecord:
    return NamespaceRecord(
        meta=meta(raw),
        phase=str(_dict(raw.get("status")).get("phase", "")),
        conditions=conditions(raw),
    )


def crd(raw: Raw) -> CrdRecord:
    spec = _dict(raw.get("spec"))
    versions = [item for item in _list(spec.get("versions")) if isinstance(item, dict)]
    storage = [item for item in versions if item.get("storage")]
    served = [item for item in versions if item.get("served", True)]
    chosen: Raw = (storage or served or [{}])[0]
    names = _dict(spec.get("names"))
    return CrdRecord(
        meta=meta(raw),
        group=str(spec.get("group", "")),
        kind=str(names.get("kind", "")),
        plural=str(names.get("plural", "")),
        namespaced=spec.get("scope") != "Cluster",
        version=str(chosen.get("name", "")),
        conditions=conditions(raw),
        conversion_service=_conversion_service(spec),
    )


def _conversion_service(spec: Raw) -> str:
    conversion = _dict(spec.get("conversion"))
    if conversion.get("strategy") != "Webhook":
        return ""
    client = _dict(_dict(conversion.get("webhook")).get("clientConfig"))
    service = _dict(client.get("service"))
    if service:
        return f"{service.get('namespace', '')}/{service.get('name', '')}"
    return str(client.get("url", ""))


def _spec_settings(raw: Raw) -> Dict[str, str]:
    settings: Dict[str, str] = {}
    for path in SPEC_SETTINGS:
        value: Any = _dict(raw.get("spec"))
        for part in path.split("."):
            value = _dict(value).get(part) if isinstance(value, dict) else None
        if isinstance(value, (str, int, float, bool)):
            settings[path] = str(value)
    return settings


def custom_resource(raw: Raw, owner: CrdRecord) -> CustomResourceRecord:
    return CustomResourceRecord(
        meta=meta(raw),
        group=owner["group"],
        version=owner["version"],
        resource=owner["plural"],
        kind=str(raw.get("kind") or owner["kind"]),
        settings=_spec_settings(raw),
    )


def _rule_groups(hook: Raw) -> List[str]:
    groups: List[str] = []
    for rule in _list(hook.get("rules")):
        for group in _list(_dict(rule).get("apiGroups")):
            if str(group) not in groups:
                groups.append(str(group))
    return groups


def _rule_resources(hook: Raw) -> List[str]:
    pairs: List[str] = []
    for item in _list(hook.get("rules")):
        rule = _dict(item)
        for group in _list(rule.get("apiGroups")):
            for resource in _list(rule.get("resources")):
                pair = f"{group}/{resource}"
                if pair not in pairs:
                    pairs.append(pair)
    return pairs


def webhook_configuration(raw: Raw, kind: str) -> WebhookConfigRecord:
    hooks: List[WebhookRecord] = []
    for item in _list(raw.get("webhooks")):
        hook = _dict(item)
        client = _dict(hook.get("clientConfig"))
        service = _dict(client.get("service"))
        hooks.append(
            WebhookRecord(
                name=str(hook.get("name", "")),
                service_namespace=str(service.get("namespace", "")),
                service_name=str(service.get("name", "")),
                url=str(client.get("url", "")),
                # The API server defaults failurePolicy to Fail in admissionregistration/v1.
                failure_policy=str(hook.get("failurePolicy") or "Fail"),
                groups=_rule_groups(hook),
                resources=_rule_resources(hook),
            )
        )
    return WebhookConfigRecord(meta=meta(raw), kind=kind, webhooks=hooks)


def service(raw: Raw) -> ServiceRecord:
    return ServiceRecord(meta=meta(raw), selector=_strings(_dict(raw.get("spec")).get("selector")))


def endpoints(raw: Raw) -> EndpointsRecord:
    """Reduce a core/v1 Endpoints object."""
    ready = not_ready = 0
    for subset in _list(raw.get("subsets")):
        ready += len(_list(_dict(subset).get("addresses")))
        not_ready += len(_list(_dict(subset).get("notReadyAddresses")))
    record = meta(raw)
    return EndpointsRecord(
        namespace=record["namespace"], service=record["name"], ready=ready, not_ready=not_ready
    )


def endpoint_slice(raw: Raw) -> Optional[EndpointsRecord]:
    """Reduce a discovery.k8s.io/v1 EndpointSlice; None when it names no service."""
    record = meta(raw)
    service_name = record["labels"].get("kubernetes.io/service-name", "")
    if not service_name:
        return None
    ready = not_ready = 0
    for endpoint in _list(raw.get("endpoints")):
        # An unset "ready" means ready, as the EndpointSlice API documents.
        if _dict(_dict(endpoint).get("conditions")).get("ready", True) is False:
            not_ready += 1
        else:
            ready += 1
    return EndpointsRecord(
        namespace=record["namespace"], service=service_name, ready=ready, not_ready=not_ready
    )


def merge_endpoints(records: List[EndpointsRecord]) -> List[EndpointsRecord]:
    """Sum the slices of each service into one record."""
    merged: Dict[str, EndpointsRecord] = {}
    for record in records:
        key = f"{record['namespace']}/{record['service']}"
        if key in merged:
            merged[key]["ready"] += record["ready"]
            merged[key]["not_ready"] += record["not_ready"]
        else:
            merged[key] = EndpointsRecord(**record)
    return list(merged.values())


def best_endpoints(records: List[EndpointsRecord]) -> List[EndpointsRecord]:
    """Keep one record per service: the one with the most ready addresses."""
    best: Dict[str, EndpointsRecord] = {}
    for record in records:
        key = f"{record['namespace']}/{record['service']}"
        if key not in best or record["ready"] > best[key]["ready"]:
            best[key] = record
    return list(best.values())


def _images(raw: Raw) -> List[str]:
    pod_spec = _dict(_dict(_dict(raw.get("spec")).get("template")).get("spec"))
    containers = _list(pod_spec.get("initContainers")) + _list(pod_spec.get("containers"))
    return [str(_dict(item).get("image", "")) for item in containers]


def deployment(raw: Raw) -> WorkloadRecord:
    spec, status = _dict(raw.get("spec")), _dict(raw.get("status"))
    return WorkloadRecord(
        meta=meta(raw),
        kind="Deployment",
        desired=int(spec.get("replicas", 1) or 0),
        ready=int(status.get("readyReplicas", 0) or 0),
        available=int(status.get("availableReplicas", 0) or 0),
        images=_images(raw),
    )


def daemonset(raw: Raw) -> WorkloadRecord:
    status = _dict(raw.get("status"))
    return WorkloadRecord(
        meta=meta(raw),
        kind="DaemonSet",
        desired=int(status.get("desiredNumberScheduled", 0) or 0),
        ready=int(status.get("numberReady", 0) or 0),
        available=int(status.get("numberAvailable", 0) or 0),
        images=_images(raw),
    )


def _gpu_resources(spec: Raw) -> Dict[str, str]:
    found: Dict[str, str] = {}
    containers = _list(spec.get("initContainers")) + _list(spec.get("containers"))
    for container in containers:
        resources = _dict(_dict(container).get("resources"))
        # Limits first so that a request, when present, overrides it.
        for section in ("limits", "requests"):
            for name, quantity in _dict(resources.get(section)).items():
                if str(name).startswith(GPU_RESOURCE_PREFIX):
                    found[str(name)] = str(quantity)
    return found


def _container(raw: Raw) -> ContainerRecord:
    state = _dict(raw.get("state"))
    current = next((key for key in ("running", "waiting", "terminated") if key in state), "unknown")
    return ContainerRecord(
        name=str(raw.get("name", "")),
        image=str(raw.get("image", "")),
        ready=bool(raw.get("ready", False)),
        restart_count=int(raw.get("restartCount", 0) or 0),
        state=current,
        reason=str(_dict(state.get(current)).get("reason", "")),
        message=str(_dict(state.get(current)).get("message", "")),
        last_termination=_last_termination(_dict(_dict(raw.get("lastState")).get("terminated"))),
    )


def _last_termination(terminated: Raw) -> str:
    if not terminated:
        return ""
    text = f"{terminated.get('reason', '')} (exit code {terminated.get('exitCode', '?')})"
    message = str(terminated.get("message", "")).strip()
    return f"{text}: {message}" if message else text


def pod(raw: Raw) -> PodRecord:
    metadata, spec, status = (_dict(raw.get(key)) for key in ("metadata", "spec", "status"))
    controller = next(
        (
            owner
            for owner in _list(metadata.get("ownerReferences"))
            if isinstance(owner, dict) and owner.get("controller")
        ),
        None,
    )
    return PodRecord(
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        phase=str(status.get("phase", "")),
        node=str(spec.get("nodeName", "")),
        owner=f"{controller.get('kind', '')}/{controller.get('name', '')}" if controller else "",
        gpu=_gpu_resources(spec),
        deleting=bool(metadata.get("deletionTimestamp")),
        containers=[_container(_dict(item)) for item in _list(status.get("containerStatuses"))],
        created=str(metadata.get("creationTimestamp", "")),
    )


def helm_release(raw: Raw, storage: str) -> HelmReleaseRecord:
    """Reduce a Helm release Secret or ConfigMap to its labels; the payload is never read."""
    record = meta(raw)
    labels = record["labels"]
    try:
        version = int(labels.get("version", "0"))
    except ValueError:
        version = 0
    return HelmReleaseRecord(
        namespace=record["namespace"],
        storage=storage,
        object_name=record["name"],
        release=labels.get("name", ""),
        status=labels.get("status", ""),
        version=version,
    )


def node(raw: Raw) -> NodeRecord:
    record = meta(raw)
    status = _dict(raw.get("status"))
    info = _dict(status.get("nodeInfo"))
    return NodeRecord(
        name=record["name"],
        labels=record["labels"],
        allocatable=_strings(status.get("allocatable")),
        container_runtime=str(info.get("containerRuntimeVersion", "")),
        kubelet_version=str(info.get("kubeletVersion", "")),
        os_image=str(info.get("osImage", "")),
        architecture=str(info.get("architecture", "")),
    )


def api_service(raw: Raw) -> ApiServiceRecord:
    """Reduce an apiregistration.k8s.io/v1 APIService."""
    service = _dict(_dict(raw.get("spec")).get("service"))
    return ApiServiceRecord(
        name=meta(raw)["name"],
        service=f"{service.get('namespace', '')}/{service.get('name', '')}" if service else "",
        conditions=conditions(raw),
    )


def job(raw: Raw) -> JobRecord:
    status = _dict(raw.get("status"))
    return JobRecord(
        meta=meta(raw),
        active=int(status.get("active", 0) or 0),
        succeeded=int(status.get("succeeded", 0) or 0),
        failed=int(status.get("failed", 0) or 0),
        conditions=conditions(raw),
    )


def rbac(raw: Raw, kind: str) -> RbacRecord:
    return RbacRecord(meta=meta(raw), kind=kind)
