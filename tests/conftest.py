"""Fixtures shared by every test area: the real helm and kubectl binaries.

The binaries are fetched by ``tools/fetch_binaries.py`` (``make binaries``,
which ``make test`` runs first) into ``$KMX_CACHE/binaries``. A test that
needs one fails, rather than skips, when it is missing: a skipped Helm test
would hide exactly the regressions this suite exists to catch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("KMX_CACHE", REPO / ".cache")).resolve()


def _binary(label: str, name: str) -> Path:
    path = CACHE / "binaries" / label / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make binaries` (or `make test`) first")
    return path


@pytest.fixture(scope="session")
def helm3_bin() -> Path:
    """helm v3.17.2."""
    return _binary("helm3", "helm")


@pytest.fixture(scope="session")
def helm4_bin() -> Path:
    """helm v4.1.4."""
    return _binary("helm4", "helm")


@pytest.fixture(scope="session")
def kubectl_bin() -> Path:
    """kubectl v1.35.2."""
    return _binary("kubectl", "kubectl")


@pytest.fixture(scope="session")
def kubectl132_bin() -> Path:
    """kubectl v1.32.3, the client that ships beside helm v3.17.2."""
    return _binary("kubectl132", "kubectl")


@pytest.fixture(scope="session")
def zipapp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built single-file kubectl-metax.

    ``make test`` builds it once and passes it in ``KMX_ZIPAPP``; a run
    without it (one test file from an editor) builds a private copy.
    """
    given = os.environ.get("KMX_ZIPAPP")
    if given and Path(given).is_file():
        return Path(given).resolve()
    output = tmp_path_factory.mktemp("dist") / "kubectl-metax"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_zipapp.py"), "--output", str(output)],
        check=True,
        capture_output=True,
    )
    return output

pytest_plugins = ["tests.kubesim.fixtures"]
