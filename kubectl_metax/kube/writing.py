"""Guarded single-object requests: access review, read, delete and finalizer patch.

Deletes carry uid and resourceVersion preconditions, and finalizer patches
test what was seen, so only the object that was inspected is changed. With
``dry_run`` every write is sent with ``dryRun=All``: the API server runs
admission and validation and stores nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from kubectl_metax.cleanup import patches
from kubectl_metax.cleanup.planning import Target
from kubectl_metax.kube.errors import NotFound, RequestTarget
from kubectl_metax.kube.transport import Api, resource_path

log = logging.getLogger(__name__)

JSON_PATCH = "application/json-patch+json"


def request_target(target: Target, verb: str) -> RequestTarget:
    return RequestTarget(
        verb, target["resource"], target["group"], target["namespace"], target["name"]
    )


def path_of(target: Target) -> str:
    return resource_path(
        target["group"],
        target["version"],
        target["resource"],
        namespace=target["namespace"],
        name=target["name"],
    )


def _dry_run_query(dry_run: bool) -> List[Tuple[str, str]]:
    return [("dryRun", "All")] if dry_run else []


def can_i(api: Api, wanted: RequestTarget) -> bool:
    """Return whether the current user may do wanted, by SelfSubjectAccessReview."""
    attributes: Dict[str, Any] = {"verb": wanted.verb, "resource": wanted.resource}
    for key, value in (
        ("group", wanted.group),
        ("namespace", wanted.namespace),
        ("name", wanted.name),
    ):
        if value:
            attributes[key] = value
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }
    answer = api.request(
        "POST",
        resource_path("authorization.k8s.io", "v1", "selfsubjectaccessreviews"),
        target=RequestTarget("create", "selfsubjectaccessreviews", "authorization.k8s.io"),
        body=review,
    )
    allowed = bool((answer.get("status") or {}).get("allowed"))
    log.debug("can-i %s %s: %s", wanted.verb, wanted.describe(), allowed)
    return allowed


def missing_permissions(api: Api, wanted: List[RequestTarget]) -> List[RequestTarget]:
    return [item for item in wanted if not can_i(api, item)]


def read(api: Api, target: Target) -> Dict[str, Any]:
    """Return the object as stored now; raises NotFound when it is gone."""
    return api.get(path_of(target), target=request_target(target, "get"))


def read_optional(api: Api, target: Target) -> Optional[Dict[str, Any]]:
    try:
        return read(api, target)
    except NotFound:
        return None


def delete_exact(api: Api, target: Target, *, dry_run: bool) -> None:
    """Delete the object only if its uid and resourceVersion are still those inspected."""
    options = {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "preconditions": {"uid": target["uid"], "resourceVersion": target["resource_version"]},
    }
    log.info(
        "deleting %s%s",
        request_target(target, "delete").describe(),
        " (server dry run)" if dry_run else "",
    )
    api.request(
        "DELETE",
        path_of(target),
        target=request_target(target, "delete"),
        query=_dry_run_query(dry_run),
        body=options,
    )


def remove_finalizers(api: Api, target: Target, *, finalizers: List[str], dry_run: bool) -> None:
    """Remove the finalizers with a patch that tests they are still exactly those seen."""
    operations = patches.finalizer_removal(uid=target["uid"], finalizers=finalizers)
    log.info(
        "removing finalizers %s from %s%s",
        finalizers,
        request_target(target, "patch").describe(),
        " (server dry run)" if dry_run else "",
    )
    api.request(
        "PATCH",
        path_of(target),
        target=request_target(target, "patch"),
        query=_dry_run_query(dry_run),
        body=operations,
        content_type=JSON_PATCH,
    )
