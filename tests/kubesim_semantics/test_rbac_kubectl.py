"""RBAC seen through the real kubectl v1.35.2 with a ServiceAccount token kubeconfig.

Covers `kubectl auth can-i` yes and no (SelfSubjectAccessReview), rules
limited by resourceNames (a named get allowed, a plain list refused with the
real 403 message, `kubectl wait --for=delete` allowed because its list and
watch carry fieldSelector=metadata.name), and the cluster-scope message.
The rules follow https://kubernetes.io/docs/reference/access-authn-authz/rbac/
("Referring to resources": resourceNames do not restrict list, watch, create
or deletecollection, except list and watch limited by a metadata.name field
selector), `kubectl auth can-i --list` (SelfSubjectRulesReview), and
SelfSubjectAccessReview and SubjectAccessReview posted as JSON over HTTPS, as
the Python client sends them. Rule matching in detail: test_rbac_rules.py.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.kubesim.rbac import service_account_user
from tests.kubesim_semantics.helpers import apply, run_tool

SETUP = """
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: robot, namespace: ops}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [settings]
  verbs: [get, list, watch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: robot}
subjects: [{kind: ServiceAccount, name: robot, namespace: ops}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ops}
data: {mode: strict}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: ops}
"""
ROBOT = 'User "system:serviceaccount:ops:robot"'


@pytest.fixture
def robot(kubesim: Any, kubectl_bin: Path, tmp_path: Path) -> Path:
    apply(kubectl_bin, kubesim.env(), SETUP)
    return Path(
        kubesim.write_kubeconfig(
            tmp_path / "robot.kubeconfig", service_account_user("ops", "robot")
        )
    )


def test_can_i_says_yes_for_granted_verb(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(
        kubectl_bin,
        "auth",
        "can-i",
        "list",
        "pods",
        "-n",
        "ops",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "yes"


def test_can_i_says_no_for_other_verb(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(
        kubectl_bin,
        "auth",
        "can-i",
        "delete",
        "pods",
        "-n",
        "ops",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == "no"


def test_can_i_honours_resource_names(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    allowed = run_tool(
        kubectl_bin,
        "auth",
        "can-i",
        "get",
        "configmaps/settings",
        "-n",
        "ops",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    denied = run_tool(
        kubectl_bin,
        "auth",
        "can-i",
        "get",
        "configmaps/other",
        "-n",
        "ops",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    assert allowed.stdout.strip() == "yes", allowed.stderr
    assert denied.stdout.strip() == "no", denied.stderr


def test_named_get_allowed_by_resource_names(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(
        kubectl_bin,
        "get",
        "configmap",
        "settings",
        "-n",
        "ops",
        "-o",
        "jsonpath={.data.mode}",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "strict"


def test_plain_list_forbidden_with_real_message(
    kubesim: Any, kubectl_bin: Path, robot: Path
) -> None:
    result = run_tool(
        kubectl_bin, "get", "configmaps", "-n", "ops", env=kubesim.env(), kubeconfig=robot
    )
    assert result.returncode == 1
    expected = f'Error from server (Forbidden): configmaps is forbidden: {ROBOT} cannot list resource "configmaps" in API group "" in the namespace "ops"'
    assert expected in result.stderr


def test_named_get_of_other_object_forbidden(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(
        kubectl_bin, "get", "configmap", "other", "-n", "ops", env=kubesim.env(), kubeconfig=robot
    )
    assert (
        f'configmaps "other" is forbidden: {ROBOT} cannot get resource "configmaps" in API group "" in the namespace "ops"'
        in result.stderr
    )


def test_cluster_scope_forbidden_message(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(kubectl_bin, "get", "nodes", env=kubesim.env(), kubeconfig=robot)
    assert (
        f'nodes is forbidden: {ROBOT} cannot list resource "nodes" in API group "" at the cluster scope'
        in result.stderr
    )


def test_wait_for_delete_uses_field_selector(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    # kubectl wait lists and watches with fieldSelector=metadata.name=settings, which
    # resourceNames may grant; the admin deletes the object while the robot waits.
    def delete_later() -> None:
        time.sleep(1)
        run_tool(kubectl_bin, "delete", "configmap", "settings", "-n", "ops", env=kubesim.env())

    deleter = threading.Thread(target=delete_later)
    deleter.start()
    result = run_tool(
        kubectl_bin,
        "wait",
        "--for=delete",
        "configmap/settings",
        "-n",
        "ops",
        "--timeout=15s",
        env=kubesim.env(),
        kubeconfig=robot,
    )
    deleter.join()
    assert result.returncode == 0, result.stderr
    assert "forbidden" not in result.stderr


def post_json(kubesim: Any, token: str, plural: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """POST a review to authorization.k8s.io/v1 as JSON, as the Python kubernetes client does."""
    context = ssl.create_default_context(cadata=kubesim.cluster.ca_pem)
    request = urllib.request.Request(
        f"{kubesim.url}/apis/authorization.k8s.io/v1/{plural}",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        assert response.status == 201
        answer: Dict[str, Any] = json.loads(response.read())
    return answer


def post_review(kubesim: Any, token: str, attributes: Dict[str, str]) -> Dict[str, Any]:
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }
    return post_json(kubesim, token, "selfsubjectaccessreviews", body)


def test_review_over_json_answers_per_user(kubesim: Any, kubectl_bin: Path) -> None:
    apply(kubectl_bin, kubesim.env(), SETUP)
    token = kubesim.token_for(service_account_user("ops", "robot"))
    granted = post_review(
        kubesim,
        token,
        {"namespace": "ops", "verb": "get", "resource": "configmaps", "name": "settings"},
    )
    refused = post_review(
        kubesim, token, {"namespace": "ops", "verb": "list", "resource": "configmaps"}
    )
    assert granted["status"]["allowed"] is True
    assert refused["status"]["allowed"] is False
    assert granted["kind"] == "SelfSubjectAccessReview"


def test_can_i_list_shows_bound_rules(kubesim: Any, kubectl_bin: Path, robot: Path) -> None:
    result = run_tool(
        kubectl_bin, "auth", "can-i", "--list", "-n", "ops", env=kubesim.env(), kubeconfig=robot
    )
    assert result.returncode == 0, result.stderr
    rows = {" ".join(line.split()) for line in result.stdout.splitlines()}
    assert "configmaps [] [settings] [get list watch delete]" in rows
    assert "pods [] [] [get list]" in rows
    assert not any(row.startswith("nodes ") for row in rows)


def test_subject_access_review_for_other_user(kubesim: Any, kubectl_bin: Path) -> None:
    apply(kubectl_bin, kubesim.env(), SETUP)
    admin_token = kubesim.cluster.admin_token
    robot_user = service_account_user("ops", "robot")
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": robot_user.username,
            "groups": list(robot_user.groups),
            "resourceAttributes": {"namespace": "ops", "verb": "list", "resource": "pods"},
        },
    }
    granted = post_json(kubesim, admin_token, "subjectaccessreviews", body)
    body["spec"]["resourceAttributes"]["verb"] = "delete"
    refused = post_json(kubesim, admin_token, "subjectaccessreviews", body)
    assert granted["status"]["allowed"] is True
    assert refused["status"]["allowed"] is False
