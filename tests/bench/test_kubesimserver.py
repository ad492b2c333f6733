"""kubesim served out of process for P3 (``bench.kubesimserver``).

Covers: the server starting on a generated state and writing its
kubeconfig, one timed request reaching it and showing up in the audit
file read from an offset, and the server stopping on SIGTERM.

Leaves out: the P3 figures themselves (``make bench``), and the speed of
the request: nothing here asserts on time.
"""

from __future__ import annotations

from pathlib import Path

from bench import clusterstate
from bench.context import REPO, Context
from bench.kubesimserver import Server

TINY = clusterstate.Scale(nodes=2, pods=10, namespaces=6)


def test_server_serves_and_audits(tmp_path: Path) -> None:
    context = Context(
        zipapp=REPO / "dist" / "kubectl-metax",
        kubectl=REPO / ".cache" / "binaries" / "kubectl" / "kubectl",
        workdir=tmp_path,
        quick=True,
    )
    state = clusterstate.write(tmp_path / "state.yaml", TINY)
    server = Server(context, state.path, tmp_path)
    try:
        server.start()
        assert server.kubeconfig.is_file()
        offset = server.audit_size()

        seconds = server.time_request("/api/v1/nodes?limit=500")

        entries = server.audit_since(offset)
        assert seconds > 0
        assert [entry["path"] for entry in entries] == ["/api/v1/nodes?limit=500"]
        assert entries[0]["verb"] == "list"
        assert entries[0]["code"] == 200
    finally:
        server.stop()
    assert server.process is not None
    assert server.process.poll() is not None
