"""docs/install.md and its Chinese twin agree with each other and with the release.

Covers: both pages show the same commands. Their file names follow
tools/dist.py's naming. They name the placeholder download host that
tools/dist.py and the Makefile use. They show the Helm 4 and krew flags
that the other tests run. The manual install block runs as written, with a
temporary folder in place of /usr/local/bin and no sudo.

Leaves out: the prose, which a reader judges.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List
from urllib.parse import urlparse

import pytest

from tests.distribution.conftest import REPO, Release, dist

PAGES = (REPO / "docs" / "install.md", REPO / "docs" / "install.zh-CN.md")
FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
RELEASE_NAME = re.compile(r"(?:kubectl-metax|helm-plugin-metax)-[0-9][^\s/]*")


def commands(text: str) -> List[str]:
    """Return the shell lines of text's sh blocks without their comments."""
    lines = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            code = line.split("  #", 1)[0].rstrip()
            if code:
                lines.append(code)
    return lines


def test_pages_show_same_commands() -> None:
    english, chinese = (commands(page.read_text(encoding="utf-8")) for page in PAGES)
    assert english
    assert english == chinese


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_release_names_follow_dist(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    allowed = re.compile(
        r"(kubectl-metax-[0-9.]+\.tar\.gz(\.sha256)?|helm-plugin-metax-[0-9.]+\.tgz(\.sha256)?"
        r"|helm-plugin-metax)\Z"
    )
    names = RELEASE_NAME.findall(text)
    assert names
    for name in names:
        assert allowed.match(name.rstrip(".,;:)`")), name


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_placeholder_host_matches_dist(page: Path) -> None:
    host = urlparse(dist.PLACEHOLDER_BASE_URL).hostname or ""
    assert host in page.read_text(encoding="utf-8")


def test_makefile_default_is_placeholder() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert f"KREW_BASE_URL ?= {dist.PLACEHOLDER_BASE_URL}\n" in makefile


def test_documented_install_flags() -> None:
    documented = "\n".join(commands(PAGES[0].read_text(encoding="utf-8")))
    assert "helm plugin install --verify=false helm-plugin-metax-" in documented
    assert "helm plugin install ./helm-plugin-metax" in documented
    assert "--manifest=metax.yaml --archive=kubectl-metax-" in documented
    assert "--post-renderer kubectl-metax --post-renderer-args post-render" in documented


def test_manual_install_block_runs(
    release: Release, kubectl_bin: Path, python_dir: Path, clean_env: Dict[str, str], tmp_path: Path
) -> None:
    """Run the page's first block as written, into a temporary folder instead of /usr/local/bin."""
    block = FENCE.findall(PAGES[0].read_text(encoding="utf-8"))[0]
    assert "sha256sum -c" in block
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").symlink_to(kubectl_bin)
    script = re.sub(r"^VERSION=.*$", f"VERSION={release.version}", block, flags=re.MULTILINE)
    script = script.replace("sudo ", "").replace("/usr/local/bin/", f"{bin_dir}/")

    work = tmp_path / "work"
    work.mkdir()
    for name in (release.archive, release.checksum):
        shutil.copy2(name, work)
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=work,
        env={**clean_env, "PATH": f"{bin_dir}:{python_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{release.archive.name}: OK" in result.stdout
    assert str(bin_dir / "kubectl-metax") in result.stdout
    assert result.stdout.rstrip().endswith(f"kubectl-metax {release.version}")
