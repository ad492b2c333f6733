"""Audit log, state dump and load, and the out-of-process `serve` command.

Covers: one audit entry per request with user, verb, path and query,
resource, namespace, name, code and dry_run (also for 401s), the JSON lines
audit file, dump/load round trips in a deterministic order, loading a stuck
state (an object with deletionTimestamp and a finalizer) as it is, and
`python -m tests.kubesim serve` printing `ready <url>`, serving a kubeconfig
that kubectl uses, honouring --state, --audit and --faults, and exiting 0 on
SIGTERM.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.kubesim_core.client import CM, Api, configmap

REPO = Path(__file__).resolve().parents[2]

STUCK = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusteroperators.gpu.metax-tech.com}
spec:
  group: gpu.metax-tech.com
  scope: Namespaced
  names: {plural: clusteroperators, singular: clusteroperator, kind: ClusterOperator}
  versions: [{name: v1alpha1, served: true, storage: true}]
---
apiVersion: v1
kind: Namespace
metadata: {name: metax-operator}
---
apiVersion: gpu.metax-tech.com/v1alpha1
kind: ClusterOperator
metadata:
  name: cluster-operator
  namespace: metax-operator
  uid: 11111111-2222-3333-4444-555555555555
  creationTimestamp: "2025-01-02T03:04:05Z"
  deletionTimestamp: "2025-01-03T00:00:00Z"
  finalizers: [gpu.metax-tech.com]
spec: {cluster: {type: k8s}}
"""


def test_audit_records_each_request(bare):
    api = Api(bare)
    api.post(CM, configmap("audited"))
    api.get(f"{CM}/audited?resourceVersion=0")
    api.delete(f"{CM}/audited?dryRun=All")
    Api(bare, token=None).get(CM)
    entries = bare.audit
    create, get, delete, anonymous = entries[-4:]
    assert (create.verb, create.resource, create.namespace, create.code, create.user) == (
        "create",
        "configmaps",
        "default",
        201,
        "kubesim-admin",
    )
    assert (get.verb, get.name, get.path) == ("get", "audited", f"{CM}/audited?resourceVersion=0")
    assert delete.dry_run is True
    assert delete.verb == "delete"
    assert (anonymous.code, anonymous.user, anonymous.verb) == (401, "system:anonymous", "list")


def test_audit_file_has_json_lines(kubesim_factory, tmp_path):
    path = tmp_path / "audit.jsonl"
    sim = kubesim_factory(audit=path)
    Api(sim).get("/version")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[-1]["path"] == "/version"
    assert lines[-1]["code"] == 200


def test_dump_load_round_trip(bare, kubesim_factory):
    api = Api(bare)
    api.post(CM, configmap("b-second", labels={"x": "1"}))
    api.post(CM, configmap("a-first"))
    dumped = bare.dump()
    assert dumped == bare.dump()
    documents = list(yaml.safe_load_all(dumped))
    names = [(d["kind"], d["metadata"]["name"]) for d in documents if d["kind"] == "ConfigMap"]
    assert names == [("ConfigMap", "a-first"), ("ConfigMap", "b-second")]

    copy = kubesim_factory(state=dumped)
    restored = copy.get("v1", "ConfigMap", "default", "b-second")
    original = bare.get("v1", "ConfigMap", "default", "b-second")
    assert restored["metadata"]["uid"] == original["metadata"]["uid"]
    assert restored["metadata"]["labels"] == {"x": "1"}


def test_load_keeps_stuck_deletion(bare):
    bare.load(STUCK)
    stuck = bare.get(
        "gpu.metax-tech.com/v1alpha1", "ClusterOperator", "metax-operator", "cluster-operator"
    )
    assert stuck["metadata"]["deletionTimestamp"] == "2025-01-03T00:00:00Z"
    assert stuck["metadata"]["finalizers"] == ["gpu.metax-tech.com"]
    assert stuck["metadata"]["uid"] == "11111111-2222-3333-4444-555555555555"
    path = (
        "/apis/gpu.metax-tech.com/v1alpha1/namespaces/metax-operator"
        "/clusteroperators/cluster-operator"
    )
    api = Api(bare)
    assert api.patch(path, [{"op": "remove", "path": "/metadata/finalizers"}], "json").code == 200
    assert api.get(path).code == 404


def test_serve_out_of_process(tmp_path, kubectl_bin):
    state = tmp_path / "state.yaml"
    state.write_text(STUCK)
    faults = tmp_path / "faults.json"
    faults.write_text(
        json.dumps([{"path": "/api/v1/namespaces/default/secrets", "code": 500, "times": 1}])
    )
    kubeconfig = tmp_path / "kubeconfig"
    audit = tmp_path / "audit.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.kubesim",
            "serve",
            "--state",
            str(state),
            "--kubeconfig",
            str(kubeconfig),
            "--audit",
            str(audit),
            "--faults",
            str(faults),
            "--port",
            "0",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().strip()
        if not line:
            process.kill()
            raise AssertionError(f"serve exited before it was ready:\n{process.stderr.read()}")
        assert line.startswith("ready https://127.0.0.1:")
        env = {"KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
        got = subprocess.run(
            [str(kubectl_bin), "get", "clusteroperators", "-n", "metax-operator", "-o", "name"],
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=60,
        )
        assert got.stdout.split() == ["clusteroperator.gpu.metax-tech.com/cluster-operator"]
        failed = subprocess.run(
            [str(kubectl_bin), "get", "secrets"],
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=60,
        )
        assert failed.returncode != 0
        assert "injected fault" in failed.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    paths = [json.loads(line)["path"] for line in audit.read_text().splitlines()]
    assert any(
        path.startswith(
            "/apis/gpu.metax-tech.com/v1alpha1/namespaces/metax-operator/clusteroperators"
        )
        for path in paths
    )
