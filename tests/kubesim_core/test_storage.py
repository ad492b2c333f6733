"""Storage semantics of kubesim over real HTTPS: versions, conflicts, status, dry run.

Covers: uid/creationTimestamp/resourceVersion on create, a cluster-wide
monotonic resourceVersion, generateName, 409 AlreadyExists, 409 Conflict on a
stale update (with kube-apiserver's message), generation bumps, the status
subresource, no-op updates, dryRun=All on every write, and Status bodies for
404. Leaves out: deletion (test_deletion.py), patches (test_patches.py).

Sources: https://kubernetes.io/docs/reference/using-api/api-concepts/
(resource versions, dry run, generation), k8s.io/apimachinery/pkg/api/errors
(Status reasons and messages).
"""

from __future__ import annotations

from tests.kubesim_core.client import CM, DEPLOY, Api, configmap, deployment


def test_create_sets_system_metadata(bare):
    api = Api(bare)
    created = api.post(CM, configmap("one"))
    assert created.code == 201
    meta = created.body["metadata"]
    assert meta["uid"]
    assert meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert api.get(f"{CM}/one").body["metadata"]["uid"] == meta["uid"]


def test_resource_version_grows_across_kinds(bare):
    api = Api(bare)
    versions = []
    for index in range(3):
        versions.append(
            int(api.post(CM, configmap(f"cm-{index}")).body["metadata"]["resourceVersion"])
        )
        versions.append(
            int(api.post(DEPLOY, deployment(f"d-{index}")).body["metadata"]["resourceVersion"])
        )
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)
    listed = api.get(CM).body["metadata"]["resourceVersion"]
    assert int(listed) >= versions[-1]


def test_generate_name_makes_unique_names(bare):
    api = Api(bare)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}
    first = api.post(CM, body).body["metadata"]["name"]
    second = api.post(CM, body).body["metadata"]["name"]
    assert first.startswith("gen-")
    assert len(first) == len("gen-") + 5
    assert first != second


def test_create_twice_is_already_exists(bare):
    api = Api(bare)
    api.post(CM, configmap("dup"))
    again = api.post(CM, configmap("dup"))
    assert again.code == 409
    assert again.body["reason"] == "AlreadyExists"
    assert again.body["message"] == 'configmaps "dup" already exists'
    assert again.body["details"] == {"name": "dup", "kind": "configmaps"}


def test_missing_object_is_not_found_status(bare):
    missing = Api(bare).get(f"{DEPLOY}/absent")
    assert missing.code == 404
    assert missing.body["kind"] == "Status"
    assert missing.body["status"] == "Failure"
    assert missing.body["message"] == 'deployments.apps "absent" not found'
    assert missing.body["details"] == {"name": "absent", "group": "apps", "kind": "deployments"}


def test_stale_update_is_conflict(bare):
    api = Api(bare)
    stale = api.post(CM, configmap("race")).body
    fresh = dict(stale, data={"key": "first"})
    assert api.put(f"{CM}/race", fresh).code == 200
    stale["data"] = {"key": "second"}
    clash = api.put(f"{CM}/race", stale)
    assert clash.code == 409
    assert clash.body["reason"] == "Conflict"
    assert clash.body["message"] == (
        'Operation cannot be fulfilled on configmaps "race": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert api.get(f"{CM}/race").body["data"] == {"key": "first"}


def test_update_without_resource_version_is_unconditional(bare):
    api = Api(bare)
    body = api.post(CM, configmap("free")).body
    del body["metadata"]["resourceVersion"]
    body["data"] = {"key": "changed"}
    assert api.put(f"{CM}/free", body).code == 200


def test_generation_follows_spec_not_metadata(bare):
    api = Api(bare)
    created = api.post(DEPLOY, deployment("gen")).body
    assert created["metadata"]["generation"] == 1
    created["metadata"]["labels"]["extra"] = "yes"
    relabelled = api.put(f"{DEPLOY}/gen", created).body
    assert relabelled["metadata"]["generation"] == 1
    relabelled["spec"]["replicas"] = 4
    scaled = api.put(f"{DEPLOY}/gen", relabelled).body
    assert scaled["metadata"]["generation"] == 2


def test_status_subresource_changes_only_status(bare):
    api = Api(bare)
    created = api.post(DEPLOY, deployment("st")).body
    created["status"] = {"readyReplicas": 1}
    created["spec"]["replicas"] = 9
    updated = api.put(f"{DEPLOY}/st/status", created).body
    assert updated["status"] == {"readyReplicas": 1}
    assert updated["spec"]["replicas"] == 1
    assert updated["metadata"]["generation"] == 1


def test_main_resource_update_keeps_status(bare):
    api = Api(bare)
    created = api.post(DEPLOY, deployment("keep")).body
    with_status = api.put(f"{DEPLOY}/keep/status", dict(created, status={"replicas": 1})).body
    with_status["status"] = {"replicas": 7}
    updated = api.put(f"{DEPLOY}/keep", with_status).body
    assert updated["status"] == {"replicas": 1}


def test_noop_update_keeps_resource_version(bare):
    api = Api(bare)
    created = api.post(CM, configmap("same")).body
    again = api.put(f"{CM}/same", created).body
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_dry_run_create_stores_nothing(bare):
    api = Api(bare)
    answer = api.post(f"{CM}?dryRun=All", configmap("ghost"))
    assert answer.code == 201
    assert answer.body["metadata"]["name"] == "ghost"
    assert answer.body["metadata"]["uid"]
    assert api.get(f"{CM}/ghost").code == 404


def test_dry_run_update_patch_delete_store_nothing(bare):
    api = Api(bare)
    created = api.post(CM, configmap("real")).body
    version = created["metadata"]["resourceVersion"]
    changed = dict(created, data={"key": "dry"})
    assert api.put(f"{CM}/real?dryRun=All", changed).body["data"] == {"key": "dry"}
    assert (
        api.patch(f"{CM}/real?dryRun=All", {"data": {"other": "x"}}, "merge").body["data"]["other"]
        == "x"
    )
    assert api.delete(f"{CM}/real?dryRun=All").code == 200
    stored = api.get(f"{CM}/real").body
    assert stored["data"] == {"key": "value"}
    assert stored["metadata"]["resourceVersion"] == version


def test_invalid_name_is_invalid(bare):
    bad = Api(bare).post(CM, configmap("Not_Valid"))
    assert bad.code == 422
    assert bad.body["reason"] == "Invalid"
    assert bad.body["message"].startswith(
        'ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a '
        "lowercase RFC 1123 subdomain"
    )


def test_namespace_mismatch_is_bad_request(bare):
    body = configmap("elsewhere", namespace="kube-system")
    answer = Api(bare).post(CM, body)
    assert answer.code == 400
    assert (
        answer.body["message"]
        == "the namespace of the provided object does not match the namespace sent on the request"
    )


def test_secret_string_data_is_encoded(bare):
    api = Api(bare)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"password": "hunter2"},
    }
    stored = api.post("/api/v1/namespaces/default/secrets", secret).body
    assert stored["data"] == {"password": "aHVudGVyMg=="}
    assert "stringData" not in stored
    assert stored["type"] == "Opaque"
