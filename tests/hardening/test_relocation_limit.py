"""Moving an image under a long --registry past the 255-character name limit.

Covers: the post-renderer exits 1 with an empty stdout and a message naming
the document, the input line and the limit (English and zh_CN); a hook image
that would go over the limit exits 2 unless --hook=never; ``images list
--registry`` exits 2 naming the registry; a registry one character shorter
still works.

Leaves out: the limit in parsing (tests/images), the relocation layout
itself (tests/post_render/test_rewriting.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from kubectl_metax import references
from tests.post_render.conftest import base_env, post_render

CONSOLE_SCRIPT = Path(sys.executable).parent / "kubectl-metax"
HOST = "harbor.example.cn/"
GOOD = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n"
LABELLER = b"cr.metax-tech.com/cloud/gpu-label:0.13.0-amd64"
POD = (
    b"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: " + LABELLER + b"\n"
)
STREAM = GOOD + b"---\n" + POD  # the image is on line 11 of the stream
NODE = [
    "--gpu=c500",
    "--arch=x86_64",
    "--driver-version=2.24.0.8",
    "--maca-version=2.32.0.6",
    "--distro=ubuntu22.04",
]


def registry_for(name: str, *, length: int) -> str:
    """Return a registry under which ``name`` gets a repository name of ``length`` characters."""
    padding = length - len(HOST) - len("/") - len(name)
    return HOST + "p" * padding


def test_post_render_over_limit_exits_1() -> None:
    registry = registry_for("gpu-label", length=references.MAX_NAME_LENGTH + 1)

    completed = post_render(STREAM, f"--registry={registry}", "--hook=never")

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert "document 2 (line 11 of the input)" in completed.stderr
    assert "256 characters" in completed.stderr
    assert "limit of 255" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_post_render_over_limit_translated() -> None:
    registry = registry_for("gpu-label", length=references.MAX_NAME_LENGTH + 1)

    completed = post_render(
        STREAM, f"--registry={registry}", "--hook=never", env=base_env(LANG="zh_CN.UTF-8")
    )

    assert completed.returncode == 1
    assert completed.stdout == b""
    assert "第 2 个文档（输入的第 11 行）" in completed.stderr
    assert "超过了 255 个字符的上限" in completed.stderr


def test_post_render_at_limit_moves_image() -> None:
    registry = registry_for("gpu-label", length=references.MAX_NAME_LENGTH)

    completed = post_render(STREAM, f"--registry={registry}", "--hook=never")

    assert completed.returncode == 0, completed.stderr
    pod = list(yaml.safe_load_all(completed.text))[1]
    moved = pod["spec"]["containers"][0]["image"]
    assert moved == f"{registry}/gpu-label:0.13.0-amd64"
    assert references.parse(moved).repository == f"{registry}/gpu-label"


def test_hook_image_over_limit_exits_2() -> None:
    # The default hook image docker.io/alpine/k8s:1.34.1 moves to <registry>/k8s.
    registry = registry_for("k8s", length=references.MAX_NAME_LENGTH + 1)

    completed = post_render(GOOD, f"--registry={registry}")

    assert completed.returncode == 2
    assert completed.stdout == b""
    assert "--hook-image" in completed.stderr
    assert "limit of 255" in completed.stderr


def test_hook_never_skips_hook_image_limit() -> None:
    registry = registry_for("k8s", length=references.MAX_NAME_LENGTH + 1)

    completed = post_render(GOOD, f"--registry={registry}", "--hook=never")

    assert completed.returncode == 0, completed.stderr
    assert yaml.safe_load(completed.text)["metadata"]["name"] == "good"


def test_images_list_over_limit_exits_2() -> None:
    registry = registry_for("driver-image", length=references.MAX_NAME_LENGTH + 1)

    completed = subprocess.run(
        [str(CONSOLE_SCRIPT), "images", "list", *NODE, f"--registry={registry}"],
        capture_output=True,
        text=True,
        env=base_env(),
        check=False,
    )

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert registry in completed.stderr
    assert "limit of 255" in completed.stderr
    assert "Traceback" not in completed.stderr
