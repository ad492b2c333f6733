"""Retag-and-push command lines for docker, nerdctl and ctr.

Covers: the tag and push lines per tool, ctr's flags before the reference
and its fully qualified names (bare ``mxc500-maca`` becomes
``docker.io/library/...``), nerdctl's global flags before the subcommand,
the plain-HTTP flags, manifest lists for per-arch driver and component
images (docker creates them; ctr and nerdctl alias one arch or defer to
docker for several), no manifest list for MXMACA images, and duplicates
pushed once.

Leaves out: running the commands, which needs a container runtime and a
registry that the test machine does not have.
"""

from __future__ import annotations

import shlex
from typing import List

import pytest

from kubectl_metax import pushing, references

DRIVER_AMD = "cr.metax-tech.com/cloud/driver-image:2.24.0.8-amd64"
DRIVER_ARM = "cr.metax-tech.com/cloud/driver-image:2.24.0.8-arm64"
BARE_MACA = "mxc500-maca:2.29.0.1-ubuntu20.04-amd64"
REGISTRY = "harbor.example.cn/mximages"


def words(lines: List[str]) -> List[List[str]]:
    return [shlex.split(line) for line in lines if not line.startswith("#")]


def test_docker_tags_and_pushes() -> None:
    lines = pushing.push_commands([BARE_MACA], registry=REGISTRY, tool="docker")
    assert lines == [
        f"docker tag {BARE_MACA} {REGISTRY}/{BARE_MACA}",
        f"docker push {REGISTRY}/{BARE_MACA}",
    ]


def test_ctr_flags_before_reference() -> None:
    lines = pushing.push_commands([DRIVER_AMD], registry=REGISTRY, tool="ctr", plain_http=True)
    push = words(lines)[1]
    assert push[:5] == ["ctr", "-n", "k8s.io", "images", "push"]
    assert push[5] == "--plain-http"
    assert push[-1] == f"{REGISTRY}/driver-image:2.24.0.8-amd64"
    assert all(not word.startswith("-") for word in push[push.index("--plain-http") + 1 :])


def test_ctr_qualifies_bare_names() -> None:
    lines = pushing.push_commands([BARE_MACA], registry=REGISTRY, tool="ctr")
    assert words(lines)[0] == [
        "ctr",
        "-n",
        "k8s.io",
        "images",
        "tag",
        f"docker.io/library/{BARE_MACA}",
        f"{REGISTRY}/{BARE_MACA}",
    ]


def test_ctr_without_plain_http() -> None:
    lines = pushing.push_commands([BARE_MACA], registry=REGISTRY, tool="ctr")
    assert "--plain-http" not in lines[1]


def test_nerdctl_global_flags_first() -> None:
    lines = pushing.push_commands([BARE_MACA], registry=REGISTRY, tool="nerdctl", plain_http=True)
    tag, push = words(lines)
    assert tag[:4] == ["nerdctl", "--namespace", "k8s.io", "tag"]
    assert push == [
        "nerdctl",
        "--namespace",
        "k8s.io",
        "--insecure-registry",
        "push",
        f"{REGISTRY}/{BARE_MACA}",
    ]


def test_docker_manifest_list_over_arches() -> None:
    lines = pushing.push_commands(
        [DRIVER_AMD, DRIVER_ARM], registry=REGISTRY, tool="docker", plain_http=True
    )
    manifest = [line for line in words(lines) if line[1] == "manifest"]
    assert manifest == [
        [
            "docker",
            "manifest",
            "create",
            "--insecure",
            "--amend",
            f"{REGISTRY}/driver-image:2.24.0.8",
            f"{REGISTRY}/driver-image:2.24.0.8-amd64",
            f"{REGISTRY}/driver-image:2.24.0.8-arm64",
        ],
        ["docker", "manifest", "push", "--insecure", f"{REGISTRY}/driver-image:2.24.0.8"],
    ]


def test_manifest_after_every_push() -> None:
    lines = pushing.push_commands([DRIVER_AMD, DRIVER_ARM], registry=REGISTRY, tool="docker")
    last_push = max(index for index, line in enumerate(lines) if line.startswith("docker push"))
    first_manifest = min(index for index, line in enumerate(lines) if "manifest" in line)
    assert last_push < first_manifest


@pytest.mark.parametrize("tool", ["ctr", "nerdctl"])
def test_single_arch_alias_without_docker(tool: str) -> None:
    lines = pushing.push_commands([DRIVER_AMD], registry=REGISTRY, tool=tool)
    assert len(lines) == 4
    alias_tag, alias_push = words(lines[2:])
    assert alias_tag[-2:] == [
        f"{REGISTRY}/driver-image:2.24.0.8-amd64",
        f"{REGISTRY}/driver-image:2.24.0.8",
    ]
    assert alias_push[-1] == f"{REGISTRY}/driver-image:2.24.0.8"
    assert not any("manifest" in line for line in lines)


@pytest.mark.parametrize("tool", ["ctr", "nerdctl"])
def test_several_arches_defer_to_docker(tool: str) -> None:
    lines = pushing.push_commands([DRIVER_AMD, DRIVER_ARM], registry=REGISTRY, tool=tool)
    comment = [line for line in lines if line.startswith("#")]
    assert len(comment) == 1
    assert tool in comment[0]
    assert lines[-2].startswith("docker manifest create")
    assert lines[-1].startswith("docker manifest push")


def test_component_gets_manifest_list() -> None:
    image = "cr.metax-tech.com/cloud/gpu-label:0.11.1-arm64"
    lines = pushing.push_commands([image], registry="registry.local:5000", tool="docker")
    assert "docker manifest push registry.local:5000/gpu-label:0.11.1" in lines


def test_maca_gets_no_manifest_list() -> None:
    image = "cr.metax-tech.com/library/maca-native:2.32.0.6-ubuntu22.04-amd64"
    lines = pushing.push_commands([image], registry=REGISTRY, tool="docker")
    assert len(lines) == 2
    assert not any("manifest" in line for line in lines)


def test_duplicate_images_pushed_once() -> None:
    lines = pushing.push_commands([DRIVER_AMD, DRIVER_AMD], registry=REGISTRY, tool="docker")
    assert sum(line.startswith("docker push") for line in lines) == 1


def test_commands_by_tool_order() -> None:
    commands = pushing.commands_by_tool([DRIVER_AMD], registry=REGISTRY, tools=["ctr", "docker"])
    assert list(commands) == ["ctr", "docker"]
    assert commands["docker"][0].startswith("docker tag")


def test_bad_registry_raises() -> None:
    with pytest.raises(references.InvalidReference):
        pushing.push_commands([DRIVER_AMD], registry="https://harbor", tool="docker")
