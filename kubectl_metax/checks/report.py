"""Turn check results into the report: a document for -o json|yaml, text for a terminal.

The document's shape is fixed by docs/doctor-schema.json; SCHEMA_VERSION
changes whenever a field changes meaning or goes away.
"""

from __future__ import annotations

from typing import Any, Dict, List

from kubectl_metax.checks.model import (
    AREA_COLLECTION,
    AREA_HELM,
    AREA_NODES,
    AREA_OPERATOR,
    AREA_UNINSTALL,
    AREA_WORKLOADS,
    AREAS,
    ERROR,
    INFO,
    WARNING,
    CheckResult,
)
from kubectl_metax.checks.registry import Context
from kubectl_metax.i18n import _

SCHEMA_VERSION = "kubectl-metax.doctor/v1"

MARKS = {"passed": "✔", ERROR: "✖", WARNING: "⚠", INFO: "ℹ", "not-run": "⚠"}
COLOURS = {"passed": "32", ERROR: "31", WARNING: "33", INFO: "36", "not-run": "33"}


def area_title(area: str) -> str:
    titles = {
        AREA_COLLECTION: _("Collection"),
        AREA_OPERATOR: _("Operator"),
        AREA_HELM: _("Helm releases"),
        AREA_UNINSTALL: _("Uninstall"),
        AREA_NODES: _("Components and nodes"),
        AREA_WORKLOADS: _("Workloads"),
    }
    return titles[area]


def summarize(results: List[CheckResult]) -> Dict[str, int]:
    findings = [finding for result in results for finding in result.findings]
    return {
        "errors": sum(1 for item in findings if item.severity == ERROR),
        "warnings": sum(1 for item in findings if item.severity == WARNING),
        "infos": sum(1 for item in findings if item.severity == INFO),
        "passed": sum(1 for result in results if result.status == "passed"),
        "notRun": sum(1 for result in results if result.status == "not-run"),
    }


def document(context: Context, results: List[CheckResult]) -> Dict[str, Any]:
    """Return the report as plain data for -o json|yaml."""
    snap, install = context.snapshot, context.install
    return {
        "apiVersion": SCHEMA_VERSION,
        "kind": "DoctorReport",
        "cluster": {
            "server": snap["server"],
            "context": snap["context"],
            "collectedAt": snap.get("collected_at", ""),
        },
        "operator": {
            "namespace": install["namespace"],
            "evidence": list(install["evidence"]),
            "releases": [
                {"name": item["name"], "revision": item["version"], "status": item["status"]}
                for item in install["releases"]
            ],
            "deployments": list(install["deployments"]),
        },
        "summary": summarize(results),
        "checks": [
            {
                "id": result.id,
                "area": result.area,
                "title": result.title,
                "status": result.status,
                "missing": list(result.missing),
            }
            for result in results
        ],
        "findings": [
            finding.to_dict(area=result.area) for result in results for finding in result.findings
        ],
    }


def _paint(text: str, key: str, colour: bool) -> str:
    return f"\033[{COLOURS[key]}m{text}\033[0m" if colour else text


def _mark_key(result: CheckResult) -> str:
    """Return the MARKS key of a check: its status, or the worst severity it found."""
    own = {finding.severity for finding in result.findings if finding.id == result.id}
    if result.status == "passed" and INFO in own:
        # A check that only has notes did not pass anything worth a tick.
        return INFO
    if result.status != "failed":
        return result.status
    return ERROR if ERROR in own else WARNING


def render_text(context: Context, results: List[CheckResult], *, colour: bool) -> str:
    """Return the human report: one block per area, a mark per check and per finding."""
    lines: List[str] = []
    namespace = context.install["namespace"]
    lines.append(_("Operator namespace: {namespace}").format(namespace=namespace or _("not found")))
    for area in AREAS:
        in_area = [result for result in results if result.area == area]
        if not in_area:
            continue
        lines.append("")
        lines.append(area_title(area))
        for result in in_area:
            status = result.status
            key = _mark_key(result)
            mark = _paint(MARKS[key], key, colour)
            suffix = _(" (not run)") if status == "not-run" else ""
            lines.append(f"  {mark} {result.id} {result.title}{suffix}")
            for finding in result.findings:
                lines.append(
                    f"      {_paint(MARKS[finding.severity], finding.severity, colour)} "
                    f"{finding.message}"
                )
                if finding.fix:
                    lines.append("        " + _("Fix: {text}").format(text=finding.fix))
                for command in finding.commands:
                    lines.append(f"          $ {command}")
                lines.append("        " + _("See: {doc}").format(doc=finding.doc()))

    counts = summarize(results)
    lines.append("")
    lines.append(
        _(
            "Errors: {errors}, warnings: {warnings}, notes: {infos}; checks passed: {passed}, "
            "not run: {not_run}."
        ).format(
            errors=counts["errors"],
            warnings=counts["warnings"],
            infos=counts["infos"],
            passed=counts["passed"],
            not_run=counts["notRun"],
        )
    )
    return "\n".join(lines) + "\n"
