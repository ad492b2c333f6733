"""Unusable inputs to doctor are reported as invalid input, never as a traceback.

Covers: a --from file that is not UTF-8, a bundle whose records are not
shaped as saved, and a kubeconfig that is not YAML: each exits 2 with a
message naming the file.
Leaves out: bundles of other format versions (test_report.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubectl_metax import cli
from kubectl_metax.inspection import snapshot


def run(capsys: pytest.CaptureFixture, *args: str) -> "tuple[int, str, str]":
    code = cli.run(["doctor", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_binary_bundle_invalid(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(b"\x93\xff\x00garbage")
    code, out, err = run(capsys, "--from", str(bundle))
    assert code == 2
    assert out == ""
    assert f"{bundle} is not a snapshot saved by kubectl-metax" in err


@pytest.mark.parametrize(
    ("field", "record", "where"),
    [
        ("namespaces", {"x": 1}, "namespaces[0].meta"),
        ("pods", "not a record", "pods[0]"),
        ("workloads", {"meta": {"name": 3, "namespace": "a"}}, "workloads[0].meta"),
    ],
)
def test_malformed_record_invalid(
    tmp_path: Path, capsys, monkeypatch, field: str, record: object, where: str
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    data = dict(snapshot.empty())
    data[field] = [record]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(data))
    code, out, err = run(capsys, "--from", str(bundle))
    assert code == 2
    assert out == ""
    assert f"has a malformed record: {where}" in err


def test_kubeconfig_not_yaml(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("garbage: [")
    code, out, err = run(capsys, "--kubeconfig", str(kubeconfig))
    assert code == 2
    assert out == ""
    assert f"cannot read the kubeconfig {kubeconfig}" in err
