"""kubesim's jobs actor runs a finished Job no more than once.

Covers: a worker handed a Job as reconcile listed it before the Job
finished (the stale copy a resync can see while an earlier worker
completes) starts no further attempt. Before this was checked, helm
uninstall sometimes saw the hook run a second time after success, when
helm had already removed its RBAC, so the extra attempt was Forbidden.

Leaves out: the timing of the race itself; the test hands the stale copy
to the worker directly.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.kubesim.instance import KubeSim

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: default}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: run, image: busybox, command: [sh, -c, "echo ran"]}]
"""


@pytest.fixture
def sim(kubesim_factory: Any, kubectl_bin: Path, monkeypatch: pytest.MonkeyPatch) -> KubeSim:
    monkeypatch.setenv("KUBESIM_KUBECTL_DIR", str(kubectl_bin.parent))
    started: KubeSim = kubesim_factory(actors=("jobs",))
    return started


def test_finished_job_not_rerun(sim: KubeSim, kubectl_bin: Path) -> None:
    (stale,) = sim.load(JOB)
    waited = subprocess.run(
        [str(kubectl_bin), "wait", "job/once", "--for=condition=Complete", "--timeout=60s"],
        env=sim.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert waited.returncode == 0, waited.stderr
    runner = next(c for c in sim.cluster.plugins.controllers if c.name == "jobs")
    jobs = sim.cluster.resource_named("batch", "jobs")
    assert jobs is not None
    assert len(runner.outputs) == 1

    runner._attempts(sim.cluster, jobs, stale)

    assert len(runner.outputs) == 1
    stored = sim.get("batch/v1", "Job", "default", "once")
    assert stored is not None
    assert stored["status"]["succeeded"] == 1
