"""API errors, translated once into our own classes by HTTP status family.

Every class derives from ``kubectl_metax.errors.ActionFailed`` so that the
command line prints the message and exits 1 when nothing catches it.
Messages say what failed, on which object and what to do next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from kubectl_metax.errors import ActionFailed
from kubectl_metax.i18n import _


@dataclass(frozen=True)
class RequestTarget:
    """What one API request acts on, as kubectl names it in errors and `auth can-i`."""

    verb: str  # get list create patch delete
    resource: str  # plural, e.g. "validatingwebhookconfigurations"
    group: str = ""
    namespace: str = ""
    name: str = ""

    @property
    def qualified_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def describe(self) -> str:
        """Return e.g. ``clusteroperators.gpu.metax-tech.com/cluster-operator in namespace x``."""
        text = self.qualified_resource + (f"/{self.name}" if self.name else "")
        if self.namespace:
            text = _("{object} in namespace {namespace}").format(
                object=text, namespace=self.namespace
            )
        return text

    def can_i(self) -> str:
        """Return the kubectl command that checks this permission."""
        command = f"kubectl auth can-i {self.verb} {self.qualified_resource}"
        if self.name:
            command += f"/{self.name}"
        if self.namespace:
            command += f" -n {self.namespace}"
        return command


class KubeError(ActionFailed):
    """An API request failed; ``status`` is the HTTP code, 0 when none came back."""

    def __init__(
        self, message: str, *, target: RequestTarget, status: int = 0, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.target = target
        self.status = status
        self.reason = reason


class NotFound(KubeError):
    """404: the object or the resource type does not exist."""


class Conflict(KubeError):
    """409: the object changed since it was read, or a precondition failed."""


class Forbidden(KubeError):
    """401 or 403: the credentials are rejected or lack a permission."""


class Invalid(KubeError):
    """400 or 422: the request was rejected as invalid (a failed JSON patch test included)."""


class ServerError(KubeError):
    """5xx, or 429 after the retries: the API server could not serve the request."""


class Unreachable(KubeError):
    """No response: connection refused, TLS failure, DNS, or a timeout."""


class TimedOut(Unreachable):
    """The request did not complete within --request-timeout."""


def status_details(body: Any) -> str:
    """Return the ``message`` of a Kubernetes Status body, or the body itself, shortened."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        status = json.loads(text)
    except ValueError:
        return text.strip()[:300]
    if isinstance(status, dict) and status.get("message"):
        return str(status["message"])
    return text.strip()[:300]


def status_reason(body: Any) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        status = json.loads(text)
    except ValueError:
        return ""
    return str(status.get("reason", "")) if isinstance(status, dict) else ""


def from_status(status: int, body: Any, *, target: RequestTarget) -> KubeError:
    """Return the error for an HTTP error response to a request on target."""
    detail = status_details(body)
    reason = status_reason(body)
    what = target.describe()
    fields = {"verb": target.verb, "object": what, "detail": detail, "code": status}

    if status == 404:
        return NotFound(
            _("{verb} {object}: not found ({detail})").format(**fields),
            target=target,
            status=status,
            reason=reason,
        )
    if status == 409:
        return Conflict(
            _(
                "{verb} {object} conflicted with another change: {detail}; "
                "run the command again to re-read the cluster"
            ).format(**fields),
            target=target,
            status=status,
            reason=reason,
        )
    if status == 401:
        return Forbidden(
            _(
                "{verb} {object}: the API server rejected the credentials ({detail}); "
                "check the user of the kubeconfig context"
            ).format(**fields),
            target=target,
            status=status,
            reason=reason,
        )
    if status == 403:
        return Forbidden(
            _(
                "{verb} {object} is forbidden: {detail}; check the permission with `{command}`"
            ).format(command=target.can_i(), **fields),
            target=target,
            status=status,
            reason=reason,
        )
    if status in (400, 422):
        return Invalid(
            _("the API server rejected {verb} {object} as invalid: {detail}").format(**fields),
            target=target,
            status=status,
            reason=reason,
        )
    return ServerError(
        _(
            "the API server failed to {verb} {object} (HTTP {code}): {detail}; try again "
            "later or check the health of the API server"
        ).format(**fields),
        target=target,
        status=status,
        reason=reason,
    )


def unreachable(host: str, detail: str, *, target: RequestTarget) -> Unreachable:
    return Unreachable(
        _(
            "cannot reach the API server at {host} to {verb} {object}: {detail}; check the "
            "server address in the kubeconfig and the network"
        ).format(host=host, verb=target.verb, object=target.describe(), detail=detail),
        target=target,
    )


def timed_out(
    seconds: Optional[float], *, target: RequestTarget, connect_seconds: float
) -> TimedOut:
    if seconds is None:
        # No --request-timeout: only the connection (TCP and TLS) has a limit.
        return TimedOut(
            _(
                "{verb} {object}: the API server accepted no connection within {seconds}s; "
                "check the server address in the kubeconfig and the network to it"
            ).format(verb=target.verb, object=target.describe(), seconds=f"{connect_seconds:g}"),
            target=target,
        )
    return TimedOut(
        _(
            "{verb} {object} timed out after {seconds}s; raise --request-timeout or check the "
            "load of the API server"
        ).format(verb=target.verb, object=target.describe(), seconds=f"{seconds:g}"),
        target=target,
    )


def not_json(host: str, detail: str, *, target: RequestTarget) -> ServerError:
    return ServerError(
        _(
            "the server at {host} answered {verb} {object} with a body that is not JSON "
            "({detail}); check that the kubeconfig points at the API server and not at a proxy page"
        ).format(host=host, verb=target.verb, object=target.describe(), detail=detail),
        target=target,
    )
