"""Text and structured renderings of a cleanup plan and of its results."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from kubectl_metax.cleanup import planning
from kubectl_metax.cleanup.planning import Action, Plan
from kubectl_metax.i18n import _

REASONS: Dict[str, Callable[[], str]] = {
    "service-missing": lambda: _("its webhook calls service {detail}, which does not exist"),
    "no-ready-endpoints": lambda: _(
        "its webhook calls service {detail}, which has no ready endpoint"
    ),
    "operator-gone": lambda: _(
        "it is being deleted, and no operator is left in {detail} to remove its finalizers"
    ),
    "operator-unavailable": lambda: _(
        "it is being deleted, and the operator in {detail} has no ready "
        "replica to remove its finalizers"
    ),
}
SKIP_REASONS: Dict[str, Callable[[], str]] = {
    "live": lambda: _("its service is present and has ready endpoints"),
    "not-owned": lambda: _("nothing proves it belongs to the MetaX operator"),
    "foreign-release": lambda: _("its Helm annotations name another release"),
    "state-unknown": lambda: _("its service or endpoints could not be read"),
    "operator-available": lambda: _("the operator is running and may still remove the finalizers"),
    "operator-state-unknown": lambda: _("the operator's Deployments could not be read"),
}
RESULTS: Dict[str, Callable[[], str]] = {
    "done": lambda: _("done"),
    "dry-run-ok": lambda: _("accepted by the server (dry run, nothing changed)"),
    "already-gone": lambda: _("already gone"),
    "not-needed": lambda: _("no longer needed (the object changed and was planned again)"),
    "failed": lambda: _("failed"),
    "dry-run-blocked-by-planned-deletion": lambda: _(
        "rejected by a webhook that an earlier action deletes "
        "(dry run; a real run deletes it first)"
    ),
}
STATES: Dict[str, Callable[[], str]] = {
    "gone": lambda: _("gone"),
    "no-finalizers": lambda: _("has no finalizers"),
    "still-present": lambda: _("still present"),
    "finalizers-remain": lambda: _("still has finalizers"),
    "terminating": lambda: _("still terminating"),
    "active": lambda: _("not being deleted"),
}


def object_name(target: planning.Target) -> str:
    name = f"{target['kind']}/{target['name']}"
    if target["namespace"]:
        name = _("{object} in namespace {namespace}").format(
            object=name, namespace=target["namespace"]
        )
    return name


def describe_action(action: Action) -> str:
    reason = REASONS[action["reason"]]().format(detail=action["detail"])
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
        stored = [release["name"] for release in install["releases"]]
        releases = [f"{release['name']} ({release['status']})" for release in install["releases"]]
        releases += [
            _("{name} (no release record left)").format(name=name)
            for name in install["release_names"]
            if name not in stored
        ]
        lines.append(
            _("MetaX GPU Operator: namespace {namespace}, Helm releases {releases}").format(
                namespace=install["namespace"], releases=", ".join(releases) or "-"
            )
        )
    for gap in plan["gaps"]:
        lines.append(
            _("warning: could not list {kind} ({reason}); the plan may be incomplete").format(
                kind=gap["kind"], reason=gap["reason"]
            )
        )
    for namespace, pods in plan["gpu_pods"].items():
        lines.append(
            _("Pods in namespace {namespace} still use MetaX GPUs: {pods}").format(
                namespace=namespace, pods=", ".join(pods)
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
        lines.append(
            _("left alone: {kind}/{name}: {reason}").format(
                kind=skipped["kind"],
                name=skipped["name"],
                reason=SKIP_REASONS[skipped["reason"]](),
            )
        )
    return lines


def short_action(action: Action) -> str:
    if action["action"] == planning.DELETE_WEBHOOK:
        return _("delete {object}").format(object=object_name(action["target"]))
    return _("remove the finalizers of {object}").format(object=object_name(action["target"]))


def outcome_line(outcome: Dict[str, Any]) -> str:
    text = _("{action}: {result}").format(
        action=short_action(outcome["action"]), result=RESULTS[outcome["result"]]()
    )
    if outcome["message"]:
        text += f" ({outcome['message']})"
    return text


def check_line(check: Dict[str, Any]) -> str:
    mark = _("verified") if check["ok"] else _("NOT verified")
    return _("{mark}: {kind}/{name} {state}").format(
        mark=mark, kind=check["kind"], name=check["name"], state=STATES[check["state"]]()
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
