"""Fixtures for the distribution tests: one release built per session, and PATHs to run it.

The release is built the way ``make dist`` builds it (tools/build_zipapp.py,
then tools/dist.py) into a temporary folder, so tests never depend on, or
overwrite, the developer's dist/ and krew/.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator

import pytest

from tests.kubesim.fixtures import kubesim, kubesim_factory  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import dist  # noqa: E402

# Any fixed time works; archives built twice from it must be identical.
EPOCH = "1700000000"
BASE_URL = "https://downloads.example.test/kubectl-metax"
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


@dataclass(frozen=True)
class Release:
    """The files one ``make dist`` run writes."""

    version: str
    zipapp: Path
    dist_dir: Path
    krew_dir: Path

    @property
    def archive(self) -> Path:
        return self.dist_dir / f"kubectl-metax-{self.version}.tar.gz"

    @property
    def checksum(self) -> Path:
        return self.dist_dir / f"kubectl-metax-{self.version}.tar.gz.sha256"

    @property
    def helm_plugin(self) -> Path:
        return self.dist_dir / f"helm-plugin-metax-{self.version}.tgz"

    @property
    def helm_plugin_checksum(self) -> Path:
        return self.dist_dir / f"helm-plugin-metax-{self.version}.tgz.sha256"

    @property
    def manifest(self) -> Path:
        return self.dist_dir / "metax.yaml"


def run_dist(zipapp: Path, folder: Path) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Run tools/dist.py as `make dist` does, writing into folder/dist and folder/krew."""
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "dist.py"),
            "--zipapp",
            str(zipapp),
            "--dist",
            str(folder / "dist"),
            "--krew-out",
            str(folder / "krew"),
            "--krew-base-url",
            BASE_URL,
        ],
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Release:
    """Build once per test run: pytest-xdist workers share the folder under a file lock."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    folder = shared / "distribution-release"
    with (shared / "distribution-release.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            zipapp = folder / "build" / "kubectl-metax"
            subprocess.run(
                [sys.executable, str(REPO / "tools" / "build_zipapp.py"), "--output", str(zipapp)],
                check=True,
                capture_output=True,
            )
            result = run_dist(zipapp, folder)
            assert result.returncode == 0, result.stderr
            (folder / "complete").touch()
    zipapp = folder / "build" / "kubectl-metax"
    return Release(dist.package_version(REPO), zipapp, folder / "dist", folder / "krew")


def oldest_python() -> Path:
    """The oldest CPython 3.8+ that pyenv has here (3.8 is the supported floor), else this one."""
    found = []
    for folder in PYENV_VERSIONS.glob("3.*"):
        parts = folder.name.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= 8:
            candidate = folder / "bin" / "python3"
            if candidate.is_file():
                found.append((int(parts[1]), candidate))
    return min(found)[1] if found else Path(sys.executable)


@pytest.fixture(scope="session")
def python_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only ``python3``, for PATHs that must not leak the test's own tools."""
    folder = tmp_path_factory.mktemp("python")
    (folder / "python3").symlink_to(oldest_python())
    return folder


@pytest.fixture(scope="session")
def shiv_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the zipapp unpacks its dependencies, shared so that only the first run pays."""
    return tmp_path_factory.mktemp("shiv")


@pytest.fixture
def clean_env(tmp_path: Path, shiv_root: Path) -> Iterator[Dict[str, str]]:
    """An environment with an empty HOME, no kubeconfig and the English locale."""
    home = tmp_path / "home"
    home.mkdir()
    yield {
        "HOME": str(home),
        "SHIV_ROOT": str(shiv_root),
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),
        "LANG": "C.UTF-8",
    }
