"""helm --wait against the workloads and jobs actors, with real helm v3.17.2 and v4.1.4.

A chart with a Deployment, a DaemonSet on GPU-labelled nodes, a StatefulSet,
a Service and a Job is installed with `--wait --wait-for-jobs` (helm v4:
`--wait=watcher`, its kstatus watcher). The install returns once the actors
report the workloads ready and the Job complete; the statuses it relied on
are checked. A Deployment whose Pods never become ready makes the same
install time out, so the wait really depends on the actors. Not covered:
rolling-update pacing, PodDisruptionBudgets, pod failures of workloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from tests.kubesim_semantics.helpers import run_tool

CHART_YAML = "apiVersion: v2\nname: gpu-stack\nversion: 0.1.0\n"
VALUES = 'ready: "true"\n'
TEMPLATES = {
    "deployment.yaml": """
apiVersion: apps/v1
kind: Deployment
metadata: {name: scheduler}
spec:
  replicas: 2
  selector: {matchLabels: {app: scheduler}}
  template:
    metadata:
      labels: {app: scheduler}
      annotations: {kubesim.io/pod-ready: {{ .Values.ready | quote }}}
    spec: {containers: [{name: scheduler, image: "cr.metax-tech.com/cloud/gpu-aware:0.15.0", ports: [{containerPort: 8080}]}]}
""",
    "daemonset.yaml": """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: metax-gpu-label}
spec:
  selector: {matchLabels: {app: metax-gpu-label}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: metax-gpu-label}}
    spec:
      nodeSelector: {metax-tech.com/gpu.installed: "true"}
      containers: [{name: label, image: "cr.metax-tech.com/cloud/gpu-label:0.15.0"}]
""",
    "statefulset.yaml": """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: topo-master}
spec:
  replicas: 1
  serviceName: scheduler
  selector: {matchLabels: {app: topo-master}}
  template:
    metadata: {labels: {app: topo-master}}
    spec: {containers: [{name: topo, image: "cr.metax-tech.com/cloud/topo-master:0.15.0"}]}
""",
    "service.yaml": """
apiVersion: v1
kind: Service
metadata: {name: scheduler}
spec:
  selector: {app: scheduler}
  ports: [{port: 80, targetPort: 8080}]
""",
    "job.yaml": """
apiVersion: batch/v1
kind: Job
metadata: {name: label-check}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: check, image: "registry.k8s.io/kubectl:v1.35.2", command: [sh, -c, "echo checked"]}]
""",
}
NODES = """
apiVersion: v1
kind: Node
metadata: {name: gpu-node-1, labels: {metax-tech.com/gpu.installed: "true"}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu-node-2, labels: {metax-tech.com/gpu.installed: "true"}}
---
apiVersion: v1
kind: Node
metadata: {name: cpu-node, labels: {metax-tech.com/gpu.installed: "false"}}
"""


@pytest.fixture(params=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    binary: Path = request.getfixturevalue(f"{request.param}_bin")
    return binary


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "gpu-stack"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (root / "values.yaml").write_text(VALUES, encoding="utf-8")
    for name, text in TEMPLATES.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def sim(kubesim_factory: Any, kubectl_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KUBESIM_KUBECTL_DIR", str(kubectl_bin.parent))
    started = kubesim_factory(actors=("workloads", "jobs"))
    started.load(NODES)
    return started


def wait_flags(helm: Path) -> list:
    return ["--wait=watcher"] if helm.parent.name == "helm4" else ["--wait"]


def status_of(sim: Any, api_version: str, kind: str, name: str) -> Dict[str, Any]:
    found = sim.get(api_version, kind, "default", name)
    assert found is not None, f"{kind} {name} missing"
    status: Dict[str, Any] = found.get("status") or {}
    return status


def test_wait_returns_once_workloads_ready(sim: Any, helm: Path, chart: Path) -> None:
    result = run_tool(
        helm,
        "install",
        "stack",
        str(chart),
        "-n",
        "default",
        *wait_flags(helm),
        "--wait-for-jobs",
        "--timeout",
        "90s",
        env=sim.env(),
    )
    assert result.returncode == 0, result.stderr

    deployment = status_of(sim, "apps/v1", "Deployment", "scheduler")
    assert (
        deployment["readyReplicas"],
        deployment["availableReplicas"],
        deployment["updatedReplicas"],
    ) == (2, 2, 2)
    daemon_set = status_of(sim, "apps/v1", "DaemonSet", "metax-gpu-label")
    assert (daemon_set["desiredNumberScheduled"], daemon_set["numberReady"]) == (2, 2)
    assert status_of(sim, "apps/v1", "StatefulSet", "topo-master")["readyReplicas"] == 1
    job = status_of(sim, "batch/v1", "Job", "label-check")
    assert job["succeeded"] == 1
    endpoints = sim.get("v1", "Endpoints", "default", "scheduler")
    assert len(endpoints["subsets"][0]["addresses"]) == 2


def test_wait_times_out_on_unready_pods(sim: Any, helm: Path, chart: Path) -> None:
    result = run_tool(
        helm,
        "install",
        "stack",
        str(chart),
        "-n",
        "default",
        *wait_flags(helm),
        "--timeout",
        "5s",
        "--set-string",
        "ready=false",
        env=sim.env(),
    )
    assert result.returncode == 1
    if helm.parent.name == "helm4":
        assert (
            "resource Deployment/default/scheduler not ready. status: InProgress" in result.stderr
        )
    else:
        assert "INSTALLATION FAILED: context deadline exceeded" in result.stderr
