"""The release archive installed the way krew lays plugins out, run by the real kubectl.

krew (kubernetes-sigs/krew internal/installation/install.go, and the Receipt
type in pkg/index/types.go) extracts the archive, copies the manifest's ``files`` into
``$KREW_ROOT/store/<name>/<version>/``, links ``$KREW_ROOT/bin/kubectl-<name>``
to the ``bin`` file with a relative symlink, and writes the manifest plus
``status.source.name`` to ``$KREW_ROOT/receipts/<name>.yaml``. This test
does the same from the generated manifest, then runs kubectl v1.35 with a
PATH of only ``$KREW_ROOT/bin`` and a folder holding ``python3`` (the
oldest CPython 3.8+ available).

Covers: `kubectl plugin list` finds the plugin with nothing on stderr;
`kubectl metax version` (plain and -o json) runs through kubectl's plugin
mechanism; completion works once the caveats' own `ln -s` command has linked
the helper.

Leaves out: the krew binary (not installed here; it would have to be built
from its Go module) and the download step, which krew verifies with the same
sha256 that test_krew_manifest.py checks.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from tests.distribution.conftest import Release

LINUX_AMD64 = {"os": "linux", "arch": "amd64"}


def install_like_krew(release: Release, krew_root: Path) -> Path:
    """Lay the plugin out as `kubectl krew install` does; return the store folder."""
    manifest: Dict[str, Any] = yaml.safe_load(release.manifest.read_text(encoding="utf-8"))
    name = manifest["metadata"]["name"]
    version = manifest["spec"]["version"]
    platform = next(
        item
        for item in manifest["spec"]["platforms"]
        if item["selector"]["matchLabels"] == LINUX_AMD64
    )

    staging = krew_root / "downloads"
    with tarfile.open(release.archive) as opened:
        opened.extractall(staging)
    store = krew_root / "store" / name / version
    store.mkdir(parents=True)
    for operation in platform["files"]:
        for match in fnmatch.filter(os.listdir(staging), operation["from"]):
            shutil.copy2(staging / match, store / operation["to"] / match)
    shutil.rmtree(staging)

    bin_dir = krew_root / "bin"
    bin_dir.mkdir()
    target = store / platform["bin"]
    (bin_dir / f"kubectl-{name}").symlink_to(os.path.relpath(target, bin_dir))

    receipts = krew_root / "receipts"
    receipts.mkdir()
    receipt = {**manifest, "status": {"source": {"name": "default"}}}
    (receipts / f"{name}.yaml").write_text(yaml.safe_dump(receipt), encoding="utf-8")
    return store


@pytest.fixture
def krew_root(release: Release, tmp_path: Path) -> Path:
    root = tmp_path / "krew"
    install_like_krew(release, root)
    return root


@pytest.fixture
def krew_env(krew_root: Path, python_dir: Path, clean_env: Dict[str, str]) -> Dict[str, str]:
    return {**clean_env, "KREW_ROOT": str(krew_root), "PATH": f"{krew_root / 'bin'}:{python_dir}"}


def kubectl(kubectl_bin: Path, args: List[str], env: Dict[str, str]) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    return subprocess.run(
        [str(kubectl_bin), *args], env=env, capture_output=True, text=True, check=False
    )


def test_store_holds_manifest_files(release: Release, krew_root: Path) -> None:
    store = krew_root / "store" / "metax" / f"v{release.version}"
    assert sorted(os.listdir(store)) == ["LICENSE", "kubectl-metax", "kubectl_complete-metax"]
    assert os.access(store / "kubectl-metax", os.X_OK)
    link = krew_root / "bin" / "kubectl-metax"
    assert link.is_symlink()
    assert link.resolve() == (store / "kubectl-metax").resolve()


def test_plugin_list_shows_metax(
    kubectl_bin: Path, krew_root: Path, krew_env: Dict[str, str]
) -> None:
    result = kubectl(kubectl_bin, ["plugin", "list"], krew_env)
    assert result.returncode == 0, result.stderr
    assert str(krew_root / "bin" / "kubectl-metax") in result.stdout.splitlines()
    assert result.stderr == ""


def test_metax_version_through_kubectl(
    release: Release, kubectl_bin: Path, krew_env: Dict[str, str]
) -> None:
    result = kubectl(kubectl_bin, ["metax", "version"], krew_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kubectl-metax {release.version}"


def test_metax_version_json_through_kubectl(
    release: Release, kubectl_bin: Path, krew_env: Dict[str, str], python_dir: Path
) -> None:
    result = kubectl(kubectl_bin, ["metax", "version", "-o", "json"], krew_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == release.version
    python_version = subprocess.run(
        [str(python_dir / "python3"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert report["python"].startswith(python_version)


def caveat_link_command(release: Release) -> str:
    """Return the `ln -s ...` command of the manifest's caveats, continuation lines joined."""
    manifest = yaml.safe_load(release.manifest.read_text(encoding="utf-8"))
    lines = manifest["spec"]["caveats"].splitlines()
    start = next(index for index, line in enumerate(lines) if line.strip().startswith("ln -s"))
    command = []
    for line in lines[start:]:
        command.append(line.strip().rstrip("\\").strip())
        if not line.rstrip().endswith("\\"):
            break
    return " ".join(command)


def test_completion_after_caveat_link(
    release: Release, kubectl_bin: Path, krew_root: Path, krew_env: Dict[str, str]
) -> None:
    linked = subprocess.run(
        ["bash", "-e", "-c", caveat_link_command(release)],
        env={**krew_env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert linked.returncode == 0, linked.stderr
    assert (krew_root / "bin" / "kubectl_complete-metax").is_symlink()
    result = kubectl(kubectl_bin, ["__complete", "metax", ""], krew_env)
    assert result.returncode == 0, result.stderr
    values = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert "version" in values
    assert values[-1] == ":4"


def test_no_completion_without_link(kubectl_bin: Path, krew_env: Dict[str, str]) -> None:
    result = kubectl(kubectl_bin, ["__complete", "metax", ""], krew_env)
    assert result.returncode == 0, result.stderr
    # kubectl finds no kubectl_complete-metax and falls back to file names (directive 0).
    assert result.stdout.splitlines() == [":0"]
