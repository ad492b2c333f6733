"""The mode of the bundle that ``doctor --dump FILE`` writes.

Covers: under umask 0 a new bundle is created with mode 0600, and --from
reads it back to the same report. An existing world-readable file is
narrowed to 0600 and its old contents replaced.

Leaves out: what the bundle contains (test_report.py); files owned by
another user, whose mode this user cannot change.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.doctor import states
from tests.doctor.running import report, set_language

OWNER_ONLY = 0o600


@pytest.fixture
def no_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_bundle_is_owner_only(
    kubesim_factory: Any, monkeypatch: Any, tmp_path: Path, no_umask: None
) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    bundle = tmp_path / "bundle.json"

    live_code, live = report(sim.kubeconfig, "--dump", str(bundle))

    assert mode_of(bundle) == OWNER_ONLY
    offline_code, offline = report(tmp_path / "no-such-kubeconfig", "--from", str(bundle))
    assert offline == live
    assert offline_code == live_code


def test_existing_file_is_narrowed(
    kubesim_factory: Any, monkeypatch: Any, tmp_path: Path, no_umask: None
) -> None:
    set_language(monkeypatch, "en")
    sim = kubesim_factory(state=states.to_yaml(states.healthy()))
    bundle = tmp_path / "bundle.json"
    bundle.write_text("x" * 100_000, encoding="utf-8")
    bundle.chmod(0o666)

    report(sim.kubeconfig, "--dump", str(bundle))

    assert mode_of(bundle) == OWNER_ONLY
    text = bundle.read_text(encoding="utf-8")
    assert "x" * 100 not in text
    assert text.lstrip().startswith("{")
