"""Real kubectl (v1.35.2 and v1.32.3) against kubesim with every semantics plug-in.

Covers: get/list with -l selectors and -o json, `create -f` of a file with
several kinds, client-side and server-side `apply` (including a conflict and
--force-conflicts), `patch --type json` with a failing test op (non-zero exit
with the server's message), `patch --type merge`, `delete` of an object with
a finalizer (stays with deletionTimestamp) and `wait --for=delete` returning
once the finalizer is removed, `api-resources` listing a CRD's kind,
`create namespace` / `create configmap` (protobuf bodies, checked in the
stored objects), `--dry-run=server` storing nothing, and `get -w` seeing a
change. Leaves out: kubectl explain (no OpenAPI schemas to explain).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: shop, tier: backend}
data: {mode: fast}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
  labels: {app: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop, tier: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env: [{name: MODE, value: fast}]
      - name: sidecar
        image: busybox:1.36
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.tools.example.com}
spec:
  group: tools.example.com
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo, shortNames: [gz]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


@pytest.fixture(params=["kubectl_bin", "kubectl132_bin"])
def kubectl(request, kubesim):
    binary = request.getfixturevalue(request.param)
    env = kubesim.env()

    def run(*args, stdin=None, check=True, timeout=60):
        result = subprocess.run(
            [str(binary), *args],
            env=env,
            input=stdin,
            capture_output=True,
            check=False,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
        return result

    run.env = env
    run.binary = binary
    return run


def test_create_file_with_several_kinds(kubectl, kubesim):
    result = kubectl("create", "-f", "-", stdin=MANIFESTS)
    assert "configmap/settings created" in result.stdout
    assert "serviceaccount/shop created" in result.stdout
    assert "deployment.apps/shop created" in result.stdout
    assert kubesim.get("apps/v1", "Deployment", "default", "shop")["spec"]["replicas"] == 2


def test_get_with_selector_as_json(kubectl):
    kubectl("create", "-f", "-", stdin=MANIFESTS)
    listed = json.loads(kubectl("get", "cm,sa,deploy", "-l", "app=shop,tier", "-o", "json").stdout)
    assert sorted(item["metadata"]["name"] + "/" + item["kind"] for item in listed["items"]) == [
        "settings/ConfigMap",
        "shop/Deployment",
    ]
    frontend = kubectl("get", "deploy", "-l", "tier in (frontend)", "-o", "name").stdout.split()
    assert frontend == ["deployment.apps/shop"]


def test_client_side_apply_updates_by_merge_key(kubectl, kubesim):
    kubectl("apply", "-f", "-", stdin=MANIFESTS)
    changed = MANIFESTS.replace("nginx:1.27", "nginx:1.28").replace(
        "      - name: sidecar\n        image: busybox:1.36\n", ""
    )
    result = kubectl("apply", "-f", "-", stdin=changed)
    assert "deployment.apps/shop configured" in result.stdout
    assert "configmap/settings unchanged" in result.stdout
    deployment = kubesim.get("apps/v1", "Deployment", "default", "shop")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("web", "nginx:1.28")]
    assert deployment["metadata"]["generation"] == 2
    assert (
        "kubectl.kubernetes.io/last-applied-configuration" in deployment["metadata"]["annotations"]
    )


def test_server_side_apply_conflict_then_force(kubectl, kubesim):
    kubectl("apply", "-f", "-", stdin=MANIFESTS)
    scaled = MANIFESTS.replace("replicas: 2", "replicas: 5")
    refused = kubectl("apply", "--server-side", "-f", "-", stdin=scaled, check=False)
    assert refused.returncode != 0
    assert 'conflict with "kubectl-client-side-apply"' in refused.stderr
    assert ".spec.replicas" in refused.stderr
    kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=scaled)
    deployment = kubesim.get("apps/v1", "Deployment", "default", "shop")
    assert deployment["spec"]["replicas"] == 5
    assert "kubectl" in {entry["manager"] for entry in deployment["metadata"]["managedFields"]}


def test_json_patch_failing_test_exits_nonzero(kubectl, kubesim):
    kubectl("create", "configmap", "guarded", "--from-literal=state=open")
    patch = (
        '[{"op":"test","path":"/data/state","value":"closed"},'
        '{"op":"replace","path":"/data/state","value":"x"}]'
    )
    result = kubectl("patch", "configmap", "guarded", "--type", "json", "-p", patch, check=False)
    assert result.returncode != 0
    assert "testing value /data/state failed: test failed" in result.stderr
    assert kubesim.get("v1", "ConfigMap", "default", "guarded")["data"] == {"state": "open"}


def test_merge_patch(kubectl, kubesim):
    kubectl("create", "configmap", "mergeable", "--from-literal=a=1")
    kubectl(
        "patch", "configmap", "mergeable", "--type", "merge", "-p", '{"data":{"a":null,"b":"2"}}'
    )
    assert kubesim.get("v1", "ConfigMap", "default", "mergeable")["data"] == {"b": "2"}


def test_delete_waits_for_finalizer(kubectl, kubesim):
    kubectl("create", "configmap", "held", "--from-literal=a=1")
    kubectl(
        "patch",
        "configmap",
        "held",
        "--type",
        "merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    kubectl("delete", "configmap", "held", "--wait=false")
    marked = kubesim.get("v1", "ConfigMap", "default", "held")
    assert marked["metadata"]["deletionTimestamp"]

    def release():
        time.sleep(1)
        kubectl(
            "patch",
            "configmap",
            "held",
            "--type",
            "json",
            "-p",
            '[{"op":"remove","path":"/metadata/finalizers"}]',
        )

    releaser = threading.Thread(target=release)
    releaser.start()
    result = kubectl("wait", "--for=delete", "configmap/held", "--timeout=60s")
    releaser.join()
    assert "condition met" in result.stdout
    assert kubesim.get("v1", "ConfigMap", "default", "held") is None


def test_api_resources_lists_established_crd(kubectl):
    before = kubectl("api-resources", "--api-group=tools.example.com", "-o", "name").stdout.split()
    assert before == []
    kubectl("create", "-f", "-", stdin=CRD)
    after = kubectl("api-resources", "--api-group=tools.example.com").stdout
    assert "gizmos" in after
    assert "Gizmo" in after
    assert "gz" in after
    kubectl(
        "create",
        "-f",
        "-",
        stdin="apiVersion: tools.example.com/v1\nkind: Gizmo\nmetadata: {name: g1}\nspec: {n: 1}\n",
    )
    assert kubectl("get", "gz", "-o", "name").stdout.split() == ["gizmo.tools.example.com/g1"]


def test_create_namespace_and_configmap_send_protobuf(kubectl, kubesim):
    kubectl("create", "namespace", "team-a")
    kubectl("create", "configmap", "cfg", "-n", "team-a", "--from-literal=k=v")
    namespace = kubesim.get("v1", "Namespace", "", "team-a")
    assert namespace["status"]["phase"] == "Active"
    assert "generateName" not in namespace["metadata"]
    assert kubesim.get("v1", "ConfigMap", "team-a", "cfg")["data"] == {"k": "v"}


def test_server_dry_run_stores_nothing(kubectl, kubesim):
    result = kubectl("create", "-f", "-", "--dry-run=server", stdin=MANIFESTS)
    assert "(server dry run)" in result.stdout
    assert kubesim.get("apps/v1", "Deployment", "default", "shop") is None
    dry_runs = [e for e in kubesim.audit if e.verb == "create" and e.dry_run]
    assert len(dry_runs) == 3


def test_get_watch_sees_change(kubectl):
    kubectl("create", "configmap", "watched", "--from-literal=a=1")
    process = subprocess.Popen(
        [str(kubectl.binary), "get", "configmaps", "-w", "--request-timeout=6s", "-o", "name"],
        env=kubectl.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)  # let the watch start; a later create is still seen if it is slower
        kubectl("label", "configmap", "watched", "seen=yes")
        out, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    # Once from the initial list, once more from the MODIFIED event.
    assert out.split().count("configmap/watched") == 2


def test_create_rbac_objects_send_protobuf(kubectl, kubesim):
    kubectl(
        "create",
        "role",
        "reader",
        "--verb=get,list",
        "--resource=configmaps",
        "--resource-name=settings",
    )
    kubectl(
        "create",
        "rolebinding",
        "reader",
        "--role=reader",
        "--user=alice",
        "--serviceaccount=default:runner",
    )
    role = kubesim.get("rbac.authorization.k8s.io/v1", "Role", "default", "reader")
    assert role["rules"] == [
        {
            "verbs": ["get", "list"],
            "apiGroups": [""],
            "resources": ["configmaps"],
            "resourceNames": ["settings"],
        }
    ]
    binding = kubesim.get("rbac.authorization.k8s.io/v1", "RoleBinding", "default", "reader")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "reader",
    }
    subjects = sorted((s["kind"], s["name"], s.get("namespace", "")) for s in binding["subjects"])
    assert subjects == [("ServiceAccount", "runner", "default"), ("User", "alice", "")]


def test_auth_can_i_sends_protobuf_review(kubectl, kubesim):
    result = kubectl("auth", "can-i", "delete", "deployments.apps/web", "-n", "default")
    assert result.stdout.strip() == "yes"
    reviews = [e for e in kubesim.audit if e.resource == "selfsubjectaccessreviews"]
    assert [(e.verb, e.code) for e in reviews] == [("create", 201)]
