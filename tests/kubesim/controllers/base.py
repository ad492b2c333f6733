"""Shared pieces of the kubesim controllers: the resync loop, selectors, timestamps.

Every controller reacts to ``Cluster.watch`` events and also resyncs on a
short period, so a missed event or a lost 409 race only delays it. The loop
never raises: a failed pass is logged and retried on the next one.
"""

from __future__ import annotations

import copy
import datetime
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

from tests.kubesim.contract import ApiError, Cluster, Object, ResourceInfo

log = logging.getLogger(__name__)

# Seconds between full passes when no event arrives. Events wake the loop at
# once, so this only bounds how long a missed event can delay a controller.
RESYNC_SECONDS = 0.5

# Annotation prefix of the knobs tests use to steer the emulated actors.
ANNOTATION_PREFIX = "kubesim.io/"


def now_rfc3339() -> str:
    """Return the current UTC time as Kubernetes writes timestamps."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> Optional[datetime.datetime]:
    """Return the UTC datetime of a Kubernetes timestamp, or None when it is malformed."""
    try:
        parsed = datetime.datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=datetime.timezone.utc)


def labels_of(obj: Optional[Object]) -> Dict[str, str]:
    if not obj:
        return {}
    return dict((obj.get("metadata") or {}).get("labels") or {})


def match_expression(expression: Dict[str, Any], labels: Dict[str, str]) -> bool:
    """Evaluate one matchExpressions entry (In, NotIn, Exists, DoesNotExist)."""
    key = expression.get("key", "")
    operator = expression.get("operator", "")
    values = expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    # An unknown operator is invalid in Kubernetes and matches nothing here.
    return False


def match_label_selector(selector: Optional[Dict[str, Any]], labels: Dict[str, str]) -> bool:
    """Evaluate a metav1.LabelSelector; an empty or missing selector matches everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(match_expression(e, labels) for e in selector.get("matchExpressions") or [])


def match_map_selector(selector: Optional[Dict[str, str]], labels: Dict[str, str]) -> bool:
    """Evaluate a plain map selector (Service.spec.selector); an empty one matches nothing."""
    if not selector:
        return False
    return all(labels.get(key) == value for key, value in selector.items())


def owner_reference(owner: Object, *, controller: bool = True, block: bool = True) -> Object:
    """Build an ownerReferences entry that points at owner."""
    metadata = owner.get("metadata") or {}
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner.get("kind", ""),
        "name": metadata.get("name", ""),
        "uid": metadata.get("uid", ""),
        "controller": controller,
        "blockOwnerDeletion": block,
    }


def is_controlled_by(obj: Object, owner: Object) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("uid") == uid and ref.get("controller"):
            return True
    return False


def set_condition(
    status: Dict[str, Any], condition_type: str, value: str, *, reason: str, message: str = ""
) -> bool:
    """Set one status condition in place; return True when anything but the probe time changed."""
    conditions: List[Object] = status.setdefault("conditions", [])
    stamp = now_rfc3339()
    for condition in conditions:
        if condition.get("type") != condition_type:
            continue
        changed = (
            condition.get("status"),
            condition.get("reason"),
            condition.get("message", ""),
        ) != (
            value,
            reason,
            message,
        )
        if condition.get("status") != value:
            condition["lastTransitionTime"] = stamp
        condition.update({"status": value, "reason": reason, "message": message})
        return changed
    conditions.append(
        {
            "type": condition_type,
            "status": value,
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp,
        }
    )
    return True


def condition_true(obj: Optional[Object], condition_type: str) -> bool:
    for condition in ((obj or {}).get("status") or {}).get("conditions") or []:
        if condition.get("type") == condition_type:
            return bool(condition.get("status") == "True")
    return False


def update_with_retry(
    cluster: Cluster,
    resource: ResourceInfo,
    namespace: str,
    name: str,
    change: Callable[[Object], bool],
    *,
    status: bool = False,
    attempts: int = 5,
) -> Optional[Object]:
    """Re-read, change and write an object until no 409 Conflict; None when it is gone.

    ``change`` edits the object in place and returns False when nothing needs
    writing.
    """
    for _ in range(attempts):
        current = cluster.get(resource, namespace, name)
        if current is None:
            return None
        edited = copy.deepcopy(current)
        if not change(edited):
            return current
        try:
            return cluster.update_status(edited) if status else cluster.update(edited)
        except ApiError as error:
            if error.code == 404:
                return None
            if error.code != 409:
                raise
            log.debug("conflict writing %s %s/%s, retrying", resource.resource, namespace, name)
    raise ApiError(
        409,
        "Conflict",
        f"gave up writing {resource.resource} {namespace}/{name} after {attempts} conflicts",
    )


def delete_quietly(
    cluster: Cluster,
    resource: ResourceInfo,
    namespace: str,
    name: str,
    *,
    propagation: str = "Background",
) -> None:
    """Delete an object, treating 404 as done."""
    try:
        cluster.delete(resource, namespace, name, propagation=propagation)
    except ApiError as error:
        if error.code != 404:
            raise


class ClusterBound:
    """A plug-in that reads the store; also a Controller, so that start() gets the Cluster."""

    name = "cluster-bound"

    def __init__(self) -> None:
        self.cluster: Optional[Cluster] = None

    def start(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def stop(self) -> None:
        self.cluster = None


class ResyncController:
    """A controller thread that reconciles on watch events and every RESYNC_SECONDS.

    Subclasses set ``name`` and implement ``reconcile``; ``interested`` filters
    the events that wake the loop early.
    """

    name = "resync"

    def __init__(self, *, period: float = RESYNC_SECONDS) -> None:
        self.period = period
        self.cluster: Optional[Cluster] = None
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._unsubscribe: Optional[Callable[[], None]] = None

    def start(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._stopped.clear()
        self._unsubscribe = cluster.watch(self._on_event)
        self._thread = threading.Thread(target=self._run, name=f"kubesim-{self.name}", daemon=True)
        self._thread.start()
        log.debug("controller %s started", self.name)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        log.debug("controller %s stopped", self.name)

    def wake(self) -> None:
        self._wake.set()

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        return True

    def reconcile(self, cluster: Cluster) -> None:
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    def _on_event(self, event: str, resource: ResourceInfo, obj: Object) -> None:
        if self.interested(event, resource, obj):
            self._wake.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.period)
            self._wake.clear()
            if self._stopped.is_set() or self.cluster is None:
                break
            try:
                self.reconcile(self.cluster)
            except ApiError as error:
                log.debug(
                    "controller %s: pass failed with %s %s, retrying",
                    self.name,
                    error.code,
                    error.message,
                )
            except Exception:
                log.exception("controller %s: pass failed", self.name)
