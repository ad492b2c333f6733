"""The doctor's API requests grow with resource kinds and pages, not with objects.

Covers: against kubesim holding 2,000 GPU nodes and 50,000 pods (loaded
into its store before it starts, not over HTTP), the doctor sends only
LIST requests, one per resource kind plus one per further page of 500
objects, and the same kinds as on a small cluster; every request is read
from kubesim's audit log. A small-scale twin runs the same comparison in
seconds.

Leaves out: time and memory, which bench/ measures.

The full-size test takes one to two minutes on 2 cores, most of it kubesim
building and paging 50,000 pods.
"""

from __future__ import annotations

import collections
import contextlib
import io
import math
from pathlib import Path
from typing import Any, Dict, Iterator, Set, Tuple

import pytest

from kubectl_metax import cli
from kubectl_metax.kube.transport import PAGE_SIZE
from tests.doctor import states
from tests.kubesim.instance import KubeSim, build

STAMP = "2026-01-01T00:00:00Z"


def _pod(index: int, nodes: int) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"train-{index}",
            "namespace": "default",
            "uid": f"pod-{index}",
            "creationTimestamp": STAMP,
        },
        "spec": {
            "nodeName": f"gpu-node-{index % nodes:04d}",
            "containers": [
                {
                    "name": "main",
                    "image": "team/train:1",
                    "resources": {"limits": {"metax-tech.com/gpu": "1"}},
                }
            ],
        },
        "status": {"phase": "Running"},
    }


@contextlib.contextmanager
def cluster(tmp_path: Path, *, nodes: int, pods: int) -> Iterator[KubeSim]:
    """Start kubesim with the healthy install plus nodes GPU nodes and pods pods."""
    sim = build(
        state_source=states.to_yaml(states.healthy()),
        kubeconfig=tmp_path / "kubeconfig",
        home=tmp_path / "home",
    )
    store = sim.cluster.store
    node_resource = sim.cluster.resource_for("v1", "Node")
    pod_resource = sim.cluster.resource_for("v1", "Pod")
    for index in range(nodes):
        node = states.gpu_node(f"gpu-node-{index:04d}")
        node["metadata"].update(uid=f"node-{index}", creationTimestamp=STAMP)
        store.put(node_resource, node, "ADDED")
    for index in range(pods):
        store.put(pod_resource, _pod(index, nodes), "ADDED")
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def requests_by_resource(sim: KubeSim) -> Tuple[collections.Counter, Set[str]]:
    """Run the doctor once; return its requests per resource and the verbs they used."""
    sim.cluster.audit.clear()
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.run(["doctor", "--kubeconfig", str(sim.kubeconfig), "-o", "json"])
    assert code == 0
    entries = sim.audit
    return collections.Counter(entry.resource for entry in entries), {e.verb for e in entries}


def pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


def compare(tmp_path: Path, *, nodes: int, pods: int) -> None:
    with cluster(tmp_path / "small", nodes=1, pods=1) as small:
        small_counts, small_verbs = requests_by_resource(small)
    with cluster(tmp_path / "large", nodes=nodes, pods=pods) as large:
        large_counts, large_verbs = requests_by_resource(large)

    assert small_verbs == {"list"}
    assert large_verbs == {"list"}
    assert set(large_counts) == set(small_counts)
    healthy_pods = sum(1 for item in states.healthy() if item["kind"] == "Pod")
    # healthy() brings one GPU node of its own.
    assert large_counts["nodes"] == pages(nodes + 1)
    assert large_counts["pods"] == pages(pods + healthy_pods)
    extra_pages = (large_counts["nodes"] - 1) + (large_counts["pods"] - 1)
    assert sum(large_counts.values()) == sum(small_counts.values()) + extra_pages


def test_requests_independent_of_objects_small(tmp_path: Path) -> None:
    compare(tmp_path, nodes=80, pods=2_000)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_requests_for_2000_nodes_50000_pods(tmp_path: Path) -> None:
    compare(tmp_path, nodes=2_000, pods=50_000)
