"""An in-memory contract.Cluster for testing the semantics plug-ins without the HTTP core.

It stores objects, keeps resourceVersion and uid, answers 404/409, delivers
watch events synchronously and applies the deletion rules the plug-ins expect
from the core (finalizers, namespace spec.finalizers, foregroundDeletion and
orphan finalizers). It does not authorize, admit, default or validate.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import threading
import uuid
from typing import Callable, Dict, List, Optional, Tuple

from tests.kubesim.contract import ApiError, Object, ResourceInfo, UserInfo, WatchCallback

BUILTIN_RESOURCES = (
    ResourceInfo("", "v1", "namespaces", "Namespace", namespaced=False, subresources=("status",)),
    ResourceInfo("", "v1", "nodes", "Node", namespaced=False),
    ResourceInfo("", "v1", "pods", "Pod", namespaced=True, subresources=("status", "log")),
    ResourceInfo("", "v1", "services", "Service", namespaced=True),
    ResourceInfo("", "v1", "endpoints", "Endpoints", namespaced=True),
    ResourceInfo("", "v1", "configmaps", "ConfigMap", namespaced=True),
    ResourceInfo("", "v1", "secrets", "Secret", namespaced=True),
    ResourceInfo("", "v1", "serviceaccounts", "ServiceAccount", namespaced=True),
    ResourceInfo(
        "apps", "v1", "deployments", "Deployment", namespaced=True, subresources=("status",)
    ),
    ResourceInfo(
        "apps", "v1", "replicasets", "ReplicaSet", namespaced=True, subresources=("status",)
    ),
    ResourceInfo(
        "apps", "v1", "statefulsets", "StatefulSet", namespaced=True, subresources=("status",)
    ),
    ResourceInfo(
        "apps", "v1", "daemonsets", "DaemonSet", namespaced=True, subresources=("status",)
    ),
    ResourceInfo("batch", "v1", "jobs", "Job", namespaced=True, subresources=("status",)),
    ResourceInfo("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", namespaced=True),
    ResourceInfo("rbac.authorization.k8s.io", "v1", "roles", "Role", namespaced=True),
    ResourceInfo("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", namespaced=True),
    ResourceInfo(
        "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False
    ),
    ResourceInfo(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
    ),
    ResourceInfo(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        namespaced=False,
    ),
    ResourceInfo(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        namespaced=False,
    ),
    ResourceInfo(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        subresources=("status",),
    ),
)
CLUSTER_OPERATORS = ResourceInfo(
    "gpu.metax-tech.com", "v1alpha1", "clusteroperators", "ClusterOperator", namespaced=True
)

Key = Tuple[str, str, str, str]
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


class FakeCluster:
    url = "http://127.0.0.1:9"
    ca_pem = ""

    def __init__(self, extra: Tuple[ResourceInfo, ...] = (CLUSTER_OPERATORS,)) -> None:
        self._resources = list(BUILTIN_RESOURCES) + list(extra)
        self._objects: Dict[Key, Object] = {}
        self._watchers: List[WatchCallback] = []
        self._revision = itertools.count(1)
        self._lock = threading.RLock()
        self.tokens: Dict[str, UserInfo] = {}

    # -- lookup ---------------------------------------------------------------

    def resources(self) -> List[ResourceInfo]:
        return list(self._resources)

    def resource_for(self, api_version: str, kind: str) -> Optional[ResourceInfo]:
        return next(
            (r for r in self._resources if r.api_version == api_version and r.kind == kind), None
        )

    def resource_named(self, group: str, resource: str) -> Optional[ResourceInfo]:
        return next(
            (r for r in self._resources if r.group == group and r.resource == resource), None
        )

    def _require(self, obj: Object) -> ResourceInfo:
        resource = self.resource_for(obj.get("apiVersion", ""), obj.get("kind", ""))
        if resource is None:
            raise ApiError(
                404, "NotFound", f"no resource for {obj.get('apiVersion')} {obj.get('kind')}"
            )
        return resource

    @staticmethod
    def _key(resource: ResourceInfo, namespace: str, name: str) -> Key:
        return resource.group, resource.resource, namespace if resource.namespaced else "", name

    def get(self, resource: ResourceInfo, namespace: str, name: str) -> Optional[Object]:
        with self._lock:
            found = self._objects.get(self._key(resource, namespace, name))
            return copy.deepcopy(found) if found else None

    def list(self, resource: ResourceInfo, namespace: str = "") -> List[Object]:
        with self._lock:
            return [
                copy.deepcopy(obj)
                for key, obj in sorted(self._objects.items())
                if key[:2] == (resource.group, resource.resource)
                and (not namespace or key[2] == namespace)
            ]

    # -- writes ---------------------------------------------------------------

    def create(self, obj: Object) -> Object:
        resource = self._require(obj)
        with self._lock:
            stored = copy.deepcopy(obj)
            metadata = stored.setdefault("metadata", {})
            if not metadata.get("name") and metadata.get("generateName"):
                metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:5]
            key = self._key(resource, metadata.get("namespace", ""), metadata["name"])
            if key in self._objects:
                raise ApiError(
                    409, "AlreadyExists", f'{resource.resource} "{metadata["name"]}" already exists'
                )
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("creationTimestamp", _now())
            metadata["generation"] = 1
            if resource.resource == "namespaces":
                stored.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
                stored["status"] = {"phase": "Active"}
            metadata["resourceVersion"] = str(next(self._revision))
            self._objects[key] = stored
            self._notify("ADDED", resource, stored)
            return copy.deepcopy(stored)

    def update(self, obj: Object) -> Object:
        return self._write(obj, status=False)

    def update_status(self, obj: Object) -> Object:
        return self._write(obj, status=True)

    def _write(self, obj: Object, *, status: bool, finalize: bool = False) -> Object:
        resource = self._require(obj)
        with self._lock:
            metadata = obj.get("metadata") or {}
            key = self._key(resource, metadata.get("namespace", ""), metadata.get("name", ""))
            current = self._objects.get(key)
            if current is None:
                raise ApiError(
                    404, "NotFound", f'{resource.resource} "{metadata.get("name")}" not found'
                )
            if (
                metadata.get("resourceVersion")
                and metadata["resourceVersion"] != current["metadata"]["resourceVersion"]
            ):
                raise ApiError(409, "Conflict", "the object has been modified")
            stored = copy.deepcopy(current)
            if status:
                stored["status"] = copy.deepcopy(obj.get("status") or {})
            else:
                kept_status = stored.get("status")
                stored = copy.deepcopy(obj)
                if kept_status is not None:
                    stored["status"] = kept_status
                for field in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
                    if field in current["metadata"]:
                        stored["metadata"][field] = current["metadata"][field]
                if resource.resource == "namespaces" and not finalize:
                    stored.setdefault("spec", {})["finalizers"] = (current.get("spec") or {}).get(
                        "finalizers", []
                    )
                if stored.get("spec") != current.get("spec"):
                    stored["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
            stored["metadata"]["resourceVersion"] = str(next(self._revision))
            if stored["metadata"].get("deletionTimestamp") and not _blocking_finalizers(stored):
                del self._objects[key]
                self._notify("DELETED", resource, stored)
                return copy.deepcopy(stored)
            self._objects[key] = stored
            self._notify("MODIFIED", resource, stored)
            return copy.deepcopy(stored)

    def delete(
        self, resource: ResourceInfo, namespace: str, name: str, *, propagation: str = "Background"
    ) -> Optional[Object]:
        with self._lock:
            key = self._key(resource, namespace, name)
            current = self._objects.get(key)
            if current is None:
                raise ApiError(404, "NotFound", f'{resource.resource} "{name}" not found')
            stored = copy.deepcopy(current)
            finalizers = stored["metadata"].setdefault("finalizers", [])
            extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(propagation)
            if (
                extra
                and extra not in finalizers
                and not stored["metadata"].get("deletionTimestamp")
            ):
                finalizers.append(extra)
            if resource.resource == "customresourcedefinitions" and CRD_CLEANUP not in finalizers:
                finalizers.append(CRD_CLEANUP)
            if not _blocking_finalizers(stored):
                del self._objects[key]
                self._notify("DELETED", resource, stored)
                return None
            if not stored["metadata"].get("deletionTimestamp"):
                stored["metadata"]["deletionTimestamp"] = _now()
                stored["metadata"]["deletionGracePeriodSeconds"] = 0
                if resource.resource == "namespaces":
                    stored.setdefault("status", {})["phase"] = "Terminating"
                stored["metadata"]["resourceVersion"] = str(next(self._revision))
                self._objects[key] = stored
                self._notify("MODIFIED", resource, stored)
            return copy.deepcopy(stored)

    def finalize_namespace(self, name: str, finalizers: List[str]) -> Object:
        namespaces = self.resource_named("", "namespaces")
        assert namespaces is not None
        with self._lock:
            current = self.get(namespaces, "", name)
            if current is None:
                raise ApiError(404, "NotFound", f'namespaces "{name}" not found')
            current.setdefault("spec", {})["finalizers"] = list(finalizers)
            return self._write(current, status=False, finalize=True)

    def watch(self, callback: WatchCallback) -> Callable[[], None]:
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback)

    def issue_token(self, user: UserInfo) -> str:
        token = uuid.uuid4().hex
        self.tokens[token] = user
        return token

    def _notify(self, event: str, resource: ResourceInfo, obj: Object) -> None:
        for callback in list(self._watchers):
            callback(event, resource, copy.deepcopy(obj))


def _blocking_finalizers(obj: Object) -> bool:
    if obj["metadata"].get("finalizers"):
        return True
    return obj.get("kind") == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
