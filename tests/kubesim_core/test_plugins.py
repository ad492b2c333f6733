"""How the core calls the plug-ins of contract.PluginSet.

Covers: the authorizer sees every request's attributes (user, verb,
resource, subresource, namespace, name, dry_run; the name taken from a
metadata.name field selector) and a denial is 403 Forbidden with
kube-apiserver's message; admission plug-ins run in order on CREATE, UPDATE
and DELETE, may mutate, and their ApiError becomes the response; a slow
admission plug-in does not block other requests; concurrent patches both
land; a plug-in's `review` method answers SelfSubjectAccessReview, with the
authorizer as the fallback; controllers start after the server and stop
with it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

from tests.kubesim.contract import ApiError, PluginSet, RequestAttributes
from tests.kubesim.instance import KubeSim
from tests.kubesim_core.client import CM, Api, configmap

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


class RecordingAuthorizer:
    def __init__(self) -> None:
        self.seen: List[RequestAttributes] = []

    def authorize(self, attributes: RequestAttributes) -> Tuple[bool, str]:
        self.seen.append(attributes)
        if attributes.resource is not None and attributes.resource.resource == "secrets":
            return False, "secrets are off limits"
        return True, ""


class LabellingAdmission:
    def __init__(self, label: str, log: List[str]) -> None:
        self.label = label
        self.log = log

    def admit(self, attributes, operation, obj, old):
        self.log.append(f"{self.label}:{operation}:{attributes.resource.resource}")
        if obj is not None and operation == "CREATE":
            obj.setdefault("metadata", {}).setdefault("labels", {})[self.label] = "yes"
            return obj
        if obj is not None and obj.get("data", {}).get("reject") == "true":
            raise ApiError(400, "BadRequest", f"{self.label} rejects this object")
        return obj


class GateAdmission:
    """Hold writes to objects named `slow` until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def admit(self, attributes, operation, obj, old):
        if attributes.name == "slow" or (obj or {}).get("metadata", {}).get("name") == "slow":
            self.entered.set()
            self.release.wait(timeout=30)
        return obj


class Reviewer:
    def admit(self, attributes, operation, obj, old):
        return obj

    def review(self, attributes: RequestAttributes, body: dict) -> Optional[dict]:
        return dict(
            body,
            status={"allowed": attributes.user.username == "kubesim-admin", "reason": "reviewer"},
        )


class Controller:
    name = "recorder"

    def __init__(self) -> None:
        self.started_with_url = ""
        self.stopped = False

    def start(self, cluster) -> None:
        self.started_with_url = cluster.url
        # The server must already answer when controllers start.
        assert cluster.get(cluster.resource_for("v1", "Namespace"), "", "default") is not None

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def make(tmp_path: Path):
    started: List[KubeSim] = []

    def build(plugins: PluginSet) -> KubeSim:
        sim = KubeSim(plugins=plugins, kubeconfig=tmp_path / f"kc-{len(started)}")
        started.append(sim)
        return sim.start()

    yield build
    for sim in started:
        sim.stop()


def test_authorizer_sees_attributes(make):
    authorizer = RecordingAuthorizer()
    sim = make(PluginSet(authorizer=authorizer))
    api = Api(sim)
    api.post(f"{CM}?dryRun=All", configmap("dry"))
    api.get(f"{CM}?fieldSelector=metadata.name%3Done")
    api.get("/version")
    create, listing, version = authorizer.seen[-3:]
    assert (create.verb, create.resource.resource, create.namespace, create.dry_run) == (
        "create",
        "configmaps",
        "default",
        True,
    )
    assert create.user.username == "kubesim-admin"
    assert (listing.verb, listing.name) == ("list", "one")
    assert (version.resource, version.path, version.verb) == (None, "/version", "get")


def test_authorizer_denial_is_forbidden(make):
    sim = make(PluginSet(authorizer=RecordingAuthorizer()))
    answer = Api(sim).get("/api/v1/namespaces/default/secrets/token")
    assert answer.code == 403
    assert answer.body["reason"] == "Forbidden"
    assert answer.body["message"] == (
        'secrets "token" is forbidden: User "kubesim-admin" cannot get resource "secrets" '
        'in API group "" in the namespace "default": secrets are off limits'
    )


def test_admission_runs_in_order_and_mutates(make):
    log: List[str] = []
    sim = make(
        PluginSet(admission=[LabellingAdmission("first", log), LabellingAdmission("second", log)])
    )
    api = Api(sim)
    created = api.post(CM, configmap("admitted")).body
    assert created["metadata"]["labels"] == {"first": "yes", "second": "yes"}
    api.patch(f"{CM}/admitted", {"data": {"k": "v"}}, "merge")
    api.delete(f"{CM}/admitted")
    assert log == [
        "first:CREATE:configmaps",
        "second:CREATE:configmaps",
        "first:UPDATE:configmaps",
        "second:UPDATE:configmaps",
        "first:DELETE:configmaps",
        "second:DELETE:configmaps",
    ]


def test_admission_error_becomes_response(make):
    sim = make(PluginSet(admission=[LabellingAdmission("guard", [])]))
    api = Api(sim)
    api.post(CM, configmap("guarded"))
    answer = api.patch(f"{CM}/guarded", {"data": {"reject": "true"}}, "merge")
    assert answer.code == 400
    assert answer.body["message"] == "guard rejects this object"
    assert api.get(f"{CM}/guarded").body["data"] == {"key": "value"}


def test_system_writes_skip_admission(make):
    log: List[str] = []
    sim = make(PluginSet(admission=[LabellingAdmission("only", log)]))
    sim.cluster.create(configmap("system"))
    assert log == []


def test_slow_admission_blocks_no_one_else(make):
    gate = GateAdmission()
    sim = make(PluginSet(admission=[gate]))
    api = Api(sim)
    results = {}
    writer = threading.Thread(
        target=lambda: results.setdefault("slow", api.post(CM, configmap("slow")).code)
    )
    writer.start()
    try:
        assert gate.entered.wait(timeout=10)
        assert api.post(CM, configmap("fast")).code == 201
        assert api.get(f"{CM}/fast").code == 200
    finally:
        gate.release.set()
        writer.join(timeout=30)
    assert results["slow"] == 201


def test_concurrent_patches_both_land(bare):
    api = Api(bare)
    api.post(CM, configmap("busy", data={"seed": "x"}))
    threads = [
        threading.Thread(
            target=api.patch, args=(f"{CM}/busy", {"data": {f"k{index}": "v"}}, "merge")
        )
        for index in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(api.get(f"{CM}/busy").body["data"]) == [f"k{index}" for index in range(8)] + [
        "seed"
    ]


def test_review_hook_answers_access_review(make):
    sim = make(PluginSet(admission=[Reviewer()]))
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}},
    }
    answer = Api(sim).post(SSAR, review)
    assert answer.code == 201
    assert answer.body["status"] == {"allowed": True, "reason": "reviewer"}


def test_access_review_falls_back_to_authorizer(make):
    sim = make(PluginSet(authorizer=RecordingAuthorizer()))
    api = Api(sim)
    for resource, allowed in (("secrets", False), ("pods", True)):
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {"verb": "list", "resource": resource, "namespace": "default"}
            },
        }
        assert api.post(SSAR, review).body["status"]["allowed"] is allowed


def test_controllers_start_and_stop(tmp_path):
    controller = Controller()
    sim = KubeSim(plugins=PluginSet(controllers=[controller]), kubeconfig=tmp_path / "kc").start()
    assert controller.started_with_url == sim.url
    sim.stop()
    assert controller.stopped
