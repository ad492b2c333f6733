"""CRD finalization: a deleted CustomResourceDefinition takes its objects with it.

The core adds the finalizer ``customresourcecleanup.apiextensions.k8s.io``
and the Terminating condition when a CRD is deleted, as apiextensions-apiserver
does; this controller then deletes every object of the CRD,
waits while any remain (finalizers keep them), reports it in the Terminating
condition and finally drops the finalizer so the CRD goes. Condition reasons
and messages follow the finalizer controller in kubernetes/apiextensions-apiserver.
"""

from __future__ import annotations

import logging
from typing import Optional

from tests.kubesim.contract import Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import (
    ResyncController,
    condition_true,
    delete_quietly,
    set_condition,
    update_with_retry,
)

log = logging.getLogger(__name__)

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
CRD_GROUP = "apiextensions.k8s.io"


def crd_resource(cluster: Cluster) -> Optional[ResourceInfo]:
    return cluster.resource_named(CRD_GROUP, "customresourcedefinitions")


def served_resource(cluster: Cluster, crd: Object) -> Optional[ResourceInfo]:
    spec = crd.get("spec") or {}
    return cluster.resource_named(
        spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
    )


class CrdController(ResyncController):
    name = "crds"

    def reconcile(self, cluster: Cluster) -> None:
        crds = crd_resource(cluster)
        if crds is None:
            return
        for crd in cluster.list(crds):
            metadata = crd.get("metadata") or {}
            if metadata.get("deletionTimestamp") and CLEANUP_FINALIZER in (
                metadata.get("finalizers") or []
            ):
                self._clean(cluster, crds, crd)

    def _clean(self, cluster: Cluster, crds: ResourceInfo, crd: Object) -> None:
        name = crd["metadata"]["name"]
        served = served_resource(cluster, crd)
        remaining = 0
        if served is not None and condition_true(crd, "Established"):
            for obj in cluster.list(served):
                metadata = obj.get("metadata") or {}
                if not metadata.get("deletionTimestamp"):
                    delete_quietly(
                        cluster, served, metadata.get("namespace", ""), metadata.get("name", "")
                    )
                if (
                    cluster.get(served, metadata.get("namespace", ""), metadata.get("name", ""))
                    is not None
                ):
                    remaining += 1
            if remaining:
                reason, value, message = (
                    "InstanceDeletionInProgress",
                    "True",
                    "CustomResource deletion is in progress",
                )
            else:
                reason, value, message = (
                    "InstanceDeletionCompleted",
                    "False",
                    "removed all instances",
                )
        else:
            reason, value, message = "NeverEstablished", "False", "resource was never established"

        def write_condition(edited: Object) -> bool:
            return set_condition(
                edited.setdefault("status", {}),
                "Terminating",
                value,
                reason=reason,
                message=message,
            )

        update_with_retry(cluster, crds, "", name, write_condition, status=True)
        if remaining:
            log.debug("CRD %s waits for %d objects", name, remaining)
            return

        def drop_finalizer(edited: Object) -> bool:
            edited["metadata"]["finalizers"] = [
                f for f in edited["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER
            ]
            return True

        update_with_retry(cluster, crds, "", name, drop_finalizer)
        log.debug("CRD %s cleaned up", name)
