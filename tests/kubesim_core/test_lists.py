"""Lists: label and field selectors, pagination with limit and continue, namespaces.

Covers: every label selector operator (=, ==, !=, in, notin, exists, !key),
field selectors on metadata.name / metadata.namespace and pod fields
(status.phase, spec.nodeName), 400 for a malformed selector or an
unsupported field, limit/continue paging over a whole list, 400 for a bad
continue token, lists across namespaces, Table responses. Leaves out: the
snapshot consistency of continue tokens (a documented simplification).

Sources: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/,
https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/,
https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.kubesim_core.client import CM, Api, configmap, names

POD = "/api/v1/namespaces/default/pods"


@pytest.fixture
def labelled(bare):
    api = Api(bare)
    api.post(CM, configmap("red-big", labels={"color": "red", "size": "big"}))
    api.post(CM, configmap("red-small", labels={"color": "red", "size": "small"}))
    api.post(CM, configmap("blue", labels={"color": "blue"}))
    api.post(CM, configmap("plain"))
    return api


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("color=red", ["red-big", "red-small"]),
        ("color==red", ["red-big", "red-small"]),
        ("color!=red", ["blue", "plain"]),
        ("color in (blue,green)", ["blue"]),
        ("color notin (red)", ["blue", "plain"]),
        ("size", ["red-big", "red-small"]),
        ("!size", ["blue", "plain"]),
        ("color=red,size=small", ["red-small"]),
        ("color in (red, blue),!size", ["blue"]),
    ],
)
def test_label_selector(labelled, selector, expected):
    listed = labelled.get(f"{CM}?labelSelector={quote(selector)}")
    assert listed.code == 200
    assert names(listed.body["items"]) == expected


def test_malformed_label_selector_is_bad_request(labelled):
    answer = labelled.get(f"{CM}?labelSelector={quote('color in red')}")
    assert answer.code == 400


def test_field_selector_on_name(labelled):
    assert names(labelled.get(f"{CM}?fieldSelector=metadata.name%3Dblue").body["items"]) == ["blue"]
    assert names(labelled.get(f"{CM}?fieldSelector=metadata.name!%3Dblue").body["items"]) == [
        "plain",
        "red-big",
        "red-small",
    ]


def test_field_selector_on_pod_fields(bare):
    api = Api(bare)
    for name, phase, node in (
        ("p1", "Running", "n1"),
        ("p2", "Pending", "n1"),
        ("p3", "Running", "n2"),
    ):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]},
        }
        created = api.post(POD, pod).body
        api.put(f"{POD}/{name}/status", dict(created, status={"phase": phase}))
    running = api.get(f"{POD}?fieldSelector=status.phase%3DRunning").body["items"]
    assert names(running) == ["p1", "p3"]
    on_n1 = api.get(f"{POD}?fieldSelector=spec.nodeName%3Dn1,status.phase%3DRunning").body["items"]
    assert names(on_n1) == ["p1"]


def test_unsupported_field_selector_is_bad_request(labelled):
    answer = labelled.get(f"{CM}?fieldSelector=data.key%3Dvalue")
    assert answer.code == 400
    assert answer.body["message"] == "field label not supported: data.key"


def test_pagination_walks_every_item(bare):
    api = Api(bare)
    expected = sorted(f"page-{index:02d}" for index in range(7))
    for name in expected:
        api.post(CM, configmap(name))
    seen = []
    token = ""
    pages = 0
    while True:
        query = "?limit=3" + (f"&continue={token}" if token else "")
        page = api.get(CM + query).body
        pages += 1
        seen.extend(names(page["items"]))
        token = page["metadata"].get("continue", "")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == len(expected) - len(seen)
    assert seen == expected
    assert pages == 3


def test_bad_continue_token_is_bad_request(bare):
    assert Api(bare).get(f"{CM}?limit=1&continue=not-a-token").code == 400


def test_list_across_namespaces(bare):
    api = Api(bare)
    api.post(CM, configmap("here"))
    api.post(
        "/api/v1/namespaces/kube-system/configmaps", configmap("there", namespace="kube-system")
    )
    everywhere = api.get("/api/v1/configmaps").body
    assert {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere["items"]} == {
        ("default", "here"),
        ("kube-system", "there"),
    }
    assert names(api.get(CM).body["items"]) == ["here"]


def test_list_has_kind_and_resource_version(bare):
    api = Api(bare)
    created = api.post(CM, configmap("meta")).body
    listed = api.get(CM).body
    assert listed["kind"] == "ConfigMapList"
    assert listed["apiVersion"] == "v1"
    assert int(listed["metadata"]["resourceVersion"]) >= int(created["metadata"]["resourceVersion"])


def test_table_response_for_kubectl_get(bare):
    api = Api(bare)
    api.post(CM, configmap("tab", data={"a": "1", "b": "2"}))
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    table = api.get(CM, headers={"Accept": accept}).body
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["tab", 2]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_list_reflects_each_write(bare):
    api = Api(bare)
    api.post(CM, configmap("b"))
    assert names(api.get(CM).body["items"]) == ["b"]
    api.post(CM, configmap("a"))
    assert names(api.get(CM).body["items"]) == ["a", "b"]
    api.delete(f"{CM}/b")
    assert names(api.get(CM).body["items"]) == ["a"]


def test_pagination_within_one_namespace(bare):
    api = Api(bare)
    for namespace in ("default", "kube-system", "kube-public"):
        for index in range(3):
            path = f"/api/v1/namespaces/{namespace}/configmaps"
            api.post(path, configmap(f"{namespace}-{index}", namespace=namespace))
    first = api.get("/api/v1/namespaces/kube-public/configmaps?limit=2").body
    token = first["metadata"]["continue"]
    second = api.get(f"/api/v1/namespaces/kube-public/configmaps?limit=2&continue={token}").body
    assert names(first["items"]) == ["kube-public-0", "kube-public-1"]
    assert names(second["items"]) == ["kube-public-2"]
    assert "continue" not in second["metadata"]
