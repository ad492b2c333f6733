"""Namespace and CRD finalization seen through the real kubectl v1.35.2.

Covers a namespace stuck Terminating with the namespace controller's real
conditions while a ClusterOperator keeps its finalizer, creates in it
rejected by namespace lifecycle admission, and the namespace going away
(`kubectl wait --for=delete`) once the finalizer is removed; and a CRD left
Terminating (finalizer customresourcecleanup.apiextensions.k8s.io) while one
of its objects keeps a finalizer, then gone from the API and discovery.
Condition texts follow pkg/controller/namespace/deletion and the
apiextensions finalizer controller in kubernetes/kubernetes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

from tests.kubesim_semantics.helpers import apply, eventually, run_tool

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusteroperators.gpu.metax-tech.com}
spec:
  group: gpu.metax-tech.com
  scope: Namespaced
  names: {plural: clusteroperators, singular: clusteroperator, kind: ClusterOperator, listKind: ClusterOperatorList}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""

CONTENT = """
apiVersion: v1
kind: Namespace
metadata: {name: metax-operator}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: metax-operator}
---
apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata:
  name: cluster-operator
  namespace: metax-operator
  finalizers: [gpu.metax-tech.com]
spec: {cluster: {type: k8s}}
"""

REMOVE_FINALIZERS = '[{"op": "remove", "path": "/metadata/finalizers"}]'


def get_json(kubectl: Path, env: Dict[str, str], *args: str) -> Dict[str, Any]:
    result = run_tool(kubectl, "get", *args, "-o", "json", env=env)
    assert result.returncode == 0, result.stderr
    parsed: Dict[str, Any] = json.loads(result.stdout)
    return parsed


def conditions(obj: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def install(kubectl: Path, env: Dict[str, str]) -> None:
    apply(kubectl, env, CRD)
    eventually(
        lambda: run_tool(kubectl, "get", "clusteroperators", "-A", env=env).returncode == 0,
        what="CRD served",
    )
    apply(kubectl, env, CONTENT)


def test_namespace_stuck_while_finalizer_remains(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    install(kubectl_bin, env)
    deleted = run_tool(
        kubectl_bin, "delete", "namespace", "metax-operator", "--wait=false", env=env
    )
    assert deleted.returncode == 0, deleted.stderr

    def stuck() -> Dict[str, Any]:
        namespace = get_json(kubectl_bin, env, "namespace", "metax-operator")
        return namespace if "NamespaceFinalizersRemaining" in conditions(namespace) else {}

    namespace = eventually(stuck, what="namespace conditions")
    found = conditions(namespace)
    assert namespace["status"]["phase"] == "Terminating"
    assert namespace["metadata"].get("deletionTimestamp")
    assert found["NamespaceFinalizersRemaining"]["status"] == "True"
    assert found["NamespaceFinalizersRemaining"]["reason"] == "SomeFinalizersRemain"
    assert (
        found["NamespaceFinalizersRemaining"]["message"]
        == "Some content in the namespace has finalizers remaining: gpu.metax-tech.com in 1 resource instances"
    )
    assert (
        found["NamespaceContentRemaining"]["message"]
        == "Some resources are remaining: clusteroperators.gpu.metax-tech.com has 1 resource instances"
    )
    assert found["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    assert found["NamespaceDeletionGroupVersionParsingFailure"]["status"] == "False"
    assert found["NamespaceDeletionContentFailure"]["reason"] == "ContentDeleted"
    assert kubesim.get("v1", "ConfigMap", "metax-operator", "plain") is None


def test_terminating_namespace_rejects_creates(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    install(kubectl_bin, env)
    run_tool(kubectl_bin, "delete", "namespace", "metax-operator", "--wait=false", env=env)
    late = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: metax-operator}\n"
    result = run_tool(kubectl_bin, "create", "-f", "-", env=env, stdin=late)
    assert result.returncode == 1
    expected = 'Error from server (Forbidden): error when creating "STDIN": configmaps "late" is forbidden: unable to create new content in namespace metax-operator because it is being terminated'
    assert expected in result.stderr


def test_namespace_goes_once_finalizer_removed(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    install(kubectl_bin, env)
    run_tool(kubectl_bin, "delete", "namespace", "metax-operator", "--wait=false", env=env)
    eventually(
        lambda: (
            "NamespaceFinalizersRemaining"
            in conditions(get_json(kubectl_bin, env, "namespace", "metax-operator"))
        ),
        what="namespace conditions",
    )
    patched = run_tool(
        kubectl_bin,
        "patch",
        "clusteroperator",
        "cluster-operator",
        "-n",
        "metax-operator",
        "--type",
        "json",
        "-p",
        REMOVE_FINALIZERS,
        env=env,
    )
    assert patched.returncode == 0, patched.stderr
    waited = run_tool(
        kubectl_bin, "wait", "--for=delete", "namespace/metax-operator", "--timeout=30s", env=env
    )
    assert waited.returncode == 0, waited.stderr
    assert kubesim.get("v1", "Namespace", "", "metax-operator") is None


def test_crd_terminating_while_object_has_finalizer(kubesim: Any, kubectl_bin: Path) -> None:
    env = kubesim.env()
    install(kubectl_bin, env)
    deleted = run_tool(
        kubectl_bin, "delete", "crd", "clusteroperators.gpu.metax-tech.com", "--wait=false", env=env
    )
    assert deleted.returncode == 0, deleted.stderr

    def terminating() -> Dict[str, Any]:
        crd = get_json(kubectl_bin, env, "crd", "clusteroperators.gpu.metax-tech.com")
        return (
            crd
            if conditions(crd).get("Terminating", {}).get("reason") == "InstanceDeletionInProgress"
            else {}
        )

    crd = eventually(terminating, what="CRD Terminating")
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"]
    assert conditions(crd)["Terminating"]["status"] == "True"
    stuck = get_json(
        kubectl_bin, env, "clusteroperator", "cluster-operator", "-n", "metax-operator"
    )
    assert stuck["metadata"].get("deletionTimestamp")

    patched = run_tool(
        kubectl_bin,
        "patch",
        "clusteroperator",
        "cluster-operator",
        "-n",
        "metax-operator",
        "--type",
        "json",
        "-p",
        REMOVE_FINALIZERS,
        env=env,
    )
    assert patched.returncode == 0, patched.stderr
    waited = run_tool(
        kubectl_bin,
        "wait",
        "--for=delete",
        "crd/clusteroperators.gpu.metax-tech.com",
        "--timeout=30s",
        env=env,
    )
    assert waited.returncode == 0, waited.stderr
    resources = run_tool(
        kubectl_bin, "api-resources", "--api-group=gpu.metax-tech.com", "-o", "name", env=env
    )
    assert "clusteroperators" not in resources.stdout
