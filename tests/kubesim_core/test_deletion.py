"""Deletion semantics: finalizers, preconditions, propagation policies, namespaces, CRDs.

Covers: delete of an object without finalizers (Status Success), with
finalizers (deletionTimestamp, deletionGracePeriodSeconds 0, 200 with the
object), completion when the last finalizer is removed (by update and by
patch), no new finalizers on an object being deleted (422), uid and
resourceVersion preconditions (409 with kube-apiserver's message), the
Foreground and Orphan finalizers, deletecollection, namespaces going
Terminating, and the system delete of contract.Cluster. Leaves out: the
controllers that remove finalizers (the semantics plug-ins).

Sources: https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/,
https://kubernetes.io/docs/concepts/architecture/garbage-collection/,
k8s.io/apimachinery/pkg/api/validation/objectmeta.go (ValidateObjectMetaUpdate),
k8s.io/apiserver/pkg/storage/etcd3/store.go (precondition messages).
"""

from __future__ import annotations

from tests.kubesim_core.client import CM, Api, configmap


def test_delete_without_finalizers_removes(bare):
    api = Api(bare)
    uid = api.post(CM, configmap("gone")).body["metadata"]["uid"]
    answer = api.delete(f"{CM}/gone")
    assert answer.code == 200
    assert answer.body["status"] == "Success"
    assert answer.body["details"]["uid"] == uid
    assert api.get(f"{CM}/gone").code == 404


def test_delete_with_finalizer_marks_object(bare):
    api = Api(bare)
    api.post(CM, configmap("held", finalizers=["example.com/hold"]))
    answer = api.delete(f"{CM}/held")
    assert answer.code == 200
    assert answer.body["kind"] == "ConfigMap"
    assert answer.body["metadata"]["deletionTimestamp"]
    assert answer.body["metadata"]["deletionGracePeriodSeconds"] == 0
    stored = api.get(f"{CM}/held").body
    assert stored["metadata"]["finalizers"] == ["example.com/hold"]


def test_removing_last_finalizer_completes_deletion(bare):
    api = Api(bare)
    api.post(CM, configmap("twice", finalizers=["a.example.com/x", "b.example.com/y"]))
    api.delete(f"{CM}/twice")
    one_left = api.patch(
        f"{CM}/twice", [{"op": "remove", "path": "/metadata/finalizers/0"}], "json"
    )
    assert one_left.code == 200
    assert api.get(f"{CM}/twice").code == 200
    current = api.get(f"{CM}/twice").body
    current["metadata"]["finalizers"] = []
    assert api.put(f"{CM}/twice", current).code == 200
    assert api.get(f"{CM}/twice").code == 404


def test_no_new_finalizers_while_deleting(bare):
    api = Api(bare)
    api.post(CM, configmap("closing", finalizers=["example.com/hold"]))
    api.delete(f"{CM}/closing")
    answer = api.patch(
        f"{CM}/closing",
        {"metadata": {"finalizers": ["example.com/hold", "example.com/late"]}},
        "merge",
    )
    assert answer.code == 422
    assert answer.body["reason"] == "Invalid"
    assert (
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is "
        'being deleted, found new finalizers []string{"example.com/late"}' in answer.body["message"]
    )


def test_uid_precondition_mismatch_is_conflict(bare):
    api = Api(bare)
    uid = api.post(CM, configmap("pre")).body["metadata"]["uid"]
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "not-the-uid"}}
    answer = api.delete(f"{CM}/pre", options)
    assert answer.code == 409
    assert answer.body["reason"] == "Conflict"
    assert (
        answer.body["message"]
        == 'Operation cannot be fulfilled on configmaps "pre": Precondition failed: '
        f"UID in precondition: not-the-uid, UID in object meta: {uid}"
    )
    assert api.get(f"{CM}/pre").code == 200


def test_resource_version_precondition_mismatch_is_conflict(bare):
    api = Api(bare)
    version = api.post(CM, configmap("rv")).body["metadata"]["resourceVersion"]
    answer = api.delete(f"{CM}/rv", {"preconditions": {"resourceVersion": "1"}})
    assert answer.code == 409
    assert answer.body["message"].endswith(
        "Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object "
        f"meta: {version}"
    )
    matching = api.delete(f"{CM}/rv", {"preconditions": {"resourceVersion": version}})
    assert matching.code == 200


def test_foreground_deletion_adds_finalizer(bare):
    api = Api(bare)
    api.post(CM, configmap("fg"))
    answer = api.delete(f"{CM}/fg?propagationPolicy=Foreground")
    assert answer.body["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert answer.body["metadata"]["deletionTimestamp"]


def test_orphan_deletion_adds_finalizer(bare):
    api = Api(bare)
    api.post(CM, configmap("orph"))
    answer = api.delete(f"{CM}/orph", {"propagationPolicy": "Orphan"})
    assert answer.body["metadata"]["finalizers"] == ["orphan"]


def test_bad_propagation_policy_is_invalid(bare):
    api = Api(bare)
    api.post(CM, configmap("bad-policy"))
    assert api.delete(f"{CM}/bad-policy?propagationPolicy=Sometimes").code == 422


def test_delete_collection_honours_selector(bare):
    api = Api(bare)
    for name, team in (("a", "red"), ("b", "red"), ("c", "blue")):
        api.post(CM, configmap(name, labels={"team": team}))
    answer = api.delete(f"{CM}?labelSelector=team%3Dred")
    assert answer.code == 200
    assert sorted(item["metadata"]["name"] for item in answer.body["items"]) == ["a", "b"]
    remaining = [item["metadata"]["name"] for item in api.get(CM).body["items"]]
    assert remaining == ["c"]


def test_namespace_delete_goes_terminating(bare):
    api = Api(bare)
    api.post(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}},
    )
    answer = api.delete("/api/v1/namespaces/doomed")
    assert answer.code == 200
    stored = api.get("/api/v1/namespaces/doomed").body
    assert stored["status"]["phase"] == "Terminating"
    assert stored["spec"]["finalizers"] == ["kubernetes"]
    finalized = dict(stored, spec={"finalizers": []})
    assert api.put("/api/v1/namespaces/doomed/finalize", finalized).code == 200
    assert api.get("/api/v1/namespaces/doomed").code == 404


def test_system_delete_follows_finalizers(bare):
    cluster = bare.cluster
    cluster.create(configmap("sys", finalizers=["example.com/hold"]))
    info = cluster.resource_for("v1", "ConfigMap")
    marked = cluster.delete(info, "default", "sys")
    assert marked["metadata"]["deletionTimestamp"]
    marked["metadata"]["finalizers"] = []
    cluster.update(marked)
    assert cluster.get(info, "default", "sys") is None
    assert cluster.delete(info, "default", "sys") is None


def test_crd_delete_waits_for_cleanup_finalizer(bare):
    api = Api(bare)
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "gadgets", "kind": "Gadget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }
    api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    path = "/apis/example.com/v1/namespaces/default/gadgets"
    api.post(path, {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})
    marked = api.delete(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com"
    ).body
    assert marked["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert any(c["type"] == "Terminating" for c in marked["status"]["conditions"])
    # Instances stay readable while the CRD terminates, but new ones are refused.
    assert api.get(f"{path}/g").code == 200
    assert (
        api.post(
            path, {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "h"}}
        ).code
        == 405
    )
