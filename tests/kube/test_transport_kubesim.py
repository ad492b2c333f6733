"""The kube layer against kubesim over HTTPS: requests, retries, errors, collection.

Covers: 429 and 503 retried after Retry-After, a dropped connection retried
for reads, the retries bounded; a 403 translated with the `kubectl auth
can-i` hint; --request-timeout turning a slow response into TimedOut and a
slow LIST into a "timeout" gap; LIST pagination with limit and continue;
collection with one kind forbidden; an unreachable server named by the CLI;
--context chosen from the second of two KUBECONFIG files; the in-cluster
service account (a mount folder in tmp_path); ~/.kube/config under $HOME;
an HTML page from a proxy named as not JSON.
Leaves out: exec and auth-provider credentials.
"""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path
from typing import Any, List

import pytest
import yaml

from kubectl_metax import cli
from kubectl_metax.kube import collecting, connection, errors, transport
from kubectl_metax.kube.errors import RequestTarget
from tests.kubesim.contract import UserInfo

NAMESPACES = RequestTarget("list", "namespaces")


def _api(sim: Any, *, timeout: str = "0") -> transport.Api:
    conn = connection.connect(kubeconfig=str(sim.kubeconfig), context=None, request_timeout=timeout)
    return transport.Api(conn, sleep=lambda seconds: None)


def _requests(sim: Any, resource: str) -> List[Any]:
    return [entry for entry in sim.audit if entry.resource == resource]


@pytest.mark.parametrize("code", [429, 503])
def test_throttled_request_retried(kubesim: Any, code: int) -> None:
    sim = kubesim
    rule = sim.faults.add(resource="namespaces", code=code, retry_after=1, times=2)
    page = _api(sim).get("/api/v1/namespaces", target=NAMESPACES)
    assert rule.fired == 2
    assert [item["metadata"]["name"] for item in page["items"]]


def test_retries_bounded(kubesim: Any) -> None:
    kubesim.faults.add(resource="namespaces", code=503, retry_after=1, times=None)
    with pytest.raises(errors.ServerError, match="HTTP 503"):
        _api(kubesim).get("/api/v1/namespaces", target=NAMESPACES)
    assert len(_requests(kubesim, "namespaces")) == transport.MAX_ATTEMPTS


def test_dropped_connection_retried_for_reads(kubesim: Any) -> None:
    rule = kubesim.faults.add(resource="namespaces", drop=True, times=1)
    page = _api(kubesim).get("/api/v1/namespaces", target=NAMESPACES)
    assert rule.fired == 1
    assert page["kind"] == "NamespaceList"


def test_forbidden_names_can_i(kubesim: Any) -> None:
    kubesim.faults.add(resource="nodes", code=403, times=None)
    with pytest.raises(errors.Forbidden) as raised:
        _api(kubesim).get("/api/v1/nodes", target=RequestTarget("list", "nodes"))
    assert "kubectl auth can-i list nodes" in str(raised.value)


def test_conflict_and_not_found_classes(kubesim: Any) -> None:
    api = _api(kubesim)
    target = RequestTarget("get", "namespaces", name="absent")
    with pytest.raises(errors.NotFound, match="namespaces/absent"):
        api.get("/api/v1/namespaces/absent", target=target)
    kubesim.faults.add(resource="namespaces", code=409, times=1)
    with pytest.raises(errors.Conflict):
        api.get("/api/v1/namespaces", target=NAMESPACES)


def test_request_timeout_raises_timed_out(kubesim: Any) -> None:
    kubesim.faults.add(resource="namespaces", latency=2.0, times=1)
    with pytest.raises(errors.TimedOut, match=r"0\.5s"):
        _api(kubesim, timeout="500ms").get("/api/v1/namespaces", target=NAMESPACES)


def test_slow_list_becomes_timeout_gap(kubesim: Any) -> None:
    kubesim.faults.add(method="GET", resource="jobs", latency=2.0, times=1)
    snap = collecting.Collector(_api(kubesim, timeout="500ms")).collect()
    assert [(gap["kind"], gap["reason"]) for gap in snap["gaps"]] == [("jobs", "timeout")]
    assert snap["namespaces"]


def test_forbidden_list_becomes_gap(kubesim: Any) -> None:
    kubesim.faults.add(method="GET", resource="pods", code=403, times=None)
    snap = collecting.Collector(_api(kubesim)).collect()
    assert [(gap["kind"], gap["reason"]) for gap in snap["gaps"]] == [("pods", "forbidden")]
    assert "kubectl auth can-i list pods" in snap["gaps"][0]["message"]


def test_list_follows_continue_tokens(kubesim: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "PAGE_SIZE", 3)
    kubesim.load(
        "\n---\n".join(
            f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: team-{index}}}"
            for index in range(7)
        )
    )
    names = [
        item["metadata"]["name"]
        for page in _api(kubesim).list_pages("/api/v1/namespaces", target=NAMESPACES)
        for item in page
    ]
    assert sorted(name for name in names if name.startswith("team-")) == [
        f"team-{index}" for index in range(7)
    ]
    assert len(names) == len(set(names))
    lists = _requests(kubesim, "namespaces")
    assert all("limit=3" in entry.path for entry in lists)
    assert sum("continue=" in entry.path for entry in lists) == len(lists) - 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _kubeconfig(path: Path, *, name: str, server: str, token: str = "none") -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": name,
                "clusters": [
                    {"name": name, "cluster": {"server": server, "insecure-skip-tls-verify": True}}
                ],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "users": [{"name": name, "user": {"token": token}}],
            }
        )
    )
    return path


def test_unreachable_server_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    server = f"https://127.0.0.1:{_free_port()}"
    monkeypatch.setenv(
        "KUBECONFIG", str(_kubeconfig(tmp_path / "dead.yaml", name="dead", server=server))
    )
    monkeypatch.setenv("LANG", "C")
    monkeypatch.delenv("LC_ALL", raising=False)
    assert cli.run(["unstick", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the API server at {server}" in err
    assert "Connection refused" in err
    assert "object at 0x" not in err


def test_context_from_second_kubeconfig(
    kubesim: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    dead = _kubeconfig(
        tmp_path / "first.yaml", name="dead", server=f"https://127.0.0.1:{_free_port()}"
    )
    monkeypatch.setenv("KUBECONFIG", f"{dead}:{kubesim.kubeconfig}")
    monkeypatch.setenv("LANG", "C")
    monkeypatch.delenv("LC_ALL", raising=False)
    assert cli.run(["unstick", "--dry-run"]) == 1
    capsys.readouterr()
    assert cli.run(["unstick", "--dry-run", "--context", "kubesim"]) == 0
    assert "nothing is stuck" in capsys.readouterr().out


def test_in_cluster_service_account(kubesim: Any, tmp_path: Path) -> None:
    mount = tmp_path / "serviceaccount"
    mount.mkdir()
    (mount / "token").write_text(
        kubesim.token_for(UserInfo("system:serviceaccount:kube-system:x", ("system:masters",)))
    )
    (mount / "ca.crt").write_text(kubesim.ca_pem)
    host, port = kubesim.url.rsplit("//", 1)[1].rsplit(":", 1)
    conn = connection.connect(
        kubeconfig=None,
        context=None,
        request_timeout="0",
        environ={
            "HOME": str(tmp_path),
            "KUBERNETES_SERVICE_HOST": host,
            "KUBERNETES_SERVICE_PORT": port,
        },
        service_account_dir=str(mount),
    )
    assert conn.context == ""
    page = transport.Api(conn).get("/api/v1/namespaces", target=NAMESPACES)
    assert page["kind"] == "NamespaceList"
    assert kubesim.audit[-1].user == "system:serviceaccount:kube-system:x"


def test_home_kubeconfig_used_without_variable(kubesim: Any, tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(kubesim.kubeconfig.read_text())
    conn = connection.connect(
        kubeconfig=None, context=None, request_timeout="0", environ={"HOME": str(tmp_path)}
    )
    assert conn.host == kubesim.url


def test_html_response_named(tmp_path: Path) -> None:
    class HtmlPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>login required</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HtmlPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        kubeconfig = _kubeconfig(tmp_path / "proxy.yaml", name="proxy", server=url)
        conn = connection.connect(kubeconfig=str(kubeconfig), context=None, request_timeout="5s")
        with pytest.raises(errors.ServerError, match="not JSON"):
            transport.Api(conn).get("/api/v1/namespaces", target=NAMESPACES)
    finally:
        server.shutdown()
        server.server_close()
