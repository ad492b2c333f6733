"""The namespace controller: empties a Terminating namespace, then lets it go.

For each namespace with a deletionTimestamp it deletes every namespaced
object and writes the status conditions that kube-controller-manager writes.
Their types, reasons and message formats follow
pkg/controller/namespace/deletion in kubernetes/kubernetes. Once nothing is
left, it removes the ``kubernetes`` entry of spec.finalizers so that the
namespace is removed.

Discovery never fails here, so the discovery and group-version conditions are
always False.
"""

from __future__ import annotations

import collections
import logging
from typing import Counter, Dict, List, Optional, Tuple

from tests.kubesim.contract import Cluster, Object, ResourceInfo
from tests.kubesim.controllers.base import (
    ResyncController,
    delete_quietly,
    set_condition,
    update_with_retry,
)
from tests.kubesim.lifecycle import NAMESPACE_FINALIZER

log = logging.getLogger(__name__)


def qualified(resource: ResourceInfo) -> str:
    return f"{resource.resource}.{resource.group}" if resource.group else resource.resource


def content_conditions(
    remaining: Counter[str], finalizers: Counter[str]
) -> List[Tuple[str, str, str, str]]:
    """Return (type, status, reason, message) for the five namespace deletion conditions."""
    conditions = [
        (
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        (
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
    ]
    if remaining:
        listed = ", ".join(
            f"{name} has {count} resource instances" for name, count in sorted(remaining.items())
        )
        conditions.append(
            (
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                f"Some resources are remaining: {listed}",
            )
        )
    else:
        conditions.append(
            (
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed",
            )
        )
    if finalizers:
        listed = ", ".join(
            f"{name} in {count} resource instances" for name, count in sorted(finalizers.items())
        )
        conditions.append(
            (
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {listed}",
            )
        )
    else:
        conditions.append(
            (
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished",
            )
        )
    return conditions


class NamespaceController(ResyncController):
    name = "namespaces"

    def reconcile(self, cluster: Cluster) -> None:
        namespaces = cluster.resource_named("", "namespaces")
        if namespaces is None:
            return
        for namespace in cluster.list(namespaces):
            if (namespace.get("metadata") or {}).get("deletionTimestamp"):
                self._finalize(cluster, namespaces, namespace)

    def _finalize(self, cluster: Cluster, namespaces: ResourceInfo, namespace: Object) -> None:
        name = namespace["metadata"]["name"]
        remaining, finalizers = self._delete_content(cluster, name)
        conditions = content_conditions(remaining, finalizers)

        def write_status(edited: Object) -> bool:
            status: Dict[str, object] = edited.setdefault("status", {})
            changed = status.get("phase") != "Terminating"
            status["phase"] = "Terminating"
            for condition_type, value, reason, message in conditions:
                changed = (
                    set_condition(status, condition_type, value, reason=reason, message=message)
                    or changed
                )
            return changed

        update_with_retry(cluster, namespaces, "", name, write_status, status=True)
        if remaining:
            log.debug("namespace %s waits for %s", name, dict(remaining))
            return

        current = cluster.get(namespaces, "", name)
        if current is None:
            return
        spec_finalizers = (current.get("spec") or {}).get("finalizers") or []
        if NAMESPACE_FINALIZER in spec_finalizers:
            kept = [f for f in spec_finalizers if f != NAMESPACE_FINALIZER]
            cluster.finalize_namespace(name, kept)
            log.debug("namespace %s: content gone, finalizer %s removed", name, NAMESPACE_FINALIZER)

    def _delete_content(
        self, cluster: Cluster, namespace: str
    ) -> Tuple[Counter[str], Counter[str]]:
        """Delete everything in the namespace; count what is left and its finalizers."""
        remaining: Counter[str] = collections.Counter()
        finalizers: Counter[str] = collections.Counter()
        for resource in cluster.resources():
            if not resource.namespaced:
                continue
            for obj in cluster.list(resource, namespace):
                metadata = obj.get("metadata") or {}
                left: Optional[Object] = obj
                if not metadata.get("deletionTimestamp"):
                    delete_quietly(cluster, resource, namespace, metadata.get("name", ""))
                    left = cluster.get(resource, namespace, metadata.get("name", ""))
                if left is None:
                    continue
                remaining[qualified(resource)] += 1
                for finalizer in (left.get("metadata") or {}).get("finalizers") or []:
                    finalizers[finalizer] += 1
        return remaining, finalizers
