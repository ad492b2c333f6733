"""CRD checks (MX108-MX110): the ClusterOperator CRD exists, is Established, is not stuck."""

from __future__ import annotations

from typing import List

from kubectl_metax.checks import facts
from kubectl_metax.checks.model import AREA_OPERATOR, ERROR, Finding, ObjectRef
from kubectl_metax.checks.operator import upgrade_command
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _
from kubectl_metax.inspection import stuck
from kubectl_metax.inspection.install import METAX_GROUP


@check(
    "MX108",
    area=AREA_OPERATOR,
    needs=("namespaces", "deployments", "customresourcedefinitions"),
    title=lambda: _("The ClusterOperator CRD exists"),
)
def crd_present(context: Context) -> List[Finding]:
    snap = context.snapshot
    if not facts.deployments_here(snap, context.install):
        return []
    if facts.cluster_operator_crd(snap) is not None:
        return []
    return [
        Finding(
            id="MX108",
            severity=ERROR,
            message=_("The operator is deployed but the CRD {crd} does not exist.").format(
                crd=facts.CLUSTER_OPERATOR_CRD
            ),
            objects=(ObjectRef("CustomResourceDefinition", facts.CLUSTER_OPERATOR_CRD),),
            fix=_(
                "Helm installs CRDs only on the first install and never on upgrade: apply the "
                "chart's crds/ folder, then upgrade the release."
            ),
            commands=("kubectl apply -f <chart>/crds/", upgrade_command(context)),
        )
    ]


@check(
    "MX109",
    area=AREA_OPERATOR,
    needs=("customresourcedefinitions",),
    title=lambda: _("The MetaX CRDs are Established"),
)
def crd_established(context: Context) -> List[Finding]:
    findings = []
    for crd in context.snapshot["crds"]:
        if crd["group"] != METAX_GROUP or crd["meta"]["deletion_timestamp"]:
            continue
        established = [item for item in crd["conditions"] if item["type"] == "Established"]
        if established and established[0]["status"] == "True":
            continue
        detail = established[0]["message"] if established else _("no Established condition")
        findings.append(
            Finding(
                id="MX109",
                severity=ERROR,
                message=_("CRD {name} is not Established: {detail}").format(
                    name=crd["meta"]["name"], detail=detail or established[0]["reason"]
                ),
                objects=(ObjectRef("CustomResourceDefinition", crd["meta"]["name"]),),
                fix=_(
                    "Look at the CRD's NamesAccepted condition: another CRD may already use "
                    "its names."
                ),
                commands=(f"kubectl get crd {crd['meta']['name']} -o yaml",),
            )
        )
    return findings


@check(
    "MX110",
    area=AREA_OPERATOR,
    needs=("customresourcedefinitions",),
    title=lambda: _("No MetaX CRD is stuck Terminating"),
)
def crd_terminating(context: Context) -> List[Finding]:
    findings = []
    for item in stuck.terminating_crds(context.snapshot):
        reasons = "; ".join(condition["message"] for condition in item["conditions"])
        findings.append(
            Finding(
                id="MX110",
                severity=ERROR,
                message=_("CRD {name} has been Terminating since {since}: {reasons}").format(
                    name=item["name"],
                    since=item["since"],
                    reasons=reasons or _("no condition explains it"),
                ),
                objects=(ObjectRef("CustomResourceDefinition", item["name"]),),
                fix=_(
                    "A CRD is deleted only after every object of it is gone; objects whose "
                    "finalizer nobody removes keep it: let kubectl metax unstick remove them."
                ),
                commands=("kubectl metax unstick",),
            )
        )
    return findings
