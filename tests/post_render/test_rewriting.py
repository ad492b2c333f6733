"""Which references the post-renderer rewrites, and into what.

Covers: container, initContainer and ephemeralContainer images in every
workload kind (Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job,
CronJob, ReplicationController, PodTemplate) and in ``kind: List`` items;
env values holding MetaX references; the ClusterOperator ``image`` and
``payload`` structures; ``--driver-version``, ``--arch``, ``--gpu``,
``--maca-version`` and ``--distro`` fixes that keep a mirror's location;
non-MetaX images and non-image env values left alone; running twice gives
the same output.

Leaves out: the stream layer (test_stream.py) and the hook (test_hook.py).
"""

from __future__ import annotations

from typing import Any, Dict

import pytest
import yaml

from kubectl_metax import errors
from kubectl_metax.postrender import pipeline
from kubectl_metax.postrender.options import Options

MIRROR = "harbor.example.cn/mx"
OPERATOR = "cr.metax-tech.com/cloud/operator-controller:0.13.0-amd64"
OTHER = "docker.io/library/busybox:1.36.1"

POD_SPEC = f"""
      initContainers:
      - name: init
        image: {OTHER}
      - name: init-metax
        image: {OPERATOR}
      containers:
      - name: main
        image: {OPERATOR}
        env:
        - name: HELPER_IMAGE
          value: cr.metax-tech.com/cloud/gpu-label:0.13.0-amd64
        - name: PLAIN
          value: cr.metax-tech.com
        - name: OTHER_IMAGE
          value: {OTHER}
      ephemeralContainers:
      - name: debug
        image: cr.metax-tech.com/cloud/topo-worker:0.13.0-arm64
"""

WORKLOADS = {
    "Deployment": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:",
    "DaemonSet": "apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:",
    "StatefulSet": "apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:",
    "ReplicaSet": "apiVersion: apps/v1\nkind: ReplicaSet\nspec:\n  template:\n    spec:",
    "ReplicationController": (
        "apiVersion: v1\nkind: ReplicationController\nspec:\n  template:\n    spec:"
    ),
    "Job": "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:",
    "PodTemplate": "apiVersion: v1\nkind: PodTemplate\ntemplate:\n  spec:",
}


def render(text: str, **options: Any) -> str:
    return pipeline.run(text.encode("utf-8"), Options(**options).checked()).text


def pod_spec_of(manifest: Dict[str, Any]) -> Dict[str, Any]:
    kind = manifest["kind"]
    if kind == "CronJob":
        return manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if kind == "Pod":
        return manifest["spec"]  # type: ignore[no-any-return]
    if kind == "PodTemplate":
        return manifest["template"]["spec"]  # type: ignore[no-any-return]
    return manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def check_pod_spec(spec: Dict[str, Any]) -> None:
    assert spec["initContainers"][0]["image"] == OTHER
    assert spec["initContainers"][1]["image"] == f"{MIRROR}/operator-controller:0.13.0-amd64"
    assert spec["containers"][0]["image"] == f"{MIRROR}/operator-controller:0.13.0-amd64"
    env = {item["name"]: item["value"] for item in spec["containers"][0]["env"]}
    assert env == {
        "HELPER_IMAGE": f"{MIRROR}/gpu-label:0.13.0-amd64",
        "PLAIN": "cr.metax-tech.com",
        "OTHER_IMAGE": OTHER,
    }
    assert spec["ephemeralContainers"][0]["image"] == f"{MIRROR}/topo-worker:0.13.0-arm64"


def _indented(block: str, spaces: int) -> str:
    return "\n".join(
        (" " * spaces + line[6:]) if line.strip() else line for line in block.split("\n")
    )


@pytest.mark.parametrize("kind", sorted(WORKLOADS))
def test_workload_images_rewritten(kind: str) -> None:
    head = WORKLOADS[kind]
    depth = len(head.rsplit("\n", 1)[-1]) - len(head.rsplit("\n", 1)[-1].lstrip()) + 2
    text = head + "\n" + _indented(POD_SPEC.strip("\n"), depth) + "\n"

    check_pod_spec(pod_spec_of(yaml.safe_load(render(text, registry=MIRROR))))


def test_pod_and_cronjob_images_rewritten() -> None:
    pod = "apiVersion: v1\nkind: Pod\nspec:\n" + _indented(POD_SPEC.strip("\n"), 2) + "\n"
    cronjob = (
        "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n" + _indented(POD_SPEC.strip("\n"), 10) + "\n"
    )

    for text in (pod, cronjob):
        check_pod_spec(pod_spec_of(yaml.safe_load(render(text, registry=MIRROR))))


def test_list_items_rewritten() -> None:
    item = "  - apiVersion: v1\n    kind: Pod\n    spec:\n" + _indented(POD_SPEC.strip("\n"), 6)
    text = "apiVersion: v1\nkind: List\nitems:\n" + item + "\n" + item + "\n"

    loaded = yaml.safe_load(render(text, registry=MIRROR))

    assert len(loaded["items"]) == 2
    for manifest in loaded["items"]:
        check_pod_spec(manifest["spec"])


CLUSTER_OPERATOR = """apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata:
  name: cluster-operator
  namespace: metax-operator
spec:
  devicePlugin:
    image:
      registry: cr.metax-tech.com/cloud
      name: gpu-device
      version: 0.13.0-amd64
      pullPolicy: IfNotPresent
  driver:
    payload:
      name: driver-image
      registry: cr.metax-tech.com/cloud
      version: "2.24.0.8-amd64"
  maca:
    payload:
      registry: cr.metax-tech.com/library
      images:
        - "maca-native:2.32.0.6-ubuntu22.04-amd64"
  other:
    image:
      registry: docker.io/library
      name: busybox
      version: "1.36.1"
"""


def test_cluster_operator_relocated() -> None:
    spec = yaml.safe_load(render(CLUSTER_OPERATOR, registry=MIRROR))["spec"]

    assert spec["devicePlugin"]["image"]["registry"] == MIRROR
    assert spec["devicePlugin"]["image"]["name"] == "gpu-device"
    assert spec["driver"]["payload"] == {
        "name": "driver-image",
        "registry": MIRROR,
        "version": "2.24.0.8-amd64",
    }
    assert spec["maca"]["payload"] == {
        "registry": MIRROR,
        "images": ["maca-native:2.32.0.6-ubuntu22.04-amd64"],
    }
    assert spec["other"]["image"]["registry"] == "docker.io/library"


def test_cluster_operator_versions_fixed() -> None:
    output = render(
        CLUSTER_OPERATOR,
        driver_version="2.31.0.5",
        arch="arm64",
        gpu="C500",
        maca_version="2.33.0.1",
        distro="ubuntu20.04",
    )
    spec = yaml.safe_load(output)["spec"]

    assert spec["driver"]["payload"] == {
        "name": "driver-image",
        "registry": "cr.metax-tech.com/cloud",
        "version": "2.31.0.5-arm64",
    }
    assert spec["maca"]["payload"]["images"] == ["maca-native:2.33.0.1-ubuntu20.04-arm64"]
    assert spec["maca"]["payload"]["registry"] == "cr.metax-tech.com/library"
    assert 'version: "2.31.0.5-arm64"' in output  # the quoting style is kept


def test_mirror_location_kept_when_fixing() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: m\n"
        "    image: harbor.example.cn/mximages/maca-native:2.32.0.6-ubuntu22.04-amd64\n"
    )

    output = render(text, gpu="MXC500", maca_version="2.33.0.1")

    image = yaml.safe_load(output)["spec"]["containers"][0]["image"]
    assert image == "harbor.example.cn/mximages/maca-native:2.33.0.1-ubuntu22.04-amd64"


def test_maca_fix_needs_tag_parts() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: m\n"
        "    image: cr.metax-tech.com/library/maca-native:2.32.0.6\n"
    )

    with pytest.raises(errors.InvalidInput, match="--distro"):
        render(text, gpu="MXC500")


def test_rewrite_is_idempotent() -> None:
    text = (
        CLUSTER_OPERATOR
        + "---\napiVersion: v1\nkind: Pod\nspec:\n"
        + _indented(POD_SPEC.strip("\n"), 2)
        + "\n"
    )
    options = {"registry": MIRROR, "gpu": "MXC500", "maca_version": "2.33.0.1"}

    once = render(text, **options)
    twice = render(once, **options)

    assert twice == once
    assert once != text


MISSING_KEYS = """apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata:
  name: cluster-operator
spec:
  labelgen:
    image:
      name: gpu-label   # the operator's default registry applies
      version: 0.13.0-amd64
  driver:
    payload:
    - unrelated
  runtime:
    image: {name: container-runtime, version: 0.13.0-amd64}
"""


def test_missing_registry_key_added() -> None:
    output = render(MISSING_KEYS, registry=MIRROR, hook="never")

    assert "      name: gpu-label   # the operator's default registry applies\n" in output
    assert f"      registry: {MIRROR}\n      version: 0.13.0-amd64\n" in output
    image = yaml.safe_load(output)["spec"]["labelgen"]["image"]
    assert image == {"name": "gpu-label", "registry": MIRROR, "version": "0.13.0-amd64"}


def test_flow_structure_left_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    output = render(MISSING_KEYS, registry=MIRROR, hook="never")

    assert "    image: {name: container-runtime, version: 0.13.0-amd64}\n" in output
    assert "cannot add registry" in caplog.text


def test_missing_version_key_added_crlf() -> None:
    text = (
        "apiVersion: gpu.metax-tech.com/v1alpha1\r\nkind: ClusterOperator\r\n"
        "metadata:\r\n  name: c\r\nspec:\r\n  driver:\r\n    payload:\r\n"
        "      name: driver-image\r\n      registry: cr.metax-tech.com/cloud\r\n"
    )

    output = render(text, driver_version="2.31.0.5", arch="arm64", hook="never")

    assert "\n" not in output.replace("\r\n", "")
    payload = yaml.safe_load(output)["spec"]["driver"]["payload"]
    assert payload == {
        "name": "driver-image",
        "registry": "cr.metax-tech.com/cloud",
        "version": "2.31.0.5-arm64",
    }


def test_invalid_name_ignored_without_hook() -> None:
    text = CLUSTER_OPERATOR.replace("name: cluster-operator", 'name: "bad name"')

    output = render(text, registry=MIRROR)

    assert yaml.safe_load(output)["metadata"]["name"] == "bad name"
