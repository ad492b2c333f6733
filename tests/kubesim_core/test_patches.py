"""Patches: JSON patch, merge patch, strategic merge patch and server-side apply.

Covers: RFC 6902 operations and a failing `test` (422 Invalid as
kube-apiserver's patch handler builds it), RFC 7386 null deletion and list
replacement, strategic merge by merge key (containers, env, ports), the
`$patch: delete`, `$setElementOrder` and `$deleteFromPrimitiveList`
directives, finalizers merged as a set, 415 for a strategic merge patch on a
custom resource and for an unknown patch type, resourceVersion in a patch as
a precondition, and server-side apply (create, conflicts, force, removal of
fields no longer applied, managedFields). Leaves out: CRD list-map keys
(the emulator only knows the built-in merge keys).

Sources: https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/,
https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md,
https://kubernetes.io/docs/reference/using-api/server-side-apply/,
k8s.io/apiserver/pkg/endpoints/handlers/patch.go (JSON patch errors).
"""

from __future__ import annotations

from tests.kubesim_core.client import CM, DEPLOY, Api, configmap, deployment


def test_json_patch_applies_operations(bare):
    api = Api(bare)
    api.post(CM, configmap("jp", data={"a": "1", "b": "2"}))
    ops = [
        {"op": "replace", "path": "/data/a", "value": "10"},
        {"op": "remove", "path": "/data/b"},
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
    ]
    patched = api.patch(f"{CM}/jp", ops, "json").body
    assert patched["data"] == {"a": "10"}
    assert patched["metadata"]["labels"] == {"x": "y"}


def test_json_patch_failed_test_is_invalid(bare):
    api = Api(bare)
    api.post(CM, configmap("guarded", data={"a": "1"}))
    ops = [
        {"op": "test", "path": "/data/a", "value": "2"},
        {"op": "replace", "path": "/data/a", "value": "3"},
    ]
    answer = api.patch(f"{CM}/guarded", ops, "json")
    assert answer.code == 422
    assert answer.body["reason"] == "Invalid"
    assert (
        answer.body["message"] == "the server rejected our request due to an error in our request"
    )
    assert answer.body["details"]["causes"] == [
        {"type": "UnexpectedServerResponse", "message": "testing value /data/a failed: test failed"}
    ]
    assert api.get(f"{CM}/guarded").body["data"] == {"a": "1"}


def test_json_patch_missing_path_is_invalid(bare):
    api = Api(bare)
    api.post(CM, configmap("holes"))
    answer = api.patch(f"{CM}/holes", [{"op": "remove", "path": "/metadata/finalizers"}], "json")
    assert answer.code == 422
    assert "missing" in answer.body["details"]["causes"][0]["message"]


def test_json_patch_on_missing_object_is_not_found(bare):
    answer = Api(bare).patch(
        f"{CM}/nobody", [{"op": "add", "path": "/data/x", "value": "1"}], "json"
    )
    assert answer.code == 404


def test_merge_patch_null_deletes_and_lists_replace(bare):
    api = Api(bare)
    api.post(
        CM,
        configmap(
            "mp", data={"a": "1", "b": "2"}, finalizers=["x.example.com/a", "x.example.com/b"]
        ),
    )
    patched = api.patch(
        f"{CM}/mp",
        {"data": {"a": None, "c": "3"}, "metadata": {"finalizers": ["x.example.com/c"]}},
        "merge",
    ).body
    assert patched["data"] == {"b": "2", "c": "3"}
    assert patched["metadata"]["finalizers"] == ["x.example.com/c"]


def test_patch_with_stale_resource_version_conflicts(bare):
    api = Api(bare)
    api.post(CM, configmap("lock"))
    answer = api.patch(
        f"{CM}/lock", {"metadata": {"resourceVersion": "1"}, "data": {"k": "v"}}, "merge"
    )
    assert answer.code == 409
    assert answer.body["reason"] == "Conflict"


def test_strategic_merge_by_container_name(bare):
    api = Api(bare)
    containers = [
        {
            "name": "web",
            "image": "nginx:1",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80}],
        },
        {"name": "side", "image": "busybox"},
    ]
    api.post(DEPLOY, deployment("smp", containers=containers))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:2",
                            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
                            "ports": [{"containerPort": 443}],
                        },
                    ]
                }
            }
        }
    }
    patched = api.patch(f"{DEPLOY}/smp", patch, "strategic").body
    web, side = patched["spec"]["template"]["spec"]["containers"]
    assert web["image"] == "nginx:2"
    assert web["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "20"},
        {"name": "C", "value": "3"},
    ]
    assert [p["containerPort"] for p in web["ports"]] == [80, 443]
    assert side == {"name": "side", "image": "busybox"}
    assert patched["metadata"]["generation"] == 2


def test_strategic_merge_directives(bare):
    api = Api(bare)
    containers = [
        {"name": "a", "image": "x"},
        {"name": "b", "image": "y"},
        {"name": "c", "image": "z"},
    ]
    api.post(DEPLOY, deployment("dir", containers=containers))
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
                    "containers": [{"name": "b", "$patch": "delete"}],
                }
            }
        }
    }
    patched = api.patch(f"{DEPLOY}/dir", patch, "strategic").body
    assert [c["name"] for c in patched["spec"]["template"]["spec"]["containers"]] == ["c", "a"]


def test_strategic_merge_finalizers_are_a_set(bare):
    api = Api(bare)
    api.post(CM, configmap("fin", finalizers=["x.example.com/a"]))
    added = api.patch(
        f"{CM}/fin",
        {"metadata": {"finalizers": ["x.example.com/a", "x.example.com/b"]}},
        "strategic",
    ).body
    assert added["metadata"]["finalizers"] == ["x.example.com/a", "x.example.com/b"]
    removed = api.patch(
        f"{CM}/fin",
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x.example.com/a"]}},
        "strategic",
    ).body
    assert removed["metadata"]["finalizers"] == ["x.example.com/b"]


def test_strategic_merge_on_custom_resource_is_unsupported(bare):
    api = Api(bare)
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "things", "kind": "Thing"},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }
    api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    path = "/apis/example.com/v1/namespaces/default/things"
    api.post(
        path,
        {
            "apiVersion": "example.com/v1",
            "kind": "Thing",
            "metadata": {"name": "t"},
            "spec": {"n": 1},
        },
    )
    answer = api.patch(f"{path}/t", {"spec": {"n": 2}}, "strategic")
    assert answer.code == 415
    assert answer.body["reason"] == "UnsupportedMediaType"
    assert api.patch(f"{path}/t", {"spec": {"n": 2}}, "merge").body["spec"] == {"n": 2}


def test_unknown_patch_type_is_unsupported(bare):
    api = Api(bare)
    api.post(CM, configmap("ct"))
    answer = api.request("PATCH", f"{CM}/ct", {"data": {}}, content_type="text/plain")
    assert answer.code == 415


def test_apply_creates_and_records_manager(bare):
    api = Api(bare)
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa", "labels": {"by": "apply"}},
        "data": {"a": "1"},
    }
    created = api.patch(f"{CM}/ssa?fieldManager=tool-a", config, "apply")
    assert created.code == 201
    managers = {(e["manager"], e["operation"]) for e in created.body["metadata"]["managedFields"]}
    assert managers == {("tool-a", "Apply")}
    fields = created.body["metadata"]["managedFields"][0]["fieldsV1"]
    assert fields["f:data"] == {"f:a": {}}
    assert fields["f:metadata"]["f:labels"] == {"f:by": {}}


def test_apply_requires_field_manager(bare):
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "anon"}}
    assert Api(bare).patch(f"{CM}/anon", config, "apply").code == 400


def test_apply_conflict_and_force(bare):
    api = Api(bare)
    base = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "shared"},
        "data": {"a": "1"},
    }
    api.patch(f"{CM}/shared?fieldManager=tool-a", base, "apply")
    rival = dict(base, data={"a": "2"})
    clash = api.patch(f"{CM}/shared?fieldManager=tool-b", rival, "apply")
    assert clash.code == 409
    assert clash.body["reason"] == "Conflict"
    assert clash.body["message"] == 'Apply failed with 1 conflict: conflict with "tool-a": .data.a'
    assert clash.body["details"]["causes"][0]["type"] == "FieldManagerConflict"
    forced = api.patch(f"{CM}/shared?fieldManager=tool-b&force=true", rival, "apply")
    assert forced.code == 200
    assert forced.body["data"] == {"a": "2"}
    owners = [e["manager"] for e in forced.body["metadata"]["managedFields"]]
    assert owners == ["tool-b"]


def test_apply_same_value_is_shared_ownership(bare):
    api = Api(bare)
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "co"}, "data": {"a": "1"}}
    api.patch(f"{CM}/co?fieldManager=tool-a", base, "apply")
    assert api.patch(f"{CM}/co?fieldManager=tool-b", base, "apply").code == 200


def test_apply_removes_fields_no_longer_applied(bare):
    api = Api(bare)
    first = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "shrink"},
        "data": {"a": "1", "b": "2"},
    }
    api.patch(f"{CM}/shrink?fieldManager=tool-a", first, "apply")
    api.patch(f"{CM}/shrink", {"data": {"c": "3"}}, "merge")
    second = dict(first, data={"a": "1"})
    result = api.patch(f"{CM}/shrink?fieldManager=tool-a", second, "apply").body
    assert result["data"] == {"a": "1", "c": "3"}


def test_update_conflicts_with_later_apply(bare):
    api = Api(bare)
    api.post(DEPLOY + "?fieldManager=editor", deployment("owned", replicas=2))
    config = deployment("owned", replicas=5)
    clash = api.patch(f"{DEPLOY}/owned?fieldManager=applier", config, "apply")
    assert clash.code == 409
    assert ".spec.replicas" in clash.body["message"]
    assert 'conflict with "editor"' in clash.body["message"]
