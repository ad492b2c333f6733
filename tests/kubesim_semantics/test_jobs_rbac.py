"""The job runner runs a Job's script with the real kubectl under its ServiceAccount's RBAC.

A Job whose `sh -c` script lists ConfigMaps in its own namespace (taken from
the downward API) fails with condition Failed / BackoffLimitExceeded while
its Role only allows get, with the API server's 403 in the Pod's kept
output; the same Job passes once the Role allows list, and the audit log
shows the requests came from the ServiceAccount. Condition types and
reasons follow https://kubernetes.io/docs/concepts/workloads/controllers/job/
(Kubernetes 1.31+: FailureTarget before Failed, SuccessCriteriaMet before
Complete). Backoff, deadlines and output are covered in-process by
test_controllers_fake.py. Not covered: a plain-HTTP kubesim, because
kubectl v1.35.2 sends no bearer token over plain HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

from tests.kubesim.contract import ResourceInfo
from tests.kubesim.controllers.jobs import LOG_ANNOTATION
from tests.kubesim_semantics.helpers import apply, eventually

SETUP = """
apiVersion: v1
kind: Namespace
metadata: {name: jobs}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: cleaner, namespace: jobs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cleaner, namespace: jobs}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [%(verbs)s]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: cleaner, namespace: jobs}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cleaner}
subjects: [{kind: ServiceAccount, name: cleaner, namespace: jobs}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: metax-pre-delete-configmap, namespace: jobs}
"""

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: %(name)s, namespace: jobs}
spec:
  backoffLimit: 0
  template:
    spec:
      serviceAccountName: cleaner
      restartPolicy: Never
      containers:
      - name: kubectl
        image: registry.k8s.io/kubectl:v1.35.2
        env:
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        command: [sh, -c]
        args: ['kubectl get configmaps -n "$POD_NAMESPACE" -o name']
"""
SERVICE_ACCOUNT = "system:serviceaccount:jobs:cleaner"


@pytest.fixture
def sim(kubesim_factory: Any, kubectl_bin: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("KUBESIM_KUBECTL_DIR", str(kubectl_bin.parent))
    return kubesim_factory(actors=("jobs",))


def finished_job(sim: Any, name: str) -> Dict[str, Any]:
    def probe() -> Dict[str, Any]:
        job = sim.get("batch/v1", "Job", "jobs", name) or {}
        types = {
            c["type"]
            for c in (job.get("status") or {}).get("conditions") or []
            if c.get("status") == "True"
        }
        return job if types & {"Complete", "Failed"} else {}

    return eventually(probe, timeout=60, what=f"job {name} to finish")


def conditions(job: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {c["type"]: c for c in job["status"]["conditions"]}


def job_output(sim: Any, job: Dict[str, Any]) -> str:
    pods = sim.cluster.list(ResourceInfo("", "v1", "pods", "Pod", namespaced=True), "jobs")
    owned = [
        p
        for p in pods
        if p["metadata"].get("labels", {}).get("job-name") == job["metadata"]["name"]
    ]
    assert len(owned) == 1
    output: str = owned[0]["metadata"]["annotations"][LOG_ANNOTATION]
    return output


def test_job_fails_where_role_forbids(sim: Any, kubectl_bin: Path) -> None:
    env = sim.env()
    apply(kubectl_bin, env, SETUP % {"verbs": "get"})
    apply(kubectl_bin, env, JOB % {"name": "list-maps"})
    job = finished_job(sim, "list-maps")
    found = conditions(job)
    assert found["Failed"]["reason"] == "BackoffLimitExceeded"
    assert found["FailureTarget"]["status"] == "True"
    assert job["status"]["failed"] == 1
    output = job_output(sim, job)
    assert (
        f'configmaps is forbidden: User "{SERVICE_ACCOUNT}" cannot list resource "configmaps" in API group "" in the namespace "jobs"'
        in output
    )


def test_job_passes_once_role_allows(sim: Any, kubectl_bin: Path) -> None:
    env = sim.env()
    apply(kubectl_bin, env, SETUP % {"verbs": "get, list"})
    apply(kubectl_bin, env, JOB % {"name": "list-maps"})
    job = finished_job(sim, "list-maps")
    assert conditions(job)["Complete"]["reason"] == "CompletionsReached"
    assert job["status"]["succeeded"] == 1
    assert job["status"].get("completionTime")
    assert "configmap/metax-pre-delete-configmap" in job_output(sim, job)
    users = {
        entry.user
        for entry in sim.audit
        if "/namespaces/jobs/configmaps" in entry.path and entry.verb == "list"
    }
    assert users == {SERVICE_ACCOUNT}

