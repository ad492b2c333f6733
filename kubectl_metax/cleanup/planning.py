"""Plan the vendor's manual uninstall cleanup from a snapshot.

The plan deletes the operator's dangling webhook configurations first,
because such a webhook rejects the finalizer patches that come next, then
removes the finalizers of MetaX objects stuck in deletion, and notes which
namespaces and CRDs will then finish terminating. Live webhooks, webhooks
whose ownership is not proven and objects the operator may still finalize
are listed as skipped with the reason. Namespaced MetaX objects are
planned only in the operator's namespace, which -n can set.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Optional, TypedDict

from kubectl_metax.inspection import install as installs
from kubectl_metax.inspection import stuck, webhooks, workloads
from kubectl_metax.inspection.install import Install
from kubectl_metax.inspection.snapshot import (
    CustomResourceRecord,
    Gap,
    Snapshot,
    WebhookConfigRecord,
)

log = logging.getLogger(__name__)

DELETE_WEBHOOK = "delete-webhook-configuration"
REMOVE_FINALIZERS = "remove-finalizers"
ADMISSION_GROUP = "admissionregistration.k8s.io"
WEBHOOK_RESOURCES = {
    "ValidatingWebhookConfiguration": "validatingwebhookconfigurations",
    "MutatingWebhookConfiguration": "mutatingwebhookconfigurations",
}


class Target(TypedDict):
    group: str
    version: str
    resource: str
    kind: str
    namespace: str
    name: str
    uid: str
    resource_version: str


class Action(TypedDict):
    action: str  # DELETE_WEBHOOK or REMOVE_FINALIZERS
    target: Target
    reason: str  # service-missing, no-ready-endpoints, operator-gone, operator-unavailable
    detail: str  # the service of a dangling webhook, or the operator namespace
    finalizers: List[str]  # the finalizers seen, which the patch tests before removing
    webhooks: List[str]  # names of the webhooks a deleted configuration contains


class Note(TypedDict):
    kind: str  # Namespace or CustomResourceDefinition
    name: str
    blocked_by: List[str]  # reasons of the conditions seen, e.g. NamespaceFinalizersRemaining


class Skipped(TypedDict):
    kind: str
    namespace: str
    name: str
    # live, not-owned, foreign-release, state-unknown, operator-available, operator-state-unknown
    reason: str


class Plan(TypedDict):
    install: Install
    actions: List[Action]
    notes: List[Note]
    skipped: List[Skipped]
    gpu_pods: Dict[str, List[str]]  # namespace -> pod names
    gaps: List[Gap]


def webhook_target(config: WebhookConfigRecord) -> Target:
    meta = config["meta"]
    return Target(
        group=ADMISSION_GROUP,
        version="v1",
        resource=WEBHOOK_RESOURCES[config["kind"]],
        kind=config["kind"],
        namespace="",
        name=meta["name"],
        uid=meta["uid"],
        resource_version=meta["resource_version"],
    )


def resource_target(resource: CustomResourceRecord) -> Target:
    meta = resource["meta"]
    return Target(
        group=resource["group"],
        version=resource["version"],
        resource=resource["resource"],
        kind=resource["kind"],
        namespace=meta["namespace"],
        name=meta["name"],
        uid=meta["uid"],
        resource_version=meta["resource_version"],
    )


def webhook_action(verdict: webhooks.Verdict) -> Optional[Action]:
    """Return the deletion of a dangling configuration the operator owns, else None."""
    if not verdict["owned"] or verdict["state"] != webhooks.DANGLING:
        return None
    first = verdict["problems"][0]
    return Action(
        action=DELETE_WEBHOOK,
        target=webhook_target(verdict["config"]),
        reason=first["problem"],
        detail=first["service"],
        finalizers=[],
        webhooks=[hook["name"] for hook in verdict["config"]["webhooks"]],
    )


def finalizer_action(resource: CustomResourceRecord, install: Install) -> Optional[Action]:
    """Return the removal of a stuck object's finalizers, else None."""
    if not stuck.is_stuck(resource, install):
        return None
    return Action(
        action=REMOVE_FINALIZERS,
        target=resource_target(resource),
        reason=stuck.stuck_reason(install),
        detail=install["namespace"],
        finalizers=list(resource["meta"]["finalizers"]),
        webhooks=[],
    )


def _skip_reason(verdict: webhooks.Verdict) -> str:
    if "foreign-release" in verdict["evidence"]:
        return "foreign-release"
    if not verdict["owned"]:
        return "not-owned"
    return "live" if verdict["state"] == webhooks.LIVE else "state-unknown"


def _notes(snap: Snapshot, install: Install, actions: List[Action]) -> List[Note]:
    """Note the namespaces and CRDs that finish terminating once the stuck objects are freed."""
    freed_namespaces = {action["target"]["namespace"] for action in actions}
    freed_resources = {
        f"{action['target']['resource']}.{action['target']['group']}" for action in actions
    }
    notes = []
    for namespace in stuck.terminating_namespaces(snap):
        if namespace["name"] in freed_namespaces or namespace["name"] == install["namespace"]:
            notes.append(
                Note(
                    kind="Namespace",
                    name=namespace["name"],
                    blocked_by=[condition["type"] for condition in namespace["conditions"]],
                )
            )
    for crd in stuck.terminating_crds(snap):
        if crd["name"] in freed_resources or actions:
            notes.append(
                Note(
                    kind="CustomResourceDefinition",
                    name=crd["name"],
                    blocked_by=[condition["reason"] for condition in crd["conditions"]],
                )
            )
    return notes


# Without these lists an empty plan could hide a stuck object or webhook.
# Deployments count too: without them a stuck ClusterOperator is left alone,
# because nobody can tell whether its operator still runs.
PLANNING_KINDS = (
    "customresourcedefinitions",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "deployments",
)


def blind_spots(plan: Plan) -> List[Gap]:
    """Return the gaps that keep the plan from seeing MetaX objects or webhooks."""
    return [
        gap
        for gap in plan["gaps"]
        if gap["kind"] in PLANNING_KINDS or gap["kind"].endswith("." + installs.METAX_GROUP)
    ]


def make_plan(snap: Snapshot, *, namespace: Optional[str] = None) -> Plan:
    """Return the cleanup plan for snap; namespace overrides the discovered one."""
    install = installs.locate(snap, namespace=namespace)
    actions: List[Action] = []
    skipped: List[Skipped] = []

    for verdict in webhooks.operator_webhooks(snap, install):
        action = webhook_action(verdict)
        if action is not None:
            actions.append(action)
        else:
            meta = verdict["config"]["meta"]
            skipped.append(
                Skipped(
                    kind=verdict["config"]["kind"],
                    namespace="",
                    name=meta["name"],
                    reason=_skip_reason(verdict),
                )
            )

    for resource in snap["custom_resources"]:
        namespace_of = resource["meta"]["namespace"]
        if namespace_of and namespace_of != install["namespace"]:
            # Another namespace may hold another install whose operator is alive.
            continue
        action = finalizer_action(resource, install)
        if action is not None:
            actions.append(action)
        elif resource["meta"]["deletion_timestamp"] and resource["meta"]["finalizers"]:
            skipped.append(
                Skipped(
                    kind=resource["kind"],
                    namespace=resource["meta"]["namespace"],
                    name=resource["meta"]["name"],
                    reason="operator-available"
                    if install["available"]
                    else "operator-state-unknown",
                )
            )

    for action in actions:
        target = action["target"]
        log.info(
            "planned %s on %s/%s %s (%s)",
            action["action"],
            target["kind"],
            target["name"],
            target["namespace"],
            action["reason"],
        )
    return Plan(
        install=install,
        actions=actions,
        notes=_notes(snap, install, actions),
        skipped=skipped,
        gpu_pods=workloads.by_namespace(workloads.gpu_pods(snap)),
        gaps=list(snap["gaps"]),
    )
