"""Webhook configurations of the operator: which are its, and which are dangling.

Ownership must be proven, because cleanup tools that deleted webhooks by
name alone have removed other products' webhooks. A configuration is the
operator's when one of these holds and no Helm annotation names another
release:

- its Helm annotations name a release of the operator in its namespace;
- one of its rules matches the API group gpu.metax-tech.com;
- one of its webhooks calls a Service in the operator's namespace that the
  operator's Helm release owns.

A webhook is dangling when its Service is missing or has no ready endpoint;
a configuration with a dangling webhook blocks every write its rules match
(with failurePolicy Fail), including the finalizer patches of a cleanup.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, TypedDict

from kubectl_metax.inspection import snapshot
from kubectl_metax.inspection.install import (
    METAX_GROUP,
    RELEASE_NAME_ANNOTATION,
    RELEASE_NAMESPACE_ANNOTATION,
    Install,
)
from kubectl_metax.inspection.snapshot import (
    EndpointsRecord,
    Meta,
    ServiceRecord,
    Snapshot,
    WebhookConfigRecord,
)

LIVE = "live"
DANGLING = "dangling"
UNKNOWN = "unknown"  # services or endpoints could not be listed, or a webhook calls a URL

SERVICE_MISSING = "service-missing"
NO_READY_ENDPOINTS = "no-ready-endpoints"


class Problem(TypedDict):
    webhook: str
    service: str  # namespace/name
    problem: str  # SERVICE_MISSING or NO_READY_ENDPOINTS
    failure_policy: str


class Verdict(TypedDict):
    config: WebhookConfigRecord
    owned: bool
    evidence: List[str]  # helm-release, metax-rules, operator-service; or foreign-release
    state: str  # LIVE, DANGLING or UNKNOWN
    problems: List[Problem]


def _helm_release(meta: Meta) -> Optional[str]:
    return meta["annotations"].get(RELEASE_NAME_ANNOTATION)


def _owned_by_release(meta: Meta, install: Install) -> bool:
    names = set(install["release_names"])
    return (
        _helm_release(meta) in names
        and meta["annotations"].get(RELEASE_NAMESPACE_ANNOTATION, "") == install["namespace"]
    )


def ownership(
    config: WebhookConfigRecord, install: Install, services: Dict[str, ServiceRecord]
) -> List[str]:
    """Return the evidence that config is the operator's; "foreign-release" vetoes it."""
    release = _helm_release(config["meta"])
    if release and not _owned_by_release(config["meta"], install):
        return ["foreign-release"]

    evidence = []
    if release:
        evidence.append("helm-release")
    if any(METAX_GROUP in hook["groups"] for hook in config["webhooks"]):
        evidence.append("metax-rules")
    for hook in config["webhooks"]:
        if not install["namespace"] or hook["service_namespace"] != install["namespace"]:
            continue
        service = services.get(f"{hook['service_namespace']}/{hook['service_name']}")
        if service is not None and _owned_by_release(service["meta"], install):
            evidence.append("operator-service")
            break
    return evidence


def liveness(
    config: WebhookConfigRecord,
    *,
    services: Optional[Dict[str, ServiceRecord]],
    endpoints: Optional[Dict[str, EndpointsRecord]],
) -> List[Problem]:
    """Return the dangling webhooks of config; None maps mean the kind was not listed."""
    problems = []
    for hook in config["webhooks"]:
        if not hook["service_name"]:
            continue
        key = f"{hook['service_namespace']}/{hook['service_name']}"
        if services is not None and key not in services:
            problem = SERVICE_MISSING
        elif (
            services is not None
            and endpoints is not None
            and (key not in endpoints or endpoints[key]["ready"] == 0)
        ):
            problem = NO_READY_ENDPOINTS
        else:
            continue
        problems.append(
            Problem(
                webhook=hook["name"],
                service=key,
                problem=problem,
                failure_policy=hook["failure_policy"],
            )
        )
    return problems


def _state(config: WebhookConfigRecord, problems: List[Problem], complete: bool) -> str:
    if problems:
        return DANGLING
    calls_url = any(not hook["service_name"] for hook in config["webhooks"])
    return LIVE if complete and not calls_url else UNKNOWN


def service_maps(
    snap: Snapshot,
) -> Tuple[Optional[Dict[str, ServiceRecord]], Optional[Dict[str, EndpointsRecord]]]:
    """Return services and endpoints keyed by namespace/name, None for a kind not listed."""
    services: Optional[Dict[str, ServiceRecord]] = None
    if snapshot.gap_for(snap, "services") is None:
        services = {f"{s['meta']['namespace']}/{s['meta']['name']}": s for s in snap["services"]}
    endpoints: Optional[Dict[str, EndpointsRecord]] = None
    if snapshot.gap_for(snap, "endpoints") is None:
        endpoints = {f"{e['namespace']}/{e['service']}": e for e in snap["endpoints"]}
    return services, endpoints


def relevant(config: WebhookConfigRecord, install: Install, evidence: List[str]) -> bool:
    """Return whether config concerns the operator at all (owned, or pointing at its namespace)."""
    return bool(evidence) or any(
        install["namespace"] and hook["service_namespace"] == install["namespace"]
        for hook in config["webhooks"]
    )


def judge(
    config: WebhookConfigRecord,
    install: Install,
    *,
    services: Optional[Dict[str, ServiceRecord]],
    endpoints: Optional[Dict[str, EndpointsRecord]],
) -> Verdict:
    """Return the ownership and liveness of one configuration."""
    evidence = ownership(config, install, services or {})
    problems = liveness(config, services=services, endpoints=endpoints)
    complete = services is not None and endpoints is not None
    return Verdict(
        config=config,
        owned=bool(evidence) and evidence != ["foreign-release"],
        evidence=evidence,
        state=_state(config, problems, complete),
        problems=problems,
    )


def operator_webhooks(snap: Snapshot, install: Install) -> List[Verdict]:
    """Return a verdict for every configuration that is the operator's or calls its namespace."""
    services, endpoints = service_maps(snap)
    verdicts = []
    for config in snap["webhook_configurations"]:
        verdict = judge(config, install, services=services, endpoints=endpoints)
        if relevant(config, install, verdict["evidence"]):
            verdicts.append(verdict)
    return verdicts
