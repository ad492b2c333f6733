"""Helpers shared by the semantics tests: polling and small object builders."""

from __future__ import annotations

import time
from typing import Callable, Dict, List, Optional, TypeVar

T = TypeVar("T")

# Upper bound for waiting on a background controller; a bound, not a speed target.
WAIT_SECONDS = 20.0


def eventually(probe: Callable[[], Optional[T]], *, timeout: float = WAIT_SECONDS, what: str = "condition") -> T:
    """Poll probe until it returns something truthy; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def role(name: str, namespace: str, rules: List[Dict[str, object]]) -> Dict[str, object]:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": namespace}, "rules": rules}


def cluster_role(name: str, rules: List[Dict[str, object]], *, labels: Optional[Dict[str, str]] = None) -> Dict[str, object]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels or {}},
        "rules": rules,
    }


def binding(name: str, namespace: str, role_kind: str, role_name: str, subjects: List[Dict[str, str]]) -> Dict[str, object]:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    metadata: Dict[str, str] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": subjects,
    }


def namespace(name: str, labels: Optional[Dict[str, str]] = None) -> Dict[str, object]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}
