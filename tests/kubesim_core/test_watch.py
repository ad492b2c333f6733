"""Watch: chunked JSON event streams with resume, selectors, timeouts and 410 Gone.

Covers: ADDED/MODIFIED/DELETED events in order, resuming from a
resourceVersion (only later events), initial ADDED events for
resourceVersion "" and "0", timeoutSeconds ending the stream, label
selector transitions turning MODIFIED into ADDED/DELETED, the ERROR event
with 410 Expired for a compacted resourceVersion, sendInitialEvents with the
initial-events-end bookmark, and controller callbacks through
contract.Cluster.watch. Leaves out: periodic bookmarks (never sent).

Sources: https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes,
https://kubernetes.io/docs/reference/using-api/api-concepts/#streaming-lists.
"""

from __future__ import annotations

import threading
import time

from tests.kubesim_core.client import CM, Api, configmap


def _collect(api, path, into, started):
    started.set()
    for event in api.watch(path):
        into.append(event)


def _events_after_writes(api, path, writes):
    events = []
    started = threading.Event()
    reader = threading.Thread(target=_collect, args=(api, path, events, started))
    reader.start()
    started.wait()
    writes()
    reader.join(timeout=30)
    assert not reader.is_alive()
    return events


def test_watch_reports_changes_in_order(bare):
    api = Api(bare)
    version = api.get(CM).body["metadata"]["resourceVersion"]

    def writes():
        created = api.post(CM, configmap("w")).body
        api.put(f"{CM}/w", dict(created, data={"key": "new"}))
        api.delete(f"{CM}/w")

    # timeoutSeconds is what ends the stream; the writes happen well within it.
    events = _events_after_writes(
        api, f"{CM}?watch=1&resourceVersion={version}&timeoutSeconds=3", writes
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert [e["object"]["metadata"]["name"] for e in events] == ["w", "w", "w"]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3
    assert events[1]["object"]["data"] == {"key": "new"}


def test_watch_resumes_after_resource_version(bare):
    api = Api(bare)
    api.post(CM, configmap("before"))
    mark = api.post(CM, configmap("mark")).body["metadata"]["resourceVersion"]
    api.post(CM, configmap("after"))
    events = list(api.watch(f"{CM}?watch=true&resourceVersion={mark}&timeoutSeconds=1"))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "after")]


def test_watch_without_version_starts_with_current_state(bare):
    api = Api(bare)
    api.post(CM, configmap("existing"))
    for version in ("", "0"):
        events = list(api.watch(f"{CM}?watch=1&resourceVersion={version}&timeoutSeconds=1"))
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("ADDED", "existing")
        ]


def test_watch_selector_transitions(bare):
    api = Api(bare)
    created = api.post(CM, configmap("flip", labels={"on": "no"})).body
    version = created["metadata"]["resourceVersion"]

    def writes():
        current = api.get(f"{CM}/flip").body
        current["metadata"]["labels"] = {"on": "yes"}
        current = api.put(f"{CM}/flip", current).body
        current["metadata"]["labels"] = {"on": "no"}
        api.put(f"{CM}/flip", current)

    events = _events_after_writes(
        api,
        f"{CM}?watch=1&labelSelector=on%3Dyes&resourceVersion={version}&timeoutSeconds=3",
        writes,
    )
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


def test_watch_too_old_version_is_gone(bare):
    api = Api(bare)
    bare.cluster.store.resize_history(3)
    first = api.post(CM, configmap("old")).body["metadata"]["resourceVersion"]
    for index in range(5):
        api.post(CM, configmap(f"churn-{index}"))
    events = list(api.watch(f"{CM}?watch=1&resourceVersion={first}&timeoutSeconds=5"))
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert status["code"] == 410
    assert status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {first} (")


def test_watch_list_ends_initial_events_with_bookmark(bare):
    api = Api(bare)
    api.post(CM, configmap("listed"))
    path = (
        f"{CM}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1"
    )
    events = list(api.watch(path))
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_timeout_ends_stream(bare):
    api = Api(bare)
    events = list(
        api.watch(
            f"{CM}?watch=1&resourceVersion={api.get(CM).body['metadata']['resourceVersion']}&timeoutSeconds=1"
        )
    )
    assert events == []


def test_cluster_watch_calls_back_outside_requests(bare):
    seen = []
    done = threading.Event()

    def callback(event_type, resource, obj):
        if resource.resource == "configmaps":
            seen.append((event_type, obj["metadata"]["name"]))
            if event_type == "DELETED":
                done.set()

    unsubscribe = bare.cluster.watch(callback)
    api = Api(bare)
    api.post(CM, configmap("cb"))
    api.delete(f"{CM}/cb")
    assert done.wait(timeout=10)
    unsubscribe()
    api.post(CM, configmap("unseen"))
    time.sleep(0.2)  # give a wrongly still-subscribed callback the chance to fire
    assert seen == [("ADDED", "cb"), ("DELETED", "cb")]


def test_watch_flag_accepts_python_client_spelling(bare):
    # apimachinery reads a bool query parameter as true unless it is "0" or "false";
    # the Python kubernetes client sends watch=True.
    api = Api(bare)
    api.post(CM, configmap("spelled"))
    events = list(api.watch(f"{CM}?watch=True&timeoutSeconds=1"))
    assert [e["type"] for e in events] == ["ADDED"]


def test_python_client_watch_stream(bare):
    from kubernetes import client, config, watch

    api_client = config.new_client_from_config(str(bare.kubeconfig))
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map("default", {"metadata": {"name": "py"}, "data": {"a": "1"}})
    stream = watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=1)
    assert [(e["type"], e["object"].metadata.name) for e in stream] == [("ADDED", "py")]


def test_watch_ends_when_client_leaves(bare):
    api = Api(bare)
    connection = api.connection()
    version = api.get(CM).body["metadata"]["resourceVersion"]
    connection.request(
        "GET", f"{CM}?watch=1&resourceVersion={version}", headers=api._headers(None, None)
    )
    response = connection.getresponse()
    assert response.status == 200
    before = threading.active_count()
    connection.close()
    # The server thread notices within a poll interval and ends; no wall-clock bound is asserted.
    for _ in range(100):
        if threading.active_count() < before:
            break
        time.sleep(0.1)
    assert threading.active_count() < before
