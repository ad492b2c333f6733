"""The built zipapp cleans up the FAQ state under the oldest supported Python, 3.8.

Covers: `unstick --yes` from the single-file zipapp, run by CPython 3.8 with
a bare environment, against kubesim over HTTPS; the run is verified and the
objects are gone. Leaves out: other Python versions (tests/build runs
--help on each) and helm.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.unstick import states

PYTHON38 = (
    Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    / "versions"
    / "3.8.18"
    / "bin"
    / "python3"
)
OPERATORS = ("gpu.metax-tech.com/v1alpha1", "ClusterOperator")


@pytest.mark.slow
@pytest.mark.skipif(not PYTHON38.is_file(), reason="CPython 3.8.18 is not installed by pyenv")
def test_zipapp_unsticks_on_python38(kubesim_factory: Any, zipapp: Path, tmp_path: Path) -> None:
    sim = kubesim_factory(state=states.stuck_install())
    env = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "KUBECONFIG": str(sim.kubeconfig),
        "LANG": "zh_CN.UTF-8",
    }
    completed = subprocess.run(
        [str(PYTHON38), str(zipapp), "unstick", "--yes"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "已验证：ClusterOperator/cluster-operator 已删除" in completed.stdout
    assert sim.get(*OPERATORS, "metax-operator", "cluster-operator") is None
