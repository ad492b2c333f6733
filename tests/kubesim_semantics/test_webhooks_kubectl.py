"""Validating webhooks seen through the real kubectl v1.35.2.

Covers a create blocked with kube-apiserver's text when the webhook's Service
is missing or has no endpoints, failurePolicy Ignore letting it pass, a live
webhook (Service with ready Endpoints) letting it pass, a live webhook that
denies (emulated through the kubesim.io/webhook-response annotation), and a
webhook that matches everything still letting its own configuration be
deleted: the docs of the `rules` field in k8s.io/api admissionregistration/v1
types.go say webhooks are never called for ValidatingWebhookConfiguration and
MutatingWebhookConfiguration objects. Matching details: test_webhook_rules.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.kubesim_semantics.helpers import apply, run_tool

NAMESPACES = """
apiVersion: v1
kind: Namespace
metadata: {name: apps, labels: {guarded: "yes"}}
---
apiVersion: v1
kind: Namespace
metadata: {name: hooks}
"""

CONFIGURATION = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
webhooks:
- name: cm.guard.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: %(policy)s
  clientConfig:
    service: {name: guard, namespace: hooks, path: /validate}
  namespaceSelector: {matchLabels: {guarded: "yes"}}
  rules:
  - operations: [%(operations)s]
    apiGroups: ["%(groups)s"]
    apiVersions: ["*"]
    resources: ["%(resources)s"]
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata:
  name: guard
  namespace: hooks
  annotations: {%(annotations)s}
spec:
  ports: [{port: 443, targetPort: 9443}]
"""

ENDPOINTS = """
apiVersion: v1
kind: Endpoints
metadata: {name: guard, namespace: hooks}
subsets:
- addresses: [{ip: 10.244.1.7}]
  ports: [{port: 9443}]
"""

CONFIG_MAP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
"""


def guard(
    kubectl: Path,
    env: Any,
    *,
    policy: str = "Fail",
    operations: str = "CREATE",
    groups: str = "",
    resources: str = "configmaps",
) -> None:
    apply(kubectl, env, NAMESPACES)
    apply(
        kubectl,
        env,
        CONFIGURATION
        % {"policy": policy, "operations": operations, "groups": groups, "resources": resources},
    )


def create_config_map(kubectl: Path, env: Any) -> Any:
    return run_tool(kubectl, "create", "-f", "-", env=env, stdin=CONFIG_MAP)


def test_missing_service_blocks_create(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env)
    result = create_config_map(kubectl_bin, env)
    assert result.returncode == 1
    expected = 'Error from server (InternalError): error when creating "STDIN": Internal error occurred: failed calling webhook "cm.guard.example.com": failed to call webhook: Post "https://guard.hooks.svc:443/validate?timeout=10s": service "guard" not found'
    assert expected in result.stderr
    assert kubesim.get("v1", "ConfigMap", "apps", "settings") is None


def test_service_without_endpoints_blocks_create(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env)
    apply(kubectl_bin, env, SERVICE % {"annotations": ""})
    result = create_config_map(kubectl_bin, env)
    assert 'no endpoints available for service "guard"' in result.stderr
    assert result.returncode == 1


def test_ignore_policy_lets_create_pass(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env, policy="Ignore")
    result = create_config_map(kubectl_bin, env)
    assert result.returncode == 0, result.stderr
    assert kubesim.get("v1", "ConfigMap", "apps", "settings") is not None


def test_live_webhook_lets_create_pass(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env)
    apply(kubectl_bin, env, SERVICE % {"annotations": ""})
    apply(kubectl_bin, env, ENDPOINTS)
    result = create_config_map(kubectl_bin, env)
    assert result.returncode == 0, result.stderr


def test_denying_webhook_blocks_with_its_message(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env)
    apply(
        kubectl_bin,
        env,
        SERVICE
        % {
            "annotations": 'kubesim.io/webhook-response: deny, kubesim.io/webhook-message: "frozen for upgrade"'
        },
    )
    apply(kubectl_bin, env, ENDPOINTS)
    result = create_config_map(kubectl_bin, env)
    assert (
        'admission webhook "cm.guard.example.com" denied the request: frozen for upgrade'
        in result.stderr
    )


def test_timing_out_webhook_blocks_create(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env)
    apply(kubectl_bin, env, SERVICE % {"annotations": "kubesim.io/webhook-response: timeout"})
    apply(kubectl_bin, env, ENDPOINTS)
    result = create_config_map(kubectl_bin, env)
    assert (
        'Post "https://guard.hooks.svc:443/validate?timeout=10s": context deadline exceeded'
        in result.stderr
    )


def test_configuration_deletable_while_blocking(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    guard(kubectl_bin, env, operations="'*'", groups="*", resources="*")
    blocked = create_config_map(kubectl_bin, env)
    assert "failed calling webhook" in blocked.stderr
    deleted = run_tool(kubectl_bin, "delete", "validatingwebhookconfiguration", "guard", env=env)
    assert deleted.returncode == 0, deleted.stderr
    assert create_config_map(kubectl_bin, env).returncode == 0
