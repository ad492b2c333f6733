"""Reduction of raw API objects to snapshot records.

Covers: a pod keeps only the fields the checks read (no env, volumes or
annotations), MetaX resources from requests or limits; a Helm release
Secret keeps labels only; webhook failurePolicy defaults to Fail; an
EndpointSlice endpoint without a ready condition counts as ready; a CRD's
storage version is chosen; Endpoints and EndpointSlices of one service
keep the record with more ready addresses; -n overrides the discovered
namespace and scopes the cleanup to it. Leaves out: listing (tests/kube).
"""

from __future__ import annotations

import json

from kubectl_metax.cleanup import planning
from kubectl_metax.inspection import records
from tests.inspection import builders as b


def test_pod_keeps_only_checked_fields() -> None:
    raw = b.gpu_pod("train-0", "ml")
    raw["metadata"]["annotations"] = {"big": "x" * 5000}
    raw["metadata"]["ownerReferences"] = [
        {"kind": "ReplicaSet", "name": "train-7d9", "controller": True}
    ]
    container = raw["spec"]["containers"][0]
    container["env"] = [{"name": "SECRET_TOKEN", "value": "s3cr3t"}]
    container["resources"]["requests"] = {"metax-tech.com/gpu": "2", "memory": "1Gi"}
    raw["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    raw["status"]["containerStatuses"] = [
        {
            "name": "train",
            "image": "train:1",
            "ready": False,
            "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        }
    ]
    record = records.pod(raw)
    text = json.dumps(record)
    assert "s3cr3t" not in text
    assert "xxxxx" not in text
    assert record["gpu"] == {"metax-tech.com/gpu": "2"}
    assert record["owner"] == "ReplicaSet/train-7d9"
    assert record["containers"][0]["state"] == "waiting"
    assert record["containers"][0]["reason"] == "CrashLoopBackOff"
    assert len(text) < 1000


def test_helm_release_keeps_no_payload() -> None:
    record = records.helm_release(
        b.helm_release_secret("gpu-op", "ops", version=3, status="failed"), "Secret"
    )
    assert "SGVsbSBwYXlsb2Fk" not in json.dumps(record)
    assert (record["release"], record["version"], record["status"]) == ("gpu-op", 3, "failed")


def test_webhook_failure_policy_defaults_to_fail() -> None:
    record = records.webhook_configuration(
        b.webhook_configuration(), "ValidatingWebhookConfiguration"
    )
    assert record["webhooks"][0]["failure_policy"] == "Fail"
    assert record["webhooks"][0]["groups"] == ["gpu.metax-tech.com"]


def test_endpoint_slice_unset_ready_counts() -> None:
    raw = {
        "metadata": {
            "name": "svc-abc",
            "namespace": "ops",
            "labels": {"kubernetes.io/service-name": "svc"},
        },
        "endpoints": [
            {"addresses": ["10.0.0.1"]},
            {"addresses": ["10.0.0.2"], "conditions": {"ready": False}},
        ],
    }
    record = records.endpoint_slice(raw)
    assert record is not None
    assert (record["service"], record["ready"], record["not_ready"]) == ("svc", 1, 1)


def test_best_endpoints_prefers_ready() -> None:
    plain = records.endpoints(b.endpoints("svc", "ops", ready=2))
    empty_slice = records.endpoints(b.endpoints("svc", "ops", ready=0))
    assert records.best_endpoints([empty_slice, plain])[0]["ready"] == 2


def test_crd_storage_version_chosen() -> None:
    raw = b.crd()
    raw["spec"]["versions"] = [
        {"name": "v1alpha1", "served": True, "storage": False},
        {"name": "v1beta1", "served": True, "storage": True},
    ]
    assert records.crd(raw)["version"] == "v1beta1"


def test_namespace_flag_overrides_discovery() -> None:
    snap = b.build(*b.faq_state(), b.namespace("elsewhere"))
    plan = planning.make_plan(snap, namespace="elsewhere")
    assert plan["install"]["namespace"] == "elsewhere"
    assert plan["install"]["evidence"] == ["flag"]
    # The webhook names a release of metax-operator and the ClusterOperator
    # lives there, so a cleanup scoped to another namespace touches neither.
    assert plan["actions"] == []
    assert [s["reason"] for s in plan["skipped"]] == ["foreign-release"]
