"""Webhook admission matching and call outcomes, in-process against a fake Cluster.

Covers rules (operations, groups, resources with subresources, scope),
namespaceSelector (cluster-scoped objects always match), objectSelector on
old or new labels, the exemption of webhook configurations, failurePolicy
Fail and Ignore, a missing Service, a Service without ready endpoints,
EndpointSlices, URL clientConfigs, and the live, denying and timing-out
webhook emulation. Matching follows the field docs of ValidatingWebhook in
k8s.io/api admissionregistration/v1 types.go.
Over HTTPS with kubectl: test_webhooks_kubectl.py.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest

from tests.kubesim.contract import ApiError, RequestAttributes, ResourceInfo, UserInfo
from tests.kubesim.webhooks import WebhookAdmission
from tests.kubesim_semantics.fake_cluster import FakeCluster
from tests.kubesim_semantics.helpers import namespace

ADMIN = UserInfo("kubesim-admin", ("system:masters",))
CONFIGMAPS = ResourceInfo("", "v1", "configmaps", "ConfigMap", namespaced=True)
NODES = ResourceInfo("", "v1", "nodes", "Node", namespaced=False)
PODS = ResourceInfo("", "v1", "pods", "Pod", namespaced=True)
VALIDATING = ResourceInfo(
    "admissionregistration.k8s.io",
    "v1",
    "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration",
    namespaced=False,
)


def webhook(name: str = "check.example.com", **overrides: Any) -> Dict[str, Any]:
    hook: Dict[str, Any] = {
        "name": name,
        "clientConfig": {
            "service": {"name": "hook-svc", "namespace": "hooks", "path": "/validate"}
        },
        "rules": [
            {
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["configmaps"],
            }
        ],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    }
    hook.update(overrides)
    return hook


def configuration(*hooks: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "checks"},
        "webhooks": list(hooks),
    }


def write(
    resource: ResourceInfo,
    operation: str = "CREATE",
    *,
    namespace: str = "apps",
    labels: Optional[Dict[str, str]] = None,
    subresource: str = "",
) -> RequestAttributes:
    return RequestAttributes(
        user=ADMIN,
        verb=operation.lower(),
        resource=resource,
        namespace=namespace if resource.namespaced else "",
        name="x",
        subresource=subresource,
    )


def body(labels: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "apps", "labels": labels or {}},
    }


def make(
    *hooks: Dict[str, Any],
    service: bool = False,
    endpoints: bool = False,
    annotations: Optional[Dict[str, str]] = None,
) -> WebhookAdmission:
    cluster = FakeCluster()
    cluster.create(namespace("apps", {"team": "a"}))
    cluster.create(configuration(*hooks))
    if service:
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "hook-svc",
                    "namespace": "hooks",
                    "annotations": annotations or {},
                },
                "spec": {},
            }
        )
    if endpoints:
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": "hook-svc", "namespace": "hooks"},
                "subsets": [{"addresses": [{"ip": "10.244.0.9"}], "ports": [{"port": 9443}]}],
            }
        )
    plugin = WebhookAdmission("validatingwebhookconfigurations")
    plugin.start(cluster)
    return plugin


def rejection(
    plugin: WebhookAdmission, attributes: RequestAttributes, obj: Optional[Dict[str, Any]] = None
) -> ApiError:
    with pytest.raises(ApiError) as caught:
        plugin.admit(attributes, attributes.verb.upper(), obj if obj is not None else body(), None)
    return caught.value


def test_missing_service_rejects_with_real_text() -> None:
    error = rejection(make(webhook()), write(CONFIGMAPS))
    assert error.code == 500
    assert error.reason == "InternalError"
    expected = 'Internal error occurred: failed calling webhook "check.example.com": failed to call webhook: Post "https://hook-svc.hooks.svc:443/validate?timeout=10s": service "hook-svc" not found'
    assert error.message == expected


def test_service_without_endpoints_rejects() -> None:
    error = rejection(make(webhook(timeoutSeconds=5), service=True), write(CONFIGMAPS))
    assert error.message.endswith(
        'Post "https://hook-svc.hooks.svc:443/validate?timeout=5s": no endpoints available for service "hook-svc"'
    )


def test_ignore_policy_lets_write_pass() -> None:
    plugin = make(webhook(failurePolicy="Ignore"))
    assert plugin.admit(write(CONFIGMAPS), "CREATE", body(), None) == body()


def test_ready_endpoints_let_write_pass() -> None:
    plugin = make(webhook(), service=True, endpoints=True)
    assert plugin.admit(write(CONFIGMAPS), "CREATE", body(), None) == body()


def test_ready_endpoint_slice_counts() -> None:
    plugin = make(webhook(), service=True)
    assert plugin.cluster is not None
    plugin.cluster.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "hook-svc-abc",
                "namespace": "hooks",
                "labels": {"kubernetes.io/service-name": "hook-svc"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.0.9"], "conditions": {"ready": True}}],
        }
    )
    assert plugin.admit(write(CONFIGMAPS), "CREATE", body(), None) == body()


def test_unready_endpoint_slice_does_not_count() -> None:
    plugin = make(webhook(), service=True)
    assert plugin.cluster is not None
    plugin.cluster.create(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "hook-svc-abc",
                "namespace": "hooks",
                "labels": {"kubernetes.io/service-name": "hook-svc"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.244.0.9"], "conditions": {"ready": False}}],
        }
    )
    assert "no endpoints available" in rejection(plugin, write(CONFIGMAPS)).message


def test_deny_annotation_denies_with_message() -> None:
    plugin = make(
        webhook(),
        service=True,
        endpoints=True,
        annotations={
            "kubesim.io/webhook-response": "deny",
            "kubesim.io/webhook-message": "upgrade in progress",
        },
    )
    error = rejection(plugin, write(CONFIGMAPS))
    assert (
        error.message
        == 'admission webhook "check.example.com" denied the request: upgrade in progress'
    )
    assert error.code == 400


def test_timeout_annotation_fails_the_call() -> None:
    plugin = make(
        webhook(),
        service=True,
        endpoints=True,
        annotations={"kubesim.io/webhook-response": "timeout"},
    )
    assert rejection(plugin, write(CONFIGMAPS)).message.endswith(
        '?timeout=10s": context deadline exceeded'
    )


def test_url_webhook_is_unreachable() -> None:
    hook = webhook(clientConfig={"url": "https://hooks.example.invalid/check"})
    error = rejection(make(hook), write(CONFIGMAPS))
    assert 'Post "https://hooks.example.invalid/check?timeout=10s"' in error.message


def test_operation_outside_rules_passes() -> None:
    plugin = make(webhook())
    assert plugin.admit(write(CONFIGMAPS, "UPDATE"), "UPDATE", body(), body()) == body()


def test_star_operations_match_delete() -> None:
    rules = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]
    plugin = make(webhook(rules=rules))
    assert rejection(plugin, write(CONFIGMAPS, "DELETE"), obj={}).code == 500


def test_star_resource_skips_subresources() -> None:
    rules = [{"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["*"]}]
    plugin = make(webhook(rules=rules))
    assert (
        plugin.admit(write(PODS, "UPDATE", subresource="status"), "UPDATE", body(), body())
        == body()
    )


def test_subresource_rule_matches_subresource() -> None:
    rules = [
        {
            "operations": ["UPDATE"],
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "resources": ["pods/status"],
        }
    ]
    plugin = make(webhook(rules=rules))
    assert rejection(plugin, write(PODS, "UPDATE", subresource="status")).code == 500
    assert plugin.admit(write(PODS, "UPDATE"), "UPDATE", body(), body()) == body()


def test_scope_namespaced_skips_cluster_objects() -> None:
    rules = [
        {
            "operations": ["CREATE"],
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "resources": ["*"],
            "scope": "Namespaced",
        }
    ]
    plugin = make(webhook(rules=rules))
    assert plugin.admit(write(NODES), "CREATE", body(), None) == body()
    assert rejection(plugin, write(CONFIGMAPS)).code == 500


def test_namespace_selector_uses_namespace_labels() -> None:
    selector = {"matchLabels": {"team": "b"}}
    plugin = make(webhook(namespaceSelector=selector))
    assert plugin.admit(write(CONFIGMAPS), "CREATE", body(), None) == body()
    plugin = make(
        webhook(
            namespaceSelector={
                "matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]
            }
        )
    )
    assert rejection(plugin, write(CONFIGMAPS)).code == 500


def test_namespace_selector_ignored_for_cluster_objects() -> None:
    rules = [
        {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["nodes"]}
    ]
    plugin = make(webhook(rules=rules, namespaceSelector={"matchLabels": {"team": "b"}}))
    assert rejection(plugin, write(NODES)).code == 500


def test_object_selector_checks_old_and_new_labels() -> None:
    rules = [
        {
            "operations": ["UPDATE"],
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "resources": ["configmaps"],
        }
    ]
    plugin = make(webhook(rules=rules, objectSelector={"matchLabels": {"guarded": "yes"}}))
    assert plugin.admit(write(CONFIGMAPS, "UPDATE"), "UPDATE", body(), body()) == body()
    with pytest.raises(ApiError):
        plugin.admit(write(CONFIGMAPS, "UPDATE"), "UPDATE", body(), body({"guarded": "yes"}))


def test_webhook_configurations_are_exempt() -> None:
    rules = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}]
    plugin = make(webhook(rules=rules))
    assert plugin.admit(write(VALIDATING, "DELETE"), "DELETE", None, configuration()) is None
