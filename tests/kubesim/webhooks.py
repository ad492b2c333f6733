"""Admission webhooks for kubesim: the stored webhook configurations, enforced.

Mutating and validating webhook configurations (admissionregistration.k8s.io/v1)
are matched against every write as kube-apiserver matches them: rules
(operations, apiGroups, apiVersions, resources with subresources, scope),
namespaceSelector and objectSelector. matchPolicy is treated as Equivalent
and matchConditions are not evaluated. As the field docs of
ValidatingWebhook in k8s.io/api admissionregistration/v1 types.go state,
webhooks are never called for ValidatingWebhookConfiguration and
MutatingWebhookConfiguration objects, and namespaceSelector matches a
Namespace on its own labels and never skips other cluster-scoped objects.

No webhook server is ever called. A webhook whose Service is missing or has
no ready endpoints fails the call, as it would on a real API server. A
``url`` clientConfig always fails, because kubesim connects nowhere. A webhook with
ready endpoints is taken to answer "allowed", unless its Service carries the
annotation ``kubesim.io/webhook-response``: ``deny`` (message from
``kubesim.io/webhook-message``) or ``timeout``. A failed call rejects the
write when failurePolicy is Fail (the default) and is skipped when Ignore.
Mutating webhooks therefore never mutate.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from tests.kubesim.contract import ApiError, Cluster, Object, RequestAttributes
from tests.kubesim.controllers.base import (
    ANNOTATION_PREFIX,
    ClusterBound,
    labels_of,
    match_label_selector,
)

log = logging.getLogger(__name__)

ADMISSION_GROUP = "admissionregistration.k8s.io"
WEBHOOK_CONFIGURATION_RESOURCES = (
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
)
RESPONSE_ANNOTATION = ANNOTATION_PREFIX + "webhook-response"
MESSAGE_ANNOTATION = ANNOTATION_PREFIX + "webhook-message"

# Defaults of admissionregistration.k8s.io/v1 (k8s.io/api admissionregistration/v1 types.go).
DEFAULT_TIMEOUT_SECONDS = 10
DEFAULT_SERVICE_PORT = 443


class WebhookCallError(Exception):
    """A webhook call that failed before any response, like ErrCallingWebhook in kube-apiserver."""


def scope_matches(scope: str, namespaced: bool) -> bool:
    """Match a rule's scope: Cluster, Namespaced or "*" (the default)."""
    if scope == "Cluster":
        return not namespaced
    if scope == "Namespaced":
        return namespaced
    return True


def rule_matches(rule: Dict[str, Any], attributes: RequestAttributes, operation: str) -> bool:
    """Match one RuleWithOperations against the request.

    matchPolicy is taken as Equivalent, so any listed apiVersion matches a
    request for another version of the same group and resource.
    """
    resource = attributes.resource
    assert resource is not None
    operations = rule.get("operations") or []
    groups = rule.get("apiGroups") or []
    if not (
        ("*" in operations or operation in operations)
        and ("*" in groups or resource.group in groups)
        and rule.get("apiVersions")
        and scope_matches(rule.get("scope") or "*", resource.namespaced)
    ):
        return False
    for candidate in rule.get("resources") or []:
        main, _, sub = candidate.partition("/")
        if main in ("*", resource.resource) and sub in ("*", attributes.subresource):
            return True
    return False


class WebhookAdmission(ClusterBound):
    """One AdmissionPlugin for either the mutating or the validating configurations."""

    def __init__(self, plural: str) -> None:
        super().__init__()
        self.plural = plural
        self.name = plural

    def admit(
        self,
        attributes: RequestAttributes,
        operation: str,
        obj: Optional[Object],
        old: Optional[Object],
    ) -> Optional[Object]:
        cluster = self.cluster
        resource = attributes.resource
        if cluster is None or resource is None:
            return obj
        if (
            resource.group == ADMISSION_GROUP
            and resource.resource in WEBHOOK_CONFIGURATION_RESOURCES
        ):
            return obj
        configurations = self._configurations(cluster)
        for configuration in configurations:
            for webhook in configuration.get("webhooks") or []:
                if self._applies(cluster, webhook, attributes, operation, obj=obj, old=old):
                    self._call(cluster, webhook, attributes)
        return obj

    def _configurations(self, cluster: Cluster) -> List[Object]:
        resource = cluster.resource_named(ADMISSION_GROUP, self.plural)
        if resource is None:
            return []
        return sorted(cluster.list(resource), key=lambda c: c["metadata"].get("name", ""))

    def _applies(
        self,
        cluster: Cluster,
        webhook: Dict[str, Any],
        attributes: RequestAttributes,
        operation: str,
        *,
        obj: Optional[Object],
        old: Optional[Object],
    ) -> bool:
        if not any(
            rule_matches(rule, attributes, operation) for rule in webhook.get("rules") or []
        ):
            return False
        object_selector = webhook.get("objectSelector")
        if object_selector and not (
            match_label_selector(object_selector, labels_of(obj))
            or match_label_selector(object_selector, labels_of(old))
        ):
            return False
        return self._namespace_matches(
            cluster, webhook.get("namespaceSelector"), attributes, obj, old
        )

    @staticmethod
    def _namespace_matches(
        cluster: Cluster,
        selector: Optional[Dict[str, Any]],
        attributes: RequestAttributes,
        obj: Optional[Object],
        old: Optional[Object],
    ) -> bool:
        """Apply namespaceSelector: cluster-scoped objects other than Namespaces always match."""
        if not selector:
            return True
        resource = attributes.resource
        assert resource is not None
        if resource.group == "" and resource.resource == "namespaces":
            return match_label_selector(selector, labels_of(obj or old))
        if not resource.namespaced:
            return True
        namespaces = cluster.resource_named("", "namespaces")
        namespace = cluster.get(namespaces, "", attributes.namespace) if namespaces else None
        return match_label_selector(selector, labels_of(namespace))

    def _call(
        self, cluster: Cluster, webhook: Dict[str, Any], attributes: RequestAttributes
    ) -> None:
        """Emulate the call; raise ApiError when the webhook rejects or fails under Fail."""
        name = webhook.get("name", "")
        try:
            self._reach(cluster, webhook)
        except WebhookCallError as error:
            if (webhook.get("failurePolicy") or "Fail") == "Ignore":
                log.debug("webhook %s failed and is ignored: %s", name, error)
                return
            message = f'Internal error occurred: failed calling webhook "{name}": {error}'
            raise ApiError(
                500,
                "InternalError",
                message,
                details={"causes": [{"message": f'failed calling webhook "{name}": {error}'}]},
            ) from None

    def _reach(self, cluster: Cluster, webhook: Dict[str, Any]) -> None:
        client = webhook.get("clientConfig") or {}
        name = webhook.get("name", "")
        timeout = webhook.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS
        if client.get("url"):
            # kubesim never connects anywhere, so a URL webhook is unreachable.
            # NOTE: the dial error text is an approximation of Go's net error.
            url = client["url"]
            separator = "&" if "?" in url else "?"
            raise WebhookCallError(
                f'failed to call webhook: Post "{url}{separator}timeout={timeout}s": '
                "dial tcp: connection refused"
            )

        service = client.get("service") or {}
        service_name = service.get("name", "")
        service_namespace = service.get("namespace", "")
        port = service.get("port") or DEFAULT_SERVICE_PORT
        path = service.get("path") or ""
        url = f"https://{service_name}.{service_namespace}.svc:{port}{path}?timeout={timeout}s"

        services = cluster.resource_named("", "services")
        stored = cluster.get(services, service_namespace, service_name) if services else None
        if stored is None:
            raise WebhookCallError(
                f'failed to call webhook: Post "{url}": service "{service_name}" not found'
            )
        if not ready_endpoints(cluster, service_namespace, service_name):
            raise WebhookCallError(
                f'failed to call webhook: Post "{url}": '
                f'no endpoints available for service "{service_name}"'
            )

        # A reachable webhook answers as its Service's annotation says (allow by default).
        annotations = (stored.get("metadata") or {}).get("annotations") or {}
        response = annotations.get(RESPONSE_ANNOTATION, "allow")
        if response == "timeout":
            raise WebhookCallError(
                f'failed to call webhook: Post "{url}": context deadline exceeded'
            )
        if response == "deny":
            reason = annotations.get(MESSAGE_ANNOTATION, "")
            denied = f'admission webhook "{name}" denied the request'
            message = f"{denied}: {reason}" if reason else f"{denied} without explanation"
            raise ApiError(400, "BadRequest", message)


def ready_endpoints(cluster: Cluster, namespace: str, service: str) -> bool:
    """Say whether a Service has a ready address in its Endpoints or EndpointSlices."""
    endpoints_resource = cluster.resource_named("", "endpoints")
    endpoints = cluster.get(endpoints_resource, namespace, service) if endpoints_resource else None
    for subset in (endpoints or {}).get("subsets") or []:
        if subset.get("addresses"):
            return True
    slices_resource = cluster.resource_named("discovery.k8s.io", "endpointslices")
    if slices_resource is None:
        return False
    for endpoint_slice in cluster.list(slices_resource, namespace):
        if labels_of(endpoint_slice).get("kubernetes.io/service-name") != service:
            continue
        for endpoint in endpoint_slice.get("endpoints") or []:
            # EndpointConditions.ready: nil means ready (k8s.io/api discovery/v1 types.go).
            if (endpoint.get("conditions") or {}).get("ready") is not False:
                return True
    return False
