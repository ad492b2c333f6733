"""Operator checks (MX101-MX107): namespace, Deployment, crash loops, ClusterOperator."""

from __future__ import annotations

from typing import List

from kubectl_metax.checks import facts
from kubectl_metax.checks.model import AREA_OPERATOR, ERROR, INFO, WARNING, Finding, ObjectRef
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _
from kubectl_metax.inspection.install import NAMESPACE_FLAG_EVIDENCE

# The resource named in the operator's error when it probes OpenShift on plain Kubernetes.
OPENSHIFT_PROBE = "clusterversions.config.openshift.io"
CLUSTER_TYPE = "cluster.type"


def _release(context: Context) -> str:
    names = context.install["release_names"]
    return names[0] if names else "<release>"


def upgrade_command(context: Context, *settings: str) -> str:
    extra = "".join(f" --set {item}" for item in settings)
    namespace = context.install["namespace"] or "metax-operator"
    return f"helm upgrade {_release(context)} <chart> -n {namespace} --reuse-values{extra}"


@check(
    "MX101",
    area=AREA_OPERATOR,
    needs=("namespaces", "deployments"),
    title=lambda: _("The operator's namespace exists"),
)
def operator_namespace(context: Context) -> List[Finding]:
    install = context.install
    if not facts.installed(install):
        return [
            Finding(
                id="MX101",
                severity=INFO,
                message=_(
                    "No MetaX GPU Operator was found: no Deployment, Helm release or MetaX "
                    "object points at one (an empty namespace left by an uninstall does not count)."
                ),
                fix=_("If the operator is installed in another namespace, name it with -n."),
            )
        ]
    if facts.namespace_exists(context.snapshot, install["namespace"]):
        return []
    if install["evidence"] == [NAMESPACE_FLAG_EVIDENCE]:
        return [
            Finding(
                id="MX101",
                severity=ERROR,
                message=_("The namespace {namespace} given with -n does not exist.").format(
                    namespace=install["namespace"]
                ),
                objects=(ObjectRef("Namespace", install["namespace"]),),
                fix=_("Check the spelling, or leave -n out to let the doctor find the operator."),
                commands=("kubectl get namespaces",),
            )
        ]
    return [
        Finding(
            id="MX101",
            severity=ERROR,
            message=_(
                "The operator's namespace {namespace} does not exist, yet {evidence} point at it."
            ).format(namespace=install["namespace"], evidence=", ".join(install["evidence"])),
            objects=(ObjectRef("Namespace", install["namespace"]),),
            fix=_(
                "Objects left by an earlier install still name this namespace: run the doctor "
                "with the right -n, or clean the leftovers that the other findings list."
            ),
            commands=("kubectl get namespaces",),
        )
    ]


@check(
    "MX102",
    area=AREA_OPERATOR,
    needs=("namespaces", "deployments"),
    title=lambda: _("The operator Deployment exists"),
)
def operator_deployment(context: Context) -> List[Finding]:
    if not facts.operator_present(context.snapshot, context.install):
        return []
    if facts.deployments_here(context.snapshot, context.install):
        return []
    namespace = context.install["namespace"]
    return [
        Finding(
            id="MX102",
            severity=ERROR,
            message=_(
                "Namespace {namespace} has no operator Deployment (label "
                "app.kubernetes.io/component=metax-operator or a name ending in metax-operator)."
            ).format(namespace=namespace),
            objects=(ObjectRef("Namespace", namespace),),
            fix=_(
                "Check what the release installed; re-install the chart if the Deployment was "
                "deleted, or finish the uninstall if that is what is under way."
            ),
            commands=(f"helm list -n {namespace} -a", f"kubectl get all -n {namespace}"),
        )
    ]


@check(
    "MX103",
    area=AREA_OPERATOR,
    needs=("deployments",),
    title=lambda: _("The operator Deployment is available"),
)
def operator_available(context: Context) -> List[Finding]:
    findings = []
    for workload in facts.deployments_here(context.snapshot, context.install):
        if workload["desired"] > 0 and workload["available"] >= workload["desired"]:
            continue
        meta = workload["meta"]
        findings.append(
            Finding(
                id="MX103",
                severity=ERROR if workload["available"] == 0 else WARNING,
                message=_(
                    "Deployment {name} has {available} of {desired} replicas available."
                ).format(
                    name=meta["name"], available=workload["available"], desired=workload["desired"]
                ),
                objects=(ObjectRef("Deployment", meta["name"], meta["namespace"]),),
                fix=_("Look at the pods' events and logs; MX104 and MX105 explain crash loops."),
                commands=(
                    f"kubectl describe deployment {meta['name']} -n {meta['namespace']}",
                    f"kubectl logs deployment/{meta['name']} -n {meta['namespace']} --previous",
                ),
            )
        )
    return findings


@check(
    "MX104",
    area=AREA_OPERATOR,
    needs=("deployments", "pods"),
    title=lambda: _("The operator is not crash-looping"),
)
def operator_crash_loop(context: Context) -> List[Finding]:
    findings = []
    for workload in facts.deployments_here(context.snapshot, context.install):
        pods = facts.pods_of(context.snapshot, workload)
        for pod, container in facts.crash_loops(pods):
            findings.append(
                Finding(
                    id="MX104",
                    severity=ERROR,
                    message=_(
                        "Container {container} of operator pod {pod} restarted {count} times; "
                        "it last ended with: {text}"
                    ).format(
                        container=container["name"],
                        pod=pod["name"],
                        count=container["restart_count"],
                        text=facts.crash_text(container),
                    ),
                    objects=(ObjectRef("Pod", pod["name"], pod["namespace"]),),
                    fix=_("Read the log of the previous run; the termination message is its end."),
                    commands=(
                        f"kubectl logs {pod['name']} -n {pod['namespace']} -c {container['name']} "
                        "--previous",
                    ),
                )
            )
    return findings


@check(
    "MX105",
    area=AREA_OPERATOR,
    needs=("deployments", "pods"),
    title=lambda: _("The operator does not probe OpenShift on Kubernetes"),
)
def openshift_probe(context: Context) -> List[Finding]:
    findings = []
    for workload in facts.deployments_here(context.snapshot, context.install):
        for pod, container in facts.crash_loops(facts.pods_of(context.snapshot, workload)):
            text = facts.crash_text(container)
            if OPENSHIFT_PROBE not in text or "forbidden" not in text:
                continue
            findings.append(
                Finding(
                    id="MX105",
                    severity=ERROR,
                    message=_(
                        "Operator pod {pod} crash-loops because it probes OpenShift "
                        "(clusterversions.config.openshift.io is forbidden): the cluster type is "
                        "not set to k8s, or the ClusterOperator was never created."
                    ).format(pod=pod["name"]),
                    objects=(ObjectRef("Pod", pod["name"], pod["namespace"]),),
                    fix=_(
                        "Set cluster.type=k8s on the release; <chart> is the metax-operator "
                        "chart you installed from."
                    ),
                    commands=(upgrade_command(context, "cluster.type=k8s"),),
                )
            )
    return findings


@check(
    "MX106",
    area=AREA_OPERATOR,
    needs=("namespaces", "deployments", "customresourcedefinitions", facts.CLUSTER_OPERATOR_CRD),
    title=lambda: _("The ClusterOperator exists"),
)
def cluster_operator_present(context: Context) -> List[Finding]:
    snap = context.snapshot
    if not facts.operator_present(snap, context.install):
        return []
    if (
        not facts.deployments_here(snap, context.install)
        or facts.cluster_operator_crd(snap) is None
    ):
        return []  # MX102 and MX108 report those
    if facts.cluster_operators(snap):
        return []
    namespace = context.install["namespace"]
    return [
        Finding(
            id="MX106",
            severity=ERROR,
            message=_(
                "No ClusterOperator exists, so the operator has no configuration to reconcile; "
                "this happens when the chart applied it before its CRD was Established."
            ),
            objects=(ObjectRef("CustomResourceDefinition", facts.CLUSTER_OPERATOR_CRD),),
            fix=_("Upgrade the release again now that the CRD is Established."),
            commands=(
                f"kubectl wait --for condition=Established crd/{facts.CLUSTER_OPERATOR_CRD}",
                upgrade_command(context),
                f"kubectl get clusteroperators.gpu.metax-tech.com -n {namespace}",
            ),
        )
    ]


@check(
    "MX107",
    area=AREA_OPERATOR,
    needs=("customresourcedefinitions", facts.CLUSTER_OPERATOR_CRD),
    title=lambda: _("The ClusterOperator sets cluster.type"),
)
def cluster_type(context: Context) -> List[Finding]:
    findings = []
    for item in facts.cluster_operators(context.snapshot):
        if item.get("settings", {}).get(CLUSTER_TYPE):
            continue
        meta = item["meta"]
        findings.append(
            Finding(
                id="MX107",
                severity=WARNING,
                message=_(
                    "ClusterOperator {name} has no spec.cluster.type; the operator then probes "
                    "OpenShift and crash-loops on plain Kubernetes."
                ).format(name=meta["name"]),
                objects=(ObjectRef("ClusterOperator", meta["name"], meta["namespace"]),),
                fix=_("Set cluster.type on the release (k8s, or openshift on OpenShift)."),
                commands=(upgrade_command(context, "cluster.type=k8s"),),
            )
        )
    return findings
