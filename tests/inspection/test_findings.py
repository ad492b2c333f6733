"""Findings over snapshots built from raw objects: install location, webhooks, stuck objects.

Covers: operator discovery by label, name pattern and Helm storage in a
namespace other than the default; webhook ownership (Helm, rules, service)
and the veto of another release; dangling versus live webhooks; stuck
custom resources only while the operator is gone; terminating namespaces
and CRDs; GPU pods; snapshot JSON round trip without Helm payloads.
Leaves out: collection over HTTP (tests/kube, tests/unstick).
"""

from __future__ import annotations

import pytest

from kubectl_metax.errors import InvalidInput
from kubectl_metax.inspection import install, snapshot, stuck, webhooks, workloads
from tests.inspection import builders as b


def test_install_found_in_custom_namespace() -> None:
    snap = b.build(
        b.operator_deployment("gpu-op-metax-operator", "gpu-system", ready=1),
        b.helm_release_secret("gpu-op", "gpu-system", version=1, status="superseded"),
        b.helm_release_secret("gpu-op", "gpu-system", version=2, status="deployed"),
        b.namespace("metax-operator"),
    )
    found = install.locate(snap)
    assert found["namespace"] == "gpu-system"
    assert found["deployments"] == ["gpu-op-metax-operator"]
    assert found["available"] is True
    assert [(r["name"], r["version"], r["status"]) for r in found["releases"]] == [
        ("gpu-op", 2, "deployed")
    ]


def test_install_deployment_by_old_name_pattern() -> None:
    raw = b.operator_deployment("metax-operator-7f9c2", "ops", ready=0)
    raw["metadata"]["labels"] = {}
    found = install.locate(b.build(raw))
    assert found["namespace"] == "ops"
    assert found["available"] is False


def test_install_unknown_when_deployments_forbidden() -> None:
    snap = b.build(*b.faq_state(), gaps=[{"kind": "deployments", "reason": "forbidden"}])
    assert install.locate(snap)["available"] is None
    assert stuck.stuck_custom_resources(snap, install.locate(snap)) == []


def test_install_release_names_from_annotations() -> None:
    objects = [item for item in b.faq_state() if item["kind"] != "Secret"]
    found = install.locate(b.build(*objects))
    assert found["releases"] == []
    assert found["release_names"] == ["metax-operator-1743500897"]


def test_webhook_owned_and_dangling_in_faq_state() -> None:
    snap = b.build(*b.faq_state())
    verdicts = webhooks.operator_webhooks(snap, install.locate(snap))
    assert len(verdicts) == 1
    assert verdicts[0]["owned"] is True
    assert verdicts[0]["state"] == webhooks.DANGLING
    assert verdicts[0]["problems"][0]["problem"] == webhooks.SERVICE_MISSING
    assert verdicts[0]["problems"][0]["service"] == "metax-operator/upgrade-webhook-service"


def test_webhook_live_with_ready_endpoints() -> None:
    snap = b.build(
        *b.faq_state(),
        b.service("upgrade-webhook-service", "metax-operator"),
        b.endpoints("upgrade-webhook-service", "metax-operator", ready=1),
    )
    verdict = webhooks.operator_webhooks(snap, install.locate(snap))[0]
    assert verdict["state"] == webhooks.LIVE
    assert verdict["problems"] == []


def test_webhook_without_ready_endpoints_dangles() -> None:
    snap = b.build(
        *b.faq_state(),
        b.service("upgrade-webhook-service", "metax-operator"),
        b.endpoints("upgrade-webhook-service", "metax-operator", ready=0),
    )
    verdict = webhooks.operator_webhooks(snap, install.locate(snap))[0]
    assert verdict["problems"][0]["problem"] == webhooks.NO_READY_ENDPOINTS


def test_foreign_release_webhook_in_same_namespace_not_owned() -> None:
    foreign = b.webhook_configuration(
        "other-product-webhooks",
        service="other-svc",
        groups=["apps", GROUP_ALL],
        release="other-product",
    )
    snap = b.build(*b.faq_state(), foreign)
    verdicts = {
        v["config"]["meta"]["name"]: v
        for v in webhooks.operator_webhooks(snap, install.locate(snap))
    }
    assert verdicts["other-product-webhooks"]["owned"] is False
    assert verdicts["other-product-webhooks"]["evidence"] == ["foreign-release"]
    assert verdicts["upgrade-validating-webhook-configuration"]["owned"] is True


GROUP_ALL = "*"


def test_unmarked_webhook_in_namespace_not_owned() -> None:
    bare = b.webhook_configuration("bare-hooks", service="bare-svc", groups=["apps"], release=None)
    snap = b.build(*b.faq_state(), bare)
    verdict = next(
        v
        for v in webhooks.operator_webhooks(snap, install.locate(snap))
        if v["config"]["meta"]["name"] == "bare-hooks"
    )
    assert verdict["owned"] is False
    assert verdict["state"] == webhooks.DANGLING


def test_webhook_owned_by_rules_alone() -> None:
    config = b.webhook_configuration("renamed-hooks", service="gone", release=None)
    snap = b.build(*b.faq_state(), config)
    verdict = next(
        v
        for v in webhooks.operator_webhooks(snap, install.locate(snap))
        if v["config"]["meta"]["name"] == "renamed-hooks"
    )
    assert verdict["evidence"] == ["metax-rules"]
    assert verdict["owned"] is True


def test_webhook_state_unknown_when_services_forbidden() -> None:
    snap = b.build(*b.faq_state(), gaps=[{"kind": "services", "reason": "forbidden"}])
    verdict = webhooks.operator_webhooks(snap, install.locate(snap))[0]
    assert verdict["state"] == webhooks.UNKNOWN


def test_stuck_only_while_operator_gone() -> None:
    gone = b.build(*b.faq_state())
    running = b.build(*b.faq_state(), b.operator_deployment(ready=1))
    down = b.build(*b.faq_state(), b.operator_deployment(ready=0))
    assert [s["reason"] for s in stuck.stuck_custom_resources(gone, install.locate(gone))] == [
        stuck.OPERATOR_GONE
    ]
    assert stuck.stuck_custom_resources(running, install.locate(running)) == []
    assert [s["reason"] for s in stuck.stuck_custom_resources(down, install.locate(down))] == [
        stuck.OPERATOR_UNAVAILABLE
    ]


def test_object_without_finalizers_not_stuck() -> None:
    snap = b.build(b.crd(), b.cluster_operator(finalizers=[]))
    assert stuck.stuck_custom_resources(snap, install.locate(snap)) == []


def test_terminating_namespace_and_its_condition() -> None:
    snap = b.build(*b.faq_state(), b.namespace("default"))
    found = stuck.terminating_namespaces(snap)
    assert [item["name"] for item in found] == ["metax-operator"]
    assert [c["type"] for c in found[0]["conditions"]] == ["NamespaceFinalizersRemaining"]


def test_terminating_crd_found() -> None:
    raw = b.crd()
    raw["metadata"]["deletionTimestamp"] = b.STAMP
    raw["status"] = {
        "conditions": [
            {
                "type": "Terminating",
                "status": "True",
                "reason": "InstanceDeletionInProgress",
                "message": "x",
            }
        ]
    }
    found = stuck.terminating_crds(b.build(raw))
    assert [item["name"] for item in found] == ["clusteroperators.gpu.metax-tech.com"]
    assert found[0]["conditions"][0]["reason"] == "InstanceDeletionInProgress"


def test_gpu_pods_exclude_finished() -> None:
    snap = b.build(
        b.gpu_pod("train-1", "ml"),
        b.gpu_pod("done-1", "ml", phase="Succeeded"),
        b.gpu_pod("infer-1", "serving", phase="Pending"),
    )
    assert workloads.by_namespace(workloads.gpu_pods(snap)) == {
        "ml": ["train-1"],
        "serving": ["infer-1"],
    }


def test_snapshot_round_trip_keeps_no_payload() -> None:
    snap = b.build(*b.faq_state())
    text = snapshot.dumps(snap)
    assert "SGVsbSBwYXlsb2Fk" not in text
    assert snapshot.loads(text, source="saved.json") == snap


def test_snapshot_load_rejects_other_files() -> None:
    with pytest.raises(InvalidInput, match=r"saved\.json"):
        snapshot.loads('{"format": 99}', source="saved.json")
    with pytest.raises(InvalidInput, match="pods"):
        snapshot.loads('{"format": 1}', source="saved.json")
