"""Namespace lifecycle admission, in-process against the fake Cluster.

Covers creates rejected in a Terminating namespace (403, real message and
cause NamespaceTerminating), creates in a missing namespace (404), deletes
and updates still allowed while terminating, subresource creates passing,
and the immortal namespaces default, kube-system and kube-public. Follows
the NamespaceLifecycle admission plug-in described at
https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#namespacelifecycle.
Over HTTPS with kubectl: test_finalization_kubectl.py.
"""

from __future__ import annotations

import pytest

from tests.kubesim.contract import ApiError, RequestAttributes, ResourceInfo, UserInfo
from tests.kubesim.lifecycle import NamespaceLifecycle
from tests.kubesim_semantics.fake_cluster import FakeCluster
from tests.kubesim_semantics.helpers import namespace

ADMIN = UserInfo("kubesim-admin", ("system:masters",))
CONFIGMAPS = ResourceInfo("", "v1", "configmaps", "ConfigMap", namespaced=True)
NAMESPACES = ResourceInfo("", "v1", "namespaces", "Namespace", namespaced=False)
BODY = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": "old"}}


@pytest.fixture
def lifecycle() -> NamespaceLifecycle:
    cluster = FakeCluster()
    cluster.create(namespace("old"))
    cluster.create(namespace("live"))
    cluster.delete(NAMESPACES, "", "old")
    plugin = NamespaceLifecycle()
    plugin.start(cluster)
    return plugin


def write(verb: str, ns: str, *, name: str = "late", subresource: str = "") -> RequestAttributes:
    return RequestAttributes(
        user=ADMIN, verb=verb, resource=CONFIGMAPS, namespace=ns, name=name, subresource=subresource
    )


def test_create_in_terminating_namespace_forbidden(lifecycle: NamespaceLifecycle) -> None:
    with pytest.raises(ApiError) as caught:
        lifecycle.admit(write("create", "old", name=""), "CREATE", BODY, None)
    assert caught.value.code == 403
    assert (
        caught.value.message
        == 'configmaps "late" is forbidden: unable to create new content in namespace old because it is being terminated'
    )
    assert caught.value.details["causes"][0]["reason"] == "NamespaceTerminating"


def test_create_in_missing_namespace_not_found(lifecycle: NamespaceLifecycle) -> None:
    with pytest.raises(ApiError) as caught:
        lifecycle.admit(write("create", "nowhere"), "CREATE", BODY, None)
    assert caught.value.code == 404
    assert caught.value.message == 'namespaces "nowhere" not found'


def test_delete_in_terminating_namespace_allowed(lifecycle: NamespaceLifecycle) -> None:
    assert lifecycle.admit(write("delete", "old"), "DELETE", None, BODY) is None
    assert lifecycle.admit(write("update", "old"), "UPDATE", BODY, BODY) == BODY


def test_create_in_live_namespace_allowed(lifecycle: NamespaceLifecycle) -> None:
    assert lifecycle.admit(write("create", "live"), "CREATE", BODY, None) == BODY


def test_subresource_create_passes(lifecycle: NamespaceLifecycle) -> None:
    assert (
        lifecycle.admit(write("create", "old", subresource="token"), "CREATE", BODY, None) == BODY
    )


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_immortal_namespace_delete_forbidden(lifecycle: NamespaceLifecycle, name: str) -> None:
    attributes = RequestAttributes(user=ADMIN, verb="delete", resource=NAMESPACES, name=name)
    with pytest.raises(ApiError) as caught:
        lifecycle.admit(attributes, "DELETE", None, namespace(name))
    assert (
        caught.value.message
        == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    )
