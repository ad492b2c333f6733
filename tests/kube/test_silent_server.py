"""A server that accepts connections and never answers does not hang the commands.

Covers: with the default --request-timeout of 0, the TLS handshake is still
bounded (as kubectl bounds it), so doctor and unstick end with exit 1 and a
message that names the connection, not a bare timeout of "0s"; absurdly
large --request-timeout values are rejected as invalid input.
Leaves out: how long the bound is in wall time (the test shortens it).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Iterator, List

import pytest
import yaml

from kubectl_metax import cli
from kubectl_metax.kube import transport


@pytest.fixture
def silent_kubeconfig(tmp_path: Path) -> Iterator[Path]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: List[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "silent", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
        "users": [{"name": "user", "user": {"token": "token"}}],
        "contexts": [{"name": "silent", "context": {"cluster": "silent", "user": "user"}}],
        "current-context": "silent",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield path
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.mark.parametrize("command", [["doctor"], ["unstick", "--dry-run"]])
def test_silent_server_ends_with_error(
    silent_kubeconfig: Path, command: List[str], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setattr(transport, "CONNECT_TIMEOUT_SECONDS", 0.5)
    code = cli.run([*command, "--kubeconfig", str(silent_kubeconfig)])
    err = capsys.readouterr().err
    assert code == 1
    assert "accepted no connection within 0.5s" in err
    assert "after 0s" not in err


@pytest.mark.parametrize("value", ["99999999999h", "9999999999999"])
def test_huge_request_timeout_invalid(value: str, tmp_path: Path, capsys) -> None:
    code = cli.run(["doctor", "--kubeconfig", str(tmp_path / "none"), "--request-timeout", value])
    assert code == 2
    assert "invalid --request-timeout value" in capsys.readouterr().err
