"""Real helm v3.17.2 and v4.1.4 against kubesim with every semantics plug-in.

Covers: install of a chart made here (Deployment, Service, ConfigMap,
ServiceAccount, ClusterRole, a CRD in crds/ and an object of it), the
release Secret that helm writes with a protobuf body (label owner=helm),
upgrade, list, status, uninstall (every object gone, CRD kept as helm
does), and install/upgrade with --wait, where a thread in the test plays the
Deployment controller by writing ReplicaSet and Deployment status through
contract.Cluster. Leaves out: hooks and post-renderers (other areas' tests).
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from tests.kubesim.contract import Cluster

CHART_FILES = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\nappVersion: '1.0'\n",
    "values.yaml": "replicas: 1\nmessage: hello\n",
    "crds/gizmos.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.shop.example.com}
spec:
  group: shop.example.com
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
""",
    "templates/all.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-settings}
data: {message: {{ .Values.message | quote }}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: {{ .Release.Name }}-runner}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: {{ .Release.Name }}-reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}-web}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-web}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      serviceAccountName: {{ .Release.Name }}-runner
      containers:
      - name: web
        image: nginx:1.27
        env: [{name: MESSAGE, value: {{ .Values.message | quote }}}]
---
apiVersion: shop.example.com/v1
kind: Gizmo
metadata: {name: {{ .Release.Name }}-gizmo}
spec: {size: 3}
""",
}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for name, text in CHART_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture(params=["helm3_bin", "helm4_bin"])
def helm(request, kubesim):
    binary = request.getfixturevalue(request.param)
    env = kubesim.env()

    def run(*args, check=True, timeout=180):
        result = subprocess.run(
            [str(binary), *args],
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stderr}"
        return result

    return run


def _release_secrets(kubesim, release):
    info = kubesim.cluster.resource_for("v1", "Secret")
    return [
        s
        for s in kubesim.cluster.list(info, "default")
        if s["metadata"].get("labels", {}).get("owner") == "helm"
        and s["metadata"]["labels"].get("name") == release
    ]


def test_install_upgrade_list_status_uninstall(helm, kubesim, chart):
    helm("install", "demo", str(chart), "-n", "default")
    assert kubesim.get("apps/v1", "Deployment", "default", "demo-web") is not None
    assert kubesim.get("shop.example.com/v1", "Gizmo", "default", "demo-gizmo")["spec"] == {
        "size": 3
    }
    assert kubesim.get("rbac.authorization.k8s.io/v1", "ClusterRole", "", "demo-reader") is not None
    secrets = _release_secrets(kubesim, "demo")
    assert [s["metadata"]["labels"]["version"] for s in secrets] == ["1"]
    assert secrets[0]["type"] == "helm.sh/release.v1"

    helm("upgrade", "demo", str(chart), "-n", "default", "--set", "message=bye,replicas=2")
    deployment = kubesim.get("apps/v1", "Deployment", "default", "demo-web")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "MESSAGE", "value": "bye"}
    ]
    assert kubesim.get("v1", "ConfigMap", "default", "demo-settings")["data"] == {"message": "bye"}
    assert sorted(
        s["metadata"]["labels"]["version"] for s in _release_secrets(kubesim, "demo")
    ) == ["1", "2"]

    listed = helm("list", "-n", "default").stdout
    assert "demo" in listed
    assert "deployed" in listed
    status = helm("status", "demo", "-n", "default").stdout
    assert "STATUS: deployed" in status
    assert "REVISION: 2" in status

    helm("uninstall", "demo", "-n", "default")
    assert kubesim.get("apps/v1", "Deployment", "default", "demo-web") is None
    assert kubesim.get("v1", "Service", "default", "demo-web") is None
    assert kubesim.get("rbac.authorization.k8s.io/v1", "ClusterRole", "", "demo-reader") is None
    assert kubesim.get("shop.example.com/v1", "Gizmo", "default", "demo-gizmo") is None
    assert _release_secrets(kubesim, "demo") == []
    # Helm never deletes CRDs from crds/.
    assert (
        kubesim.get(
            "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gizmos.shop.example.com"
        )
        is not None
    )


def _play_deployment_controller(cluster: Cluster, stop: threading.Event) -> None:
    """Mark every Deployment rolled out: a controlled ReplicaSet with ready replicas, then "
    "status."""
    deployments = cluster.resource_for("apps/v1", "Deployment")
    replicasets = cluster.resource_for("apps/v1", "ReplicaSet")
    while not stop.wait(0.2):
        for deployment in cluster.list(deployments):
            meta = deployment["metadata"]
            status = deployment.get("status") or {}
            if status.get("observedGeneration") == meta.get("generation"):
                continue
            replicas = deployment["spec"].get("replicas", 1)
            # Like the real controller, reuse the ReplicaSet whose pod template matches (a scale).
            template = deployment["spec"]["template"]
            owned = [
                rs
                for rs in cluster.list(replicasets, meta["namespace"])
                if any(
                    ref.get("uid") == meta["uid"]
                    for ref in rs["metadata"].get("ownerReferences", [])
                )
                and rs["spec"]["template"] == template
            ]
            replicaset = owned[0] if owned else None
            name = f"{meta['name']}-{meta['generation']}"
            if replicaset is not None:
                replicaset["spec"]["replicas"] = replicas
                replicaset = cluster.update(replicaset)
            else:
                replicaset = cluster.create(
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "metadata": {
                            "name": name,
                            "namespace": meta["namespace"],
                            "labels": deployment["spec"]["template"]["metadata"].get("labels", {}),
                            "ownerReferences": [
                                {
                                    "apiVersion": "apps/v1",
                                    "kind": "Deployment",
                                    "name": meta["name"],
                                    "uid": meta["uid"],
                                    "controller": True,
                                    "blockOwnerDeletion": True,
                                }
                            ],
                        },
                        "spec": {
                            "replicas": replicas,
                            "selector": deployment["spec"]["selector"],
                            "template": deployment["spec"]["template"],
                        },
                    }
                )
            replicaset["status"] = {
                "replicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "fullyLabeledReplicas": replicas,
                "observedGeneration": replicaset["metadata"].get("generation", 1),
            }
            cluster.update_status(replicaset)
            deployment["status"] = {
                "observedGeneration": meta["generation"],
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
                ],
            }
            cluster.update_status(deployment)


def test_install_and_upgrade_with_wait(helm, kubesim, chart):
    stop = threading.Event()
    controller = threading.Thread(target=_play_deployment_controller, args=(kubesim.cluster, stop))
    controller.start()
    try:
        helm("install", "waited", str(chart), "-n", "default", "--wait", "--timeout", "90s")
        helm(
            "upgrade",
            "waited",
            str(chart),
            "-n",
            "default",
            "--set",
            "replicas=3",
            "--wait",
            "--timeout",
            "90s",
        )
    finally:
        stop.set()
        controller.join()
    deployment = kubesim.get("apps/v1", "Deployment", "default", "waited-web")
    assert deployment["status"]["readyReplicas"] == 3
    assert "STATUS: deployed" in helm("status", "waited", "-n", "default").stdout


def test_wait_times_out_without_rollout(helm, kubesim, chart):
    result = helm(
        "install", "stuck", str(chart), "-n", "default", "--wait", "--timeout", "5s", check=False
    )
    assert result.returncode != 0
    assert "failed" in helm("status", "stuck", "-n", "default").stdout
