"""Fixtures of the kubesim core tests.

``bare`` is a kubesim without any semantics plug-ins (no RBAC, no admission,
no controllers), so that the core's own storage rules are tested alone; the
real-client tests use the shared ``kubesim`` fixture with every plug-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.kubesim.contract import PluginSet
from tests.kubesim.instance import KubeSim


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[KubeSim]:
    sim = KubeSim(plugins=PluginSet(), kubeconfig=tmp_path / "kubeconfig", home=tmp_path / "home")
    sim.start()
    yield sim
    sim.stop()
