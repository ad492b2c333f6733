"""Apply a cleanup plan action by action, re-planning an object that changed, then verify.

Each action writes one object. A 409 (precondition failed) or 422 (a
failed JSON patch test) means the object changed since inspection: it is
read again and planned again from what is stored now, a bounded number of
times. An object that is gone, or no longer needs the action, is left as is.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Dict, List, Optional, Tuple, TypedDict

from kubectl_metax.cleanup import planning
from kubectl_metax.cleanup.planning import Action, Note, Plan
from kubectl_metax.inspection import records, webhooks
from kubectl_metax.inspection.snapshot import (
    CrdRecord,
    EndpointsRecord,
    ServiceRecord,
    WebhookConfigRecord,
)
from kubectl_metax.kube import errors, writing
from kubectl_metax.kube.errors import RequestTarget
from kubectl_metax.kube.transport import Api, resource_path

log = logging.getLogger(__name__)

# Attempts per action when the object keeps changing under us.
MAX_ATTEMPTS = 3
# How long verification waits for namespaces and CRDs to finish terminating
# once their content is freed; the controllers act within seconds.
SETTLE_SECONDS = 30.0
POLL_SECONDS = 0.5

DONE = "done"
DRY_RUN_OK = "dry-run-ok"
ALREADY_GONE = "already-gone"
NOT_NEEDED = "not-needed"  # re-planned: the object no longer needs the action
FAILED = "failed"
# Server dry run only: the write was rejected by a webhook whose configuration an
# earlier action deletes, which a real run removes first.
DRY_RUN_BLOCKED = "dry-run-blocked-by-planned-deletion"
CONFLICT = "conflict"  # internal: the object changed, plan it again


class Outcome(TypedDict):
    action: Action
    result: str  # DONE, DRY_RUN_OK, ALREADY_GONE, NOT_NEEDED or FAILED
    attempts: int
    message: str  # the error of a failed action, "" otherwise


class Check(TypedDict):
    kind: str
    namespace: str
    name: str
    ok: bool
    state: str  # gone, no-finalizers, still-present, finalizers-remain, terminating, active


def _ready_endpoints(api: Api, namespace: str, service: str) -> Optional[EndpointsRecord]:
    """Return the endpoints of one service from its EndpointSlices and its Endpoints."""
    found: List[EndpointsRecord] = []
    try:
        for page in api.list_pages(
            resource_path("discovery.k8s.io", "v1", "endpointslices", namespace=namespace),
            target=RequestTarget("list", "endpointslices", "discovery.k8s.io", namespace),
            label_selector=f"kubernetes.io/service-name={service}",
        ):
            found += [item for item in map(records.endpoint_slice, page) if item is not None]
    except (errors.NotFound, errors.Forbidden):
        log.debug("endpointslices not usable in %s", namespace)
    found = records.merge_endpoints(found)
    try:
        found.append(
            records.endpoints(
                api.get(
                    resource_path("", "v1", "endpoints", namespace=namespace, name=service),
                    target=RequestTarget("get", "endpoints", "", namespace, service),
                )
            )
        )
    except (errors.NotFound, errors.Forbidden):
        log.debug("no endpoints object for %s/%s", namespace, service)
    best = records.best_endpoints(found)
    return best[0] if best else None


def _fresh_service_state(
    api: Api, config: WebhookConfigRecord
) -> Tuple[Dict[str, ServiceRecord], Dict[str, EndpointsRecord]]:
    """Read the services a configuration calls, and their endpoints, as stored now."""
    services: Dict[str, ServiceRecord] = {}
    endpoints: Dict[str, EndpointsRecord] = {}
    for hook in config["webhooks"]:
        if not hook["service_name"]:
            continue
        key = f"{hook['service_namespace']}/{hook['service_name']}"
        target = RequestTarget(
            "get", "services", "", hook["service_namespace"], hook["service_name"]
        )
        try:
            services[key] = records.service(
                api.get(
                    resource_path(
                        "",
                        "v1",
                        "services",
                        namespace=hook["service_namespace"],
                        name=hook["service_name"],
                    ),
                    target=target,
                )
            )
        except errors.NotFound:
            continue
        record = _ready_endpoints(api, hook["service_namespace"], hook["service_name"])
        if record is not None:
            endpoints[key] = record
    return services, endpoints


def replan(api: Api, action: Action, plan: Plan) -> Optional[Action]:
    """Return the action planned again from the object as stored now, or None when not needed.

    Raises NotFound when the object is gone.
    """
    raw = writing.read(api, action["target"])
    if action["action"] == planning.DELETE_WEBHOOK:
        config = records.webhook_configuration(raw, action["target"]["kind"])
        services, endpoints = _fresh_service_state(api, config)
        verdict = webhooks.judge(config, plan["install"], services=services, endpoints=endpoints)
        return planning.webhook_action(verdict)
    owner = CrdRecord(
        meta=records.meta({}),
        group=action["target"]["group"],
        kind=action["target"]["kind"],
        plural=action["target"]["resource"],
        namespaced=bool(action["target"]["namespace"]),
        version=action["target"]["version"],
        conditions=[],
    )
    return planning.finalizer_action(records.custom_resource(raw, owner), plan["install"])


def _write(api: Api, action: Action, *, dry_run: bool) -> None:
    if action["action"] == planning.DELETE_WEBHOOK:
        writing.delete_exact(api, action["target"], dry_run=dry_run)
    else:
        writing.remove_finalizers(
            api, action["target"], finalizers=action["finalizers"], dry_run=dry_run
        )


def _attempt(api: Api, action: Action, *, dry_run: bool) -> Tuple[str, str]:
    """Write once; return (result, message). CONFLICT means the object must be planned again."""
    try:
        _write(api, action, dry_run=dry_run)
    except errors.NotFound:
        return ALREADY_GONE, ""
    except (errors.Conflict, errors.Invalid) as error:
        return CONFLICT, str(error)
    except errors.KubeError as error:
        return FAILED, str(error)
    return (DRY_RUN_OK if dry_run else DONE), ""


def apply_action(api: Api, action: Action, plan: Plan, *, dry_run: bool) -> Outcome:
    """Write one action, re-planning on a conflict at most MAX_ATTEMPTS times."""
    current = action
    attempt = 0
    while True:
        attempt += 1
        result, message = _attempt(api, current, dry_run=dry_run)
        if result != CONFLICT:
            return Outcome(action=current, result=result, attempts=attempt, message=message)
        if attempt == MAX_ATTEMPTS:
            return Outcome(action=current, result=FAILED, attempts=attempt, message=message)

        log.info("%s changed since inspection; planning it again", current["target"]["name"])
        try:
            replanned = replan(api, current, plan)
        except errors.NotFound:
            replanned, result = None, ALREADY_GONE
        except errors.KubeError as error:
            return Outcome(action=current, result=FAILED, attempts=attempt, message=str(error))
        else:
            result = NOT_NEEDED
        if replanned is None:
            return Outcome(action=current, result=result, attempts=attempt, message="")
        current = replanned


def _blocked_by_planned_webhook(outcome: Outcome, planned_webhooks: List[str]) -> bool:
    return outcome["result"] == FAILED and any(
        f'failed calling webhook "{name}"' in outcome["message"] for name in planned_webhooks
    )


def apply_plan(api: Api, plan: Plan, *, dry_run: bool) -> List[Outcome]:
    """Apply every action in plan order (webhook configurations first).

    In a server dry run the webhook configurations are not really deleted, so
    the finalizer patches they would block are reported as DRY_RUN_BLOCKED
    rather than FAILED.
    """
    outcomes = []
    deleted_webhooks: List[str] = []
    for action in plan["actions"]:
        outcome = apply_action(api, action, plan, dry_run=dry_run)
        if dry_run and _blocked_by_planned_webhook(outcome, deleted_webhooks):
            outcome["result"] = DRY_RUN_BLOCKED
        if outcome["result"] in (DONE, DRY_RUN_OK, ALREADY_GONE):
            deleted_webhooks += action["webhooks"]
        outcomes.append(outcome)
    return outcomes


def _check_action(api: Api, action: Action) -> Check:
    target = action["target"]
    raw = writing.read_optional(api, target)
    if raw is None:
        ok, state = True, "gone"
    elif action["action"] == planning.DELETE_WEBHOOK:
        ok, state = False, "still-present"
    else:
        remaining = (raw.get("metadata") or {}).get("finalizers") or []
        ok, state = (False, "finalizers-remain") if remaining else (True, "no-finalizers")
    return Check(
        kind=target["kind"], namespace=target["namespace"], name=target["name"], ok=ok, state=state
    )


def _note_target(note: Note) -> planning.Target:
    if note["kind"] == "Namespace":
        group, version, resource = "", "v1", "namespaces"
    else:
        group, version, resource = "apiextensions.k8s.io", "v1", "customresourcedefinitions"
    return planning.Target(
        group=group,
        version=version,
        resource=resource,
        kind=note["kind"],
        namespace="",
        name=note["name"],
        uid="",
        resource_version="",
    )


def _check_note(
    api: Api,
    note: Note,
    *,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Check:
    target = _note_target(note)
    while True:
        raw = writing.read_optional(api, target)
        if raw is None:
            return Check(kind=note["kind"], namespace="", name=note["name"], ok=True, state="gone")
        if not (raw.get("metadata") or {}).get("deletionTimestamp"):
            return Check(
                kind=note["kind"], namespace="", name=note["name"], ok=True, state="active"
            )
        if clock() >= deadline:
            return Check(
                kind=note["kind"], namespace="", name=note["name"], ok=False, state="terminating"
            )
        sleep(POLL_SECONDS)


def verify(
    api: Api,
    plan: Plan,
    *,
    wait: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> List[Check]:
    """Check, as the vendor's FAQ does, that the actions took effect and nothing stays stuck.

    With wait, namespaces and CRDs get SETTLE_SECONDS to finish terminating;
    without it (an action failed, so they cannot finish) they are checked once.
    """
    checks = [_check_action(api, action) for action in plan["actions"]]
    deadline = clock() + (SETTLE_SECONDS if wait else 0.0)
    checks += [
        _check_note(api, note, deadline=deadline, clock=clock, sleep=sleep)
        for note in plan["notes"]
    ]
    return checks
