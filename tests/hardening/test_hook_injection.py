"""Shell injection through the rendered chart into the Helm 4 cleanup hook.

Covers: a Helm 4 stream whose namespace, release, ClusterOperator name or
namespace, webhook configuration name, or webhook service name or
namespace carries ``$(...)``, backticks, ``;``, quotes, a newline or white
space is rejected with the document, line and value named; the real helm
v4.1.4 with a namespace carrying ``$(...)`` fails and nothing runs;
``hookscript.quoted`` gives back any text unchanged through ``sh``; the
script built from valid names, including the longest and oddest a name
may be, passes ``sh -n`` and, run with a fake kubectl on PATH that records
its argv, calls kubectl only with the expected verbs and names.

Leaves out: the script against a cluster (tests/post_render/test_hook_script.py)
and the hook's RBAC.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_metax.manifests import stream
from kubectl_metax.postrender import hookscript, pipeline
from kubectl_metax.postrender.options import Options
from tests.post_render.conftest import CHART, Helm, helm4, helm4_post_renderer  # noqa: F401

FILENAME = "postrenderer.helm.sh/postrender-filename"
OPTIONS = Options(hook="require").checked()
MARKER_NAME = "kmx-injected"
PAYLOADS = (
    "ns$(touch {marker})",
    "ns`touch {marker}`",
    "ns;touch {marker}",
    "ns' ; touch {marker} ; '",
    'ns" ; touch {marker} ; "',
    "ns\ntouch {marker}",
    "ns touch {marker}",
    "ns&&touch {marker}",
)
FIELDS = (
    "operator namespace",
    "release",
    "ClusterOperator name",
    "ClusterOperator namespace",
    "webhook configuration",
    "service name",
    "service namespace",
)
VALID = {
    "operator namespace": "metax-operator",
    "release": "metax-operator-1743500897",
    "ClusterOperator name": "cluster-operator",
    "ClusterOperator namespace": "metax-operator",
    "webhook configuration": "upgrade-validating-webhook-configuration",
    "service name": "upgrade-webhook-service",
    "service namespace": "metax-operator",
}


def _annotated(manifest: Dict[str, Any], filename: str) -> Dict[str, Any]:
    manifest["metadata"].setdefault("annotations", {})[FILENAME] = filename
    return manifest


def helm4_stream(values: Dict[str, str]) -> bytes:
    """Return a Helm 4 stream with the operator Deployment, ClusterOperator and webhook."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "metax-operator",
            "namespace": values["operator namespace"],
            "labels": {
                "app.kubernetes.io/component": "metax-operator",
                "app.kubernetes.io/instance": values["release"],
            },
        },
        "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "busybox:1.36"}]}}},
    }
    cluster_operator = {
        "apiVersion": "gpu.metax-tech.com/v1alpha1",
        "kind": "ClusterOperator",
        "metadata": {
            "name": values["ClusterOperator name"],
            "namespace": values["ClusterOperator namespace"],
        },
        "spec": {"cluster": {"type": "k8s"}},
    }
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": values["webhook configuration"]},
        "webhooks": [
            {
                "name": "vclusteroperator.kb.io",
                "clientConfig": {
                    "service": {
                        "name": values["service name"],
                        "namespace": values["service namespace"],
                    }
                },
            }
        ],
    }
    documents = [
        _annotated(deployment, "metax-operator/templates/operator.yaml"),
        _annotated(cluster_operator, "metax-operator/templates/clusteroperator.yaml"),
        _annotated(webhook, "metax-operator/templates/webhook.yaml"),
    ]
    return yaml.safe_dump_all(documents, sort_keys=False).encode("utf-8")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", FIELDS)
def test_injected_name_rejected(field: str, payload: str, tmp_path: Path) -> None:
    value = payload.format(marker=tmp_path / MARKER_NAME)
    with pytest.raises(stream.MalformedStream) as raised:
        pipeline.run(helm4_stream({**VALID, field: value}), OPTIONS)
    message = str(raised.value)
    assert message.startswith("document ")
    assert "(line " in message
    assert "is not a valid Kubernetes name" in message
    assert repr(value) in message


def test_valid_names_give_hook() -> None:
    """The stream above is accepted as it stands: the rejections come from the payloads."""
    result = pipeline.run(helm4_stream(VALID), OPTIONS)
    assert result.hook_added


def test_real_helm4_rejects_namespace(helm4: Helm, tmp_path: Path) -> None:  # noqa: F811
    marker = tmp_path / MARKER_NAME
    completed = helm4.run(
        "template",
        "metax-operator",
        str(CHART),
        "-n",
        f"metax$(touch {marker})",
        *helm4_post_renderer("--hook", "require"),
        check=False,
    )
    assert completed.returncode != 0
    assert "post-renderer" in completed.stderr
    assert "touch" not in completed.stdout
    assert not marker.exists()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(value=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
def test_quoted_value_inert_in_sh(value: str) -> None:
    assert shutil.which("sh")
    completed = subprocess.run(
        ["sh", "-c", f"printf '%s' {hookscript.quoted(value)}"],
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout.decode("utf-8", "surrogateescape") == value


FAKE_KUBECTL = """#!/bin/sh
for argument in "$@"; do printf '%s\\037' "$argument" >> "$ARGV_LOG"; done
printf '\\n' >> "$ARGV_LOG"
case "$1 $2" in
    "get pods") exit 0 ;;
    "get clusteroperators.gpu.metax-tech.com")
        echo 'Error from server (NotFound): clusteroperators "x" not found' >&2; exit 1 ;;
    "get validatingwebhookconfiguration")
        printf '%s\\n' "$FAKE_WEBHOOK_TARGETS"; exit 0 ;;
esac
exit 0
"""


def _hook_script(values: Dict[str, str]) -> str:
    text = pipeline.run(helm4_stream(values), OPTIONS).text
    for manifest in yaml.safe_load_all(text):
        if manifest and manifest["kind"] == "Job":
            command: List[str] = manifest["spec"]["template"]["spec"]["containers"][0]["command"]
            assert command[:2] == ["sh", "-c"]
            assert len(command) == 3
            return command[2]
    raise AssertionError("no hook Job in the output")


def _run_script(script: str, tmp_path: Path, webhook_targets: str) -> List[List[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL, encoding="utf-8")
    kubectl.chmod(0o755)
    path = tmp_path / "cleanup.sh"
    path.write_text(script, encoding="utf-8")
    log = tmp_path / "argv.log"

    syntax = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "ARGV_LOG": str(log),
        "FAKE_WEBHOOK_TARGETS": webhook_targets,
        "POD_NAMESPACE": "metax-operator",
        "OPERATOR_FINISH_SECONDS": "0",
        "OBJECT_GONE_SECONDS": "0",
        "POLL_SECONDS": "1",
    }
    completed = subprocess.run(
        ["sh", str(path)], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    return [line.split("\x1f")[:-1] for line in lines]


@pytest.mark.parametrize(
    "names",
    [
        None,
        {
            # The most a DNS-1123 label and subdomain allow, dots and digits included.
            "operator namespace": "a" * 62 + "9",
            "ClusterOperator namespace": "a" * 62 + "9",
            "ClusterOperator name": "0." + "b-c" * 80 + ".z",
            "webhook configuration": "w-1.example.com",
            "service name": "s" * 63,
            "service namespace": "a" * 62 + "9",
        },
    ],
    ids=["usual", "longest"],
)
def test_script_calls_only_expected_kubectl(
    names: Optional[Dict[str, str]], tmp_path: Path
) -> None:
    values = {**VALID, **(names or {})}
    script = _hook_script(values)
    service = f"{values['service namespace']}/{values['service name']}"
    calls = _run_script(script, tmp_path, service)

    co_name, co_namespace = values["ClusterOperator name"], values["ClusterOperator namespace"]
    assert [
        "delete",
        "clusteroperators.gpu.metax-tech.com",
        co_name,
        "-n",
        co_namespace,
        "--wait=false",
    ] in calls
    assert [
        "delete",
        "validatingwebhookconfiguration",
        values["webhook configuration"],
        "--wait=false",
    ] in calls
    assert calls[0][:2] == ["get", "pods"]
    for call in calls:
        assert call[0] in ("get", "delete", "patch"), call
        if call[0] in ("delete", "patch"):
            assert call[2] in (co_name, values["webhook configuration"]), call
    assert not list(tmp_path.glob(f"**/{MARKER_NAME}"))
