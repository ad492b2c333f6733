"""The post-renderer under real helm v3.17.2 and v4.1.4 with the example chart.

Covers: image rewriting through ``helm template`` on both versions; non-MetaX
images left alone; the Helm 4 plugin installed from helm-plugin/; the
cleanup hook present on Helm 4 after the chart's own pre-delete hook and
absent on Helm 3; the chart's hook image corrected on Helm 4 only; a
second run through helm (idempotence, and helm accepting the output as a
chart); ``--hook=require`` and ``--hook=never``.

Leaves out: installing into a cluster (the hook's run against the emulator
is tested separately) and the terminal warning (test_terminal.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from tests.post_render.conftest import (
    CHART,
    NAMESPACE,
    Helm,
    documents,
    helm3_post_renderer,
    helm4_post_renderer,
)

pytestmark = pytest.mark.helm

MIRROR = "harbor.example.cn/mximages"
SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)
GENERATED_SOURCE = "kubectl-metax/pre-delete-cleanup.yaml"


def images(text: str) -> List[str]:
    return re.findall(r"^\s*(?:- )?image: (\S+)$", text, re.MULTILINE)


def by_source(text: str) -> Dict[str, List[dict]]:  # type: ignore[type-arg]
    found: Dict[str, List[dict]] = {}  # type: ignore[type-arg]
    for document in documents(text):
        match = SOURCE.search(document)
        source = match.group(1) if match else ""
        found.setdefault(source, []).append(yaml.safe_load(document))
    return found


def hook_weight(manifest: dict) -> int:  # type: ignore[type-arg]
    return int(manifest["metadata"]["annotations"].get("helm.sh/hook-weight", "0"))


def test_helm3_rewrites_images(helm3: Helm) -> None:
    output = helm3.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout

    rewritten = [image for image in images(output) if image.startswith(MIRROR + "/")]
    assert f"{MIRROR}/operator-controller:0.13.0-amd64" in rewritten
    assert f"{MIRROR}/gpu-label:0.13.0-amd64" in rewritten
    assert f"{MIRROR}/topo-master:0.13.0-amd64" in rewritten
    assert f"value: {MIRROR}/driver-manager:0.13.0-amd64" in output


def test_helm3_leaves_other_images(helm3: Helm) -> None:
    output = helm3.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout

    assert "docker.io/library/busybox:1.36.1" in images(output)


def test_helm3_adds_no_hook(helm3: Helm) -> None:
    output = helm3.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout

    assert "kubectl-metax-cleanup" not in output
    assert "kubectl-metax/generated-by" not in output


def test_helm3_cannot_reach_chart_hooks(helm3: Helm) -> None:
    # helm 3 splits hooks off before the post-renderer runs: the chart's own
    # pre-delete Job keeps the vendor image, which the Helm 3 warning explains.
    output = helm3.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout
    hook_job = by_source(output)["metax-operator/templates/pre-delete.yaml"][-1]

    image = hook_job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "cr.metax-tech.com/cloud/operator-controller:0.13.0-amd64"


def test_helm3_rewrites_cluster_operator(helm3: Helm) -> None:
    output = helm3.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout
    (cluster_operator,) = by_source(output)["metax-operator/templates/clusteroperator.yaml"]
    spec = cluster_operator["spec"]

    assert spec["labelgen"]["image"] == {
        "registry": MIRROR,
        "name": "gpu-label",
        "version": "0.13.0-amd64",
        "pullPolicy": "IfNotPresent",
    }
    assert spec["driver"]["payload"] == {
        "name": "driver-image",
        "registry": MIRROR,
        "version": "2.24.0.8-amd64",
    }
    assert spec["maca"]["payload"] == {
        "registry": MIRROR,
        "images": ["maca-native:2.32.0.6-ubuntu22.04-amd64"],
    }


def test_helm3_require_fails(helm3: Helm) -> None:
    completed = helm3.template(*helm3_post_renderer("--hook=require"), check=False)

    assert completed.returncode != 0
    assert "--hook=require" in completed.stderr
    assert "kubectl metax unstick" in completed.stderr


def test_helm4_rewrites_chart_hook_image(helm4: Helm) -> None:
    output = helm4.template(*helm4_post_renderer(f"--registry={MIRROR}")).stdout
    hook_job = by_source(output)["metax-operator/templates/pre-delete.yaml"][-1]

    assert hook_job["kind"] == "Job"
    image = hook_job["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"{MIRROR}/operator-controller:0.13.0-amd64"
    assert "docker.io/library/busybox:1.36.1" in images(output)


def test_helm4_adds_hook_after_chart_hook(helm4: Helm) -> None:
    output = helm4.template(*helm4_post_renderer(f"--registry={MIRROR}")).stdout
    sources = by_source(output)

    ours = sources[GENERATED_SOURCE]
    chart_hooks = sources["metax-operator/templates/pre-delete.yaml"]
    assert sorted(item["kind"] for item in ours) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Job",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ]
    assert len(chart_hooks) == 5
    chart_max = max(hook_weight(item) for item in chart_hooks)
    (job,) = [item for item in ours if item["kind"] == "Job"]
    rbac = [item for item in ours if item["kind"] != "Job"]
    assert min(hook_weight(item) for item in ours) > chart_max
    assert max(hook_weight(item) for item in rbac) < hook_weight(job)
    for item in ours:
        annotations = item["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-delete"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"


def test_helm4_hook_image_follows_registry(helm4: Helm) -> None:
    output = helm4.template(*helm4_post_renderer(f"--registry={MIRROR}")).stdout
    (job,) = [item for item in by_source(output)[GENERATED_SOURCE] if item["kind"] == "Job"]

    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{MIRROR}/k8s:1.34.1"


def test_helm4_hook_never(helm4: Helm) -> None:
    output = helm4.template(*helm4_post_renderer("--hook=never")).stdout

    assert GENERATED_SOURCE not in output
    assert "kubectl-metax-cleanup" not in output


def test_helm4_second_pass_is_idempotent(helm4: Helm, tmp_path: Path) -> None:
    first = helm4.template(*helm4_post_renderer(f"--registry={MIRROR}")).stdout
    chart = _chart_of(first, tmp_path / "second")

    second = helm4.template(*helm4_post_renderer(f"--registry={MIRROR}"), chart=chart).stdout

    ours = [
        item
        for items in by_source(second).values()
        for item in items
        if item["metadata"].get("annotations", {}).get("kubectl-metax/generated-by")
    ]
    assert len(ours) == 6
    assert sorted(images(second)) == sorted(images(first))


@pytest.mark.parametrize("version", ["helm3", "helm4"])
def test_helm_accepts_output(version: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    helm: Helm = request.getfixturevalue(version)
    flags = helm3_post_renderer if version == "helm3" else helm4_post_renderer
    first = helm.template(*flags(f"--registry={MIRROR}", "--gpu=MXC500", "--maca-version=2.33.0.1"))
    chart = _chart_of(first.stdout, tmp_path / "again")

    again = helm.template(chart=chart)

    assert len(documents(again.stdout)) == len(documents(first.stdout))
    for document in documents(again.stdout):
        assert isinstance(yaml.safe_load(document), dict)
    assert "maca-native:2.33.0.1-ubuntu22.04-amd64" in again.stdout


def _chart_of(rendered: str, folder: Path) -> Path:
    """Make a chart whose only template is ``rendered``, in the example chart's namespace."""
    (folder / "templates").mkdir(parents=True)
    shutil.copy(CHART / "Chart.yaml", folder / "Chart.yaml")
    assert "{{" not in rendered
    (folder / "templates" / "rendered.yaml").write_text(rendered, encoding="utf-8")
    assert NAMESPACE in rendered
    return folder


def test_helm3_runs_zipapp(helm3: Helm, zipapp: Path, tmp_path: Path) -> None:
    # The zipapp is what krew installs: helm must find it on PATH as kubectl-metax.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl-metax").symlink_to(zipapp)
    env = dict(helm3.env, PATH=f"{bin_dir}:/usr/bin:/bin")
    zipapp_helm = Helm(helm3.binary, env)

    output = zipapp_helm.template(*helm3_post_renderer(f"--registry={MIRROR}")).stdout

    assert f"{MIRROR}/operator-controller:0.13.0-amd64" in images(output)
