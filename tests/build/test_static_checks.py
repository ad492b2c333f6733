"""The static checks that `make lint` runs also hold in CI.

Covers: vermin finds nothing in the package that needs a Python newer than
3.8 (the floor of the zipapp); import-linter's contracts (only the kube
layer imports the Kubernetes client; the offline logic imports no HTTP);
mypy in strict mode at the 3.8 floor; ruff's lint rules on the package and
the build tools.
Leaves out: ruff's formatting and the lint of the tests themselves, which
`make lint` reports for developers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def check(command: List[str]) -> None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_vermin_floor_is_python_38() -> None:
    check([str(BIN / "vermin"), "--no-tips", "--violations", "--target=3.8-", "kubectl_metax"])


def test_import_contracts_kept() -> None:
    check([str(BIN / "lint-imports")])


@pytest.mark.slow
def test_mypy_strict_passes() -> None:
    check([sys.executable, "-m", "mypy", "kubectl_metax"])


def test_ruff_lint_passes() -> None:
    check([sys.executable, "-m", "ruff", "check", "kubectl_metax", "tools"])
