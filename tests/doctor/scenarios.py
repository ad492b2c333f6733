"""One scenario per check: a change of the healthy state that makes it fire, and a near miss.

Each entry: check ID, the severity it must report, the change that makes it
fire and the change that must leave it quiet (``None`` for the healthy state
itself). Changes take and return the object list of ``states.healthy()``.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from tests.doctor import states
from tests.doctor.states import CRD_NAME, DEPLOYMENT, GROUP, NS, REPLICASET, Object

OPENSHIFT_LOG = (
    'clusterversions.config.openshift.io "version" is forbidden: User '
    '"system:serviceaccount:metax-operator:metax-operator" cannot get resource '
    '"clusterversions" in API group "config.openshift.io" at the cluster scope'
)


# How many times, a tenth of a second apart, to look for a controller's change.
POLLS = 100


class Scenario(NamedTuple):
    check: str
    severity: str
    fire: Callable[[List[Object]], List[Object]]
    quiet: Optional[Callable[[List[Object]], List[Object]]]
    # Run after the state is loaded, with the running kubesim and the kubectl command
    # line (binary and --kubeconfig): for changes that only the API can make.
    act: Optional[Callable[[Any, List[str]], None]] = None


def kubectl(command: List[str], *args: str) -> None:
    subprocess.run([*command, *args], check=True, capture_output=True, text=True)


def wait_for(
    sim: Any, api_version: str, kind: str, name: str, test: Callable[[Object], bool]
) -> None:
    """Wait until kubesim's controllers make test true for the object; fail after POLLS looks."""
    for _ in range(POLLS):
        found = sim.get(api_version, kind, "", name)
        if found is not None and test(found):
            return
        time.sleep(0.1)
    raise AssertionError(f"{kind}/{name} never reached the expected state")


def _conditions(item: Object) -> List[Object]:
    return list((item.get("status") or {}).get("conditions") or [])


def _operator_pod(objects: List[Object]) -> Object:
    return next(
        item
        for item in objects
        if item["kind"] == "Pod" and item["metadata"]["name"].startswith(REPLICASET)
    )


def _crash(message: str, *, restarts: int = 7) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        pod = _operator_pod(objects)
        image = pod["spec"]["containers"][0]["image"]
        pod["status"]["containerStatuses"] = [
            states.container_status(
                "main",
                image,
                restarts=restarts,
                state={
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 5m0s restarting failed container",
                    }
                },
                last={"reason": "Error", "exitCode": 1, "message": message},
            )
        ]
        return objects

    return change


def _restarted_once(objects: List[Object]) -> List[Object]:
    pod = _operator_pod(objects)
    pod["status"]["containerStatuses"][0]["restartCount"] = 1
    return objects


def _no_operator(objects: List[Object]) -> List[Object]:
    pod = _operator_pod(objects)
    objects = states.without(objects, "Deployment", DEPLOYMENT)
    objects = states.without(objects, "ReplicaSet", REPLICASET)
    return [item for item in objects if item is not pod]


def _namespace_gone(objects: List[Object]) -> List[Object]:
    # Only cluster-scoped leftovers remain: the CRD still names the release's namespace.
    return [
        item
        for item in objects
        if item["kind"] in ("CustomResourceDefinition", "ClusterRole", "Node")
    ]


def _unavailable(objects: List[Object]) -> List[Object]:
    states.find(objects, "Deployment", DEPLOYMENT)["status"] = {
        "replicas": 1,
        "readyReplicas": 0,
        "availableReplicas": 0,
        "unavailableReplicas": 1,
    }
    return objects


def _cluster_operator(objects: List[Object]) -> Object:
    return states.find(objects, "ClusterOperator", "cluster-operator")


def _no_cluster_type(objects: List[Object]) -> List[Object]:
    del _cluster_operator(objects)["spec"]["cluster"]
    return objects


def _no_crd(objects: List[Object]) -> List[Object]:
    objects = states.without(objects, "ClusterOperator", "cluster-operator")
    return states.without(objects, "CustomResourceDefinition", CRD_NAME)


def _crd_not_established(objects: List[Object]) -> List[Object]:
    objects.append(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"gpupools.{GROUP}"},
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {"plural": "gpupools", "kind": "GpuPool"},
                "versions": [{"name": "v1alpha1", "served": True, "storage": True}],
            },
        }
    )
    return objects


def _reject_names(sim: Any, command: List[str]) -> None:
    # The API server owns CRD status; a names conflict looks like this there
    # (k8s.io/apiextensions-apiserver, NamesAccepted and Established conditions).
    status = {
        "status": {
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "False",
                    "reason": "KindConflict",
                    "message": '"GpuPool" is already in use',
                    "lastTransitionTime": states.LONG_AGO,
                },
                {
                    "type": "Established",
                    "status": "False",
                    "reason": "NotAccepted",
                    "message": "not all names are accepted",
                    "lastTransitionTime": states.LONG_AGO,
                },
            ]
        }
    }
    kubectl(
        command,
        "patch",
        "crd",
        f"gpupools.{GROUP}",
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps(status),
    )


def _deleting(item: Object) -> None:
    item["metadata"]["deletionTimestamp"] = "2026-12-01T08:00:00Z"


def _delete_crd(sim: Any, command: List[str]) -> None:
    kubectl(command, "delete", "crd", CRD_NAME, "--wait=false")
    wait_for(
        sim,
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        CRD_NAME,
        lambda item: any(c["type"] == "Terminating" for c in _conditions(item)),
    )


def _release_status(status: str, *, version: int = 3) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(states.release_secret(version, status))
        return objects

    return change


def _only_pending_install(objects: List[Object]) -> List[Object]:
    objects = [item for item in objects if item["kind"] != "Secret"]
    objects.append(states.release_secret(1, "pending-install"))
    return objects


def _other_release(status: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(
            states.release_secret(1, status, release="team-dashboard", namespace="default")
        )
        return objects

    return change


def _second_release(status: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(states.release_secret(1, status, release="metax-operator-1743600000"))
        return objects

    return change


def _hook_job(condition: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        failed = condition == "Failed"
        objects.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": "metax-pre-delete",
                    "namespace": NS,
                    "annotations": {
                        "helm.sh/hook": "pre-delete",
                        "helm.sh/hook-delete-policy": "hook-succeeded",
                    },
                },
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {"name": "main", "image": "docker.io/alpine/k8s:1.34.1"}
                            ],
                        }
                    },
                },
                "status": {
                    "failed": 1 if failed else 0,
                    "succeeded": 0 if failed else 1,
                    "conditions": [
                        {
                            "type": condition,
                            "status": "True",
                            "reason": "BackoffLimitExceeded" if failed else "",
                        }
                    ],
                },
            }
        )
        return objects

    return change


def _service_gone(objects: List[Object]) -> List[Object]:
    objects = states.without(objects, "Service", "upgrade-webhook-service")
    return states.without(objects, "EndpointSlice", "upgrade-webhook-service-abcde")


def _stuck_cluster_operator(objects: List[Object]) -> List[Object]:
    objects = _no_operator(objects)
    _deleting(_cluster_operator(objects))
    return objects


def _deleting_while_operator_runs(objects: List[Object]) -> List[Object]:
    _deleting(_cluster_operator(objects))
    return objects


def _delete_namespace(sim: Any, command: List[str]) -> None:
    kubectl(command, "delete", "namespace", NS, "--wait=false")
    wait_for(
        sim,
        "v1",
        "Namespace",
        NS,
        lambda item: any(c["type"] == "NamespaceFinalizersRemaining" for c in _conditions(item)),
    )


def _api_service(available: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(
            {
                "apiVersion": "apiregistration.k8s.io/v1",
                "kind": "APIService",
                "metadata": {"name": "v1beta1.metrics.k8s.io"},
                "spec": {
                    "group": "metrics.k8s.io",
                    "version": "v1beta1",
                    "groupPriorityMinimum": 100,
                    "versionPriority": 100,
                    "service": {"namespace": "kube-system", "name": "metrics-server"},
                },
                "status": {
                    "conditions": [
                        {
                            "type": "Available",
                            "status": available,
                            "reason": "ServiceNotFound" if available == "False" else "Passed",
                            "message": 'service/metrics-server in "kube-system" is not present'
                            if available == "False"
                            else "all checks passed",
                        }
                    ]
                },
            }
        )
        return objects

    return change


def _conversion_crd(with_service: bool) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "gpumonitors.monitoring.example.com"},
                "spec": {
                    "group": "monitoring.example.com",
                    "scope": "Namespaced",
                    "names": {"plural": "gpumonitors", "kind": "GpuMonitor"},
                    "versions": [
                        {"name": "v1", "served": True, "storage": True},
                        {"name": "v1beta1", "served": True, "storage": False},
                    ],
                    "conversion": {
                        "strategy": "Webhook",
                        "webhook": {
                            "conversionReviewVersions": ["v1"],
                            "clientConfig": {
                                "service": {"namespace": NS, "name": "gpu-monitor-conversion"}
                            },
                        },
                    },
                },
            }
        )
        if with_service:
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "gpu-monitor-conversion", "namespace": NS},
                    "spec": {"ports": [{"port": 443}]},
                }
            )
        return objects

    return change


def _orphan_cluster_role(objects: List[Object]) -> List[Object]:
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "metax-pre-delete"},
            "rules": [{"apiGroups": [GROUP], "resources": ["*"], "verbs": ["*"]}],
        }
    )
    return objects


def _daemonset_not_ready(objects: List[Object]) -> List[Object]:
    states.find(objects, "DaemonSet", "metax-driver")["status"].update(
        numberReady=0, numberAvailable=0
    )
    return objects


def _pull_failure(image: str, namespace: str = NS) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append(
            states.pod(
                "metax-maca-pull",
                owner_kind="DaemonSet",
                owner="metax-maca",
                image=image,
                namespace=namespace,
                statuses=[
                    states.container_status(
                        "main",
                        image,
                        state={
                            "waiting": {
                                "reason": "ImagePullBackOff",
                                "message": f'Back-off pulling image "{image}"',
                            }
                        },
                    )
                ],
            )
        )
        return objects

    return change


def _node(objects: List[Object]) -> Object:
    return states.find(objects, "Node", states.NODE)


def _no_allocatable(objects: List[Object]) -> List[Object]:
    for section in ("allocatable", "capacity"):
        del _node(objects)["status"][section]["metax-tech.com/gpu"]
    return objects


def _cpu_node_without_gpu(objects: List[Object]) -> List[Object]:
    node = states.gpu_node("cpu-node-1", gpu__installed=None, gpu__product=None)
    del node["status"]["allocatable"]["metax-tech.com/gpu"]
    objects.append(node)
    return objects


def _label(key: str, value: Optional[str]) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        labels = _node(objects)["metadata"]["labels"]
        if value is None:
            labels.pop(key, None)
        else:
            labels[key] = value
        return objects

    return change


def _runtime(version: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        _node(objects)["status"]["nodeInfo"]["containerRuntimeVersion"] = version
        return objects

    return change


def _prefer_cloud(host_driver: bool) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        _cluster_operator(objects)["spec"]["driver"]["deployPolicy"] = "PreferCloud"
        if host_driver:
            _node(objects)["metadata"]["labels"]["metax-tech.com/gpu.driver.mode"] = "host"
        return objects

    return change


def _gpu_workload(phase: str) -> Callable[[List[Object]], List[Object]]:
    def change(objects: List[Object]) -> List[Object]:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
        workload = states.pod(
            "train-0",
            owner_kind="",
            owner="",
            image="team/train:1",
            namespace="team-a",
            resources={"limits": {"metax-tech.com/gpu": "2"}},
        )
        workload["status"]["phase"] = phase
        objects.append(workload)
        return objects

    return change


SCENARIOS: List[Scenario] = [
    Scenario("MX101", "error", _namespace_gone, None),
    Scenario("MX102", "error", _no_operator, None),
    Scenario("MX103", "error", _unavailable, None),
    Scenario(
        "MX104", "error", _crash("panic: runtime error: invalid memory address"), _restarted_once
    ),
    Scenario("MX105", "error", _crash(OPENSHIFT_LOG), _crash("panic: runtime error")),
    Scenario(
        "MX106",
        "error",
        lambda objects: states.without(objects, "ClusterOperator", "cluster-operator"),
        None,
    ),
    Scenario("MX107", "warning", _no_cluster_type, None),
    Scenario("MX108", "error", _no_crd, None),
    Scenario("MX109", "error", _crd_not_established, None, _reject_names),
    Scenario("MX110", "error", _no_operator, None, _delete_crd),
    Scenario("MX201", "error", _release_status("failed"), _other_release("failed")),
    Scenario("MX202", "error", _only_pending_install, _other_release("pending-install")),
    Scenario(
        "MX203", "error", _release_status("pending-upgrade"), _other_release("pending-upgrade")
    ),
    Scenario(
        "MX204", "error", _release_status("pending-rollback"), _other_release("pending-rollback")
    ),
    Scenario("MX205", "error", _release_status("uninstalling"), _other_release("uninstalling")),
    Scenario("MX206", "warning", _second_release("deployed"), _second_release("uninstalled")),
    Scenario("MX207", "error", _hook_job("Failed"), _hook_job("Complete")),
    Scenario("MX301", "error", _service_gone, None),
    Scenario("MX302", "error", _stuck_cluster_operator, _deleting_while_operator_runs),
    Scenario("MX303", "error", _stuck_cluster_operator, None, _delete_namespace),
    Scenario("MX304", "error", _api_service("False"), _api_service("True")),
    Scenario("MX305", "error", _conversion_crd(False), _conversion_crd(True)),
    Scenario("MX306", "error", _orphan_cluster_role, None),
    Scenario("MX401", "error", _daemonset_not_ready, None),
    Scenario(
        "MX402",
        "error",
        _pull_failure(f"{states.REGISTRY}/maca-native:2.32.0.6-ubuntu22.04-arm64"),
        _pull_failure("docker.io/library/nginx:1.27", namespace="default"),
    ),
    Scenario("MX403", "error", _no_allocatable, _cpu_node_without_gpu),
    Scenario("MX404", "warning", _label("metax-tech.com/maca.ready", None), None),
    Scenario("MX405", "warning", _runtime("containerd://2.0.4"), _runtime("containerd://1.7.22")),
    Scenario("MX406", "warning", _prefer_cloud(True), _prefer_cloud(False)),
    Scenario("MX501", "info", _gpu_workload("Running"), _gpu_workload("Succeeded")),
]

BY_CHECK: Dict[str, Scenario] = {scenario.check: scenario for scenario in SCENARIOS}


def state_yaml(change: Optional[Callable[[List[Object]], List[Object]]]) -> str:
    objects = states.healthy()
    return states.to_yaml(change(objects) if change else objects)
