"""Owner-reference cascades seen through the real kubectl v1.35.2.

Covers `kubectl delete --cascade=background` (dependents deleted after the
owner), `--cascade=foreground` (the owner waits with the foregroundDeletion
finalizer while a blocking dependent remains), `--cascade=orphan`
(dependents kept, their ownerReferences removed), and a Deployment taking
its ReplicaSet and Pods with it under the workloads actor. Behaviour as in
https://kubernetes.io/docs/concepts/architecture/garbage-collection/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from tests.kubesim.contract import ResourceInfo
from tests.kubesim_semantics.helpers import apply, eventually, run_tool

OWNER = """
apiVersion: v1
kind: Namespace
metadata: {name: gc}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: owner, namespace: gc}
"""

DEPENDENT = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: %(name)s
  namespace: gc
  finalizers: %(finalizers)s
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: "%(uid)s", blockOwnerDeletion: true}
"""


def with_dependents(
    kubesim: Any, kubectl: Path, env: Dict[str, str], *, finalizers: str = "[]"
) -> None:
    apply(kubectl, env, OWNER)
    owner = kubesim.get("v1", "ConfigMap", "gc", "owner")
    for name in ("child-a", "child-b"):
        apply(
            kubectl,
            env,
            DEPENDENT % {"name": name, "uid": owner["metadata"]["uid"], "finalizers": finalizers},
        )


def test_background_cascade_deletes_dependents(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    with_dependents(kubesim, kubectl_bin, env)
    result = run_tool(
        kubectl_bin, "delete", "configmap", "owner", "-n", "gc", "--cascade=background", env=env
    )
    assert result.returncode == 0, result.stderr
    eventually(
        lambda: (
            kubesim.get("v1", "ConfigMap", "gc", "child-a") is None
            and kubesim.get("v1", "ConfigMap", "gc", "child-b") is None
        ),
        what="dependents deleted",
    )


def test_foreground_owner_waits_for_blocking_dependent(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    with_dependents(kubesim, kubectl_bin, env, finalizers="[example.com/hold]")
    result = run_tool(
        kubectl_bin,
        "delete",
        "configmap",
        "owner",
        "-n",
        "gc",
        "--cascade=foreground",
        "--wait=false",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    eventually(
        lambda: (
            (kubesim.get("v1", "ConfigMap", "gc", "child-a") or {})
            .get("metadata", {})
            .get("deletionTimestamp")
        ),
        what="dependent marked for deletion",
    )
    owner = kubesim.get("v1", "ConfigMap", "gc", "owner")
    assert owner is not None
    assert "foregroundDeletion" in owner["metadata"]["finalizers"]

    release = '[{"op": "remove", "path": "/metadata/finalizers"}]'
    for name in ("child-a", "child-b"):
        patched = run_tool(
            kubectl_bin,
            "patch",
            "configmap",
            name,
            "-n",
            "gc",
            "--type",
            "json",
            "-p",
            release,
            env=env,
        )
        assert patched.returncode == 0, patched.stderr
    waited = run_tool(
        kubectl_bin, "wait", "--for=delete", "configmap/owner", "-n", "gc", "--timeout=30s", env=env
    )
    assert waited.returncode == 0, waited.stderr


def test_orphan_cascade_keeps_dependents(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    with_dependents(kubesim, kubectl_bin, env)
    result = run_tool(
        kubectl_bin, "delete", "configmap", "owner", "-n", "gc", "--cascade=orphan", env=env
    )
    assert result.returncode == 0, result.stderr
    eventually(lambda: kubesim.get("v1", "ConfigMap", "gc", "owner") is None, what="owner deleted")
    child = eventually(
        lambda: (lambda c: c if c and not c["metadata"].get("ownerReferences") else None)(
            kubesim.get("v1", "ConfigMap", "gc", "child-a")
        ),
        what="ownerReferences removed",
    )
    assert child["metadata"]["name"] == "child-a"


def test_deployment_takes_pods_along(kubesim_factory: Any, kubectl_bin: Path) -> None:
    sim = kubesim_factory(actors=("workloads",))
    env = sim.env()
    apply(
        kubectl_bin,
        env,
        """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
""",
    )
    rolled = run_tool(kubectl_bin, "rollout", "status", "deployment/web", "--timeout=30s", env=env)
    assert rolled.returncode == 0, rolled.stderr
    pods = ResourceInfo("", "v1", "pods", "Pod", namespaced=True)
    assert len(sim.cluster.list(pods, "default")) == 2
    deleted = run_tool(kubectl_bin, "delete", "deployment", "web", env=env)
    assert deleted.returncode == 0, deleted.stderr
    eventually(lambda: not sim.cluster.list(pods, "default"), what="pods collected")
    listed = json.loads(run_tool(kubectl_bin, "get", "replicasets", "-o", "json", env=env).stdout)
    assert listed["items"] == []
