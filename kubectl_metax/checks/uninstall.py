"""Uninstall traps (MX301-MX306): webhooks, stuck objects, namespaces, APIServices, RBAC."""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

from kubectl_metax.checks import facts
from kubectl_metax.checks.model import AREA_UNINSTALL, ERROR, WARNING, Finding, ObjectRef
from kubectl_metax.checks.registry import Context, check
from kubectl_metax.i18n import _
from kubectl_metax.inspection import stuck, webhooks
from kubectl_metax.inspection.install import RELEASE_NAME_ANNOTATION, RELEASE_NAMESPACE_ANNOTATION
from kubectl_metax.inspection.snapshot import ApiServiceRecord, Snapshot, WebhookConfigRecord

# Without endpoints a webhook whose Service exists but has no ready endpoint
# cannot be told from a live one, so MX301 does not run on a partial view.
WEBHOOK_LISTS = (
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "services",
    "endpoints",
)
HELM_STORAGE = ("secrets", "configmaps")
MANAGED_BY = "app.kubernetes.io/managed-by"
HOOK_ANNOTATION = "helm.sh/hook"
METAX_MARKER = "metax"


def _blocked_resources(config: WebhookConfigRecord) -> str:
    """Return the "group/resource" pairs the configuration's rules match, for a message."""
    pairs: List[str] = []
    for hook in config["webhooks"]:
        # Records from before resources were kept carry only the groups.
        found = hook.get("resources") or [f"{group}/*" for group in hook["groups"]]
        pairs += [pair for pair in found if pair not in pairs]
    return ", ".join(_readable_pair(pair) for pair in pairs) or "-"


def _readable_pair(pair: str) -> str:
    # In admission rules "" is the core API group and "*" every group or resource.
    if pair == "*/*":
        return _("everything")
    if pair.startswith("/"):
        return "core" + pair
    return pair


@check(
    "MX301",
    area=AREA_UNINSTALL,
    needs=WEBHOOK_LISTS,
    title=lambda: _("No operator webhook is left without its service"),
)
def dangling_webhooks(context: Context) -> List[Finding]:
    findings = []
    for verdict in webhooks.operator_webhooks(context.snapshot, context.install):
        if verdict["state"] != webhooks.DANGLING:
            continue
        config = verdict["config"]
        name, kind = config["meta"]["name"], config["kind"]
        blocking = any(problem["failure_policy"] == "Fail" for problem in verdict["problems"])
        services = ", ".join(sorted({problem["service"] for problem in verdict["problems"]}))
        if blocking:
            message = _(
                "{kind} {name} calls {services}, which is gone or has no ready endpoint; with "
                "failurePolicy Fail it rejects every write it matches: {resources}."
            )
        else:
            message = _(
                "{kind} {name} calls {services}, which is gone or has no ready endpoint; its "
                "failurePolicy Ignore lets writes through, but every matching request waits "
                "for the call to fail: {resources}."
            )
        if verdict["owned"]:
            fix = _(
                "Delete the configuration first, then remove stuck finalizers; kubectl "
                "metax unstick does both in that order."
            )
            commands: Tuple[str, ...] = (
                f"kubectl delete {kind.lower()} {name} --ignore-not-found",
                "kubectl metax unstick",
            )
        else:
            fix = _(
                "It calls the operator's namespace but nothing proves it is the "
                "operator's: check who installed it before deleting it."
            )
            commands = (f"kubectl get {kind.lower()} {name} -o yaml",)
        findings.append(
            Finding(
                id="MX301",
                severity=ERROR if blocking else WARNING,
                message=message.format(
                    kind=kind, name=name, services=services, resources=_blocked_resources(config)
                ),
                objects=(ObjectRef(kind, name),),
                fix=fix,
                commands=commands,
            )
        )
    return findings


@check(
    "MX302",
    area=AREA_UNINSTALL,
    needs=("customresourcedefinitions", "deployments", facts.METAX_CUSTOM_RESOURCES),
    title=lambda: _("No MetaX object is stuck in deletion"),
)
def stuck_objects(context: Context) -> List[Finding]:
    findings = []
    for item in stuck.stuck_custom_resources(context.snapshot, context.install):
        meta = item["resource"]["meta"]
        if item["reason"] == stuck.OPERATOR_GONE:
            why = _("the operator Deployment is gone")
        else:
            why = _("the operator has no ready replica")
        findings.append(
            Finding(
                id="MX302",
                severity=ERROR,
                message=_(
                    "{kind} {name} has been deleted since {since} but keeps the finalizers "
                    "{finalizers}, and {why}, so nothing will remove them."
                ).format(
                    kind=item["resource"]["kind"],
                    name=meta["name"],
                    since=meta["deletion_timestamp"],
                    finalizers=", ".join(meta["finalizers"]),
                    why=why,
                ),
                objects=(ObjectRef(item["resource"]["kind"], meta["name"], meta["namespace"]),),
                fix=_(
                    "Stop the workloads that use the GPUs, then let kubectl metax unstick remove "
                    "the finalizers (it deletes blocking webhooks first and backs up every object)."
                ),
                commands=("kubectl metax unstick",),
            )
        )
    return findings


def _unavailable_api_services(snap: Snapshot) -> List[ApiServiceRecord]:
    found = []
    for record in snap.get("api_services", []):
        available = [item for item in record["conditions"] if item["type"] == "Available"]
        if available and available[0]["status"] == "False":
            found.append(record)
    return found


def _broken_conversions(snap: Snapshot) -> List[Tuple[str, str]]:
    """Return (CRD name, service) of CRDs whose conversion webhook Service does not exist."""
    services = {f"{item['meta']['namespace']}/{item['meta']['name']}" for item in snap["services"]}
    broken = []
    for crd in snap["crds"]:
        target = crd.get("conversion_service", "")
        if target and "://" not in target and target not in services:
            broken.append((crd["meta"]["name"], target))
    return broken


def _namespaces_of_interest(context: Context) -> Set[str]:
    names = {item["meta"]["namespace"] for item in context.snapshot["custom_resources"]}
    if context.install["namespace"]:
        names.add(context.install["namespace"])
    return names


@check(
    "MX303",
    area=AREA_UNINSTALL,
    needs=("namespaces", "apiservices", "customresourcedefinitions", "services"),
    title=lambda: _("No operator namespace is stuck Terminating"),
)
def terminating_namespaces(context: Context) -> List[Finding]:
    snap = context.snapshot
    interesting = _namespaces_of_interest(context)
    causes = [
        _("APIService {name} is unavailable").format(name=record["name"])
        for record in _unavailable_api_services(snap)
    ] + [
        _("CRD {name} converts through the missing Service {service}").format(
            name=name, service=service
        )
        for name, service in _broken_conversions(snap)
    ]
    findings = []
    for item in stuck.terminating_namespaces(snap):
        texts = [condition["message"] for condition in item["conditions"]]
        mentions_metax = any(METAX_MARKER in text for text in texts)
        if item["name"] not in interesting and not mentions_metax:
            continue
        explanation = "; ".join(
            f"{condition['type']}: {condition['message']}" for condition in item["conditions"]
        )
        if causes:
            explanation += " " + _("Likely causes: {causes}.").format(causes="; ".join(causes))
        findings.append(
            Finding(
                id="MX303",
                severity=ERROR if item["conditions"] or causes else WARNING,
                message=_(
                    "Namespace {name} has been Terminating since {since}. {explanation}"
                ).format(
                    name=item["name"],
                    since=item["since"],
                    explanation=explanation or _("No condition explains it yet."),
                ),
                objects=(ObjectRef("Namespace", item["name"]),),
                fix=_(
                    "Resolve what the conditions name: finalizers of MetaX objects with kubectl "
                    "metax unstick, unavailable APIServices (MX304), conversion webhooks without "
                    "a Service (MX305)."
                ),
                commands=(f"kubectl get namespace {item['name']} -o yaml", "kubectl metax unstick"),
            )
        )
    return findings


@check(
    "MX304",
    area=AREA_UNINSTALL,
    needs=("apiservices",),
    title=lambda: _("Every APIService is available"),
)
def api_services(context: Context) -> List[Finding]:
    findings = []
    for record in _unavailable_api_services(context.snapshot):
        condition = next(item for item in record["conditions"] if item["type"] == "Available")
        findings.append(
            Finding(
                id="MX304",
                severity=ERROR,
                message=_(
                    "APIService {name} is not available ({reason}: {message}); while it is, "
                    "namespaces cannot finish Terminating and discovery is incomplete."
                ).format(
                    name=record["name"], reason=condition["reason"], message=condition["message"]
                ),
                objects=(ObjectRef("APIService", record["name"]),),
                fix=_(
                    "Bring its Service {service} back, or delete the APIService when nothing "
                    "serves that API any more."
                ).format(service=record["service"] or "-"),
                commands=(
                    f"kubectl get apiservice {record['name']} -o yaml",
                    f"kubectl delete apiservice {record['name']}",
                ),
            )
        )
    return findings


@check(
    "MX305",
    area=AREA_UNINSTALL,
    needs=("customresourcedefinitions", "services"),
    title=lambda: _("Every CRD conversion webhook has its Service"),
)
def conversion_webhooks(context: Context) -> List[Finding]:
    return [
        Finding(
            id="MX305",
            severity=ERROR,
            message=_(
                "CRD {name} converts objects through the Service {service}, which does not "
                "exist: reading, deleting and namespace deletion of its objects fail."
            ).format(name=name, service=service),
            objects=(ObjectRef("CustomResourceDefinition", name),),
            fix=_(
                "Restore the Service, or delete the CRD if it is left from an uninstall. "
                "Switching the strategy to None is safe only when all versions share one "
                "schema."
            ),
            commands=(
                f"kubectl get crd {name} -o jsonpath='{{.spec.conversion}}'",
                f"kubectl delete crd {name}",
            ),
        )
        for name, service in _broken_conversions(context.snapshot)
    ]


def _live_releases(snap: Snapshot) -> Dict[Tuple[str, str], str]:
    """Return (namespace, release) -> status of each release's newest revision."""
    newest: Dict[Tuple[str, str], Tuple[int, str]] = {}
    for record in snap["helm_releases"]:
        key = (record["namespace"], record["release"])
        if key not in newest or record["version"] > newest[key][0]:
            newest[key] = (record["version"], record["status"])
    return {key: status for key, (_version, status) in newest.items() if status != "uninstalled"}


@check(
    "MX306",
    area=AREA_UNINSTALL,
    needs=("clusterroles", "clusterrolebindings", *HELM_STORAGE),
    title=lambda: _("MetaX cluster RBAC belongs to a live Helm release"),
)
def orphaned_rbac(context: Context) -> List[Finding]:
    snap = context.snapshot
    live = _live_releases(snap)
    findings = []
    for record in snap["cluster_rbac"]:
        meta = record["meta"]
        if meta["owners"]:
            continue  # the garbage collector removes it with its owner
        release = meta["annotations"].get(RELEASE_NAME_ANNOTATION, "")
        release_namespace = meta["annotations"].get(RELEASE_NAMESPACE_ANNOTATION, "")
        if HOOK_ANNOTATION in meta["annotations"]:
            reason = _("it was created by a Helm hook that did not delete it")
        elif not release or meta["labels"].get(MANAGED_BY) != "Helm":
            reason = _("it has no Helm ownership metadata")
        elif (release_namespace, release) not in live:
            reason = _(
                "it belongs to release {release} in namespace {namespace}, which no longer exists"
            ).format(release=release, namespace=release_namespace)
        else:
            continue
        kind, name = record["kind"], meta["name"]
        findings.append(
            Finding(
                id="MX306",
                severity=ERROR,
                message=_(
                    "{kind} {name} is left over: {reason}. Installing the chart again fails with "
                    '"invalid ownership metadata" (or "already exists").'
                ).format(kind=kind, name=name, reason=reason),
                objects=(ObjectRef(kind, name),),
                fix=_(
                    "Delete it when no installed release uses it; or hand it to the release you "
                    "install by setting the Helm label and annotations."
                ),
                commands=(
                    f"kubectl delete {kind.lower()} {name}",
                    f"kubectl label {kind.lower()} {name} {MANAGED_BY}=Helm --overwrite",
                    f"kubectl annotate {kind.lower()} {name} {RELEASE_NAME_ANNOTATION}=<release> "
                    f"{RELEASE_NAMESPACE_ANNOTATION}=<namespace> --overwrite",
                ),
            )
        )
    return findings
