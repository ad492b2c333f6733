"""Client building from kubectl-style flags, on real kubeconfig files; no server needed.

Covers: KUBECONFIG with two files merged as kubectl merges them (first file
wins per name and for current-context), --context choosing another
cluster, a missing context or file rejected with the value named, and
--request-timeout parsing. Leaves out: in-cluster configuration, requests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubectl_metax.errors import InvalidInput
from kubectl_metax.kube import connection, durations


def _kubeconfig(path: Path, *, current: str, clusters: dict) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "clusters": [
                    {"name": name, "cluster": {"server": server}}
                    for name, server in clusters.items()
                ],
                "contexts": [
                    {"name": name, "context": {"cluster": name, "user": "u"}} for name in clusters
                ],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        )
    )
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> str:
    first = _kubeconfig(
        tmp_path / "a.yaml",
        current="alpha",
        clusters={"alpha": "https://127.0.0.1:1001", "shared": "https://127.0.0.1:1002"},
    )
    second = _kubeconfig(
        tmp_path / "b.yaml",
        current="beta",
        clusters={"beta": "https://127.0.0.1:2001", "shared": "https://127.0.0.1:2002"},
    )
    return f"{first}:{tmp_path / 'missing.yaml'}:{second}"


def test_kubeconfig_first_file_sets_current_context(two_files: str) -> None:
    conn = connection.connect(
        kubeconfig=None, context=None, request_timeout="0", environ={"KUBECONFIG": two_files}
    )
    assert conn.context == "alpha"
    assert conn.host == "https://127.0.0.1:1001"


def test_kubeconfig_first_file_wins_per_name(two_files: str) -> None:
    conn = connection.connect(
        kubeconfig=None, context="shared", request_timeout="0", environ={"KUBECONFIG": two_files}
    )
    assert conn.host == "https://127.0.0.1:1002"


def test_context_from_second_file(two_files: str) -> None:
    conn = connection.connect(
        kubeconfig=None, context="beta", request_timeout="30s", environ={"KUBECONFIG": two_files}
    )
    assert conn.host == "https://127.0.0.1:2001"
    assert conn.request_timeout == 30.0


def test_unknown_context_named(two_files: str) -> None:
    with pytest.raises(InvalidInput, match="'nowhere'"):
        connection.connect(
            kubeconfig=None,
            context="nowhere",
            request_timeout="0",
            environ={"KUBECONFIG": two_files},
        )


def test_missing_kubeconfig_flag_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"absent\.yaml"):
        connection.connect(
            kubeconfig=str(tmp_path / "absent.yaml"), context=None, request_timeout="0", environ={}
        )


def test_no_config_anywhere_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="kubeconfig"):
        connection.connect(
            kubeconfig=None,
            context=None,
            request_timeout="0",
            environ={"KUBECONFIG": str(tmp_path / "none.yaml")},
        )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("1m", 60.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("2h", 7200.0),
        ("0", None),
        ("0s", None),
        ("15", 15.0),
    ],
)
def test_request_timeout_parsed(text: str, seconds: object) -> None:
    assert durations.parse_request_timeout(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "s", "1m-", "-1s", "1.5.2s", "ms500"])
def test_request_timeout_invalid_named(text: str) -> None:
    with pytest.raises(InvalidInput, match="--request-timeout") as raised:
        durations.parse_request_timeout(text)
    assert repr(text) in str(raised.value)
