"""The HTTP(S) surface: TLS, authentication, Status errors, discovery and OpenAPI.

Covers: the server certificate verifies against the kubeconfig CA for
127.0.0.1 and localhost, plain HTTP mode, 401 for a missing or unknown
token, issued tokens and the user they map to, 404/405/415 Status bodies,
discovery documents (/version, /api, /apis, group-versions, short names,
verbs, subresources), plain JSON without the aggregated Accept, the
aggregated v2 form, CRD kinds appearing once Established and disappearing
with the CRD, and OpenAPI v3 documents carrying the GVK and the fieldValidation parameter.
Leaves out: authorization decisions (the RBAC plug-in's tests).

Sources: https://kubernetes.io/docs/reference/access-authn-authz/authentication/,
https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api,
https://kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-interface-definition.
"""

from __future__ import annotations

import base64
import socket
import ssl

import yaml

from tests.kubesim.contract import PluginSet, UserInfo
from tests.kubesim.instance import KubeSim
from tests.kubesim_core.client import CM, Api, configmap

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def _crd(plural: str = "widgets", kind: str = "Widget") -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.demo.example.com"},
        "spec": {
            "group": "demo.example.com",
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind, "shortNames": ["wdg"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def test_certificate_verifies_for_ip_and_localhost(bare):
    config = yaml.safe_load(bare.kubeconfig.read_text())
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    port = int(bare.url.rsplit(":", 1)[1])
    for host in ("127.0.0.1", "localhost"):
        context = ssl.create_default_context(cadata=ca)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, context.wrap_socket(
            raw, server_hostname=host
        ) as tls:
            assert tls.version() is not None


def test_certificate_rejected_for_other_name(bare):
    context = ssl.create_default_context(cadata=bare.ca_pem)
    port = int(bare.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            context.wrap_socket(raw, server_hostname="example.com").close()
        except ssl.SSLCertVerificationError:
            return
    raise AssertionError("a certificate for example.com was accepted")


def test_plain_http_mode(tmp_path):
    sim = KubeSim(tls=False, plugins=PluginSet(), kubeconfig=tmp_path / "kc").start()
    try:
        assert sim.url.startswith("http://127.0.0.1:")
        config = yaml.safe_load(sim.kubeconfig.read_text())
        assert "certificate-authority-data" not in config["clusters"][0]["cluster"]
        assert Api(sim).get("/version").code == 200
    finally:
        sim.stop()


def test_missing_token_is_unauthorized(bare):
    answer = Api(bare, token=None).get(CM)
    assert answer.code == 401
    assert answer.body["reason"] == "Unauthorized"
    assert answer.body["message"] == "Unauthorized"


def test_unknown_token_is_unauthorized(bare):
    assert Api(bare, token="kubesim-forged").get("/api").code == 401


def test_issued_token_authenticates_user(bare):
    user = UserInfo(username="alice", groups=("dev",))
    api = Api(bare, token=bare.token_for(user))
    assert api.post(CM, configmap("by-alice")).code == 201
    entry = [
        e for e in bare.audit if e.name == "" and e.verb == "create" and e.resource == "configmaps"
    ][-1]
    assert entry.user == "alice"


def test_written_kubeconfig_carries_token(bare, tmp_path):
    path = bare.write_kubeconfig(tmp_path / "alice.yaml", UserInfo(username="alice"))
    config = yaml.safe_load(path.read_text())
    token = config["users"][0]["user"]["token"]
    assert bare.cluster.authenticate(token) == UserInfo(username="alice")


def test_unknown_resource_is_not_found(bare):
    answer = Api(bare).get("/apis/apps/v1/namespaces/default/gizmos")
    assert answer.code == 404
    assert answer.body["kind"] == "Status"


def test_verb_not_offered_is_method_not_allowed(bare):
    answer = Api(bare).get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert answer.code == 405
    assert answer.body["reason"] == "MethodNotAllowed"


def test_unknown_body_type_is_unsupported(bare):
    answer = Api(bare).post(CM, b"name: x", content_type="text/plain")
    assert answer.code == 415
    assert answer.body["reason"] == "UnsupportedMediaType"


def test_yaml_body_is_accepted(bare):
    body = yaml.safe_dump(configmap("from-yaml")).encode()
    assert Api(bare).post(CM, body, content_type="application/yaml").code == 201


def test_version_and_core_discovery(bare):
    api = Api(bare)
    assert api.get("/version").body["major"] == "1"
    assert api.get("/api").body["versions"] == ["v1"]
    core = api.get("/api/v1").body
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    assert by_name["namespaces"]["namespaced"] is False
    assert by_name["pods"]["namespaced"] is True
    assert "pods/status" in by_name
    assert set(by_name["configmaps"]["verbs"]) == {
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    }


def test_group_discovery(bare):
    api = Api(bare)
    groups = {g["name"]: g for g in api.get("/apis").body["groups"]}
    for name in (
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "policy",
    ):
        assert groups[name]["preferredVersion"]["version"] == "v1"
    apps = {r["name"]: r for r in api.get("/apis/apps/v1").body["resources"]}
    assert apps["deployments"]["shortNames"] == ["deploy"]
    assert apps["daemonsets"]["shortNames"] == ["ds"]
    assert "deployments/scale" in apps
    review = {r["name"]: r for r in api.get("/apis/authorization.k8s.io/v1").body["resources"]}
    assert review["selfsubjectaccessreviews"]["verbs"] == ["create"]


def test_aggregated_discovery(bare):
    accept = (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
        "application/json"
    )
    api = Api(bare)
    groups = api.get("/apis", headers={"Accept": accept})
    assert groups.code == 200
    assert groups.headers["content-type"] == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert groups.body["kind"] == "APIGroupDiscoveryList"
    apps = next(item for item in groups.body["items"] if item["metadata"]["name"] == "apps")
    resources = {r["resource"]: r for r in apps["versions"][0]["resources"]}
    deployments = resources["deployments"]
    assert deployments["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert deployments["scope"] == "Namespaced"
    assert deployments["shortNames"] == ["deploy"]
    assert {s["subresource"] for s in deployments["subresources"]} == {"status", "scale"}
    core = api.get("/api", headers={"Accept": accept}).body
    assert [item["metadata"]["name"] for item in core["items"]] == [""]
    namespaces = next(
        r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "namespaces"
    )
    assert namespaces["scope"] == "Cluster"


def test_plain_discovery_without_aggregated_accept(bare):
    answer = Api(bare).get("/apis", headers={"Accept": "application/json"})
    assert answer.headers["content-type"] == "application/json"
    assert answer.body["kind"] == "APIGroupList"


def test_crd_kind_served_once_established(bare):
    api = Api(bare)
    assert api.get("/apis/demo.example.com/v1").code == 404
    created = api.post(CRDS, _crd()).body
    conditions = {c["type"]: c["status"] for c in created["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    resources = {r["name"]: r for r in api.get("/apis/demo.example.com/v1").body["resources"]}
    assert resources["widgets"]["kind"] == "Widget"
    assert resources["widgets"]["shortNames"] == ["wdg"]
    assert "widgets/status" in resources
    assert "demo.example.com" in {g["name"] for g in api.get("/apis").body["groups"]}


def test_crd_kind_disappears_with_crd(bare):
    api = Api(bare)
    api.post(CRDS, _crd())
    marked = api.delete(f"{CRDS}/widgets.demo.example.com").body
    marked["metadata"]["finalizers"] = []
    api.put(f"{CRDS}/widgets.demo.example.com", marked)
    assert api.get(f"{CRDS}/widgets.demo.example.com").code == 404
    assert api.get("/apis/demo.example.com/v1").code == 404
    assert "demo.example.com" not in {g["name"] for g in api.get("/apis").body["groups"]}


def test_openapi_v3_index_and_documents(bare):
    api = Api(bare)
    api.post(CRDS, _crd())
    index = api.get("/openapi/v3").body["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/demo.example.com/v1"} <= set(index)
    document = api.get(index["apis/apps/v1"]["serverRelativeURL"]).body
    post = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"]
    assert post["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert "fieldValidation" in {p["name"] for p in post["parameters"]}
    widgets = api.get(index["apis/demo.example.com/v1"]["serverRelativeURL"]).body
    schema = widgets["components"]["schemas"]["demo.example.com.v1.Widget"]
    assert schema["properties"]["spec"]["properties"]["size"] == {"type": "integer"}


def test_openapi_v2_is_not_served(bare):
    assert Api(bare).get("/openapi/v2").code == 404
