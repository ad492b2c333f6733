"""Objects stuck in deletion: MetaX custom resources, namespaces and CRDs.

A MetaX object is stuck when it has a deletionTimestamp and finalizers but
the operator that would remove them is gone or has no ready replica. While
the operator is available (or its state is unknown) nothing is called
stuck: it may still be working.
"""

from __future__ import annotations

from typing import List, TypedDict

from kubectl_metax.inspection.install import METAX_GROUP, Install
from kubectl_metax.inspection.snapshot import (
    Condition,
    CrdRecord,
    CustomResourceRecord,
    NamespaceRecord,
    Snapshot,
)

OPERATOR_GONE = "operator-gone"  # no operator Deployment exists
OPERATOR_UNAVAILABLE = "operator-unavailable"  # it exists with no ready replica

# Conditions the namespace controller sets while it cannot finish
# (k8s.io/api/core/v1/types.go, NamespaceConditionType).
NAMESPACE_BLOCKING_CONDITIONS = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)


class StuckObject(TypedDict):
    resource: CustomResourceRecord
    reason: str  # OPERATOR_GONE or OPERATOR_UNAVAILABLE


class Terminating(TypedDict):
    name: str
    since: str  # the deletionTimestamp
    conditions: List[Condition]  # the conditions that explain why it has not finished


def stuck_reason(install: Install) -> str:
    """Return why finalizers will not be removed, or "" when the operator may still act."""
    if install["available"] is not False:
        return ""
    return OPERATOR_UNAVAILABLE if install["deployments"] else OPERATOR_GONE


def is_stuck(resource: CustomResourceRecord, install: Install) -> bool:
    meta = resource["meta"]
    return bool(meta["deletion_timestamp"] and meta["finalizers"] and stuck_reason(install))


def stuck_custom_resources(snap: Snapshot, install: Install) -> List[StuckObject]:
    reason = stuck_reason(install)
    return [
        StuckObject(resource=resource, reason=reason)
        for resource in snap["custom_resources"]
        if is_stuck(resource, install)
    ]


def _namespace_terminating(record: NamespaceRecord) -> Terminating:
    return Terminating(
        name=record["meta"]["name"],
        since=record["meta"]["deletion_timestamp"] or "",
        conditions=[
            condition
            for condition in record["conditions"]
            if condition["type"] in NAMESPACE_BLOCKING_CONDITIONS and condition["status"] == "True"
        ],
    )


def terminating_namespaces(snap: Snapshot) -> List[Terminating]:
    return [
        _namespace_terminating(record)
        for record in snap["namespaces"]
        if record["phase"] == "Terminating" or record["meta"]["deletion_timestamp"]
    ]


def _crd_terminating(record: CrdRecord) -> Terminating:
    # The CRD finalizer sets Terminating=True while instances remain
    # (k8s.io/apiextensions-apiserver, CustomResourceDefinitionConditionType).
    return Terminating(
        name=record["meta"]["name"],
        since=record["meta"]["deletion_timestamp"] or "",
        conditions=[
            condition
            for condition in record["conditions"]
            if condition["type"] == "Terminating" and condition["status"] == "True"
        ],
    )


def terminating_crds(snap: Snapshot) -> List[Terminating]:
    """Return the MetaX CRDs that are being deleted."""
    return [
        _crd_terminating(record)
        for record in snap["crds"]
        if record["group"] == METAX_GROUP and record["meta"]["deletion_timestamp"]
    ]
