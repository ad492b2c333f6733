"""The P3 cluster state generator (``bench.clusterstate``).

Covers: the requested numbers of nodes, pods and namespaces; the counts by
resource that the request bound uses; the stuck uninstall the commands are
meant to find (ClusterOperator being deleted with its finalizer, webhook
configuration without its Service, Helm release ``uninstalling``); no GPU
pod left running; unique uids and names; owners that exist.

Leaves out: loading the state into kubesim (``make bench`` does that) and
timing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench import clusterstate, stuckoperator

SMALL = clusterstate.Scale(nodes=20, pods=400, namespaces=12)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    path = tmp_path_factory.mktemp("state") / "state.yaml"
    state = clusterstate.write(path, SMALL)
    objects = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    return state, objects


def _of_kind(objects: list, kind: str) -> list:
    return [obj for obj in objects if obj["kind"] == kind]


def test_state_has_requested_scale(written: tuple) -> None:
    _, objects = written
    assert len(_of_kind(objects, "Node")) == SMALL.nodes
    assert len(_of_kind(objects, "Pod")) == SMALL.pods
    namespaces = _of_kind(objects, "Namespace")
    assert len(namespaces) + len(clusterstate.SYSTEM_NAMESPACES) == SMALL.namespaces
    names = {namespace["metadata"]["name"] for namespace in namespaces}
    assert not names & set(clusterstate.SYSTEM_NAMESPACES)


def test_counts_match_objects(written: tuple) -> None:
    state, objects = written
    system = len(clusterstate.SYSTEM_NAMESPACES)
    assert sum(state.counts.values()) == len(objects) + system
    assert state.counts["namespaces"] == SMALL.namespaces
    assert state.counts["pods"] == SMALL.pods
    assert state.counts["nodes"] == SMALL.nodes
    assert state.counts["clusteroperators"] == 1


def test_default_scale_is_p3_size() -> None:
    scale = clusterstate.Scale()
    assert (scale.nodes, scale.pods, scale.namespaces) == (2_000, 50_000, 500)


def test_cluster_operator_is_stuck(written: tuple) -> None:
    _, objects = written
    (operator,) = _of_kind(objects, "ClusterOperator")
    assert operator["metadata"]["finalizers"] == ["gpu.metax-tech.com"]
    assert operator["metadata"]["deletionTimestamp"]
    assert operator["metadata"]["namespace"] == stuckoperator.OPERATOR_NAMESPACE


def test_webhook_service_is_missing(written: tuple) -> None:
    _, objects = written
    (webhooks,) = _of_kind(objects, "ValidatingWebhookConfiguration")
    service = webhooks["webhooks"][0]["clientConfig"]["service"]
    services = {
        (obj["metadata"]["namespace"], obj["metadata"]["name"])
        for obj in _of_kind(objects, "Service")
    }
    assert (service["namespace"], service["name"]) not in services


def test_helm_release_is_uninstalling(written: tuple) -> None:
    _, objects = written
    (release,) = _of_kind(objects, "Secret")
    assert release["metadata"]["labels"]["owner"] == "helm"
    assert release["metadata"]["labels"]["status"] == "uninstalling"


def test_no_gpu_pod_running(written: tuple) -> None:
    _, objects = written
    gpu_pods = [
        pod
        for pod in _of_kind(objects, "Pod")
        if "metax-tech.com/gpu" in pod["spec"]["containers"][0]["resources"].get("limits", {})
    ]
    assert gpu_pods
    assert {pod["status"]["phase"] for pod in gpu_pods} == {"Succeeded"}


def test_daemonset_pod_per_node(written: tuple) -> None:
    _, objects = written
    per_owner = Counter(
        pod["metadata"]["ownerReferences"][0]["name"]
        for pod in _of_kind(objects, "Pod")
        if pod["metadata"]["ownerReferences"][0]["kind"] == "DaemonSet"
    )
    assert len(per_owner) == len(clusterstate.METAX_DAEMONSETS)
    assert set(per_owner.values()) == {SMALL.nodes}


def test_uids_are_unique(written: tuple) -> None:
    _, objects = written
    uids = Counter(obj["metadata"]["uid"] for obj in objects)
    assert max(uids.values()) == 1


def test_names_are_unique(written: tuple) -> None:
    _, objects = written
    keys = Counter(
        (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        for obj in objects
    )
    assert max(keys.values()) == 1


def test_owners_exist(written: tuple) -> None:
    _, objects = written
    uids = {obj["metadata"]["uid"]: obj for obj in objects}
    for obj in objects:
        for owner in obj["metadata"].get("ownerReferences", []):
            assert owner["uid"] in uids, obj["metadata"]["name"]
            assert uids[owner["uid"]]["metadata"]["name"] == owner["name"]


def test_pods_run_on_known_nodes(written: tuple) -> None:
    _, objects = written
    nodes = {node["metadata"]["name"] for node in _of_kind(objects, "Node")}
    assert {pod["spec"]["nodeName"] for pod in _of_kind(objects, "Pod")} <= nodes


def test_too_small_scale_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="too small"):
        clusterstate.write(tmp_path / "state.yaml", clusterstate.Scale(nodes=100, pods=10))
