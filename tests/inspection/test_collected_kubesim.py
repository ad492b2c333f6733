"""Findings over a snapshot collected from kubesim, with its controllers acting.

Covers: the operator install found from Helm storage and annotations, its
webhook owned and dangling, the other product's webhook not owned, the
ClusterOperator stuck, the namespace Terminating with the condition the
namespace controller sets, GPU pods; the snapshot saved as JSON and loaded
again gives the same findings. Leaves out: the reducers in isolation
(test_records) and planning (tests/unstick).
"""

from __future__ import annotations

from typing import Any

from kubectl_metax.inspection import install, snapshot, stuck, webhooks, workloads
from kubectl_metax.kube import collecting, connection, transport
from tests.kubesim_semantics.helpers import eventually
from tests.unstick import states


def _collect(sim: Any) -> snapshot.Snapshot:
    conn = connection.connect(kubeconfig=str(sim.kubeconfig), context=None, request_timeout="10s")
    return collecting.Collector(transport.Api(conn)).collect(server=conn.host)


def _namespace_blocked(sim: Any) -> Any:
    stored = sim.get("v1", "Namespace", "", "metax-operator") or {}
    conditions = (stored.get("status") or {}).get("conditions") or []
    return any(
        c["type"] == "NamespaceFinalizersRemaining" and c["status"] == "True" for c in conditions
    )


def test_findings_from_collected_snapshot(kubesim_factory: Any) -> None:
    sim = kubesim_factory(
        state=states.stuck_install() + "---" + states.foreign_webhook() + "---" + states.gpu_pod()
    )
    eventually(lambda: _namespace_blocked(sim), what="namespace controller conditions")
    snap = _collect(sim)

    found = install.locate(snap)
    assert found["namespace"] == "metax-operator"
    assert found["available"] is False
    assert found["release_names"] == ["metax-operator-1743500897"]

    verdicts = {v["config"]["meta"]["name"]: v for v in webhooks.operator_webhooks(snap, found)}
    assert verdicts["upgrade-validating-webhook-configuration"]["owned"] is True
    assert verdicts["upgrade-validating-webhook-configuration"]["state"] == webhooks.DANGLING
    assert verdicts["other-product-validating"]["owned"] is False

    stuck_names = [
        item["resource"]["meta"]["name"] for item in stuck.stuck_custom_resources(snap, found)
    ]
    assert stuck_names == ["cluster-operator"]
    terminating = stuck.terminating_namespaces(snap)
    assert [item["name"] for item in terminating] == ["metax-operator"]
    assert "NamespaceFinalizersRemaining" in [c["type"] for c in terminating[0]["conditions"]]
    assert workloads.by_namespace(workloads.gpu_pods(snap)) == {"ml": ["train-0"]}

    reloaded = snapshot.loads(snapshot.dumps(snap), source="snapshot.json")
    assert install.locate(reloaded) == found
    assert "SGVsbSByZWxlYXNlIHBheWxvYWQ" not in snapshot.dumps(snap)
