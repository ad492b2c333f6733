"""The release archives that `make dist` writes.

Covers: the tarball contains exactly the zipapp, the completion helper,
LICENSE and both READMEs at the top and the install guides under docs/, all
with the right modes. The .sha256 files of both archives pass `sha256sum -c`,
dist/ gets nothing else, and two builds from the same inputs are
byte-identical. The Helm 4 plugin archive contains
helm-plugin/ under helm-plugin-metax/. tools/dist.py rejects a plugin.yaml of
another version, a missing README, a missing zipapp and a non-HTTPS base URL.

Leaves out: installing the archives (test_krew_install.py and
test_helm_plugin.py) and the krew manifest's rules (test_krew_manifest.py).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Dict

import pytest

from tests.distribution.conftest import REPO, Release, dist, run_dist

RELEASE_FILES = {
    "kubectl-metax",
    "kubectl_complete-metax",
    "LICENSE",
    "README.md",
    "README.zh-CN.md",
    "docs/install.md",
    "docs/install.zh-CN.md",
}
EXECUTABLES = {"kubectl-metax", "kubectl_complete-metax"}


def members(archive: Path) -> Dict[str, tarfile.TarInfo]:
    with tarfile.open(archive) as opened:
        return {info.name: info for info in opened.getmembers()}


def read_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as opened:
        extracted = opened.extractfile(name)
        assert extracted is not None
        return extracted.read()


def test_archive_holds_release_files(release: Release) -> None:
    assert set(members(release.archive)) == RELEASE_FILES | {"docs"}


def test_archive_modes_and_owner(release: Release) -> None:
    for name, info in members(release.archive).items():
        if name == "docs":
            assert info.isdir()
            assert info.mode == 0o755
            continue
        expected = 0o755 if name in EXECUTABLES else 0o644
        assert info.isfile(), name
        assert info.mode == expected, name
        assert (info.uid, info.gid) == (0, 0), name


def test_archive_carries_built_zipapp(release: Release) -> None:
    assert read_member(release.archive, "kubectl-metax") == release.zipapp.read_bytes()


def test_archive_carries_repository_files(release: Release) -> None:
    sources = {
        "kubectl_complete-metax": REPO / "bin" / "kubectl_complete-metax",
        "LICENSE": REPO / "LICENSE",
        "README.md": REPO / "README.md",
        "README.zh-CN.md": REPO / "README.zh-CN.md",
        "docs/install.md": REPO / "docs" / "install.md",
        "docs/install.zh-CN.md": REPO / "docs" / "install.zh-CN.md",
    }
    for name, source in sources.items():
        assert read_member(release.archive, name) == source.read_bytes(), name


def test_checksum_files_pass_sha256sum(release: Release) -> None:
    for archive, checksum in (
        (release.archive, release.checksum),
        (release.helm_plugin, release.helm_plugin_checksum),
    ):
        result = subprocess.run(
            ["sha256sum", "--check", "--strict", checksum.name],
            cwd=release.dist_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{archive.name}: OK"


def test_checksums_match_archives(release: Release) -> None:
    for archive, checksum in (
        (release.archive, release.checksum),
        (release.helm_plugin, release.helm_plugin_checksum),
    ):
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        assert checksum.read_text() == f"{digest}  {archive.name}\n"


def test_dist_writes_nothing_else(release: Release) -> None:
    written = {path.name for path in release.dist_dir.iterdir()}
    expected = {
        release.archive.name,
        release.checksum.name,
        release.helm_plugin.name,
        release.helm_plugin_checksum.name,
        release.manifest.name,
    }
    assert written == expected


def test_rebuild_is_byte_identical(release: Release, tmp_path: Path) -> None:
    result = run_dist(release.zipapp, tmp_path)
    assert result.returncode == 0, result.stderr
    for built in (release.archive, release.helm_plugin, release.manifest):
        again = tmp_path / "dist" / built.name
        assert again.read_bytes() == built.read_bytes(), built.name


def test_helm_plugin_archive_layout(release: Release) -> None:
    # helm v4.1 looks for plugin.yaml in the folder named like the archive
    # without "-<version>.tgz" (test_helm_plugin.py installs it for real).
    top = "helm-plugin-metax"
    sources = sorted(path for path in (REPO / "helm-plugin").rglob("*") if path.is_file())
    names = {path: f"{top}/{path.relative_to(REPO / 'helm-plugin').as_posix()}" for path in sources}
    found = members(release.helm_plugin)
    assert set(found) == set(names.values()) | {top}
    assert found[top].isdir()
    for path, name in names.items():
        assert read_member(release.helm_plugin, name) == path.read_bytes(), name


def test_plugin_of_other_version_rejected(tmp_path: Path) -> None:
    (tmp_path / "plugin.yaml").write_text("apiVersion: v1\nname: metax\nversion: 9.9.9\n")
    with pytest.raises(dist.DistError) as raised:
        dist.helm_plugin_members(tmp_path, version="0.1.0")
    assert "9.9.9" in str(raised.value)
    assert "version: 0.1.0" in str(raised.value)


def test_plugin_without_manifest_rejected(tmp_path: Path) -> None:
    with pytest.raises(dist.DistError) as raised:
        dist.helm_plugin_members(tmp_path, version="0.1.0")
    assert "plugin.yaml" in str(raised.value)


def copy_sources(target: Path) -> Path:
    """Copy what tools/dist.py reads from the repository into target."""
    for relative in (
        "kubectl_metax/__init__.py",
        "bin/kubectl_complete-metax",
        "LICENSE",
        "README.md",
        "README.zh-CN.md",
        "krew/metax.yaml.in",
        "docs/install.md",
        "docs/install.zh-CN.md",
    ):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, target / relative)
    shutil.copytree(REPO / "helm-plugin", target / "helm-plugin")
    return target


def build_into(top: Path, release: Release, **options: object) -> None:
    dist.build_dist(
        zipapp=release.zipapp,
        dist=top / "dist",
        krew_out=None,
        base_url=str(options.pop("base_url", "https://example.test/base")),
        epoch=0,
        top=top,
        **options,  # type: ignore[arg-type]
    )


def test_missing_readme_rejected(release: Release, tmp_path: Path) -> None:
    top = copy_sources(tmp_path)
    (top / "README.zh-CN.md").unlink()
    with pytest.raises(dist.DistError) as raised:
        build_into(top, release)
    assert "README.zh-CN.md" in str(raised.value)


def test_missing_readme_allowed_for_development(release: Release, tmp_path: Path) -> None:
    top = copy_sources(tmp_path)
    (top / "README.md").unlink()
    build_into(top, release, allow_missing_readmes=True)
    archive = top / "dist" / f"kubectl-metax-{release.version}.tar.gz"
    assert set(members(archive)) == (RELEASE_FILES | {"docs"}) - {"README.md"}


def test_missing_license_rejected_always(release: Release, tmp_path: Path) -> None:
    top = copy_sources(tmp_path)
    (top / "LICENSE").unlink()
    with pytest.raises(dist.DistError) as raised:
        build_into(top, release, allow_missing_readmes=True)
    assert "LICENSE" in str(raised.value)


def test_missing_zipapp_rejected(tmp_path: Path) -> None:
    result = run_dist(tmp_path / "nowhere" / "kubectl-metax", tmp_path)
    assert result.returncode == 1
    assert "make build" in result.stderr
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_plain_http_base_rejected(release: Release, tmp_path: Path) -> None:
    top = copy_sources(tmp_path)
    with pytest.raises(dist.DistError) as raised:
        build_into(top, release, base_url="http://example.test/base")
    assert "https://" in str(raised.value)
