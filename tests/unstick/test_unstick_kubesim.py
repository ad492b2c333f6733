"""``kubectl metax unstick`` end to end against kubesim over HTTPS.

Covers: the vendor FAQ's state cleaned, verified, and a second run with
nothing to do; names other than the defaults; a foreign webhook in the
same namespace and a live webhook left alone; the audit log showing writes
only to planned objects; a 409 injected and one caused by a concurrent
update; finalizers changed between plan and patch (the patch test fails,
the object is planned again); the GPU-workload gate and --force;
--dry-run=client and --dry-run=server leaving the state unchanged; the
backup file; a missing permission named through SelfSubjectAccessReview;
refusal without a terminal and the y/N prompt on one (pexpect); an empty
plan that could not see webhooks or CRDs reported as a failure; JSON
output; the real CLI in English and zh_CN; endless conflicts failing after
MAX_ATTEMPTS; a namespace still Terminating reported as not verified; a
webhook configuration left alone in the cluster found and deleted; a
CRD being deleted finishing once its stuck instance is freed.
Leaves out: helm uninstall (test_helm_uninstall.py).
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, List, Tuple

import pexpect
import pytest
import yaml

from kubectl_metax import cli
from kubectl_metax.kube import applying
from tests.kubesim.contract import UserInfo
from tests.unstick import states

WEBHOOKS = ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")
WEBHOOK_NAME = "upgrade-validating-webhook-configuration"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_unstick(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> Callable[..., Tuple[int, str, str]]:
    """Return a function that runs the CLI in process against a kubeconfig."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C")

    def run(kubeconfig: Path, *args: str) -> Tuple[int, str, str]:
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        code = cli.run(["unstick", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _writes(sim: Any) -> List[Any]:
    return [
        entry
        for entry in sim.audit
        if entry.verb in WRITE_VERBS and entry.resource != "selfsubjectaccessreviews"
    ]


def _after_fired(rule: Any, change: Callable[[], None]) -> threading.Thread:
    """Run change once the fault rule has fired, while its latency delays the request."""

    def wait_then_change() -> None:
        for _attempt in range(3000):
            if rule.fired:
                change()
                return
            time.sleep(0.01)

    thread = threading.Thread(target=wait_then_change, daemon=True)
    thread.start()
    return thread


def test_faq_state_cleaned_and_verified(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0
    assert (
        "verified: ValidatingWebhookConfiguration/upgrade-validating-webhook-configuration gone"
        in out
    )
    assert "verified: ClusterOperator/cluster-operator gone" in out
    assert "verified: Namespace/metax-operator gone" in out
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is None
    assert sim.get(*OPERATORS, "metax-operator", "cluster-operator") is None
    assert sim.get("v1", "Namespace", "", "metax-operator") is None


def test_second_run_has_nothing_to_do(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    assert run_unstick(sim.kubeconfig, "--yes")[0] == 0
    writes_before = len(_writes(sim))
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0
    assert "nothing is stuck" in out
    assert len(_writes(sim)) == writes_before


def test_only_planned_objects_written(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install() + "---" + states.foreign_webhook())
    assert run_unstick(sim.kubeconfig, "--yes")[0] == 0
    written = sorted(
        (entry.verb, entry.resource, entry.namespace, entry.name)
        for entry in _writes(sim)
        if entry.user == "kubesim-admin"
    )
    assert written == [
        (
            "delete",
            "validatingwebhookconfigurations",
            "",
            "upgrade-validating-webhook-configuration",
        ),
        ("patch", "clusteroperators", "metax-operator", "cluster-operator"),
    ]


def test_renamed_objects_cleaned(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(
        state=states.stuck_install(
            namespace="gpu-system",
            operator="site-gpu-config",
            webhook="gpu-op-validating",
            service="gpu-op-webhook",
            release="gpu-op",
            terminating=False,
        )
    )
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0
    assert "namespace gpu-system" in out
    assert sim.get(*WEBHOOKS, "", "gpu-op-validating") is None
    assert sim.get(*OPERATORS, "gpu-system", "site-gpu-config") is None
    assert "helm uninstall gpu-op -n gpu-system --wait" in out


def test_foreign_webhook_left_alone(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install() + "---" + states.foreign_webhook())
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0
    assert "left alone: ValidatingWebhookConfiguration/other-product-validating" in out
    assert sim.get(*WEBHOOKS, "", "other-product-validating") is not None


def test_live_webhook_left_alone(kubesim_factory: Any, run_unstick: Any) -> None:
    # An Active namespace: in a Terminating one the namespace controller
    # would delete the Service and its Endpoints.
    sim = kubesim_factory(
        state=states.stuck_install(terminating=False) + "---" + states.live_service()
    )
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    assert code == 0
    result = json.loads(out)
    assert [a["action"] for a in result["actions"]] == ["remove-finalizers"]
    assert result["skipped"][0]["reason"] == "live"
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is not None
    assert sim.get(*OPERATORS, "metax-operator", "cluster-operator") is None


def test_injected_conflict_replanned(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    rule = sim.faults.add(method="DELETE", resource="validatingwebhookconfigurations", code=409)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    assert code == 0
    assert rule.fired == 1
    outcome = json.loads(out)["outcomes"][0]
    assert (outcome["result"], outcome["attempts"]) == ("done", 2)


def test_concurrent_update_replanned(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    rule = sim.faults.add(method="DELETE", resource="validatingwebhookconfigurations", latency=2.0)

    def relabel() -> None:
        config = sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration")
        config["metadata"].setdefault("labels", {})["touched"] = "yes"
        sim.cluster.update(config)

    thread = _after_fired(rule, relabel)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    thread.join()
    assert code == 0
    conflicts = [
        entry
        for entry in sim.audit
        if entry.verb == "delete" and entry.resource == "validatingwebhookconfigurations"
    ]
    assert [entry.code for entry in conflicts] == [409, 200]
    assert json.loads(out)["outcomes"][0]["attempts"] == 2


def test_changed_finalizers_fail_test_and_replan(kubesim_factory: Any, run_unstick: Any) -> None:
    # The API server forbids adding finalizers to an object being deleted
    # ("no new finalizers can be added if the object is being deleted",
    # k8s.io/apimachinery/pkg/api/validation/objectmeta.go), so the change
    # between plan and patch here is another client removing one of two.
    state = states.stuck_install().replace(
        "finalizers: [gpu.metax-tech.com]", "finalizers: [gpu.metax-tech.com, example.com/audit]"
    )
    sim = kubesim_factory(state=state)
    rule = sim.faults.add(method="PATCH", resource="clusteroperators", latency=2.0)

    def drop_one() -> None:
        stored = sim.get(*OPERATORS, "metax-operator", "cluster-operator")
        stored["metadata"]["finalizers"] = ["gpu.metax-tech.com"]
        sim.cluster.update(stored)

    thread = _after_fired(rule, drop_one)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    thread.join()
    assert code == 0
    patches = [
        entry.code
        for entry in sim.audit
        if entry.verb == "patch" and entry.resource == "clusteroperators"
    ]
    assert patches == [422, 200]
    outcome = json.loads(out)["outcomes"][1]
    assert outcome["action"]["finalizers"] == ["gpu.metax-tech.com"]
    assert sim.get(*OPERATORS, "metax-operator", "cluster-operator") is None


def test_gpu_workloads_refuse_then_force(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install() + "---" + states.gpu_pod())
    code, _out, err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 2
    assert "ml: train-0" in err
    assert _writes(sim) == []
    assert run_unstick(sim.kubeconfig, "--yes", "--force")[0] == 0
    assert sim.get(*OPERATORS, "metax-operator", "cluster-operator") is None


def test_client_dry_run_changes_nothing(kubesim_factory: Any, run_unstick: Any) -> None:
    # An Active namespace, so that no controller changes the state meanwhile.
    sim = kubesim_factory(state=states.stuck_install(terminating=False))
    before = sim.dump()
    code, out, _err = run_unstick(sim.kubeconfig, "--dry-run")
    assert code == 0
    assert "dry run: nothing was changed" in out
    assert sim.dump() == before
    assert _writes(sim) == []


def test_server_dry_run_changes_nothing(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install(terminating=False))
    before = sim.dump()
    code, out, _err = run_unstick(sim.kubeconfig, "--dry-run=server", "-o", "json")
    assert code == 0
    assert sim.dump() == before
    writes = _writes(sim)
    assert [(entry.verb, entry.code) for entry in writes] == [("delete", 200), ("patch", 500)]
    assert all(entry.dry_run and "dryRun=All" in entry.path for entry in writes)
    results = [outcome["result"] for outcome in json.loads(out)["outcomes"]]
    assert results == ["dry-run-ok", "dry-run-blocked-by-planned-deletion"]
    assert not list(Path.cwd().glob("kubectl-metax-unstick-*.yaml"))


def test_backup_written_private(kubesim_factory: Any, run_unstick: Any, tmp_path: Path) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    folder = tmp_path / "backups"
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "--backup-dir", str(folder))
    assert code == 0
    files = list(folder.glob("kubectl-metax-unstick-*.yaml"))
    assert len(files) == 1
    assert str(files[0]) in out
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    documents = list(yaml.safe_load_all(files[0].read_text()))
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("ValidatingWebhookConfiguration", "upgrade-validating-webhook-configuration"),
        ("ClusterOperator", "cluster-operator"),
    ]
    assert documents[1]["metadata"]["finalizers"] == ["gpu.metax-tech.com"]
    assert "SGVsbSByZWxlYXNlIHBheWxvYWQ" not in files[0].read_text()


def test_missing_permission_refused(kubesim_factory: Any, run_unstick: Any, tmp_path: Path) -> None:
    reader_rbac = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader-and-patcher}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: [get, list]
- apiGroups: [gpu.metax-tech.com]
  resources: [clusteroperators]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader-and-patcher}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader-and-patcher}
subjects: [{kind: User, name: reader, apiGroup: rbac.authorization.k8s.io}]
"""
    sim = kubesim_factory(state=states.stuck_install() + "---" + reader_rbac)
    kubeconfig = sim.write_kubeconfig(
        tmp_path / "reader.yaml", UserInfo("reader", ("system:authenticated",))
    )
    code, _out, err = run_unstick(kubeconfig, "--yes")
    assert code == 2
    missing = "delete validatingwebhookconfigurations.admissionregistration.k8s.io/" + WEBHOOK_NAME
    assert missing in err
    assert "clusteroperators" not in err.split("missing permissions", 1)[1]
    assert _writes(sim) == []


def test_no_terminal_without_yes_refused(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    code, _out, err = run_unstick(sim.kubeconfig)
    assert code == 2
    assert "--yes" in err
    assert _writes(sim) == []


def test_forbidden_kind_becomes_gap(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    sim.faults.add(method="GET", resource="nodes", code=403, times=None)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    assert code == 0
    gaps = json.loads(out)["gaps"]
    assert [(gap["kind"], gap["reason"]) for gap in gaps] == [("nodes", "forbidden")]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("C", "verified: ClusterOperator/cluster-operator gone"),
        ("zh_CN.UTF-8", "已验证：ClusterOperator/cluster-operator 已删除"),
    ],
)
def test_real_cli_in_each_language(
    kubesim_factory: Any, tmp_path: Path, lang: str, expected: str
) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    env = sim.env()
    env.update({"LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""})
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "kubectl-metax"), "unstick", "--yes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert expected in completed.stdout


def test_blind_plan_not_called_clean(kubesim: Any, run_unstick: Any) -> None:
    kubesim.faults.add(
        method="GET", resource="validatingwebhookconfigurations", code=403, times=None
    )
    code, out, err = run_unstick(kubesim.kubeconfig, "--yes")
    assert code == 1
    assert "nothing is stuck" not in out
    assert "could not list validatingwebhookconfigurations" in err


@pytest.mark.parametrize(
    ("lang", "prompt", "reply", "expected_code"),
    [
        ("C", "Apply these 2 changes? [y/N]", "y", 0),
        ("zh_CN.UTF-8", "执行这 2 项更改吗？[y/N]", "n", 2),
    ],
)
def test_terminal_prompt_confirms(  # noqa: PLR0917 - parametrized cases
    kubesim_factory: Any, tmp_path: Path, lang: str, prompt: str, reply: str, expected_code: int
) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    env = sim.env()
    env.update({"LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""})
    child = pexpect.spawn(
        str(Path(sys.executable).parent / "kubectl-metax"),
        ["unstick"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect_exact(prompt)
    child.sendline(reply)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == expected_code
    still_there = sim.get(*OPERATORS, "metax-operator", "cluster-operator") is not None
    assert still_there == (expected_code != 0)


def test_endless_conflicts_fail_bounded(kubesim_factory: Any, run_unstick: Any) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    sim.faults.add(
        method="DELETE", resource="validatingwebhookconfigurations", code=409, times=None
    )
    code, out, _err = run_unstick(sim.kubeconfig, "--yes", "-o", "json")
    assert code == 1
    outcome = json.loads(out)["outcomes"][0]
    assert (outcome["result"], outcome["attempts"]) == ("failed", applying.MAX_ATTEMPTS)
    deletes = [entry for entry in sim.audit if entry.verb == "delete"]
    assert len(deletes) == applying.MAX_ATTEMPTS


def test_namespace_still_stuck_not_verified(
    kubesim_factory: Any, run_unstick: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A ConfigMap with a finalizer nobody removes keeps the namespace Terminating.
    leftover = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: pinned
  namespace: metax-operator
  finalizers: [example.com/keep]
"""
    monkeypatch.setattr(applying, "SETTLE_SECONDS", 1.0)
    sim = kubesim_factory(state=states.stuck_install() + "---" + leftover)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 1
    assert "verified: ClusterOperator/cluster-operator gone" in out
    assert "NOT verified: Namespace/metax-operator still terminating" in out


def test_lone_webhook_deleted(kubesim_factory: Any, run_unstick: Any) -> None:
    # After a broken uninstall the webhook configuration may be all that is left,
    # and it still rejects the ClusterOperator of the next install.
    documents = states.stuck_install().split("\n---\n")
    webhook = next(doc for doc in documents if "kind: ValidatingWebhookConfiguration" in doc)
    sim = kubesim_factory(state=webhook)
    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0
    assert (
        "verified: ValidatingWebhookConfiguration/upgrade-validating-webhook-configuration gone"
        in out
    )
    assert sim.get(*WEBHOOKS, "", WEBHOOK_NAME) is None


def test_terminating_crd_finishes(kubesim_factory: Any, run_unstick: Any) -> None:
    # `kubectl delete crd` waits on the CRD's cleanup finalizer until every
    # instance is gone, and the stuck ClusterOperator never goes.
    sim = kubesim_factory(state=states.stuck_install(terminating=False))
    crds = sim.cluster.resource_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    sim.cluster.delete(crds, "", "clusteroperators.gpu.metax-tech.com")
    crd = sim.get(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "clusteroperators.gpu.metax-tech.com",
    )
    assert crd["metadata"]["deletionTimestamp"]

    code, out, _err = run_unstick(sim.kubeconfig, "--yes")
    assert code == 0, out
    assert "then CustomResourceDefinition clusteroperators.gpu.metax-tech.com can finish" in out
    assert "verified: CustomResourceDefinition/clusteroperators.gpu.metax-tech.com gone" in out
    crd = sim.get(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "",
        "clusteroperators.gpu.metax-tech.com",
    )
    assert crd is None
