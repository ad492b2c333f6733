"""The table of served resources: the built-in kinds plus those CRDs add.

Each entry is a contract.ResourceInfo plus what discovery and OpenAPI need
(verbs, short names, categories). Built-in kinds are listed in BUILTINS;
to add one, append a line there (see README.md). CRD-backed kinds are added
by ``Registry.sync_crd`` once the CRD is Established, and removed when the
CRD is gone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from tests.kubesim.contract import ResourceInfo

Object = Dict[str, Any]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)


@dataclass(frozen=True)
class Served:
    """One resource as the registry serves it."""

    info: ResourceInfo
    verbs: Tuple[str, ...] = ALL_VERBS
    categories: Tuple[str, ...] = ()
    singular: str = ""
    # A virtual resource (e.g. SelfSubjectAccessReview) is served by a plug-in hook, never stored.
    virtual: bool = False
    # Set for CRD-backed resources: the CRD's openAPIV3Schema for this version, if any.
    schema: Optional[Object] = None
    # Versions of one group/resource are stored once, under the storage version.
    storage_version: str = ""
    crd_name: str = ""
    extra_subresources: Tuple[str, ...] = field(default=())


def _builtin(
    group: str,
    version: str,
    resource: str,
    kind: str,
    *,
    namespaced: bool = True,
    subresources: Tuple[str, ...] = (),
    short_names: Tuple[str, ...] = (),
    categories: Tuple[str, ...] = (),
    verbs: Tuple[str, ...] = ALL_VERBS,
    virtual: bool = False,
) -> Served:
    return Served(
        info=ResourceInfo(
            group=group,
            version=version,
            resource=resource,
            kind=kind,
            namespaced=namespaced,
            subresources=subresources,
            short_names=short_names,
        ),
        verbs=verbs,
        categories=categories,
        singular=kind.lower(),
        virtual=virtual,
        storage_version=version,
    )


_NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")

BUILTINS: Tuple[Served, ...] = (
    _builtin(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        subresources=("status", "finalize"),
        short_names=("ns",),
        verbs=_NS_VERBS,
    ),
    _builtin("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _builtin("", "v1", "secrets", "Secret"),
    _builtin(
        "",
        "v1",
        "services",
        "Service",
        subresources=("status",),
        short_names=("svc",),
        categories=("all",),
        verbs=(*_NS_VERBS, "deletecollection"),
    ),
    _builtin("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    _builtin(
        "", "v1", "pods", "Pod", subresources=("status",), short_names=("po",), categories=("all",)
    ),
    _builtin("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _builtin(
        "", "v1", "nodes", "Node", namespaced=False, subresources=("status",), short_names=("no",)
    ),
    _builtin("", "v1", "events", "Event", short_names=("ev",)),
    _builtin(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        subresources=("status",),
        short_names=("pvc",),
    ),
    _builtin(
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        subresources=("status",),
        short_names=("quota",),
    ),
    _builtin("", "v1", "limitranges", "LimitRange", short_names=("limits",)),
    _builtin(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        subresources=("status", "scale"),
        short_names=("deploy",),
        categories=("all",),
    ),
    _builtin(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        subresources=("status",),
        short_names=("ds",),
        categories=("all",),
    ),
    _builtin(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        subresources=("status", "scale"),
        short_names=("rs",),
        categories=("all",),
    ),
    _builtin(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        subresources=("status", "scale"),
        short_names=("sts",),
        categories=("all",),
    ),
    _builtin("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _builtin("batch", "v1", "jobs", "Job", subresources=("status",), categories=("all",)),
    _builtin(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        subresources=("status",),
        short_names=("cj",),
        categories=("all",),
    ),
    _builtin("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _builtin(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
    ),
    _builtin(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        namespaced=False,
        categories=("api-extensions",),
    ),
    _builtin(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        namespaced=False,
        categories=("api-extensions",),
    ),
    _builtin(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        subresources=("status",),
        short_names=("crd", "crds"),
        categories=("api-extensions",),
    ),
    _builtin(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        namespaced=False,
        subresources=("status",),
        categories=("api-extensions",),
    ),
    _builtin(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        virtual=True,
    ),
    _builtin(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        virtual=True,
    ),
    _builtin(
        "authorization.k8s.io",
        "v1",
        "subjectaccessreviews",
        "SubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        virtual=True,
    ),
    _builtin("coordination.k8s.io", "v1", "leases", "Lease"),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    _builtin(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        subresources=("status",),
        short_names=("pdb",),
    ),
    _builtin(
        "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short_names=("netpol",)
    ),
    _builtin(
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        namespaced=False,
        short_names=("pc",),
    ),
    _builtin(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        namespaced=False,
        short_names=("sc",),
    ),
    _builtin("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", namespaced=False),
)

# Preferred order of groups in discovery, as kube-apiserver lists its built-in groups.
GROUP_ORDER = (
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
)


class Registry:
    """Thread-safe lookup of served resources by group/version/resource and by kind."""

    def __init__(self, builtins: Iterable[Served] = BUILTINS) -> None:
        self._lock = threading.RLock()
        self._builtins: List[Served] = list(builtins)
        # CRD name -> the Served entries of its served versions.
        self._crds: Dict[str, List[Served]] = {}

    def all(self) -> List[Served]:
        with self._lock:
            served = list(self._builtins)
            for entries in self._crds.values():
                served.extend(entries)
            return served

    def find(self, group: str, version: str, resource: str) -> Optional[Served]:
        for served in self.all():
            info = served.info
            if info.group == group and info.version == version and info.resource == resource:
                return served
        return None

    def find_resource(self, group: str, resource: str) -> Optional[Served]:
        """Return the storage-version entry of group/resource."""
        candidates = [
            s for s in self.all() if s.info.group == group and s.info.resource == resource
        ]
        for served in candidates:
            if served.info.version == served.storage_version:
                return served
        return candidates[0] if candidates else None

    def find_kind(self, api_version: str, kind: str) -> Optional[Served]:
        group, _, version = api_version.rpartition("/")
        for served in self.all():
            info = served.info
            if info.group == group and info.version == version and info.kind == kind:
                return served
        return None

    def groups(self) -> List[Tuple[str, List[str]]]:
        """Return (group, versions) pairs with the preferred version first, in discovery order."""
        seen: Dict[str, List[str]] = {}
        for served in self.all():
            versions = seen.setdefault(served.info.group, [])
            if served.info.version not in versions:
                versions.append(served.info.version)
        order = {group: index for index, group in enumerate(GROUP_ORDER)}
        ordered = sorted(seen.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
        return [(group, _sort_versions(versions)) for group, versions in ordered]

    def in_version(self, group: str, version: str) -> List[Served]:
        return [s for s in self.all() if s.info.group == group and s.info.version == version]

    def sync_crd(self, crd: Object) -> None:
        """Serve the versions of an Established CRD, or stop serving them when it is not."""
        name = crd.get("metadata", {}).get("name", "")
        spec = crd.get("spec", {})
        # A terminating CRD keeps serving its instances so that they can be listed and deleted.
        established = _condition_true(crd, "Established")
        with self._lock:
            if not established:
                self._crds.pop(name, None)
                return
            names = spec.get("names", {})
            storage = next(
                (v["name"] for v in spec.get("versions", []) if v.get("storage")),
                (spec.get("versions") or [{"name": "v1"}])[0]["name"],
            )
            entries = []
            for version in spec.get("versions", []):
                if not version.get("served", True):
                    continue
                subresources = tuple(sorted(version.get("subresources", {}) or {}))
                entries.append(
                    Served(
                        info=ResourceInfo(
                            group=spec.get("group", ""),
                            version=version["name"],
                            resource=names.get("plural", ""),
                            kind=names.get("kind", ""),
                            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                            subresources=subresources,
                            short_names=tuple(names.get("shortNames", []) or ()),
                        ),
                        categories=tuple(names.get("categories", []) or ()),
                        singular=names.get("singular", "") or names.get("kind", "").lower(),
                        schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                        storage_version=storage,
                        crd_name=name,
                    )
                )
            self._crds[name] = entries

    def forget_crd(self, name: str) -> None:
        with self._lock:
            self._crds.pop(name, None)


def _condition_true(obj: Object, kind: str) -> bool:
    for condition in obj.get("status", {}).get("conditions", []) or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return True
    return False


def _sort_versions(versions: List[str]) -> List[str]:
    """Order versions as Kubernetes prefers them: GA before beta before alpha, newest first."""

    def key(version: str) -> Tuple[int, int, int]:
        import re

        match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
        if not match:
            return (3, 0, 0)
        stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
        return (stage, -int(match.group(1)), -int(match.group(3) or 0))

    return sorted(versions, key=key)
