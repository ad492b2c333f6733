"""Status errors with kube-apiserver's reasons, codes and message texts.

The wording follows k8s.io/apimachinery/pkg/api/errors/errors.go
(NewNotFound, NewAlreadyExists, NewConflict, NewInvalid, NewForbidden,
NewGenericServerResponse, ...), so that kubectl and helm print what they
print against a real cluster.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from tests.kubesim.contract import ApiError, ResourceInfo

Object = Dict[str, Any]

# The text kube-apiserver appends to a Conflict caused by a stale resourceVersion
# (k8s.io/apiserver/pkg/registry/generic/registry/store.go, OptimisticLockErrorMsg).
OPTIMISTIC_LOCK_MESSAGE = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def qualified(resource: ResourceInfo) -> str:
    """Return `<resource>.<group>`, or the bare plural for the core group."""
    return f"{resource.resource}.{resource.group}" if resource.group else resource.resource


def _details(resource: Optional[ResourceInfo], name: str, kind: str = "") -> Object:
    details: Object = {}
    if name:
        details["name"] = name
    if resource is not None and resource.group:
        details["group"] = resource.group
    if kind:
        details["kind"] = kind
    elif resource is not None:
        details["kind"] = resource.resource
    return details


def not_found(resource: ResourceInfo, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified(resource)} "{name}" not found',
        details=_details(resource, name),
    )


def already_exists(resource: ResourceInfo, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(resource)} "{name}" already exists',
        details=_details(resource, name),
    )


def conflict(resource: ResourceInfo, name: str, cause: str = OPTIMISTIC_LOCK_MESSAGE) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource)} "{name}": {cause}',
        details=_details(resource, name),
    )


def invalid(
    resource: Optional[ResourceInfo], kind: str, name: str, causes: List[Object]
) -> ApiError:
    """Build a 422 Invalid; each cause is {"type", "message", "field"} as in a StatusCause."""
    group_kind = f"{kind}.{resource.group}" if resource is not None and resource.group else kind
    parts = []
    for cause in causes:
        field = cause.get("field", "")
        parts.append(f"{field}: {cause['message']}" if field else cause["message"])
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    details = _details(resource, name, kind)
    details["causes"] = causes
    return ApiError(422, "Invalid", f'{group_kind} "{name}" is invalid: {joined}', details=details)


def field_required(path: str) -> Object:
    return {"type": "FieldValueRequired", "message": "Required value", "field": path}


def field_invalid(path: str, value: Any, detail: str) -> Object:
    return {
        "type": "FieldValueInvalid",
        "message": f"Invalid value: {_go_value(value)}: {detail}",
        "field": path,
    }


def field_forbidden(path: str, detail: str) -> Object:
    return {"type": "FieldValueForbidden", "message": f"Forbidden: {detail}", "field": path}


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def generic_server_response(code: int, server_message: str) -> ApiError:
    """Mirror NewGenericServerResponse for the codes kube-apiserver returns without a resource."""
    reasons = {
        400: ("BadRequest", "the server rejected our request for an unknown reason"),
        422: ("Invalid", "the server rejected our request due to an error in our request"),
    }
    reason, message = reasons.get(
        code,
        (
            "Unknown",
            f"the server responded with the status code {code} but did not return more information",
        ),
    )
    details: Object = {}
    if server_message:
        details["causes"] = [{"type": "UnexpectedServerResponse", "message": server_message}]
    return ApiError(code, reason, message, details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(
    user: str,
    verb: str,
    resource: Optional[ResourceInfo],
    *,
    namespace: str,
    name: str,
    reason: str,
) -> ApiError:
    """Mirror NewForbidden as the RBAC filter builds it (endpoints/handlers/responsewriters)."""
    if resource is None:
        message = f'forbidden: User "{user}" cannot {verb} path'
        return ApiError(403, "Forbidden", message + (f": {reason}" if reason else ""))
    group = f' in API group "{resource.group}"'
    scope = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    target = f'{qualified(resource)} "{name}"' if name else qualified(resource)
    message = (
        f'{target} is forbidden: User "{user}" cannot {verb} '
        f'resource "{resource.resource}"{group}{scope}'
    )
    if reason:
        message += f": {reason}"
    return ApiError(403, "Forbidden", message, details=_details(resource, name))


def method_not_allowed(verb: str, resource: Optional[ResourceInfo]) -> ApiError:
    what = qualified(resource) if resource is not None else "path"
    return ApiError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({verb} {what})",
    )


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf "
        f'(got "{content_type}")',
    )


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def internal(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def status_body(error: ApiError) -> Object:
    """Render an ApiError as the metav1.Status kube-apiserver sends."""
    body: Object = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message,
        "reason": error.reason,
        "code": error.code,
    }
    details = dict(error.details or {})
    if error.retry_after is not None:
        details["retryAfterSeconds"] = error.retry_after
    if details:
        body["details"] = details
    return body


def success_status(resource: ResourceInfo, name: str, uid: str) -> Object:
    """The Status a DELETE returns when the object is gone at once (rest/delete.go)."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": resource.group, "kind": resource.resource, "uid": uid},
    }
