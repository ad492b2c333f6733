"""Workload checks (MX501): pods that still use MetaX GPUs."""

from __future__ import annotations

from typing import List

from kubectl_metax.checks.model import AREA_WORKLOADS, INFO, Finding, ObjectRef
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _, ngettext
from kubectl_metax.inspection import workloads

# Pod names listed per namespace before the rest is counted.
LISTED_PODS = 5


@check(
    "MX501",
    area=AREA_WORKLOADS,
    needs=("pods",),
    title=lambda: _("Pods using MetaX GPUs"),
)
def gpu_workloads(context: Context) -> List[Finding]:
    findings = []
    for namespace, names in workloads.by_namespace(workloads.gpu_pods(context.snapshot)).items():
        shown = ", ".join(names[:LISTED_PODS])
        if len(names) > LISTED_PODS:
            shown += " " + _("and {count} more").format(count=len(names) - LISTED_PODS)
        findings.append(
            Finding(
                id="MX501",
                severity=INFO,
                message=ngettext(
                    "{count} pod in namespace {namespace} uses MetaX GPUs: {pods}. Stop it before "
                    "uninstalling the operator.",
                    "{count} pods in namespace {namespace} use MetaX GPUs: {pods}. Stop them "
                    "before uninstalling the operator.",
                    len(names),
                ).format(count=len(names), namespace=namespace, pods=shown),
                objects=tuple(ObjectRef("Pod", name, namespace) for name in names[:LISTED_PODS]),
                fix=_("Scale their controllers down or delete them before an uninstall."),
                commands=(f"kubectl get pods -n {namespace} -o wide",),
            )
        )
    return findings
