"""Endpoints and EndpointSlices for Services, part of the "workloads" actor.

Plays the endpoints and endpointslice controllers: every Service with a
selector gets an Endpoints object of the same name and one EndpointSlice
(``<service>-kubesim``, label ``kubernetes.io/service-name``) listing its
ready Pods. Endpoints this module created (label
``endpoints.kubernetes.io/managed-by: endpoint-controller``) are deleted when
their Service is gone; slices go with the Service through their
ownerReference. Services without a selector are left alone, so tests can
write their own Endpoints.
"""

from __future__ import annotations

from typing import Any, Dict, List

from tests.kubesim.contract import ApiError, Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import (
    condition_true,
    delete_quietly,
    labels_of,
    match_map_selector,
    owner_reference,
    update_with_retry,
)

ENDPOINTS_MANAGED_LABEL = "endpoints.kubernetes.io/managed-by"
SLICE_MANAGED_LABEL = "endpointslice.kubernetes.io/managed-by"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def sync(cluster: Cluster, pods: ResourceInfo) -> None:
    """Bring the Endpoints and EndpointSlices of every selecting Service up to date."""
    services = cluster.resource_named("", "services")
    endpoints = cluster.resource_named("", "endpoints")
    slices = cluster.resource_named("discovery.k8s.io", "endpointslices")
    if services is None or endpoints is None:
        return
    for service in cluster.list(services):
        selector = (service.get("spec") or {}).get("selector")
        if not selector or service["metadata"].get("deletionTimestamp"):
            continue
        namespace = service["metadata"].get("namespace", "")
        ready = sorted(
            (
                p
                for p in cluster.list(pods, namespace)
                if match_map_selector(selector, labels_of(p))
                and not p["metadata"].get("deletionTimestamp")
                and condition_true(p, "Ready")
            ),
            key=lambda p: p["metadata"]["name"],
        )
        write_endpoints(cluster, endpoints, service, ready)
        if slices is not None:
            write_slice(cluster, slices, service, ready)
    for stale in cluster.list(endpoints):
        if labels_of(stale).get(ENDPOINTS_MANAGED_LABEL) != "endpoint-controller":
            continue
        namespace, name = stale["metadata"].get("namespace", ""), stale["metadata"]["name"]
        if cluster.get(services, namespace, name) is None:
            delete_quietly(cluster, endpoints, namespace, name)


def service_ports(service: Object) -> List[Object]:
    """Return the endpoint ports: each Service port's numeric targetPort, else its port."""
    ports = []
    for port in (service.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        entry: Dict[str, Any] = {
            "port": target if isinstance(target, int) else port.get("port"),
            "protocol": port.get("protocol", "TCP"),
        }
        if port.get("name"):
            entry["name"] = port["name"]
        ports.append(entry)
    return ports


def pod_reference(pod: Object) -> Object:
    metadata = pod["metadata"]
    return {
        "kind": "Pod",
        "name": metadata["name"],
        "namespace": metadata.get("namespace", ""),
        "uid": metadata.get("uid", ""),
    }


def write_endpoints(
    cluster: Cluster, endpoints: ResourceInfo, service: Object, ready: List[Object]
) -> None:
    addresses = [
        {
            "ip": (p.get("status") or {}).get("podIP", ""),
            "nodeName": (p.get("spec") or {}).get("nodeName", ""),
            "targetRef": pod_reference(p),
        }
        for p in ready
    ]
    subsets = [{"addresses": addresses, "ports": service_ports(service)}] if addresses else []
    body = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {
            "name": service["metadata"]["name"],
            "namespace": service["metadata"].get("namespace", ""),
            "labels": {ENDPOINTS_MANAGED_LABEL: "endpoint-controller"},
        },
        "subsets": subsets,
    }
    create_or_set(cluster, endpoints, body, "subsets")


def write_slice(
    cluster: Cluster, slices: ResourceInfo, service: Object, ready: List[Object]
) -> None:
    desired = [
        {
            "addresses": [(p.get("status") or {}).get("podIP", "")],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": (p.get("spec") or {}).get("nodeName", ""),
            "targetRef": pod_reference(p),
        }
        for p in ready
    ]
    body = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service['metadata']['name']}-kubesim",
            "namespace": service["metadata"].get("namespace", ""),
            "labels": {
                SERVICE_NAME_LABEL: service["metadata"]["name"],
                SLICE_MANAGED_LABEL: "endpointslice-controller.k8s.io",
            },
            "ownerReferences": [owner_reference(service)],
        },
        "addressType": "IPv4",
        "endpoints": desired,
        "ports": service_ports(service),
    }
    create_or_set(cluster, slices, body, "endpoints")


def create_or_set(cluster: Cluster, resource: ResourceInfo, body: Object, field: str) -> None:
    """Create body, or set one top-level field of the stored object when it differs."""
    namespace, name = body["metadata"].get("namespace", ""), body["metadata"]["name"]
    current = cluster.get(resource, namespace, name)
    if current is None:
        try:
            cluster.create(body)
        except ApiError as error:
            if error.code != 409:
                raise
        return
    if (current.get(field) or []) == body[field]:
        return

    def write(edited: Object) -> bool:
        edited[field] = body[field]
        return True

    update_with_retry(cluster, resource, namespace, name, write)
