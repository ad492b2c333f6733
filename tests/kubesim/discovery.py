"""Discovery documents: /api, /apis, /apis/<group>, <group-version> resource lists.

Plain APIVersions/APIGroupList/APIResourceList JSON
(https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api).
and the aggregated form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that
kubectl and helm ask for first, so that one request for /api and one for
/apis replace one per group-version
(https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery).
"""

from __future__ import annotations

from typing import Any, Dict, List

from tests.kubesim.registry import Registry, Served

Object = Dict[str, Any]

# The version reported as kube-apiserver's; kubectl warns when client and server are more
# than one minor version apart.
SERVER_VERSION: Object = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0-kubesim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-08-27T00:00:00Z",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions() -> Object:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}
        ],
    }


def _group(group: str, versions: List[str]) -> Object:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry) -> Object:
    groups = [_group(group, versions) for group, versions in registry.groups() if group]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, name: str) -> Object:
    for group, versions in registry.groups():
        if group == name and group:
            return dict(_group(group, versions), kind="APIGroup", apiVersion="v1")
    return {}


def _resource_entries(served: Served) -> List[Object]:
    info = served.info
    entry: Object = {
        "name": info.resource,
        "singularName": served.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": sorted(served.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if served.categories:
        entry["categories"] = list(served.categories)
    if info.group and served.storage_version:
        entry["storageVersionHash"] = f"{abs(hash((info.group, info.resource))) % 10**10:010d}"
    entries = [entry]
    for sub in info.subresources:
        verbs = ["get", "patch", "update"]
        if sub == "finalize":
            verbs = ["update"]
        entries.append(
            {
                "name": f"{info.resource}/{sub}",
                "singularName": "",
                "namespaced": info.namespaced,
                "kind": "Scale" if sub == "scale" else info.kind,
                "verbs": verbs,
            }
        )
    return entries


def api_resource_list(registry: Registry, group: str, version: str) -> Object:
    served = registry.in_version(group, version)
    if not served:
        return {}
    resources: List[Object] = []
    for item in sorted(served, key=lambda s: s.info.resource):
        resources.extend(_resource_entries(item))
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }


AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """Tell whether an Accept header lists the v2 aggregated discovery form."""
    for media_range in accept.split(","):
        params = {p.strip() for p in media_range.split(";")[1:]}
        if {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params:
            return True
    return False


def _aggregated_resource(served: Served) -> Object:
    info = served.info
    kind = {"group": info.group, "version": info.version, "kind": info.kind}
    entry: Object = {
        "resource": info.resource,
        "responseKind": kind,
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": served.singular,
        "verbs": sorted(served.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if served.categories:
        entry["categories"] = list(served.categories)
    subresources = []
    for sub in info.subresources:
        sub_kind = (
            dict(kind, kind="Scale", group="autoscaling", version="v1") if sub == "scale" else kind
        )
        verbs = ["update"] if sub == "finalize" else ["get", "patch", "update"]
        subresources.append({"subresource": sub, "responseKind": sub_kind, "verbs": verbs})
    if subresources:
        entry["subresources"] = subresources
    return entry


def aggregated(registry: Registry, *, legacy: bool) -> Object:
    """Return the APIGroupDiscoveryList of /api (legacy) or of /apis."""
    items = []
    for group, versions in registry.groups():
        if bool(group) == legacy:
            continue
        version_entries = []
        for version in versions:
            resources = sorted(registry.in_version(group, version), key=lambda s: s.info.resource)
            version_entries.append(
                {
                    "version": version,
                    "resources": [_aggregated_resource(served) for served in resources],
                    "freshness": "Current",
                }
            )
        items.append({"metadata": {"name": group}, "versions": version_entries})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
