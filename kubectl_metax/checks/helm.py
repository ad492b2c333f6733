"""Helm checks (MX201-MX207): release states from Helm's storage, duplicates, hook Jobs.

Release state comes from the labels Helm 3 and 4 put on their storage
Secrets and ConfigMaps (owner=helm, name, status, version); the payload is
never read, so the chart name comes from the ``helm.sh/chart`` label of the
objects the release annotated.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from kubectl_metax.checks.model import AREA_HELM, ERROR, WARNING, Finding, ObjectRef
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _
from kubectl_metax.inspection.install import RELEASE_NAME_ANNOTATION, RELEASE_NAMESPACE_ANNOTATION
from kubectl_metax.inspection.snapshot import Condition, HelmReleaseRecord, Meta, Snapshot

HELM_STORAGE = ("secrets", "configmaps")
CHART_LABEL = "helm.sh/chart"
OPERATOR_CHART = "metax-operator"
HOOK_ANNOTATION = "helm.sh/hook"
# Revisions a rollback can return to.
GOOD_STATUSES = ("deployed", "superseded")


def _history(snap: Snapshot) -> Dict[Tuple[str, str], List[HelmReleaseRecord]]:
    """Return (namespace, release) -> its revisions, newest first."""
    grouped: Dict[Tuple[str, str], List[HelmReleaseRecord]] = {}
    for record in snap["helm_releases"]:
        grouped.setdefault((record["namespace"], record["release"]), []).append(record)
    for revisions in grouped.values():
        revisions.sort(key=lambda record: record["version"], reverse=True)
    return grouped


def _metas(snap: Snapshot) -> List[Meta]:
    metas = [item["meta"] for item in snap["workloads"]]
    metas += [item["meta"] for item in snap["custom_resources"]]
    metas += [item["meta"] for item in snap["services"]]
    metas += [item["meta"] for item in snap["cluster_rbac"]]
    return metas


def chart_of(snap: Snapshot, namespace: str, release: str) -> str:
    """Return the chart label ("metax-operator-0.11.1") of an object the release owns, or ""."""
    for meta in _metas(snap):
        annotations = meta["annotations"]
        if (
            annotations.get(RELEASE_NAME_ANNOTATION) == release
            and annotations.get(RELEASE_NAMESPACE_ANNOTATION, "") == namespace
            and meta["labels"].get(CHART_LABEL)
        ):
            return meta["labels"][CHART_LABEL]
    return ""


def is_operator_release(snap: Snapshot, namespace: str, release: str, context: Context) -> bool:
    chart = chart_of(snap, namespace, release)
    if chart:
        return chart.rsplit("-", 1)[0] == OPERATOR_CHART
    if namespace == context.install["namespace"] and release in context.install["release_names"]:
        return True
    return OPERATOR_CHART in release


def operator_releases(context: Context) -> List[List[HelmReleaseRecord]]:
    """Return the revision lists (newest first) of every release of the operator chart."""
    snap = context.snapshot
    return [
        revisions
        for (namespace, release), revisions in sorted(_history(snap).items())
        if is_operator_release(snap, namespace, release, context)
    ]


def _last_good(revisions: List[HelmReleaseRecord]) -> Optional[HelmReleaseRecord]:
    return next((item for item in revisions[1:] if item["status"] in GOOD_STATUSES), None)


def _release_ref(record: HelmReleaseRecord) -> ObjectRef:
    return ObjectRef(record["storage"], record["object_name"], record["namespace"])


Advice = Tuple[str, Tuple[str, ...]]


def _failed_advice(revisions: List[HelmReleaseRecord]) -> Advice:
    head = revisions[0]
    name, namespace = head["release"], head["namespace"]
    good = _last_good(revisions)
    if good is not None:
        return (
            _(
                "Read why it failed, then roll back to revision {revision}, the last one that "
                "worked, and upgrade again once the cause is fixed."
            ).format(revision=good["version"]),
            (
                f"helm history {name} -n {namespace}",
                f"helm rollback {name} {good['version']} -n {namespace}",
            ),
        )
    return (
        _(
            "No earlier revision worked: uninstall the release and install it again once the "
            "cause is fixed."
        ),
        (f"helm history {name} -n {namespace}", f"helm uninstall {name} -n {namespace}"),
    )


def _pending_install_advice(revisions: List[HelmReleaseRecord]) -> Advice:
    head = revisions[0]
    name, namespace = head["release"], head["namespace"]
    return (
        _(
            "Helm refuses every other operation while a release is pending. If no helm command "
            "is running any more, uninstall the half-installed release and install again."
        ),
        (f"helm history {name} -n {namespace}", f"helm uninstall {name} -n {namespace}"),
    )


def _pending_upgrade_advice(revisions: List[HelmReleaseRecord]) -> Advice:
    head = revisions[0]
    name, namespace = head["release"], head["namespace"]
    good = _last_good(revisions)
    target = str(good["version"]) if good else "<revision>"
    return (
        _(
            "If no helm command is running any more, roll back to the last revision that "
            "worked; Helm then accepts upgrades again."
        ),
        (f"helm history {name} -n {namespace}", f"helm rollback {name} {target} -n {namespace}"),
    )


def _pending_rollback_advice(revisions: List[HelmReleaseRecord]) -> Advice:
    head = revisions[0]
    name, namespace = head["release"], head["namespace"]
    good = _last_good(revisions)
    target = str(good["version"]) if good else "<revision>"
    storage = "secret" if head["storage"] == "Secret" else "configmap"
    return (
        _(
            "A rollback stopped half-way. If no helm command is running any more, delete the "
            "storage object of the pending revision and roll back again."
        ),
        (
            f"kubectl delete {storage} {head['object_name']} -n {namespace}",
            f"helm rollback {name} {target} -n {namespace}",
        ),
    )


def _uninstalling_advice(revisions: List[HelmReleaseRecord]) -> Advice:
    head = revisions[0]
    name, namespace = head["release"], head["namespace"]
    return (
        _(
            "The uninstall stopped half-way, usually on a webhook or a finalizer that nobody "
            "removes: clean those up, then run the uninstall again."
        ),
        ("kubectl metax unstick", f"helm uninstall {name} -n {namespace} --wait"),
    )


def _status_check(
    check_id: str, status: str, advice: Callable[[List[HelmReleaseRecord]], Advice]
) -> Callable[[Context], List[Finding]]:
    def run(context: Context) -> List[Finding]:
        findings = []
        for revisions in operator_releases(context):
            head = revisions[0]
            if head["status"] != status:
                continue
            fix, commands = advice(revisions)
            findings.append(
                Finding(
                    id=check_id,
                    severity=ERROR,
                    message=_(
                        "Helm release {release} in namespace {namespace} is {status} at revision "
                        "{revision}."
                    ).format(
                        release=head["release"],
                        namespace=head["namespace"],
                        status=status,
                        revision=head["version"],
                    ),
                    objects=(_release_ref(head),),
                    fix=fix,
                    commands=commands,
                )
            )
        return findings

    return run


# Check ID, Helm status, title, recovery advice: one check per status a release can stick in.
STATUS_CHECKS: Tuple[Tuple[str, str, Callable[[], str], Callable[..., Advice]], ...] = (
    ("MX201", "failed", lambda: _("No operator release is failed"), _failed_advice),
    (
        "MX202",
        "pending-install",
        lambda: _("No operator release is pending-install"),
        _pending_install_advice,
    ),
    (
        "MX203",
        "pending-upgrade",
        lambda: _("No operator release is pending-upgrade"),
        _pending_upgrade_advice,
    ),
    (
        "MX204",
        "pending-rollback",
        lambda: _("No operator release is pending-rollback"),
        _pending_rollback_advice,
    ),
    (
        "MX205",
        "uninstalling",
        lambda: _("No operator release is stuck uninstalling"),
        _uninstalling_advice,
    ),
)
for _id, _status, _title, _advice in STATUS_CHECKS:
    check(_id, area=AREA_HELM, needs=HELM_STORAGE, title=_title)(
        _status_check(_id, _status, _advice)
    )


@check(
    "MX206",
    area=AREA_HELM,
    needs=HELM_STORAGE,
    title=lambda: _("The operator chart is installed once"),
)
def several_releases(context: Context) -> List[Finding]:
    live = [
        revisions[0]
        for revisions in operator_releases(context)
        if revisions[0]["status"] != "uninstalled"
    ]
    if len(live) < 2:
        return []
    names = ", ".join(f"{item['namespace']}/{item['release']} ({item['status']})" for item in live)
    return [
        Finding(
            id="MX206",
            severity=WARNING,
            message=_(
                "The operator chart is installed {count} times: {releases}. Two operators fight "
                "over the same ClusterOperator and node components; --generate-name leaves one "
                "release per install."
            ).format(count=len(live), releases=names),
            objects=tuple(_release_ref(item) for item in live),
            fix=_("Keep the release that runs the operator and uninstall the others."),
            commands=tuple(
                f"helm uninstall {item['release']} -n {item['namespace']}" for item in live[1:]
            ),
        )
    ]


def _job_failed(conditions: List[Condition], failed: int, active: int) -> bool:
    for condition in conditions:
        if condition["type"] == "Failed" and condition["status"] == "True":
            return True
    return failed > 0 and active == 0


@check(
    "MX207",
    area=AREA_HELM,
    needs=("jobs",),
    title=lambda: _("No failed Helm hook Job is left behind"),
)
def failed_hook_jobs(context: Context) -> List[Finding]:
    findings = []
    for job in context.snapshot["jobs"]:
        meta = job["meta"]
        if HOOK_ANNOTATION not in meta["annotations"]:
            continue
        ours = "metax" in meta["name"] or meta["namespace"] == context.install["namespace"]
        failed = _job_failed(job["conditions"], job["failed"], job["active"])
        if not ours or not failed or job["succeeded"] > 0:
            continue
        findings.append(
            Finding(
                id="MX207",
                severity=ERROR,
                message=_(
                    "Helm hook Job {name} ({hook}) failed and is still there; without the "
                    "before-hook-creation delete policy it makes every retry fail too."
                ).format(name=meta["name"], hook=meta["annotations"][HOOK_ANNOTATION]),
                objects=(ObjectRef("Job", meta["name"], meta["namespace"]),),
                fix=_(
                    "Read why it failed (often an image the site's registry lacks), then delete it."
                ),
                commands=(
                    f"kubectl logs job/{meta['name']} -n {meta['namespace']}",
                    f"kubectl delete job {meta['name']} -n {meta['namespace']}",
                ),
            )
        )
    return findings
