"""The "workloads" actor: Deployments, ReplicaSets, StatefulSets and DaemonSets come up.

It plays the deployment, replicaset, statefulset, daemonset and endpoints
controllers plus the kubelet, just far enough for ``helm --wait`` (helm v3
reads the newest ReplicaSet a Deployment controls, helm v4's kstatus reads
observedGeneration, replica counts and the Available/Progressing conditions):

- Deployment -> ReplicaSet (named ``<deployment>-<template hash>``, template
  equal to the Deployment's plus the ``pod-template-hash`` label) -> Pods;
- StatefulSet -> Pods ``<name>-<ordinal>``; DaemonSet -> one Pod per Node
  whose labels match the pod template's nodeSelector (taints, tolerations and
  affinity are ignored);
- every Pod not owned by a Job is marked Running and Ready at once, unless
  its template carries the annotation ``kubesim.io/pod-ready: "false"``;
- Services with a selector get Endpoints and an EndpointSlice of their ready
  Pods (see endpoints.py).

Rolling updates are instant: a new template gets a new ReplicaSet and old
ones are scaled to zero in the same pass.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
from typing import Any, Dict, List, Optional

from tests.kubesim.contract import ApiError, Cluster, Object, ResourceInfo
from tests.kubesim.controllers import endpoints
from tests.kubesim.controllers.base import (
    ANNOTATION_PREFIX,
    ResyncController,
    condition_true,
    delete_quietly,
    is_controlled_by,
    labels_of,
    match_label_selector,
    now_rfc3339,
    owner_reference,
    set_condition,
    update_with_retry,
)

log = logging.getLogger(__name__)

POD_READY_ANNOTATION = ANNOTATION_PREFIX + "pod-ready"
HASH_LABEL = "pod-template-hash"
WATCHED = {
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("", "pods"),
    ("", "services"),
    ("", "nodes"),
}


def template_hash(template: Object) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return digest[:10]


def pod_ip(uid: str) -> str:
    digest = hashlib.sha256(uid.encode()).digest()
    return f"10.244.{digest[0]}.{max(digest[1], 2)}"


def replicas_of(workload: Object) -> int:
    value = (workload.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def pod_is_ready(pod: Object) -> bool:
    return not (pod.get("metadata") or {}).get("deletionTimestamp") and condition_true(pod, "Ready")


class WorkloadController(ResyncController):
    name = "workloads"

    def interested(self, event: str, resource: ResourceInfo, obj: Object) -> bool:
        return (resource.group, resource.resource) in WATCHED

    def reconcile(self, cluster: Cluster) -> None:
        apps = {
            plural: cluster.resource_named("apps", plural)
            for plural in ("deployments", "replicasets", "statefulsets", "daemonsets")
        }
        pods = cluster.resource_named("", "pods")
        if pods is None:
            return
        self.pods = pods
        if apps["deployments"] and apps["replicasets"]:
            for deployment in cluster.list(apps["deployments"]):
                self._deployment(cluster, apps["deployments"], apps["replicasets"], deployment)
        if apps["replicasets"]:
            for replica_set in cluster.list(apps["replicasets"]):
                self._replica_set(cluster, apps["replicasets"], replica_set)
        if apps["statefulsets"]:
            for stateful_set in cluster.list(apps["statefulsets"]):
                self._stateful_set(cluster, apps["statefulsets"], stateful_set)
        if apps["daemonsets"]:
            for daemon_set in cluster.list(apps["daemonsets"]):
                self._daemon_set(cluster, apps["daemonsets"], daemon_set)
        self._start_pods(cluster)
        endpoints.sync(cluster, pods)

    # -- pods ---------------------------------------------------------------

    def _owned_pods(self, cluster: Cluster, owner: Object) -> List[Object]:
        namespace = owner["metadata"].get("namespace", "")
        return [
            p
            for p in cluster.list(self.pods, namespace)
            if is_controlled_by(p, owner) and not p["metadata"].get("deletionTimestamp")
        ]

    def _create_pod(
        self,
        cluster: Cluster,
        owner: Object,
        template: Object,
        name: str,
        *,
        node: str = "",
        extra_labels: Optional[Dict[str, str]] = None,
    ) -> None:
        template_meta = template.get("metadata") or {}
        labels = dict(template_meta.get("labels") or {})
        labels.update(extra_labels or {})
        spec = copy.deepcopy(template.get("spec") or {})
        if node:
            spec["nodeName"] = node
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": owner["metadata"].get("namespace", ""),
                "labels": labels,
                "annotations": dict(template_meta.get("annotations") or {}),
                "ownerReferences": [owner_reference(owner)],
            },
            "spec": spec,
            "status": {"phase": "Pending"},
        }
        try:
            cluster.create(pod)
        except ApiError as error:
            if error.code != 409:
                raise

    def _scale_pods(
        self,
        cluster: Cluster,
        owner: Object,
        template: Object,
        desired: int,
        *,
        prefix: str,
        extra_labels: Optional[Dict[str, str]] = None,
    ) -> List[Object]:
        pods = self._owned_pods(cluster, owner)
        names = {p["metadata"]["name"] for p in pods}
        index = 0
        while len(names) < desired:
            seed = "{}-{}".format(owner["metadata"].get("uid", ""), index)
            name = f"{prefix}-{hashlib.sha256(seed.encode()).hexdigest()[:5]}"
            index += 1
            if name in names:
                continue
            self._create_pod(cluster, owner, template, name, extra_labels=extra_labels)
            names.add(name)
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"])[desired:]:
            delete_quietly(
                cluster, self.pods, pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
            )
        return self._owned_pods(cluster, owner)

    def _start_pods(self, cluster: Cluster) -> None:
        """Play the kubelet: schedule and start every pending Pod not run by the job runner."""
        nodes_resource = cluster.resource_named("", "nodes")
        nodes = (
            sorted(n["metadata"]["name"] for n in cluster.list(nodes_resource))
            if nodes_resource
            else []
        )
        for pod in cluster.list(self.pods):
            metadata = pod["metadata"]
            if metadata.get("deletionTimestamp") or any(
                ref.get("kind") == "Job" for ref in metadata.get("ownerReferences") or []
            ):
                continue
            ready = (metadata.get("annotations") or {}).get(POD_READY_ANNOTATION, "true") != "false"
            if (pod.get("status") or {}).get("phase") == "Running" and condition_true(
                pod, "Ready"
            ) == ready:
                continue

            update_with_retry(
                cluster,
                self.pods,
                metadata.get("namespace", ""),
                metadata["name"],
                functools.partial(start_pod, ready=ready, nodes=nodes),
                status=True,
            )

    # -- deployments and replica sets --------------------------------------

    def _deployment(
        self,
        cluster: Cluster,
        deployments: ResourceInfo,
        replica_sets: ResourceInfo,
        deployment: Object,
    ) -> None:
        metadata = deployment["metadata"]
        if metadata.get("deletionTimestamp"):
            return
        namespace = metadata.get("namespace", "")
        spec = deployment.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        pod_hash = template_hash(template)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        desired = replicas_of(deployment)
        new_name = f"{metadata['name']}-{pod_hash}"
        owned = [
            rs for rs in cluster.list(replica_sets, namespace) if is_controlled_by(rs, deployment)
        ]
        new_set = next((rs for rs in owned if rs["metadata"]["name"] == new_name), None)
        if new_set is None:
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
            new_set = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": new_name,
                    "namespace": namespace,
                    "labels": dict(template["metadata"]["labels"]),
                    "annotations": {"deployment.kubernetes.io/revision": str(len(owned) + 1)},
                    "ownerReferences": [owner_reference(deployment)],
                },
                "spec": {"replicas": desired, "selector": selector, "template": template},
            }
            try:
                new_set = cluster.create(new_set)
            except ApiError as error:
                if error.code != 409:
                    raise
                return
        for replica_set in [*owned, new_set]:
            target = desired if replica_set["metadata"]["name"] == new_name else 0
            if replicas_of(replica_set) != target:
                update_with_retry(
                    cluster,
                    replica_sets,
                    namespace,
                    replica_set["metadata"]["name"],
                    functools.partial(_set_replicas, replicas=target),
                )

        new_status = (cluster.get(replica_sets, namespace, new_name) or new_set).get("status") or {}
        old_pods = sum(
            ((rs.get("status") or {}).get("replicas") or 0)
            for rs in owned
            if rs["metadata"]["name"] != new_name
        )
        ready = int(new_status.get("readyReplicas") or 0)
        available = int(new_status.get("availableReplicas") or 0)
        updated = int(new_status.get("replicas") or 0)

        def write(edited: Object) -> bool:
            status = edited.setdefault("status", {})
            before = json.dumps(status, sort_keys=True)
            status.update(
                {
                    "observedGeneration": edited["metadata"].get("generation", 1),
                    "replicas": updated + old_pods,
                    "updatedReplicas": updated,
                    "readyReplicas": ready,
                    "availableReplicas": available,
                    "unavailableReplicas": max(desired - available, 0),
                }
            )
            if available >= desired:
                set_condition(
                    status,
                    "Available",
                    "True",
                    reason="MinimumReplicasAvailable",
                    message="Deployment has minimum availability.",
                )
            else:
                set_condition(
                    status,
                    "Available",
                    "False",
                    reason="MinimumReplicasUnavailable",
                    message="Deployment does not have minimum availability.",
                )
            if available >= desired and updated == desired and not old_pods:
                set_condition(
                    status,
                    "Progressing",
                    "True",
                    reason="NewReplicaSetAvailable",
                    message=f'ReplicaSet "{new_name}" has successfully progressed.',
                )
            else:
                set_condition(
                    status,
                    "Progressing",
                    "True",
                    reason="ReplicaSetUpdated",
                    message=f'ReplicaSet "{new_name}" is progressing.',
                )
            return json.dumps(status, sort_keys=True) != before

        update_with_retry(cluster, deployments, namespace, metadata["name"], write, status=True)

    def _replica_set(
        self, cluster: Cluster, replica_sets: ResourceInfo, replica_set: Object
    ) -> None:
        metadata = replica_set["metadata"]
        if metadata.get("deletionTimestamp"):
            return
        template = (replica_set.get("spec") or {}).get("template") or {}
        pods = self._scale_pods(
            cluster, replica_set, template, replicas_of(replica_set), prefix=metadata["name"]
        )
        ready = sum(1 for p in pods if pod_is_ready(p))
        counts = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        self._write_counts(cluster, replica_sets, replica_set, counts)

    def _write_counts(
        self, cluster: Cluster, resource: ResourceInfo, workload: Object, counts: Dict[str, Any]
    ) -> None:
        def write(edited: Object) -> bool:
            status = edited.setdefault("status", {})
            desired = dict(counts, observedGeneration=edited["metadata"].get("generation", 1))
            if all(status.get(k) == v for k, v in desired.items()):
                return False
            status.update(desired)
            return True

        update_with_retry(
            cluster,
            resource,
            workload["metadata"].get("namespace", ""),
            workload["metadata"]["name"],
            write,
            status=True,
        )

    # -- stateful sets and daemon sets ---------------------------------------

    def _stateful_set(
        self, cluster: Cluster, stateful_sets: ResourceInfo, stateful_set: Object
    ) -> None:
        metadata = stateful_set["metadata"]
        if metadata.get("deletionTimestamp"):
            return
        template = (stateful_set.get("spec") or {}).get("template") or {}
        desired = replicas_of(stateful_set)
        revision = f"{metadata['name']}-{template_hash(template)}"
        existing = {p["metadata"]["name"] for p in self._owned_pods(cluster, stateful_set)}
        for ordinal in range(desired):
            name = f"{metadata['name']}-{ordinal}"
            if name not in existing:
                self._create_pod(
                    cluster,
                    stateful_set,
                    template,
                    name,
                    extra_labels={
                        "controller-revision-hash": revision,
                        "statefulset.kubernetes.io/pod-name": name,
                    },
                )
        for name in existing - {f"{metadata['name']}-{i}" for i in range(desired)}:
            delete_quietly(cluster, self.pods, metadata.get("namespace", ""), name)

        pods = self._owned_pods(cluster, stateful_set)
        ready = sum(1 for p in pods if pod_is_ready(p))
        counts = {
            "replicas": len(pods),
            "readyReplicas": ready,
            "currentReplicas": len(pods),
            "updatedReplicas": len(pods),
            "availableReplicas": ready,
            "currentRevision": revision,
            "updateRevision": revision,
        }
        self._write_counts(cluster, stateful_sets, stateful_set, counts)

    def _daemon_set(self, cluster: Cluster, daemon_sets: ResourceInfo, daemon_set: Object) -> None:
        metadata = daemon_set["metadata"]
        if metadata.get("deletionTimestamp"):
            return
        template = (daemon_set.get("spec") or {}).get("template") or {}
        node_selector = (template.get("spec") or {}).get("nodeSelector") or {}
        nodes_resource = cluster.resource_named("", "nodes")
        nodes = cluster.list(nodes_resource) if nodes_resource else []
        eligible = sorted(
            n["metadata"]["name"]
            for n in nodes
            if match_label_selector({"matchLabels": node_selector}, labels_of(n))
        )

        pods = self._owned_pods(cluster, daemon_set)
        by_node = {(p.get("spec") or {}).get("nodeName", ""): p for p in pods}
        for node in eligible:
            if node not in by_node:
                self._create_pod(
                    cluster,
                    daemon_set,
                    template,
                    f"{metadata['name']}-{hashlib.sha256(node.encode()).hexdigest()[:5]}",
                    node=node,
                )
        for node, pod in by_node.items():
            if node not in eligible:
                delete_quietly(
                    cluster, self.pods, metadata.get("namespace", ""), pod["metadata"]["name"]
                )

        pods = self._owned_pods(cluster, daemon_set)
        ready = sum(1 for p in pods if pod_is_ready(p))
        counts = {
            "desiredNumberScheduled": len(eligible),
            "currentNumberScheduled": len(pods),
            "updatedNumberScheduled": len(pods),
            "numberReady": ready,
            "numberAvailable": ready,
            "numberUnavailable": max(len(eligible) - ready, 0),
            "numberMisscheduled": 0,
        }
        self._write_counts(cluster, daemon_sets, daemon_set, counts)


def start_pod(edited: Object, *, ready: bool, nodes: List[str]) -> bool:
    """Mark a Pod scheduled and running, Ready unless ready is False."""
    status = edited.setdefault("status", {})
    node = edited.get("spec", {}).get("nodeName") or (nodes[0] if nodes else "")
    status.update(
        {
            "phase": "Running",
            "podIP": pod_ip(edited["metadata"].get("uid", edited["metadata"]["name"])),
            "hostIP": "192.0.2.10" if node else "",
            "startTime": status.get("startTime") or now_rfc3339(),
        }
    )
    value = "True" if ready else "False"
    for condition_type in ("PodScheduled", "Initialized"):
        set_condition(status, condition_type, "True", reason="")
    for condition_type in ("ContainersReady", "Ready"):
        set_condition(status, condition_type, value, reason="" if ready else "ContainersNotReady")
    containers = edited.get("spec", {}).get("containers") or []
    status["containerStatuses"] = [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "ready": ready,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": status["startTime"]}},
        }
        for c in containers
    ]
    return True


def _set_replicas(edited: Object, *, replicas: int) -> bool:
    edited.setdefault("spec", {})["replicas"] = replicas
    return True
