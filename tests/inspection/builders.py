"""Raw API objects as a cluster returns them, and snapshots built from them.

The snapshot goes through the same reducers as a real collection, so tests
that use it also exercise ``inspection.records``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from kubectl_metax.inspection import records, snapshot
from kubectl_metax.inspection.snapshot import Snapshot

Raw = Dict[str, Any]
GROUP = "gpu.metax-tech.com"
STAMP = "2026-12-04T10:00:00Z"


def metadata(name: str, namespace: str = "", **extra: Any) -> Raw:
    data: Raw = {"name": name, "uid": f"uid-{namespace}-{name}", "resourceVersion": "7"}
    if namespace:
        data["namespace"] = namespace
    data.update(extra)
    return data


def helm_owned(release: str, namespace: str) -> Raw:
    return {
        "labels": {"app.kubernetes.io/managed-by": "Helm"},
        "annotations": {
            "meta.helm.sh/release-name": release,
            "meta.helm.sh/release-namespace": namespace,
        },
    }


def namespace(name: str, *, terminating: bool = False) -> Raw:
    raw: Raw = {"kind": "Namespace", "metadata": metadata(name), "status": {"phase": "Active"}}
    if terminating:
        raw["metadata"]["deletionTimestamp"] = STAMP
        raw["status"] = {
            "phase": "Terminating",
            "conditions": [
                {
                    "type": "NamespaceFinalizersRemaining",
                    "status": "True",
                    "reason": "SomeFinalizersRemain",
                    "message": "Some content in the namespace has finalizers remaining: "
                    "gpu.metax-tech.com in 1 resource instances",
                }
            ],
        }
    return raw


def crd(plural: str = "clusteroperators", kind: str = "ClusterOperator") -> Raw:
    return {
        "kind": "CustomResourceDefinition",
        "metadata": metadata(f"{plural}.{GROUP}"),
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind},
            "versions": [{"name": "v1alpha1", "served": True, "storage": True}],
        },
    }


def cluster_operator(
    name: str = "cluster-operator",
    namespace: str = "metax-operator",
    *,
    deleting: bool = True,
    finalizers: Optional[List[str]] = None,
    release: str = "metax-operator-1743500897",
) -> Raw:
    meta = metadata(name, namespace, **helm_owned(release, namespace))
    meta["finalizers"] = ["gpu.metax-tech.com"] if finalizers is None else finalizers
    if deleting:
        meta["deletionTimestamp"] = STAMP
    return {"apiVersion": f"{GROUP}/v1alpha1", "kind": "ClusterOperator", "metadata": meta}


def webhook_configuration(
    name: str = "upgrade-validating-webhook-configuration",
    *,
    service: str = "upgrade-webhook-service",
    service_namespace: str = "metax-operator",
    groups: Optional[List[str]] = None,
    release: Optional[str] = "metax-operator-1743500897",
    release_namespace: str = "metax-operator",
    kind: str = "ValidatingWebhookConfiguration",
) -> Raw:
    meta = metadata(name)
    if release:
        meta.update(helm_owned(release, release_namespace))
    return {
        "kind": kind,
        "metadata": meta,
        "webhooks": [
            {
                "name": f"v{name}.example.com",
                "clientConfig": {"service": {"name": service, "namespace": service_namespace}},
                "rules": [
                    {
                        "apiGroups": [GROUP] if groups is None else groups,
                        "apiVersions": ["*"],
                        "resources": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                    }
                ],
            }
        ],
    }


def service(name: str, namespace: str, *, release: Optional[str] = None) -> Raw:
    meta = metadata(name, namespace, **(helm_owned(release, namespace) if release else {}))
    return {"kind": "Service", "metadata": meta, "spec": {"selector": {"app": name}}}


def endpoints(name: str, namespace: str, *, ready: int) -> Raw:
    addresses = [{"ip": f"127.0.0.{index + 1}"} for index in range(ready)]
    return {
        "kind": "Endpoints",
        "metadata": metadata(name, namespace),
        "subsets": [{"addresses": addresses}] if addresses else [],
    }


def operator_deployment(
    name: str = "metax-operator-1743500897-metax-operator",
    namespace: str = "metax-operator",
    *,
    ready: int = 1,
) -> Raw:
    return {
        "kind": "Deployment",
        "metadata": metadata(
            name, namespace, labels={"app.kubernetes.io/component": "metax-operator"}
        ),
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "op:1"}]}}},
        "status": {"readyReplicas": ready, "availableReplicas": ready},
    }


def gpu_pod(name: str, namespace: str, *, phase: str = "Running") -> Raw:
    return {
        "kind": "Pod",
        "metadata": metadata(name, namespace),
        "spec": {
            "nodeName": "gpu-node-1",
            "containers": [
                {
                    "name": "train",
                    "image": "train:1",
                    "resources": {"limits": {"metax-tech.com/gpu": "1", "cpu": "2"}},
                }
            ],
        },
        "status": {"phase": phase},
    }


def helm_release_secret(release: str, namespace: str, *, version: int, status: str) -> Raw:
    return {
        "kind": "Secret",
        "metadata": metadata(
            f"sh.helm.release.v1.{release}.v{version}",
            namespace,
            labels={
                "owner": "helm",
                "name": release,
                "status": status,
                "version": str(version),
            },
        ),
        "data": {"release": "SGVsbSBwYXlsb2Fk"},
    }


def build(*objects: Raw, gaps: Optional[List[Dict[str, str]]] = None) -> Snapshot:
    """Return the snapshot a collection of these raw objects would give."""
    snap = snapshot.empty(server="https://127.0.0.1:1", context="test")
    crds = {}
    for raw in objects:
        if raw["kind"] == "CustomResourceDefinition":
            record = records.crd(raw)
            crds[record["group"] + "/" + record["kind"]] = record
            snap["crds"].append(record)
    for raw in objects:
        kind = raw["kind"]
        if kind == "Namespace":
            snap["namespaces"].append(records.namespace(raw))
        elif kind.endswith("WebhookConfiguration"):
            snap["webhook_configurations"].append(records.webhook_configuration(raw, kind))
        elif kind == "Service":
            snap["services"].append(records.service(raw))
        elif kind == "Endpoints":
            snap["endpoints"].append(records.endpoints(raw))
        elif kind == "Deployment":
            snap["workloads"].append(records.deployment(raw))
        elif kind == "Pod":
            snap["pods"].append(records.pod(raw))
        elif kind == "Secret":
            snap["helm_releases"].append(records.helm_release(raw, "Secret"))
        elif "apiVersion" in raw and raw["apiVersion"].startswith(GROUP):
            snap["custom_resources"].append(records.custom_resource(raw, crds[GROUP + "/" + kind]))
    for gap in gaps or []:
        snap["gaps"].append(snapshot.Gap(kind=gap["kind"], reason=gap["reason"], message=""))
    return snap


def faq_state() -> List[Raw]:
    """Return the state the vendor's FAQ describes: operator gone, webhook left, CR stuck."""
    return [
        namespace("metax-operator", terminating=True),
        crd(),
        cluster_operator(),
        webhook_configuration(),
        helm_release_secret(
            "metax-operator-1743500897", "metax-operator", version=1, status="uninstalling"
        ),
    ]
