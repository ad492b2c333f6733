"""MX403's grace period, measured from the device plugin pod against the collection time.

Covers: a GPU node without metax-tech.com/gpu is only noted while its
metax-gpu-device pod is younger than the grace period, an error after it,
an error without any device plugin pod, and a warning when the snapshot has
no collection time; a node in VFIO mode (metax-tech.com/vfio-gpu) passes.
These run on snapshots saved as bundles (--from), whose collection time the
test sets, so no clock decides the outcome.

Leaves out: the live collection (test_checks.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from kubectl_metax.checks.nodes import ALLOCATABLE_GRACE_SECONDS
from kubectl_metax.inspection import records, snapshot
from tests.doctor import states
from tests.doctor.running import run_doctor, set_language

COLLECTED = "2026-12-04T12:00:00Z"


def bundle(tmp_path: Path, objects: List[Dict[str, Any]], *, collected: str = COLLECTED) -> Path:
    snap = snapshot.empty(server="https://127.0.0.1:6443", context="test")
    snap["collected_at"] = collected
    for raw in objects:
        if raw["kind"] == "Node":
            snap["nodes"].append(records.node(raw))
        elif raw["kind"] == "Pod":
            snap["pods"].append(records.pod(raw))
    path = tmp_path / "bundle.json"
    path.write_text(snapshot.dumps(snap), encoding="utf-8")
    return path


def node_without_gpus(*, vfio: bool = False) -> Dict[str, Any]:
    node = states.gpu_node()
    for section in ("allocatable", "capacity"):
        del node["status"][section]["metax-tech.com/gpu"]
        if vfio:
            node["status"][section]["metax-tech.com/vfio-gpu"] = "8"
    return node


def device_pod(created: str) -> Dict[str, Any]:
    return states.pod(
        "metax-gpu-device-abcde",
        owner_kind="DaemonSet",
        owner="metax-gpu-device",
        image="gpu-device:0.11.1",
        created=created,
    )


def mx403(path: Path) -> Optional[Dict[str, Any]]:
    _code, out, _err = run_doctor("--from", str(path), "--only", "MX403", "-o", "json")
    found = [item for item in json.loads(out)["findings"] if item["id"] == "MX403"]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.fixture(autouse=True)
def english(monkeypatch: Any) -> None:
    set_language(monkeypatch, "en")


def test_young_device_plugin_is_noted(tmp_path: Path) -> None:
    finding = mx403(bundle(tmp_path, [node_without_gpus(), device_pod("2026-12-04T11:59:20Z")]))
    assert finding is not None
    assert finding["severity"] == "info"
    assert "40s ago" in finding["message"]


def test_grace_boundary_is_an_error(tmp_path: Path) -> None:
    created = f"2026-12-04T11:{60 - ALLOCATABLE_GRACE_SECONDS // 60:02d}:00Z"
    finding = mx403(bundle(tmp_path, [node_without_gpus(), device_pod(created)]))
    assert finding is not None
    assert finding["severity"] == "error"


def test_old_device_plugin_is_an_error(tmp_path: Path) -> None:
    finding = mx403(bundle(tmp_path, [node_without_gpus(), device_pod(states.LONG_AGO)]))
    assert finding is not None
    assert finding["severity"] == "error"
    assert "metax-gpu-device-abcde" in finding["message"]


def test_missing_device_plugin_is_an_error(tmp_path: Path) -> None:
    finding = mx403(bundle(tmp_path, [node_without_gpus()]))
    assert finding is not None
    assert finding["severity"] == "error"
    assert "no metax-gpu-device pod" in finding["message"]


def test_unknown_collection_time_is_a_warning(tmp_path: Path) -> None:
    path = bundle(tmp_path, [node_without_gpus(), device_pod("2026-12-04T11:59:20Z")], collected="")
    finding = mx403(path)
    assert finding is not None
    assert finding["severity"] == "warning"


def test_vfio_node_passes(tmp_path: Path) -> None:
    path = bundle(tmp_path, [node_without_gpus(vfio=True), device_pod(states.LONG_AGO)])
    assert mx403(path) is None
