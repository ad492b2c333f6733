"""The Helm 4 pre-delete cleanup hook: its objects, its names and its script.

Covers, on the stream helm v4.1.4 really hands to a post-renderer (captured
by a plugin): the Job's limits, security context and copied tolerations;
RBAC scoped by resourceNames; weights after the chart's own pre-delete hook
whatever its weight; running twice adds no second hook; no hook for a chart
without the operator or with ``--hook=never``; names that are not
Kubernetes names rejected (exit 1, document and line named) and quoting
that survives the shell; the script run by dash with kubectl v1.35.2
against kubesim, as cluster admin and as the hook's own ServiceAccount
with only the RBAC the hook creates: it deletes the ClusterOperator,
removes the finalizer behind a webhook left without its service, deletes
that webhook configuration but not another product's, refuses while a pod
requests a MetaX GPU, runs again with nothing left to do, and with a
live operator (kubesim's stand-in) lets the operator remove its own
finalizer. Also --hook-image (tag or digest, moved by --registry) and
hook-allow-busy-gpus from a --config file.

Leaves out: helm uninstall running the hook (needs a release installed
through helm into the emulator).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from kubectl_metax.postrender import hookscript, pipeline
from kubectl_metax.postrender.options import Options
from tests.kubesim.contract import UserInfo
from tests.post_render.conftest import NAMESPACE, Helm, post_render
from tests.unstick import states

GENERATED = "kubectl-metax/generated-by"
CLUSTER_OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")
WEBHOOKS = ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
# The waits of the script, shortened: nothing in kubesim finishes a ClusterOperator.
FAST = {"OPERATOR_FINISH_SECONDS": "0", "OBJECT_GONE_SECONDS": "2", "POLL_SECONDS": "1"}


@pytest.fixture(scope="module")
def helm4_input(helm4: Helm, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The stream helm v4 writes to a post-renderer for the example chart."""
    folder = tmp_path_factory.mktemp("capture-plugin")
    captured = folder / "captured.yaml"
    script = folder / "capture.sh"
    script.write_text(f"#!/bin/sh\ntee '{captured}'\n", encoding="utf-8")
    script.chmod(0o755)
    (folder / "plugin").mkdir()
    (folder / "plugin" / "plugin.yaml").write_text(
        "apiVersion: v1\ntype: postrenderer/v1\nname: capture\nversion: 0.1.0\n"
        f"runtime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: {script}\n",
        encoding="utf-8",
    )
    helm4.run("plugin", "install", str(folder / "plugin"))
    helm4.template("--post-renderer", "capture")
    return captured.read_bytes()


def hook_objects(text: str) -> Dict[str, Dict[str, Any]]:
    objects = {}
    for manifest in yaml.safe_load_all(text):
        if manifest and manifest["metadata"].get("annotations", {}).get(GENERATED):
            objects[manifest["kind"]] = manifest
    return objects


def render(data: bytes, **options: Any) -> str:
    return pipeline.run(data, Options(**options).checked()).text


def test_input_is_helm4_stream(helm4_input: bytes) -> None:
    assert b"postrenderer.helm.sh/postrender-filename" in helm4_input
    assert b"metax-pre-delete" in helm4_input


def test_job_is_restricted(helm4_input: bytes) -> None:
    job = hook_objects(render(helm4_input))["Job"]
    spec = job["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]

    assert spec["backoffLimit"] == 1
    assert spec["activeDeadlineSeconds"] == 240
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert set(container["resources"]) == {"requests", "limits"}
    assert container["image"] == "docker.io/alpine/k8s:1.34.1"
    assert container["command"][:2] == ["sh", "-c"]
    assert pod["tolerations"] == [
        {
            "key": "node-role.kubernetes.io/control-plane",
            "operator": "Exists",
            "effect": "NoSchedule",
        }
    ]


def test_rbac_is_scoped_by_name(helm4_input: bytes) -> None:
    objects = hook_objects(render(helm4_input))

    role = objects["Role"]
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [
        {
            "apiGroups": ["gpu.metax-tech.com"],
            "resources": ["clusteroperators"],
            "resourceNames": ["cluster-operator"],
            "verbs": ["get", "delete", "patch"],
        }
    ]
    assert objects["ClusterRole"]["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingwebhookconfigurations"],
            "resourceNames": ["upgrade-validating-webhook-configuration"],
            "verbs": ["get", "delete"],
        },
    ]
    subject = objects["ClusterRoleBinding"]["subjects"][0]
    assert subject == {
        "kind": "ServiceAccount",
        "name": objects["ServiceAccount"]["metadata"]["name"],
        "namespace": NAMESPACE,
    }


def test_script_values_come_from_chart(helm4_input: bytes) -> None:
    script = hook_objects(render(helm4_input))["Job"]["spec"]["template"]["spec"]["containers"][0][
        "command"
    ][2]

    assert "CLUSTER_OPERATORS='metax-operator/cluster-operator'\n" in script
    assert "WEBHOOK_CONFIGURATIONS='upgrade-validating-webhook-configuration'\n" in script
    assert "WEBHOOK_SERVICES='metax-operator/upgrade-webhook-service'\n" in script
    assert "ALLOW_BUSY_GPUS='false'\n" in script


@pytest.mark.parametrize("chart_weight", [-20, 0, 5, 40])
def test_weights_follow_chart_hook(helm4_input: bytes, chart_weight: int) -> None:
    data = helm4_input.replace(
        b'helm.sh/hook-weight: "5"', f'helm.sh/hook-weight: "{chart_weight}"'.encode()
    )

    objects = hook_objects(render(data))

    weights = {
        kind: int(item["metadata"]["annotations"]["helm.sh/hook-weight"])
        for kind, item in objects.items()
    }
    expected_base = max(chart_weight, 1)  # the chart's RBAC hooks weigh 1
    assert weights.pop("Job") == expected_base + 2
    assert set(weights.values()) == {expected_base + 1}


def test_second_run_adds_no_hook(helm4_input: bytes) -> None:
    once = render(helm4_input, registry="harbor.example.cn/mx")
    twice = render(once.encode("utf-8"), registry="harbor.example.cn/mx")

    assert twice == once
    assert len(hook_objects(once)) == 6


def test_no_hook_without_operator() -> None:
    data = (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n"
        b"    postrenderer.helm.sh/postrender-filename: 'other/templates/cm.yaml'\n"
    )

    assert render(data) == data.decode()
    assert post_render(data, "--hook=require").returncode == 1


def test_hook_never(helm4_input: bytes) -> None:
    assert hook_objects(render(helm4_input, hook="never")) == {}


INJECTIONS = [
    "cluster-operator'; rm -rf /; echo '",
    "$(id)",
    "a b",
    "`reboot`",
    "x\ny",
    "UPPER",
]


@pytest.mark.parametrize("name", INJECTIONS, ids=range(len(INJECTIONS)))
def test_unsafe_name_rejected(helm4_input: bytes, name: str) -> None:
    quoted_name = '"' + name.replace("\\", "\\\\").replace("\n", "\\n") + '"'
    data = helm4_input.replace(b"name: cluster-operator", f"name: {quoted_name}".encode(), 1)
    line = data[: data.index(quoted_name.encode())].count(b"\n") + 1

    completed = post_render(data)

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert f"line {line} of the input" in completed.stderr
    assert "not a valid Kubernetes name" in completed.stderr


@pytest.mark.parametrize("value", ["plain", "it's", "'; rm -rf / #", '$(id) `id` \\ "', "a\nb"])
def test_quoting_survives_shell(value: str) -> None:
    completed = subprocess.run(
        ["dash", "-c", f"printf '%s' {hookscript.quoted(value)}"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout == value


def test_script_rejects_unsafe_value() -> None:
    with pytest.raises(hookscript.UnsafeValue):
        hookscript.script(
            cluster_operators=[],
            webhook_configurations=["x; reboot"],
            webhook_services=[],
            allow_busy_gpus=False,
        )


# --- the script against kubesim -------------------------------------------------


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


def test_helm4_annotations_kept(helm4_input: bytes) -> None:
    annotation = "postrenderer.helm.sh/postrender-filename: "
    rendered = render(helm4_input, registry="harbor.example.cn/mx")

    before = re.findall(f"{annotation}(.+)", helm4_input.decode())
    after = re.findall(f"{annotation}(.+)", rendered)
    assert len(before) > 10
    assert after == before + ["kubectl-metax/pre-delete-cleanup.yaml"] * 6


def test_require_on_helm3_fails_empty(helm4_input: bytes) -> None:
    helm3_stream = re.sub(
        rb"\n *postrenderer\.helm\.sh/postrender-filename: [^\n]+", b"", helm4_input
    )
    assert b"postrenderer.helm.sh" not in helm3_stream

    completed = post_render(helm3_stream, "--hook=require")

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert "Helm 3" in completed.stderr


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


DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("hook_image", "registry", "expected"),
    [
        ("docker.io/rancher/kubectl:v1.32.3", "", "docker.io/rancher/kubectl:v1.32.3"),
        (
            "docker.io/rancher/kubectl:v1.32.3",
            "harbor.example.cn/tools",
            "harbor.example.cn/tools/kubectl:v1.32.3",
        ),
        (
            f"docker.io/alpine/k8s@{DIGEST}",
            "harbor.example.cn/tools",
            f"harbor.example.cn/tools/k8s@{DIGEST}",
        ),
    ],
)
def test_hook_image_option(
    helm4_input: bytes, hook_image: str, registry: str, expected: str
) -> None:
    job = hook_objects(render(helm4_input, hook_image=hook_image, registry=registry))["Job"]

    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == expected


def test_config_allows_busy_gpus(helm4_input: bytes, tmp_path: Path) -> None:
    config = tmp_path / "post-render.yaml"
    config.write_text("hook-allow-busy-gpus: true\n", encoding="utf-8")

    completed = post_render(helm4_input, f"--config={config}")

    script = hook_objects(completed.text)["Job"]["spec"]["template"]["spec"]["containers"][0]
    assert "ALLOW_BUSY_GPUS='true'\n" in script["command"][2]
