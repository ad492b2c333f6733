"""The built zipapp runs on the Pythons users have, with nothing installed.

Covers: ``tools/build_zipapp.py`` builds ``kubectl-metax``; it runs outside
any virtualenv (bare PATH, empty HOME) under every CPython 3.8+ found on
this machine, always including the oldest supported, 3.8, when present;
it carries the zh_CN catalog, the build record and a libyaml module that
the host Python loads.

Leaves out: other operating systems and CPUs, which no test machine has;
the build only adds files for them (see tools/build_zipapp.py).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[2]
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def host_pythons() -> List[Path]:
    """Every CPython 3.8+ interpreter pyenv has here, or the running one alone."""
    found = []
    for folder in sorted(PYENV_VERSIONS.glob("3.*")):
        parts = folder.name.split(".")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= 8:
            candidate = folder / "bin" / "python3"
            if candidate.is_file():
                found.append(candidate)
    return found or [Path(sys.executable)]


def clean_env(home: Path, **extra: str) -> dict:
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", **extra}


@pytest.mark.slow
@pytest.mark.parametrize("python", host_pythons(), ids=lambda path: path.parent.parent.name)
def test_zipapp_runs_outside_venv(zipapp: Path, python: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(python), str(zipapp), "version", "-o", "json"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["python"].startswith(".".join(python.parent.parent.name.split(".")[:2])) or (
        python == Path(sys.executable)
    )
    assert report["dependencies"]["kubernetes"].startswith("35.")
    assert len(report["commit"]) == 40
    if platform.machine() in ("x86_64", "aarch64"):
        assert report["libyaml"] is True


@pytest.mark.slow
def test_zipapp_speaks_chinese(zipapp: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(host_pythons()[0]), str(zipapp), "--help"],
        env=clean_env(tmp_path, LANG="zh_CN.UTF-8"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("用法：kubectl metax")


@pytest.mark.slow
def test_zipapp_is_executable_with_env_shebang(zipapp: Path) -> None:
    first_line = zipapp.read_bytes().split(b"\n", 1)[0]
    assert first_line == b"#!/usr/bin/env python3"
    assert os.access(zipapp, os.X_OK)
