"""Helpers shared by the semantics tests: polling and small object builders."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, TypeVar

T = TypeVar("T")

# Upper bound for waiting on a background controller; a bound, not a speed target.
WAIT_SECONDS = 20.0


def eventually(
    probe: Callable[[], Optional[T]], *, timeout: float = WAIT_SECONDS, what: str = "condition"
) -> T:
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
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": namespace},
        "rules": rules,
    }


def cluster_role(
    name: str, rules: List[Dict[str, object]], *, labels: Optional[Dict[str, str]] = None
) -> Dict[str, object]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels or {}},
        "rules": rules,
    }


def binding(
    name: str, namespace: str, role_kind: str, role_name: str, subjects: List[Dict[str, str]]
) -> Dict[str, object]:
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
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels or {}},
    }


# Bound on one kubectl or helm run; a hang fails the test instead of the session.
COMMAND_TIMEOUT_SECONDS = 120


def run_tool(
    binary: Path,
    *args: str,
    env: Dict[str, str],
    kubeconfig: Optional[Path] = None,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """Run kubectl or helm against a kubesim; kubeconfig overrides the admin one in env."""
    environment = dict(env)
    if kubeconfig is not None:
        environment["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [str(binary), *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


def apply(kubectl: Path, env: Dict[str, str], manifest: str) -> None:
    """Apply a manifest as the admin; fail the test with kubectl's output when it fails."""
    result = run_tool(kubectl, "apply", "-f", "-", env=env, stdin=manifest)
    assert result.returncode == 0, result.stderr
