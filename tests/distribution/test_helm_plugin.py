"""The Helm 4 plugin archive installed by the real helm v4.1.4, and the Helm 3 route.

Covers: helm v4 rejects the unsigned archive by default (it verifies
signatures of plugin tarballs and there is no .prov file) and installs it
with --verify=false; the installed plugin is `metax`, type postrenderer/v1;
installing the unpacked folder needs no flag; `helm template --post-renderer
metax` runs kubectl-metax from PATH, passes --post-renderer-args on, and its
output carries what the post-renderer adds; Helm 3 runs the same program with --post-renderer
kubectl-metax --post-renderer-args post-render, as docs/install.md describes.

Leaves out: signed archives (the project has no signing key yet) and what
the post-renderer changes in detail, which tests/post_render covers.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path
from typing import Dict, List

import pytest

from tests.distribution.conftest import REPO, Release

CHART = REPO / "examples" / "charts" / "metax-operator"
# The label the post-renderer puts on every object it adds.
ADDED_MARK = "kubectl-metax/generated-by: post-render"
REGISTRY = "harbor.example.cn/mximages"


@pytest.fixture
def helm_env(
    tmp_path: Path, release: Release, python_dir: Path, clean_env: Dict[str, str]
) -> Dict[str, str]:
    """Helm folders of its own, and a PATH with kubectl-metax and python3 only."""
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "kubectl-metax").symlink_to(release.zipapp)
    return {
        **clean_env,
        "HELM_DATA_HOME": str(tmp_path / "helm-data"),
        "HELM_CONFIG_HOME": str(tmp_path / "helm-config"),
        "HELM_CACHE_HOME": str(tmp_path / "helm-cache"),
        "PATH": f"{tools}:{python_dir}",
    }


def helm(binary: Path, args: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [str(binary), *args], env=env, capture_output=True, text=True, check=False
    )


def plugin_rows(helm4_bin: Path, env: Dict[str, str]) -> List[List[str]]:
    result = helm(helm4_bin, ["plugin", "list"], env)
    assert result.returncode == 0, result.stderr
    return [line.split() for line in result.stdout.splitlines()[1:] if line.strip()]


def test_unsigned_archive_needs_verify_false(
    helm4_bin: Path, release: Release, helm_env: Dict[str, str]
) -> None:
    result = helm(helm4_bin, ["plugin", "install", str(release.helm_plugin)], helm_env)
    assert result.returncode != 0
    assert "provenance" in result.stderr
    assert plugin_rows(helm4_bin, helm_env) == []


def test_archive_installs_with_verify_false(
    helm4_bin: Path, release: Release, helm_env: Dict[str, str]
) -> None:
    result = helm(
        helm4_bin, ["plugin", "install", "--verify=false", str(release.helm_plugin)], helm_env
    )
    assert result.returncode == 0, result.stderr
    rows = plugin_rows(helm4_bin, helm_env)
    assert len(rows) == 1
    name, version, plugin_type = rows[0][:3]
    assert name == "metax"
    assert version == release.version
    assert plugin_type == "postrenderer/v1"


def test_unpacked_folder_installs_without_flag(
    helm4_bin: Path, release: Release, helm_env: Dict[str, str], tmp_path: Path
) -> None:
    with tarfile.open(release.helm_plugin) as opened:
        opened.extractall(tmp_path / "unpacked")
    folder = tmp_path / "unpacked" / "helm-plugin-metax"
    result = helm(helm4_bin, ["plugin", "install", str(folder)], helm_env)
    assert result.returncode == 0, result.stderr
    assert [row[0] for row in plugin_rows(helm4_bin, helm_env)] == ["metax"]


def test_helm4_post_renders_with_plugin(
    helm4_bin: Path, release: Release, helm_env: Dict[str, str]
) -> None:
    installed = helm(
        helm4_bin, ["plugin", "install", "--verify=false", str(release.helm_plugin)], helm_env
    )
    assert installed.returncode == 0, installed.stderr
    plain = helm(helm4_bin, ["template", "demo", str(CHART)], helm_env)
    assert plain.returncode == 0, plain.stderr
    post_render = ["--post-renderer", "metax"]
    for word in ("--registry", REGISTRY):
        post_render += ["--post-renderer-args", word]
    rendered = helm(helm4_bin, ["template", "demo", str(CHART), *post_render], helm_env)
    assert rendered.returncode == 0, rendered.stderr
    assert ADDED_MARK not in plain.stdout
    assert ADDED_MARK in rendered.stdout
    assert f"image: {REGISTRY}/gpu-label:" not in plain.stdout
    assert f"image: {REGISTRY}/gpu-label:" in rendered.stdout


def test_helm3_post_renders_with_program(helm3_bin: Path, helm_env: Dict[str, str]) -> None:
    args = ["template", "demo", str(CHART)]
    plain = helm(helm3_bin, args, helm_env)
    assert plain.returncode == 0, plain.stderr
    post_render = ["--post-renderer", "kubectl-metax"]
    for word in ("post-render", "--registry", REGISTRY):
        post_render += ["--post-renderer-args", word]
    rendered = helm(helm3_bin, [*args, *post_render], helm_env)
    assert rendered.returncode == 0, rendered.stderr
    assert f"image: {REGISTRY}/gpu-label:" not in plain.stdout
    assert f"image: {REGISTRY}/gpu-label:" in rendered.stdout
