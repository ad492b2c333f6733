"""kubesim's jobs actor gives a Job's command its ConfigMap, Secret and emptyDir volumes.

Covers: a Job running ``sh /scripts/run.sh`` from a ConfigMap volume (the
example chart's own pre-delete hook does the same), a ``subPath`` mount, a
Secret volume with ``items``, an env value under an emptyDir mountPath, an
optional ConfigMap that is missing; and that keys or item paths that would
leave the volume's directory fail the attempt and write nothing outside it.

Leaves out: projected, downwardAPI and hostPath volumes (not written), and
paths in the middle of a value such as ``sh -c 'cat /scripts/x'`` (not
mapped: the documented limit).
"""

from __future__ import annotations

import base64
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from tests.kubesim.instance import KubeSim

SCRIPT = """\
echo "script ran as $(basename "$0")"
cat "$CONFIG"
cat "$TOKEN"
test -d "$SCRATCH" && echo "scratch is a directory"
cat /etc/token/t 2>&1 || true
"""
JOB_TIMEOUT = "60s"


@pytest.fixture
def sim(kubesim_factory: Any, kubectl_bin: Path, monkeypatch: pytest.MonkeyPatch) -> KubeSim:
    monkeypatch.setenv("KUBESIM_KUBECTL_DIR", str(kubectl_bin.parent))
    started: KubeSim = kubesim_factory(actors=("jobs",))
    return started


def job(name: str, *, command: list, env: list, mounts: list, volumes: list) -> Dict[str, Any]:
    container = {"name": "run", "image": "busybox", "command": command, "env": env}
    container["volumeMounts"] = mounts
    spec = {"restartPolicy": "Never", "containers": [container], "volumes": volumes}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"backoffLimit": 0, "template": {"spec": spec}},
    }


def config_map(name: str, data: Dict[str, str]) -> Dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": data,
    }


def run(sim: KubeSim, kubectl: Path, *objects: Dict[str, Any]) -> Dict[str, Any]:
    """Create the objects, wait for the last one (a Job) to finish; return its output and status."""
    sim.load(yaml.safe_dump_all(objects))
    name = objects[-1]["metadata"]["name"]
    subprocess.run(
        [
            str(kubectl),
            "wait",
            f"job/{name}",
            "--for=jsonpath={.status.active}=0",
            f"--timeout={JOB_TIMEOUT}",
        ],
        env=sim.env(),
        capture_output=True,
        check=False,
    )
    runner = next(c for c in sim.cluster.plugins.controllers if c.name == "jobs")
    outputs = [text for (_, pod), text in runner.outputs.items() if pod.startswith(name + "-")]
    assert outputs, f"job {name} did not run"
    stored = sim.get("batch/v1", "Job", "default", name)
    assert stored is not None
    return {"output": outputs[-1], "status": stored.get("status") or {}}


def succeeded(result: Dict[str, Any]) -> bool:
    return int(result["status"].get("succeeded") or 0) == 1


def test_configmap_script_runs(sim: KubeSim, kubectl_bin: Path) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "token", "namespace": "default"},
        "data": {"value": base64.b64encode(b"s3cret").decode()},
    }
    result = run(
        sim,
        kubectl_bin,
        config_map("scripts", {"run.sh": SCRIPT, "app.conf": "level=debug\n"}),
        secret,
        job(
            "volumes",
            command=["sh", "/scripts/run.sh"],
            env=[
                {"name": "CONFIG", "value": "/etc/app.conf"},
                {"name": "SCRATCH", "value": "/scratch"},
                {"name": "TOKEN", "value": "/etc/token/t"},
            ],
            mounts=[
                {"name": "scripts", "mountPath": "/scripts"},
                {"name": "scripts", "mountPath": "/etc/app.conf", "subPath": "app.conf"},
                {"name": "token", "mountPath": "/etc/token"},
                {"name": "scratch", "mountPath": "/scratch"},
                {"name": "missing", "mountPath": "/opt/missing"},
            ],
            volumes=[
                {"name": "scripts", "configMap": {"name": "scripts"}},
                {
                    "name": "token",
                    "secret": {"secretName": "token", "items": [{"key": "value", "path": "t"}]},
                },
                {"name": "scratch", "emptyDir": {}},
                {"name": "missing", "configMap": {"name": "absent", "optional": True}},
            ],
        ),
    )

    assert succeeded(result), result["output"]
    assert "script ran as run.sh" in result["output"]
    assert "level=debug" in result["output"]
    assert "s3cret" in result["output"]
    assert "scratch is a directory" in result["output"]
    # The middle of a value is not mapped, so the Secret at /etc/token is not found.
    assert "/etc/token/t: No such file" in result["output"]


@pytest.mark.parametrize(
    ("data", "items", "message"),
    [
        ({"../escape": "x"}, None, "is not a valid ConfigMap key"),
        ({"ok": "x"}, [{"key": "ok", "path": "../../../escape"}], "must be relative"),
        ({"ok": "x"}, [{"key": "ok", "path": "/escape"}], "must be relative"),
    ],
    ids=["key", "relative-path", "absolute-path"],
)
def test_escaping_paths_rejected(
    sim: KubeSim, kubectl_bin: Path, data: Dict[str, str], items: Any, message: str
) -> None:
    volume: Dict[str, Any] = {"name": "bad", "configMap": {"name": "bad"}}
    if items:
        volume["configMap"]["items"] = items
    result = run(
        sim,
        kubectl_bin,
        config_map("bad", data),
        job(
            "escape",
            command=["sh", "-c", "exit 0"],
            env=[],
            mounts=[{"name": "bad", "mountPath": "/bad"}],
            volumes=[volume],
        ),
    )

    assert not succeeded(result)
    assert message in result["output"]
    assert not (Path(tempfile.gettempdir()) / "escape").exists()


def test_missing_configmap_fails(sim: KubeSim, kubectl_bin: Path) -> None:
    result = run(
        sim,
        kubectl_bin,
        job(
            "missing",
            command=["sh", "-c", "exit 0"],
            env=[],
            mounts=[{"name": "gone", "mountPath": "/gone"}],
            volumes=[{"name": "gone", "configMap": {"name": "gone"}}],
        ),
    )

    assert not succeeded(result)
    assert 'configmap "gone" not found' in result["output"]
