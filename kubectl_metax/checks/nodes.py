"""Component and node checks (MX401-MX406): DaemonSets, image pulls, GPU nodes."""

from __future__ import annotations

from typing import Dict, List, Optional

from kubectl_metax import naming
from kubectl_metax.checks import facts, imagefit, timestamps
from kubectl_metax.checks.model import AREA_NODES, ERROR, INFO, WARNING, Finding, ObjectRef
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _
from kubectl_metax.inspection.snapshot import NodeRecord, PodRecord, Snapshot

GPU_INSTALLED = "metax-tech.com/gpu.installed"
GPU_RESOURCE = "metax-tech.com/gpu"
VFIO_RESOURCE = "metax-tech.com/vfio-gpu"
# The operator's components set these in this order as each finishes on a node.
READY_CHAIN = (
    ("metax-tech.com/driver.ready", "metax-driver"),
    ("metax-tech.com/maca.ready", "metax-maca"),
    ("metax-tech.com/runtime.ready", "metax-container-runtime"),
)
# How long after its device plugin pod was created a GPU node may still lack
# metax-tech.com/gpu in allocatable. Plugins register in seconds to tens of
# seconds, and the kubelet reports the new capacity with a later node status
# update. Five minutes leaves room for an image pull and a slow start, yet a
# plugin that never registers is still reported within minutes.
ALLOCATABLE_GRACE_SECONDS = 300
DRIVER_MODE_LABEL = "metax-tech.com/gpu.driver.mode"
DRIVER_VERSION_LABEL = "metax-tech.com/gpu.driver.major"
PREFER_CLOUD = "PreferCloud"
DEPLOY_POLICY = "driver.deployPolicy"
UNLOAD_FAILURE = "could not unload metax"
CONTAINERD_2 = "containerd://2."


def gpu_nodes(snap: Snapshot) -> List[NodeRecord]:
    return [node for node in snap["nodes"] if node["labels"].get(GPU_INSTALLED) == "true"]


def _node_ref(node: NodeRecord) -> ObjectRef:
    return ObjectRef("Node", node["name"])


def _pods_by_node(snap: Snapshot, daemonset: str) -> Dict[str, PodRecord]:
    found: Dict[str, PodRecord] = {}
    for pod in snap["pods"]:
        if pod["owner"] == f"DaemonSet/{daemonset}" and pod["node"]:
            found[pod["node"]] = pod
    return found


def _crash_text(pod: Optional[PodRecord]) -> str:
    if pod is None:
        return ""
    for _pod, container in facts.crash_loops([pod]):
        return facts.crash_text(container)
    return ""


@check(
    "MX401",
    area=AREA_NODES,
    needs=("daemonsets",),
    title=lambda: _("Every operator DaemonSet is ready on all its nodes"),
)
def daemonsets_ready(context: Context) -> List[Finding]:
    findings = []
    for workload in context.snapshot["workloads"]:
        meta = workload["meta"]
        ours = meta["name"] in facts.OPERATOR_DAEMONSETS or (
            meta["namespace"] == context.install["namespace"] and context.install["namespace"]
        )
        if workload["kind"] != "DaemonSet" or not ours or workload["ready"] >= workload["desired"]:
            continue
        findings.append(
            Finding(
                id="MX401",
                severity=ERROR if workload["ready"] == 0 else WARNING,
                message=_("DaemonSet {name} is ready on {ready} of {desired} nodes.").format(
                    name=meta["name"], ready=workload["ready"], desired=workload["desired"]
                ),
                objects=(ObjectRef("DaemonSet", meta["name"], meta["namespace"]),),
                fix=_("Find the pods that are not ready and read their events and logs."),
                commands=(
                    f"kubectl get pods -n {meta['namespace']} -o wide | grep {meta['name']}",
                    f"kubectl describe daemonset {meta['name']} -n {meta['namespace']}",
                ),
            )
        )
    return findings


@check(
    "MX402",
    area=AREA_NODES,
    needs=("pods", "nodes"),
    title=lambda: _("MetaX images pull on their nodes"),
)
def image_pulls(context: Context) -> List[Finding]:
    snap = context.snapshot
    nodes = {node["name"]: node for node in snap["nodes"]}
    findings = []
    for pod in snap["pods"]:
        for container in pod["containers"]:
            if container["reason"] not in facts.IMAGE_PULL_REASONS:
                continue
            image = container["image"]
            ours = pod["namespace"] == context.install["namespace"] or naming.classify(image)
            if not ours:
                continue
            reasons = imagefit.explain(image, nodes.get(pod["node"]))
            if not reasons:
                reasons = [
                    _(
                        "its name fits this node, so the registry lacks this tag or the node "
                        "cannot log in to it"
                    )
                ]
            findings.append(
                Finding(
                    id="MX402",
                    severity=ERROR,
                    message=_(
                        "Pod {pod} on node {node} cannot pull {image} ({reason}): {why}."
                    ).format(
                        pod=pod["name"],
                        node=pod["node"] or "-",
                        image=image,
                        reason=container["reason"],
                        why="; ".join(reasons),
                    ),
                    objects=(ObjectRef("Pod", pod["name"], pod["namespace"]),),
                    fix=_(
                        "Compute the right reference for the node and push it to the registry "
                        "the cluster uses; then set it in the chart values."
                    ),
                    commands=(
                        f"kubectl describe pod {pod['name']} -n {pod['namespace']}",
                        *imagefit.check_command(image, nodes.get(pod["node"])),
                    ),
                )
            )
    return findings


@check(
    "MX403",
    area=AREA_NODES,
    needs=("nodes", "pods"),
    title=lambda: _("GPU nodes advertise metax-tech.com/gpu"),
)
def gpu_allocatable(context: Context) -> List[Finding]:
    snap = context.snapshot
    device_pods = _pods_by_node(snap, facts.DEVICE_PLUGIN_DAEMONSET)
    findings = []
    for node in gpu_nodes(snap):
        allocatable = node["allocatable"]
        if allocatable.get(GPU_RESOURCE, "0") != "0" or allocatable.get(VFIO_RESOURCE, "0") != "0":
            continue
        pod = device_pods.get(node["name"])
        age = timestamps.age_seconds(pod.get("created", ""), context.now) if pod else None
        severity = ERROR
        if pod is None:
            message = _(
                "Node {node} is labelled gpu.installed=true but has no metax-tech.com/gpu in "
                "allocatable, and no metax-gpu-device pod runs on it."
            ).format(node=node["name"])
        elif age is None:
            severity = WARNING
            message = _(
                "Node {node} has no metax-tech.com/gpu in allocatable, and the age of its "
                "device plugin pod {pod} is unknown (no creation or collection time)."
            ).format(node=node["name"], pod=pod["name"])
        elif age < ALLOCATABLE_GRACE_SECONDS:
            severity = INFO
            message = _(
                "Node {node} has no metax-tech.com/gpu in allocatable yet; its device plugin "
                "pod started {age}s ago, and GPUs appear within {grace}s."
            ).format(node=node["name"], age=int(age), grace=ALLOCATABLE_GRACE_SECONDS)
        else:
            message = _(
                "Node {node} has no metax-tech.com/gpu in allocatable although its device "
                "plugin pod {pod} has been there longer than {grace}s."
            ).format(node=node["name"], pod=pod["name"], grace=ALLOCATABLE_GRACE_SECONDS)
        findings.append(
            Finding(
                id="MX403",
                severity=severity,
                message=message,
                objects=(_node_ref(node),),
                fix=_(
                    "Read the device plugin's log on that node; it needs the driver and the "
                    "runtime ready first (MX404)."
                ),
                commands=(
                    f"kubectl get pods -A -o wide --field-selector spec.nodeName={node['name']}",
                    f"kubectl describe node {node['name']}",
                ),
            )
        )
    return findings


@check(
    "MX404",
    area=AREA_NODES,
    needs=("nodes",),
    title=lambda: _("GPU nodes have the driver, MXMACA and runtime ready"),
)
def ready_chain(context: Context) -> List[Finding]:
    findings = []
    for node in gpu_nodes(context.snapshot):
        missing = [
            (label, daemonset)
            for label, daemonset in READY_CHAIN
            if node["labels"].get(label) != "true"
        ]
        if not missing:
            continue
        label, daemonset = missing[0]
        findings.append(
            Finding(
                id="MX404",
                severity=WARNING,
                message=_(
                    "Node {node} lacks {label}=true (also missing: {others}); the {daemonset} "
                    "pod on it has not finished."
                ).format(
                    node=node["name"],
                    label=label,
                    daemonset=daemonset,
                    others=", ".join(item for item, _ds in missing[1:]) or "-",
                ),
                objects=(_node_ref(node),),
                fix=_(
                    "Each step waits for the one before it: read the log of the first "
                    "component that is not ready on this node."
                ),
                commands=(
                    f"kubectl get pods -A -o wide --field-selector spec.nodeName={node['name']} "
                    f"| grep {daemonset}",
                ),
            )
        )
    return findings


@check(
    "MX405",
    area=AREA_NODES,
    needs=("nodes", "pods"),
    title=lambda: _("GPU nodes do not run containerd 2 with config version 4"),
)
def containerd_two(context: Context) -> List[Finding]:
    snap = context.snapshot
    runtime_pods = _pods_by_node(snap, facts.RUNTIME_DAEMONSET)
    findings = []
    for node in gpu_nodes(snap):
        if not node["container_runtime"].startswith(CONTAINERD_2):
            continue
        crash = _crash_text(runtime_pods.get(node["name"]))
        if crash:
            message = _(
                "Node {node} runs {runtime} and metax-container-runtime crash-loops there: {text}"
            ).format(node=node["name"], runtime=node["container_runtime"], text=crash)
        else:
            message = _(
                "Node {node} runs {runtime}, whose default config version 4 makes "
                "metax-container-runtime crash-loop."
            ).format(node=node["name"], runtime=node["container_runtime"])
        findings.append(
            Finding(
                id="MX405",
                severity=ERROR if crash else WARNING,
                message=message,
                objects=(_node_ref(node),),
                fix=_(
                    "On the node, check the config version; metax-container-runtime works with "
                    "version 3. Write a version 3 config or use an operator release that "
                    "supports version 4."
                ),
                commands=("containerd config dump | grep '^version'",),
            )
        )
    return findings


def _host_driver_evidence(node: NodeRecord, driver_pod: Optional[PodRecord]) -> str:
    """Return why the node seems to have a host driver, or ""."""
    mode = node["labels"].get(DRIVER_MODE_LABEL, "")
    if "host" in mode.lower():
        return f"{DRIVER_MODE_LABEL}={mode}"
    if DRIVER_VERSION_LABEL in node["labels"] and driver_pod is None:
        return _("a driver is loaded but no metax-driver pod runs on the node")
    return ""


@check(
    "MX406",
    area=AREA_NODES,
    needs=("nodes", "pods", facts.METAX_CUSTOM_RESOURCES),
    title=lambda: _("driver.deployPolicy=PreferCloud meets no host driver"),
)
def prefer_cloud(context: Context) -> List[Finding]:
    snap = context.snapshot
    if facts.cluster_operator_setting(snap, DEPLOY_POLICY) != PREFER_CLOUD:
        return []
    driver_pods = _pods_by_node(snap, facts.DRIVER_DAEMONSET)
    namespace = context.install["namespace"] or "metax-operator"
    findings = []
    for node in gpu_nodes(snap):
        pod = driver_pods.get(node["name"])
        crash = _crash_text(pod)
        evidence = _host_driver_evidence(node, pod)
        if UNLOAD_FAILURE in crash:
            evidence = crash
        elif not evidence:
            continue
        findings.append(
            Finding(
                id="MX406",
                severity=ERROR if UNLOAD_FAILURE in crash else WARNING,
                message=_(
                    "driver.deployPolicy is PreferCloud, but node {node} seems to have a host "
                    "driver ({evidence}); the driver pod then fails to unload it and crash-loops."
                ).format(node=node["name"], evidence=evidence),
                objects=(_node_ref(node),),
                fix=_(
                    "Use the host driver (PreferHost), or remove the host driver from the node "
                    "before the operator deploys its own."
                ),
                commands=(
                    f"helm upgrade <release> <chart> -n {namespace} --reuse-values "
                    "--set driver.deployPolicy=PreferHost",
                ),
            )
        )
    return findings
