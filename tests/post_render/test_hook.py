"""The Helm 4 pre-delete cleanup hook: its objects, its names and its options.

Covers, on the stream helm v4.1.4 really hands to a post-renderer (captured
by a plugin): the Job's limits, security context and copied tolerations;
RBAC scoped by resourceNames; weights after the chart's own pre-delete hook
whatever its weight; running twice adds no second hook; the Helm 4
filename annotations kept; no hook for a chart without the operator or with
``--hook=never``; ``--hook=require`` failing on a Helm 3 stream; names that
are not Kubernetes names rejected (exit 1, document and line named) and
quoting that survives the shell; ``--hook-image`` (tag or digest, moved by
``--registry``) and hook-allow-busy-gpus from a --config file.

Leaves out: running the script (test_hook_script.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kubectl_metax.postrender import hookscript
from tests.post_render.conftest import NAMESPACE, hook_objects, post_render, render


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
