"""The cleanup hook's script, run by dash with kubectl v1.35.2 against kubesim.

Covers: as cluster admin and as the hook's own ServiceAccount with only
the RBAC the hook creates (and failing without it, so the emulator is shown
to enforce RBAC), the script deletes the ClusterOperator, removes the
finalizer behind a webhook left without its service, deletes that webhook
configuration but not another product's, refuses while a pod requests a
MetaX GPU unless told otherwise, runs again with nothing left to do, and
with a live operator (kubesim's stand-in) lets the operator remove its own
finalizer.

Leaves out: helm uninstall running the hook as a Job (needs a release
installed through helm into the emulator).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from tests.kubesim.contract import UserInfo
from tests.post_render.conftest import NAMESPACE, hook_objects, render
from tests.unstick import states

CLUSTER_OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")
WEBHOOKS = ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
# The waits of the script, shortened: nothing in kubesim finishes a ClusterOperator.
FAST = {"OPERATOR_FINISH_SECONDS": "0", "OBJECT_GONE_SECONDS": "2", "POLL_SECONDS": "1"}


def cleanup_script(data: bytes, **options: Any) -> str:
    job = hook_objects(render(data, **options))["Job"]
    return job["spec"]["template"]["spec"]["containers"][0]["command"][2]  # type: ignore[no-any-return]


def run_script(
    script: str, kubeconfig: Path, kubectl: Path, tmp_path: Path
) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    path = tmp_path / "cleanup.sh"
    path.write_text(script, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "KUBECONFIG": str(kubeconfig),
        "KUBECTL": str(kubectl),
        "POD_NAMESPACE": NAMESPACE,
        **FAST,
    }
    assert shutil.which("dash"), "dash is needed: the script must run under a strict POSIX sh"
    return subprocess.run(
        ["dash", str(path)], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_script_cleans_stuck_state(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(
        state=states.stuck_install(terminating=False) + "---\n" + states.foreign_webhook()
    )

    completed = run_script(cleanup_script(helm4_input), sim.kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is None
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is None
    assert sim.get(*WEBHOOKS, "", "other-product-validating") is not None
    assert "removed finalizers" in completed.stdout

    again = run_script(cleanup_script(helm4_input), sim.kubeconfig, kubectl_bin, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already gone" in again.stdout


def test_script_works_with_hook_rbac_only(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    rendered = render(helm4_input)
    rbac = [
        yaml.safe_dump(item) for item in hook_objects(rendered).values() if item["kind"] != "Job"
    ]
    sim = kubesim_factory(
        state=states.stuck_install(terminating=False) + "---\n" + "---\n".join(rbac)
    )
    account = hook_objects(rendered)["ServiceAccount"]["metadata"]["name"]
    user = UserInfo(
        username=f"system:serviceaccount:{NAMESPACE}:{account}",
        groups=(
            "system:serviceaccounts",
            f"system:serviceaccounts:{NAMESPACE}",
            "system:authenticated",
        ),
    )
    kubeconfig = sim.write_kubeconfig(tmp_path / "hook-kubeconfig", user)

    completed = run_script(cleanup_script(helm4_input), kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "forbidden" not in (completed.stdout + completed.stderr).lower()
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is None
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is None


def test_script_refuses_busy_gpus(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(
        state=states.stuck_install(terminating=False) + "---\n" + states.gpu_pod()
    )

    completed = run_script(cleanup_script(helm4_input), sim.kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 1
    assert "ml/train-0" in completed.stdout
    assert "refusing" in completed.stdout
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is not None
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is not None


def test_script_allows_busy_gpus_when_told(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(
        state=states.stuck_install(terminating=False) + "---\n" + states.gpu_pod()
    )
    script = cleanup_script(helm4_input, hook_allow_busy_gpus=True)

    completed = run_script(script, sim.kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "ml/train-0" in completed.stdout
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is None


def test_script_fails_without_hook_rbac(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    # The check above proves the RBAC is enough only if the emulator enforces it.
    sim = kubesim_factory(state=states.stuck_install(terminating=False))
    user = UserInfo(
        username=f"system:serviceaccount:{NAMESPACE}:nobody", groups=("system:authenticated",)
    )
    kubeconfig = sim.write_kubeconfig(tmp_path / "nobody-kubeconfig", user)

    completed = run_script(cleanup_script(helm4_input), kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 1
    assert "forbidden" in (completed.stdout + completed.stderr).lower()
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is not None


LIVE_OPERATOR = """
apiVersion: v1
kind: Namespace
metadata: {name: metax-operator}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusteroperators.gpu.metax-tech.com}
spec:
  group: gpu.metax-tech.com
  scope: Namespaced
  names: {plural: clusteroperators, singular: clusteroperator, kind: ClusterOperator}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metax-operator-1743500897-metax-operator
  namespace: metax-operator
  labels: {app.kubernetes.io/component: metax-operator}
spec:
  selector: {matchLabels: {app: operator}}
  template:
    metadata: {labels: {app: operator}}
    spec: {containers: [{name: operator, image: example.cn/operator:1}]}
status:
  availableReplicas: 1
  conditions: [{type: Available, status: "True"}]
---
apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata: {name: cluster-operator, namespace: metax-operator}
spec: {cluster: {type: k8s}}
"""


def test_script_lets_live_operator_finish(
    helm4_input: bytes, kubesim_factory: Any, kubectl_bin: Path, tmp_path: Path
) -> None:
    sim = kubesim_factory(state=LIVE_OPERATOR, actors=("operator",))
    for _attempt in range(100):  # the stand-in adds its finalizer on its next resync
        stored = sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator")
        if "gpu.metax-tech.com" in stored["metadata"].get("finalizers", []):
            break
        time.sleep(0.1)
    assert "gpu.metax-tech.com" in stored["metadata"]["finalizers"]
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is not None
    script = cleanup_script(helm4_input).replace(
        ': "${OPERATOR_FINISH_SECONDS:=90}"', "OPERATOR_FINISH_SECONDS=30"
    )

    completed = run_script(script, sim.kubeconfig, kubectl_bin, tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "the operator finished" in completed.stdout
    assert "removed finalizers" not in completed.stdout
    assert sim.get(*CLUSTER_OPERATORS, NAMESPACE, "cluster-operator") is None
    assert sim.get(*WEBHOOKS, "", "upgrade-validating-webhook-configuration") is None
