"""SimCluster: the core's implementation of contract.Cluster.

It owns the registry of served resources, the store, the plug-ins, the
bearer tokens, the audit log and the fault injector. The HTTP layer
(server.py) and the controllers both act through it; controllers write as
the system, without authorization or admission.
"""

from __future__ import annotations

import copy
import logging
import queue
import secrets
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from tests.kubesim import errors
from tests.kubesim.audit import AuditLog
from tests.kubesim.contract import ApiError, PluginSet, ResourceInfo, UserInfo, WatchCallback
from tests.kubesim.faults import FaultInjector
from tests.kubesim.operations import Operations
from tests.kubesim.registry import Registry, Served
from tests.kubesim.store import Event, Store, key_of

Object = Dict[str, Any]
LOG = logging.getLogger(__name__)

ADMIN = UserInfo(username="kubesim-admin", groups=("system:masters", "system:authenticated"))
SYSTEM = UserInfo(username="system:kubesim", groups=("system:masters",))
CRD_RESOURCE = ("apiextensions.k8s.io", "customresourcedefinitions")


class SimCluster:
    """Thread-safe; see contract.Cluster for the controller-facing methods."""

    def __init__(
        self, plugins: Optional[PluginSet] = None, *, audit_path: Optional[str] = None
    ) -> None:
        self.plugins = plugins or PluginSet()
        self.registry = Registry()
        self.store = Store()
        self.ops = Operations(self)
        self.audit = AuditLog(audit_path)
        self.faults = FaultInjector()
        self.url = ""
        self.ca_pem = ""
        self._tokens: Dict[str, UserInfo] = {}
        self._tokens_lock = threading.Lock()
        self.admin_token = self.issue_token(ADMIN)
        self._callbacks: List[WatchCallback] = []
        self._callbacks_lock = threading.Lock()
        self._events: queue.Queue[Optional[Event]] = queue.Queue()
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="kubesim-watch-dispatch", daemon=True
        )
        self._dispatcher.start()
        self.store.subscribe(self._events.put)

    # ----- tokens --------------------------------------------------------

    def issue_token(self, user: UserInfo) -> str:
        token = "kubesim-" + secrets.token_urlsafe(24)
        with self._tokens_lock:
            self._tokens[token] = user
        return token

    def authenticate(self, token: str) -> Optional[UserInfo]:
        with self._tokens_lock:
            return self._tokens.get(token)

    # ----- lookups -------------------------------------------------------

    def resource_for(self, api_version: str, kind: str) -> Optional[ResourceInfo]:
        served = self.registry.find_kind(api_version, kind)
        return served.info if served else None

    def resource_named(self, group: str, resource: str) -> Optional[ResourceInfo]:
        served = self.registry.find_resource(group, resource)
        return served.info if served else None

    def served(self, resource: ResourceInfo) -> Served:
        served = self.registry.find(resource.group, resource.version, resource.resource)
        if served is None:
            raise ApiError(
                404,
                "NotFound",
                "the server could not find the requested resource "
                f"({resource.resource}.{resource.group})",
            )
        return served

    def resources(self) -> List[ResourceInfo]:
        """Every served resource at its storage version (one entry per group/resource)."""
        seen = {}
        for served in self.registry.all():
            key = (served.info.group, served.info.resource)
            if key not in seen or served.info.version == served.storage_version:
                seen[key] = served.info
        return list(seen.values())

    def namespaced_resources(self) -> List[ResourceInfo]:
        """Every stored namespaced resource; what a namespace controller must empty."""
        return [
            info
            for info in self.resources()
            if info.namespaced
            and not self.registry.find(info.group, info.version, info.resource).virtual
        ]  # type: ignore[union-attr]

    def get_crd(self, name: str) -> Optional[Object]:
        return self.store.get(key_of(_crd_info(), "", name))

    # ----- system reads and writes ----------------------------------------

    def get(self, resource: ResourceInfo, namespace: str, name: str) -> Optional[Object]:
        obj = self.store.get(key_of(resource, namespace, name))
        return self.as_version(resource, obj) if obj else None

    def list(self, resource: ResourceInfo, namespace: str = "") -> List[Object]:
        return [
            self.as_version(resource, obj)
            for obj in self.store.items(
                resource.group, resource.resource, namespace if resource.namespaced else ""
            )
        ]

    def snapshot(self, resource: ResourceInfo, namespace: str = "") -> List[Object]:
        """Return the stored objects of a resource without copying them.

        Callers must not modify them, and must present them with as_version().
        """
        scope = namespace if resource.namespaced else ""
        return self.store.snapshot(resource.group, resource.resource, scope)

    def as_version(self, resource: ResourceInfo, obj: Object) -> Object:
        """Present a stored object at the requested version (CRD versions share one schema here)."""
        if obj.get("apiVersion") != resource.api_version:
            obj = dict(obj, apiVersion=resource.api_version)
        return obj

    def _served_for_object(self, obj: Object) -> Served:
        served = self.registry.find_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if served is None:
            raise ApiError(
                404,
                "NotFound",
                "the server could not find the requested resource: no kind "
                f'"{obj.get("kind")}" is registered for version "{obj.get("apiVersion")}"',
            )
        return served

    def create(self, obj: Object) -> Object:
        served = self._served_for_object(obj)
        namespace = obj.get("metadata", {}).get("namespace", "")
        return self.ops.create(served, namespace, obj, manager="kubesim", keep_metadata=False)

    def load_object(self, obj: Object) -> Object:
        """Create obj keeping its metadata (uid, timestamps, deletionTimestamp, finalizers).

        An object of the same name (e.g. a bootstrap namespace in a loaded dump) is replaced.
        """
        served = self._served_for_object(obj)
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace", "")
        with self.store.lock:
            existing = self.store.get(key_of(served.info, namespace, meta.get("name", "")))
            if existing is not None:
                self.store.remove(served.info, existing)
            return self.ops.create(served, namespace, obj, keep_metadata=True)

    def update(self, obj: Object) -> Object:
        served = self._served_for_object(obj)
        meta = obj.get("metadata", {})
        return self.ops.update(
            served, meta.get("namespace", ""), meta.get("name", ""), obj, manager="kubesim"
        )

    def update_status(self, obj: Object) -> Object:
        served = self._served_for_object(obj)
        meta = obj.get("metadata", {})
        subresource = "status" if "status" in served.info.subresources else ""
        return self.ops.update(
            served,
            meta.get("namespace", ""),
            meta.get("name", ""),
            obj,
            subresource=subresource,
            manager="kubesim",
        )

    def finalize_namespace(self, name: str, finalizers: List[str]) -> Object:
        """Set a namespace's spec.finalizers, as PUT .../namespaces/<name>/finalize does."""
        served = self.registry.find("", "v1", "namespaces")
        assert served is not None
        current = self.store.get(key_of(served.info, "", name))
        if current is None:
            raise errors.not_found(served.info, name)
        current["spec"] = dict(current.get("spec") or {}, finalizers=list(finalizers))
        return self.ops.update(served, "", name, current, subresource="finalize")

    def delete(
        self, resource: ResourceInfo, namespace: str, name: str, *, propagation: str = "Background"
    ) -> Optional[Object]:
        try:
            served = self.served(resource)
            return self.ops.delete(
                served, namespace, name, options={"propagationPolicy": propagation}
            )
        except ApiError as error:
            if error.code == 404:
                return None
            raise

    # ----- watch for controllers ------------------------------------------

    def watch(self, callback: WatchCallback) -> Callable[[], None]:
        with self._callbacks_lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._callbacks_lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _dispatch(self) -> None:
        """Deliver store events to controller callbacks, in order, outside the store lock."""
        while True:
            event = self._events.get()
            if event is None:
                return
            with self._callbacks_lock:
                callbacks = list(self._callbacks)
            for callback in callbacks:
                try:
                    callback(event.type, event.resource, copy.deepcopy(event.object))
                except Exception:
                    LOG.exception(
                        "watch callback %r failed on %s %s",
                        callback,
                        event.type,
                        event.object.get("metadata", {}).get("name"),
                    )

    def close(self) -> None:
        self._events.put(None)
        self.store.wake_all()

    # ----- hooks from Operations -------------------------------------------

    def after_write(self, served: Served, obj: Object) -> None:
        if (served.info.group, served.info.resource) == CRD_RESOURCE:
            self.registry.sync_crd(obj)

    def after_delete(self, served: Served, obj: Object) -> None:
        if (served.info.group, served.info.resource) == CRD_RESOURCE:
            name = obj["metadata"]["name"]
            self.registry.forget_crd(name)
            self._purge_custom_resources(obj)

    def _purge_custom_resources(self, crd: Object) -> None:
        """Drop stored objects of a CRD that is gone, as etcd keys become unreachable."""
        spec = crd.get("spec", {})
        group, plural = spec.get("group", ""), spec.get("names", {}).get("plural", "")
        for key, obj in self.store.all_objects():
            if key[0] == group and key[1] == plural:
                info = ResourceInfo(
                    group=group,
                    version=obj.get("apiVersion", "/").split("/")[-1],
                    resource=plural,
                    kind=obj.get("kind", ""),
                    namespaced=bool(key[2]),
                )
                self.store.remove(info, obj)

    # ----- state ---------------------------------------------------------

    def all_objects(self) -> Iterator[Tuple[Tuple[str, str, str, str], Object]]:
        return self.store.all_objects()


def _crd_info() -> ResourceInfo:
    return ResourceInfo(
        group="apiextensions.k8s.io",
        version="v1",
        resource="customresourcedefinitions",
        kind="CustomResourceDefinition",
        namespaced=False,
    )
