"""The cleanup plan over built snapshots, and the finalizer JSON patch.

Covers: the FAQ state planned webhook first then finalizers with notes;
nothing stuck gives an empty plan; live, foreign and unmarked webhooks
skipped; objects the operator may still finalize skipped; GPU pods listed;
the JSON patch applied with the jsonpatch library to an unchanged and a
changed object. Leaves out: writes over HTTP (test_unstick_kubesim).
"""

from __future__ import annotations

import jsonpatch
import pytest

from kubectl_metax.cleanup import patches, planning, rendering
from tests.inspection import builders as b


def test_faq_state_plans_webhook_then_finalizers() -> None:
    plan = planning.make_plan(b.build(*b.faq_state()))
    assert [a["action"] for a in plan["actions"]] == [
        planning.DELETE_WEBHOOK,
        planning.REMOVE_FINALIZERS,
    ]
    assert plan["actions"][0]["target"]["name"] == "upgrade-validating-webhook-configuration"
    assert plan["actions"][1]["target"]["name"] == "cluster-operator"
    assert plan["actions"][1]["finalizers"] == ["gpu.metax-tech.com"]
    assert [(n["kind"], n["name"]) for n in plan["notes"]] == [("Namespace", "metax-operator")]


def test_renamed_objects_planned_by_discovery() -> None:
    plan = planning.make_plan(
        b.build(
            b.namespace("gpu-ops", terminating=True),
            b.crd(),
            b.cluster_operator("site-config", "gpu-ops", release="gpu"),
            b.webhook_configuration(
                "gpu-validating-hooks",
                service="gpu-webhook",
                service_namespace="gpu-ops",
                release="gpu",
                release_namespace="gpu-ops",
            ),
            b.helm_release_secret("gpu", "gpu-ops", version=3, status="uninstalling"),
        )
    )
    assert plan["install"]["namespace"] == "gpu-ops"
    assert [a["target"]["name"] for a in plan["actions"]] == ["gpu-validating-hooks", "site-config"]


def test_nothing_stuck_gives_empty_plan() -> None:
    plan = planning.make_plan(
        b.build(
            b.namespace("metax-operator"),
            b.crd(),
            b.cluster_operator(deleting=False),
            b.operator_deployment(),
            b.webhook_configuration(),
            b.service("upgrade-webhook-service", "metax-operator"),
            b.endpoints("upgrade-webhook-service", "metax-operator", ready=2),
        )
    )
    assert plan["actions"] == []
    assert [s["reason"] for s in plan["skipped"]] == ["live"]


def test_foreign_and_unmarked_webhooks_skipped() -> None:
    plan = planning.make_plan(
        b.build(
            *b.faq_state(),
            b.webhook_configuration(
                "other-hooks", service="other", groups=["apps"], release="other-product"
            ),
            b.webhook_configuration("bare-hooks", service="bare", groups=["apps"], release=None),
        )
    )
    skipped = {s["name"]: s["reason"] for s in plan["skipped"]}
    assert skipped == {"other-hooks": "foreign-release", "bare-hooks": "not-owned"}
    assert "other-hooks" not in [a["target"]["name"] for a in plan["actions"]]


def test_running_operator_keeps_its_finalizers() -> None:
    plan = planning.make_plan(b.build(*b.faq_state(), b.operator_deployment(ready=1)))
    assert [a["action"] for a in plan["actions"]] == [planning.DELETE_WEBHOOK]
    assert ("cluster-operator", "operator-available") in [
        (s["name"], s["reason"]) for s in plan["skipped"]
    ]


def test_gpu_pods_listed_in_plan() -> None:
    plan = planning.make_plan(b.build(*b.faq_state(), b.gpu_pod("train-0", "ml")))
    assert plan["gpu_pods"] == {"ml": ["train-0"]}
    assert "Pods in namespace ml still use MetaX GPUs: train-0" in rendering.plan_lines(plan)


def test_plan_lines_name_every_action() -> None:
    lines = rendering.plan_lines(planning.make_plan(b.build(*b.faq_state())))
    text = "\n".join(lines)
    assert "ValidatingWebhookConfiguration/upgrade-validating-webhook-configuration" in text
    assert "metax-operator/upgrade-webhook-service" in text
    assert "ClusterOperator/cluster-operator" in text


def test_patch_removes_seen_finalizers() -> None:
    stored = {"metadata": {"uid": "u1", "finalizers": ["gpu.metax-tech.com"], "name": "x"}}
    ops = patches.finalizer_removal(uid="u1", finalizers=["gpu.metax-tech.com"])
    assert ops[0] == {"op": "test", "path": "/metadata/finalizers", "value": ["gpu.metax-tech.com"]}
    assert jsonpatch.apply_patch(stored, ops) == {"metadata": {"uid": "u1", "name": "x"}}


@pytest.mark.parametrize(
    "stored",
    [
        {"metadata": {"uid": "u1", "finalizers": ["gpu.metax-tech.com", "late.example.com"]}},
        {"metadata": {"uid": "u2", "finalizers": ["gpu.metax-tech.com"]}},
    ],
)
def test_patch_fails_on_changed_object(stored: dict) -> None:
    ops = patches.finalizer_removal(uid="u1", finalizers=["gpu.metax-tech.com"])
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(stored, ops)


def test_lone_webhook_found_and_planned() -> None:
    # Everything else is gone: only the webhook configuration names the release.
    plan = planning.make_plan(b.build(b.webhook_configuration()))
    assert plan["install"]["namespace"] == "metax-operator"
    assert plan["install"]["release_names"] == ["metax-operator-1743500897"]
    assert [a["target"]["name"] for a in plan["actions"]] == [
        "upgrade-validating-webhook-configuration"
    ]
