"""The garbage collector: ownerReferences cascade as kube-controller-manager cascades them.

- Background: an object all of whose owners are gone (no object with the
  owner's uid) is deleted.
- Foreground: an owner carrying the ``foregroundDeletion`` finalizer gets its
  dependents deleted (in the foreground too); the finalizer is removed once no
  dependent with ``blockOwnerDeletion: true`` remains.
- Orphan: an owner carrying the ``orphan`` finalizer has its ownerReference
  removed from every dependent, then the finalizer removed.

See https://kubernetes.io/docs/concepts/architecture/garbage-collection/.
Owners are looked up by uid across every served resource; a reference to a
namespaced owner is only resolved within the dependent's namespace.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Tuple

from tests.kubesim.contract import Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import ResyncController, delete_quietly, update_with_retry

log = logging.getLogger(__name__)

FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"

Entry = Tuple[ResourceInfo, Object]


class GarbageCollector(ResyncController):
    name = "garbage-collector"

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        metadata = obj.get("metadata") or {}
        return (
            event == "DELETED"
            or bool(metadata.get("ownerReferences"))
            or bool(metadata.get("deletionTimestamp"))
        )

    def reconcile(self, cluster: Cluster) -> None:
        everything: List[Entry] = []
        for resource in cluster.resources():
            everything.extend((resource, obj) for obj in cluster.list(resource))
        by_uid: Dict[str, Entry] = {}
        for resource, obj in everything:
            uid = (obj.get("metadata") or {}).get("uid")
            if uid:
                by_uid[uid] = (resource, obj)
        dependents: Dict[str, List[Entry]] = {}
        for resource, obj in everything:
            for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
                dependents.setdefault(ref.get("uid", ""), []).append((resource, obj))

        for resource, obj in everything:
            metadata = obj.get("metadata") or {}
            finalizers = metadata.get("finalizers") or []
            if metadata.get("deletionTimestamp") and ORPHAN_FINALIZER in finalizers:
                self._orphan(cluster, resource, obj, dependents.get(metadata.get("uid", ""), []))
            elif metadata.get("deletionTimestamp") and FOREGROUND_FINALIZER in finalizers:
                self._foreground(
                    cluster, resource, obj, dependents.get(metadata.get("uid", ""), [])
                )
            elif metadata.get("ownerReferences") and not metadata.get("deletionTimestamp"):
                self._collect_if_orphaned(cluster, resource, obj, by_uid)

    def _collect_if_orphaned(
        self, cluster: Cluster, resource: ResourceInfo, obj: Object, by_uid: Dict[str, Entry]
    ) -> None:
        metadata = obj["metadata"]
        namespace = metadata.get("namespace", "")
        for ref in metadata.get("ownerReferences") or []:
            if ref.get("uid", "") in by_uid or self._owner_exists(cluster, ref, namespace):
                return
        log.debug(
            "collecting %s %s/%s: all owners are gone",
            resource.resource,
            namespace,
            metadata.get("name"),
        )
        delete_quietly(cluster, resource, namespace, metadata.get("name", ""))

    @staticmethod
    def _owner_exists(cluster: Cluster, ref: Object, namespace: str) -> bool:
        """Look the owner up again by name, as the real collector does before deleting."""
        owner_resource = cluster.resource_for(ref.get("apiVersion", ""), ref.get("kind", ""))
        if owner_resource is None:
            # Like the real collector, an owner kind that cannot be resolved keeps the dependent.
            log.debug(
                "owner kind %s %s is not served; keeping the dependent",
                ref.get("apiVersion"),
                ref.get("kind"),
            )
            return True
        owner = cluster.get(
            owner_resource, namespace if owner_resource.namespaced else "", ref.get("name", "")
        )
        return owner is not None and owner["metadata"].get("uid") == ref.get("uid")

    def _foreground(
        self, cluster: Cluster, resource: ResourceInfo, owner: Object, dependents: List[Entry]
    ) -> None:
        blocking = 0
        uid = owner["metadata"].get("uid")
        for dependent_resource, dependent in dependents:
            metadata = dependent["metadata"]
            if not metadata.get("deletionTimestamp"):
                delete_quietly(
                    cluster,
                    dependent_resource,
                    metadata.get("namespace", ""),
                    metadata.get("name", ""),
                    propagation="Foreground",
                )
            still = cluster.get(
                dependent_resource, metadata.get("namespace", ""), metadata.get("name", "")
            )
            if still is None:
                continue
            if any(
                ref.get("uid") == uid and ref.get("blockOwnerDeletion")
                for ref in still["metadata"].get("ownerReferences") or []
            ):
                blocking += 1
        if blocking:
            log.debug(
                "%s %s waits for %d blocking dependents",
                resource.resource,
                owner["metadata"].get("name"),
                blocking,
            )
            return
        self._drop_finalizer(cluster, resource, owner, FOREGROUND_FINALIZER)

    def _orphan(
        self, cluster: Cluster, resource: ResourceInfo, owner: Object, dependents: List[Entry]
    ) -> None:
        uid = owner["metadata"].get("uid")
        for dependent_resource, dependent in dependents:
            metadata = dependent["metadata"]

            def unlink(edited: Object) -> bool:
                refs = edited["metadata"].get("ownerReferences") or []
                kept = [ref for ref in refs if ref.get("uid") != uid]
                if len(kept) == len(refs):
                    return False
                edited["metadata"]["ownerReferences"] = kept
                return True

            update_with_retry(
                cluster,
                dependent_resource,
                metadata.get("namespace", ""),
                metadata.get("name", ""),
                unlink,
            )
        self._drop_finalizer(cluster, resource, owner, ORPHAN_FINALIZER)

    @staticmethod
    def _drop_finalizer(
        cluster: Cluster, resource: ResourceInfo, owner: Object, finalizer: str
    ) -> None:
        metadata = owner["metadata"]

        def drop(edited: Object) -> bool:
            edited["metadata"]["finalizers"] = [
                f for f in edited["metadata"].get("finalizers") or [] if f != finalizer
            ]
            return True

        update_with_retry(
            cluster, resource, metadata.get("namespace", ""), metadata.get("name", ""), drop
        )
        log.debug("%s %s: %s finalizer done", resource.resource, metadata.get("name"), finalizer)
