"""Text and structured renderings of a cleanup plan and of its results."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from kubectl_metax.cleanup import planning
from kubectl_metax.cleanup.planning import Action, Plan
from kubectl_metax.i18n import N_, _

REASONS = {
    "service-missing": N_("its webhook calls service {detail}, which does not exist"),
    "no-ready-endpoints": N_("its webhook calls service {detail}, which has no ready endpoint"),
    "operator-gone": N_(
        "it is being deleted, and no operator is left in {detail} to remove its finalizers"
    ),
    "operator-unavailable": N_(
        "it is being deleted, and the operator in {detail} has no ready "
        "replica to remove its finalizers"
    ),
}
SKIP_REASONS = {
    "live": N_("its service is present and has ready endpoints"),
    "not-owned": N_("nothing proves it belongs to the MetaX operator"),
    "foreign-release": N_("its Helm annotations name another release"),
    "state-unknown": N_("its service or endpoints could not be read"),
    "operator-available": N_("the operator is running and may still remove the finalizers"),
    "operator-state-unknown": N_("the operator's Deployments could not be read"),
}
RESULTS = {
    "done": N_("done"),
    "dry-run-ok": N_("accepted by the server (dry run, nothing changed)"),
    "already-gone": N_("already gone"),
    "not-needed": N_("no longer needed (the object changed and was planned again)"),
    "failed": N_("failed"),
}
STATES = {
    "gone": N_("gone"),
    "no-finalizers": N_("has no finalizers"),
    "still-present": N_("still present"),
    "finalizers-remain": N_("still has finalizers"),
    "terminating": N_("still terminating"),
    "active": N_("not being deleted"),
}


def object_name(target: planning.Target) -> str:
    name = f"{target['kind']}/{target['name']}"
    if target["namespace"]:
        name = _("{object} in namespace {namespace}").format(
            object=name, namespace=target["namespace"]
        )
    return name


def describe_action(action: Action) -> str:
    template = REASONS[action["reason"]]
    reason = _(template).format(detail=action["detail"])
    if action["action"] == planning.DELETE_WEBHOOK:
        return _("delete {object}: {reason}").format(
            object=object_name(action["target"]), reason=reason
        )
    return _("remove the finalizers {finalizers} of {object}: {reason}").format(
        finalizers=", ".join(action["finalizers"]),
        object=object_name(action["target"]),
        reason=reason,
    )


def plan_lines(plan: Plan) -> List[str]:
    install = plan["install"]
    lines = []
    if install["namespace"]:
        releases = (
            ", ".join(f"{release['name']} ({release['status']})" for release in install["releases"])
            or "-"
        )
        lines.append(
            _("MetaX GPU Operator: namespace {namespace}, Helm releases {releases}").format(
                namespace=install["namespace"], releases=releases
            )
        )
    for gap in plan["gaps"]:
        lines.append(
            _("warning: could not list {kind} ({reason}); the plan may be incomplete").format(
                kind=gap["kind"], reason=gap["reason"]
            )
        )
    for number, action in enumerate(plan["actions"], start=1):
        lines.append(f"{number}. {describe_action(action)}")
    for note in plan["notes"]:
        lines.append(
            _("then {kind} {name} can finish terminating").format(
                kind=note["kind"], name=note["name"]
            )
        )
    for skipped in plan["skipped"]:
        why = SKIP_REASONS[skipped["reason"]]
        lines.append(
            _("left alone: {kind}/{name}: {reason}").format(
                kind=skipped["kind"],
                name=skipped["name"],
                reason=_(why),
            )
        )
    return lines


def outcome_line(outcome: Dict[str, Any]) -> str:
    result = RESULTS[outcome["result"]]
    text = _("{action}: {result}").format(
        action=describe_action(outcome["action"]), result=_(result)
    )
    if outcome["message"]:
        text += f" ({outcome['message']})"
    return text


def check_line(check: Dict[str, Any]) -> str:
    mark = _("verified") if check["ok"] else _("NOT verified")
    state = STATES[check["state"]]
    return _("{mark}: {kind}/{name} {state}").format(
        mark=mark, kind=check["kind"], name=check["name"], state=_(state)
    )


def structured(
    plan: Plan,
    *,
    outcomes: Optional[List[Any]] = None,
    checks: Optional[List[Any]] = None,
    backup: str = "",
    helm: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Return plan and results as plain data for -o json|yaml; keys stay in English."""
    return {
        "namespace": plan["install"]["namespace"],
        "releases": plan["install"]["releases"],
        "operatorAvailable": plan["install"]["available"],
        "actions": plan["actions"],
        "notes": plan["notes"],
        "skipped": plan["skipped"],
        "gpuPods": plan["gpu_pods"],
        "gaps": plan["gaps"],
        "backup": backup,
        "outcomes": outcomes or [],
        "checks": checks or [],
        "helm": helm,
    }
